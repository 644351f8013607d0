"""Activation layers."""

from __future__ import annotations

from typing import Any

from convolab.nn import functional as F
from convolab.nn.modules.module import Module, register_module
from convolab.nn.tensor import Tensor

__all__ = [
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


@register_module
class ReLU(Module):
    """``max(x, 0)``.

    >>> from convolab import nn
    >>> nn.ReLU()([-1.0, 2.0]).data
    array([0., 2.])
    """

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


@register_module
class LeakyReLU(Module):
    """``x`` if ``x > 0`` else ``negative_slope * x``.

    >>> from convolab import nn
    >>> nn.LeakyReLU(0.1)
    LeakyReLU(negative_slope=0.1)
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


@register_module
class Sigmoid(Module):
    """``1 / (1 + exp(-x))``.

    >>> from convolab import nn
    >>> nn.Sigmoid()([0.0]).data
    array([0.5])
    """

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


@register_module
class Tanh(Module):
    """Hyperbolic tangent.

    >>> from convolab import nn
    >>> nn.Tanh()([0.0]).data
    array([0.])
    """

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


@register_module
class Softmax(Module):
    """Softmax along ``dim`` (default the last axis).

    >>> from convolab import nn
    >>> nn.Softmax(dim=1)
    Softmax(dim=1)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


@register_module
class LogSoftmax(Module):
    """Log-softmax along ``dim`` (default the last axis).

    >>> from convolab import nn
    >>> nn.LogSoftmax(dim=1)
    LogSoftmax(dim=1)
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
