"""Differentiable layer operations, with the signatures of ``torch.nn.functional``.

Every function takes and returns :class:`~convolab.nn.Tensor` objects (arrays
are accepted and wrapped). Each primitive is a small
:class:`~convolab.nn.Function` whose backward pass is written beside its forward
pass. The convolutions run forward *and* backward on the one engine,
:func:`convolab.conv_nd`: the input gradient is a full (transposed) convolution
of the output gradient with the kernel, and the weight gradient is a
correlation of the input with the output gradient.

``dim`` may also be spelled ``axis``. Loss options that PyTorch accepts
positionally only for backward compatibility (``reduction``, ``ignore_index``,
``label_smoothing``, ``pos_weight``, ``delta``, ``beta``) are keyword-only here.

>>> import numpy as np
>>> from convolab.nn import Tensor, functional as F
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> F.max_pool2d(x, 2).data
array([[[[ 5.,  7.],
         [13., 15.]]]])
"""

from convolab.nn.functional import activation as _activation
from convolab.nn.functional import adaptive as _adaptive
from convolab.nn.functional import conv as _conv
from convolab.nn.functional import linear as _linear
from convolab.nn.functional import loss as _loss
from convolab.nn.functional import norm as _norm
from convolab.nn.functional import padding as _padding
from convolab.nn.functional import pool as _pool
from convolab.nn.functional import resize as _resize
from convolab.nn.functional.activation import *  # noqa: F403
from convolab.nn.functional.adaptive import *  # noqa: F403
from convolab.nn.functional.conv import *  # noqa: F403
from convolab.nn.functional.linear import *  # noqa: F403
from convolab.nn.functional.loss import *  # noqa: F403
from convolab.nn.functional.norm import *  # noqa: F403
from convolab.nn.functional.padding import *  # noqa: F403
from convolab.nn.functional.pool import *  # noqa: F403
from convolab.nn.functional.resize import *  # noqa: F403

__all__ = [
    *_activation.__all__,
    *_adaptive.__all__,
    *_conv.__all__,
    *_linear.__all__,
    *_loss.__all__,
    *_norm.__all__,
    *_padding.__all__,
    *_pool.__all__,
    *_resize.__all__,
]
