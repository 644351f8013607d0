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

from convolab.nn.modules.activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from convolab.nn.modules.container import (
    Sequential,
)
from convolab.nn.modules.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from convolab.nn.modules.linear import (
    Dropout,
    Flatten,
    Identity,
    Linear,
    MatMul,
    Permute,
    Unflatten,
)
from convolab.nn.modules.module import (
    IncompatibleKeys,
    Module,
    Parameter,
    build_module,
    describe_module,
    module_registry,
    register_module,
)
from convolab.nn.modules.norm import (
    BatchNorm1d,
    BatchNorm2d,
    Standardize,
)
from convolab.nn.modules.pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    GlobalAvgPool,
    GlobalMaxPool,
    LPPool1d,
    LPPool2d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BatchNorm1d",
    "BatchNorm2d",
    "CELU",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Dropout",
    "ELU",
    "Flatten",
    "GELU",
    "GlobalAvgPool",
    "GlobalMaxPool",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "Identity",
    "IncompatibleKeys",
    "LPPool1d",
    "LPPool2d",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MatMul",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "Module",
    "PReLU",
    "Permute",
    "Parameter",
    "ReLU",
    "SELU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Standardize",
    "Tanh",
    "Unflatten",
    "build_module",
    "describe_module",
    "module_registry",
    "register_module",
]
