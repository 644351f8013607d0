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
from convolab.nn import modules as _modules
from convolab.nn.modules import *  # noqa: F403
from convolab.nn.serialize import ModelFileError, load, read_model_info, save
from convolab.nn.tensor import Function, Tensor, enable_grad, is_grad_enabled, no_grad, tensor

_LAZY = ("onnx", "onnx_import", "torch_bridge")
# Functions of the lazy submodules, reachable as convolab.nn.<name> (PEP 562).
_LAZY_FUNCTIONS = {
    "export_onnx": "onnx",
    "from_onnx": "onnx_import",
    "to_torch": "torch_bridge",
    "from_torch": "torch_bridge",
}

__all__ = [
    *_modules.__all__,
    *_LAZY,
    *_LAZY_FUNCTIONS,
    "Function",
    "ModelFileError",
    "Tensor",
    "enable_grad",
    "functional",
    "init",
    "is_grad_enabled",
    "load",
    "no_grad",
    "optim",
    "read_model_info",
    "save",
    "tensor",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(f"convolab.nn.{name}")
    if name in _LAZY_FUNCTIONS:
        module = importlib.import_module(f"convolab.nn.{_LAZY_FUNCTIONS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'convolab.nn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
