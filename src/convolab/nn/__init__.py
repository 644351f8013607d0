"""Neural networks on the convolution engine: autograd, layers, optimizers, model files.

* :class:`Tensor` -- an ``ndarray`` with reverse-mode automatic differentiation;
* :mod:`convolab.nn.functional` -- layer operations with PyTorch's signatures
  (convolutions forward and backward on :func:`convolab.conv_nd`);
* modules -- :class:`Module`, :class:`Sequential`, :class:`Conv2d`, :class:`Linear`, ...;
* :mod:`convolab.nn.init`, :mod:`convolab.nn.optim`;
* :func:`save` / :func:`load` -- pickle-free model files;
* :mod:`convolab.nn.onnx`, :mod:`convolab.nn.torch_bridge` -- export to ONNX and exchange
  with PyTorch; :func:`export_onnx`, :func:`to_torch` and :func:`from_torch` are also
  reachable here (loaded on first use; their optional dependencies only when called).

>>> import numpy as np
>>> from convolab import nn
>>> net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
>>> loss = nn.functional.mse_loss(net(np.zeros((4, 2), np.float32)), np.zeros((4, 1), np.float32))
>>> loss.backward()
>>> net[0].weight.grad.shape
(8, 2)
"""

import importlib
from typing import Any

from convolab.nn import functional, init, optim
from convolab.nn.modules import (
    CELU,
    ELU,
    GELU,
    SELU,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Dropout,
    Flatten,
    GlobalAvgPool,
    GlobalMaxPool,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    Identity,
    IncompatibleKeys,
    LeakyReLU,
    Linear,
    LogSoftmax,
    LPPool1d,
    LPPool2d,
    MatMul,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
    Module,
    Parameter,
    Permute,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Standardize,
    Tanh,
    Unflatten,
    build_module,
    describe_module,
    module_registry,
    register_module,
)
from convolab.nn.serialize import ModelFileError, load, read_model_info, save
from convolab.nn.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad, tensor

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
    "Function",
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
    "ModelFileError",
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
    "Tensor",
    "Unflatten",
    "build_module",
    "describe_module",
    "enable_grad",
    "export_onnx",
    "from_onnx",
    "from_torch",
    "functional",
    "init",
    "is_grad_enabled",
    "load",
    "module_registry",
    "no_grad",
    "onnx",
    "onnx_import",
    "optim",
    "read_model_info",
    "register_module",
    "save",
    "tensor",
    "to_torch",
    "torch_bridge",
]

_LAZY = ("onnx", "onnx_import", "torch_bridge")
# Functions of the lazy submodules, reachable as convolab.nn.<name> (PEP 562).
_LAZY_FUNCTIONS = {
    "export_onnx": "onnx",
    "from_onnx": "onnx_import",
    "to_torch": "torch_bridge",
    "from_torch": "torch_bridge",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"convolab.nn.{name}")
    if name in _LAZY_FUNCTIONS:
        module = importlib.import_module(f"convolab.nn.{_LAZY_FUNCTIONS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'convolab.nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
