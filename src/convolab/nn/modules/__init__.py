"""Layers as objects: :class:`Module`, :class:`Parameter` and the usual building blocks.

The conventions are PyTorch's, so that code and weights move between the two:
``parameters()``, ``named_parameters()``, ``state_dict()`` with names like
``0.weight`` and ``1.running_mean``, ``load_state_dict(strict=True)``,
``train()``/``eval()``, ``model(x)`` calling ``forward``, and the same ``repr``.

Every module records the arguments it was constructed with; :meth:`Module.get_config`
returns them as JSON-friendly values and :meth:`Module.from_config` rebuilds the
module from them. That is how :func:`convolab.nn.save` stores an architecture
without pickling code. Only classes in the registry (the built-in layers and
those decorated with :func:`register_module`) can be rebuilt.

>>> import numpy as np
>>> from convolab import nn
>>> model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
...                       nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
>>> model(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape
(2, 10)
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '4.weight', '4.bias']
"""

from convolab.nn.modules import activation as _activation
from convolab.nn.modules import container as _container
from convolab.nn.modules import conv as _conv
from convolab.nn.modules import linear as _linear
from convolab.nn.modules import loss as _loss
from convolab.nn.modules import module as _module
from convolab.nn.modules import norm as _norm
from convolab.nn.modules import padding as _padding
from convolab.nn.modules import pool as _pool
from convolab.nn.modules import resize as _resize
from convolab.nn.modules.activation import *  # noqa: F403
from convolab.nn.modules.container import *  # noqa: F403
from convolab.nn.modules.conv import *  # noqa: F403
from convolab.nn.modules.linear import *  # noqa: F403
from convolab.nn.modules.loss import *  # noqa: F403
from convolab.nn.modules.module import *  # noqa: F403
from convolab.nn.modules.norm import *  # noqa: F403
from convolab.nn.modules.padding import *  # noqa: F403
from convolab.nn.modules.pool import *  # noqa: F403
from convolab.nn.modules.resize import *  # noqa: F403

__all__ = [
    *_activation.__all__,
    *_container.__all__,
    *_conv.__all__,
    *_linear.__all__,
    *_loss.__all__,
    *_module.__all__,
    *_norm.__all__,
    *_padding.__all__,
    *_pool.__all__,
    *_resize.__all__,
]
