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
``label_smoothing``, ``pos_weight``) are keyword-only here.

>>> import numpy as np
>>> from convolab.nn import Tensor, functional as F
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> F.max_pool2d(x, 2).data
array([[[[ 5.,  7.],
         [13., 15.]]]])
"""

from convolab.nn.functional.activation import (
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    prelu,
    relu,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from convolab.nn.functional.adaptive import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    global_avg_pool2d,
)
from convolab.nn.functional.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from convolab.nn.functional.linear import (
    dropout,
    flatten,
    linear,
)
from convolab.nn.functional.loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from convolab.nn.functional.norm import (
    batch_norm,
)
from convolab.nn.functional.pool import (
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    global_avg_pool,
    global_max_pool,
    lp_pool1d,
    lp_pool2d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "cross_entropy",
    "dropout",
    "elu",
    "flatten",
    "gelu",
    "global_avg_pool",
    "global_avg_pool2d",
    "global_max_pool",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "leaky_relu",
    "linear",
    "log_softmax",
    "lp_pool1d",
    "lp_pool2d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "mse_loss",
    "nll_loss",
    "prelu",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]
