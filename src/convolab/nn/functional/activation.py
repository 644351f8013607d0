"""Element-wise activations and the (log-)softmax."""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab.nn import _act_compiled
from convolab.nn.tensor import Function, Tensor, _as_tensor, _dim, _norm_axes

__all__ = [
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]


# --------------------------------------------------------------------------- activations


class _ReLU(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.maximum(x, np.zeros((), dtype=x.dtype))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if _act_compiled.available(grad, self.out):
            return (_act_compiled.relu_backward(grad, self.out),)
        return (grad * (self.out > 0),)


class _LeakyReLU(Function):
    def forward(self, x: np.ndarray, slope: float) -> np.ndarray:
        self.mask, self.slope = x > 0, slope
        return np.where(self.mask, x, x * np.asarray(slope, dtype=x.dtype))

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (np.where(self.mask, grad, grad * np.asarray(self.slope, dtype=grad.dtype)),)


class _Sigmoid(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = _sigmoid(x)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.out * (1 - self.out),)


class _Tanh(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * (1 - self.out * self.out),)


class _Softplus(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.logaddexp(np.zeros((), dtype=x.dtype), x)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * _sigmoid(self.x),)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class _Softmax(Function):
    def forward(self, x: np.ndarray, axis: int) -> np.ndarray:
        z = np.exp(x - x.max(axis=axis, keepdims=True))
        self.out, self.axis = z / z.sum(axis=axis, keepdims=True), axis
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        y = self.out
        return (y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)),)


class _LogSoftmax(Function):
    def forward(self, x: np.ndarray, axis: int) -> np.ndarray:
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.out, self.axis = out, axis
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


def relu(input: Any) -> Tensor:  # noqa: A002
    """``max(x, 0)``; gradient 1 where ``x > 0``, else 0.

    >>> relu([-1.0, 0.0, 2.0]).data
    array([0., 0., 2.])
    """
    return _ReLU.apply(_as_tensor(input))


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    >>> leaky_relu([-2.0, 3.0], 0.1).data
    array([-0.2,  3. ])
    """
    return _LeakyReLU.apply(_as_tensor(input), slope=float(negative_slope))


def sigmoid(input: Any) -> Tensor:  # noqa: A002
    """``1 / (1 + exp(-x))``, computed without overflow; gradient ``y (1 - y)``.

    >>> sigmoid([0.0]).data
    array([0.5])
    """
    return _Sigmoid.apply(_as_tensor(input))


def tanh(input: Any) -> Tensor:  # noqa: A002
    """Hyperbolic tangent; gradient ``1 - y**2``.

    >>> tanh([0.0]).data
    array([0.])
    """
    return _Tanh.apply(_as_tensor(input))


def softplus(input: Any) -> Tensor:  # noqa: A002
    """``log(1 + exp(x))``, computed stably; gradient ``sigmoid(x)``.

    >>> softplus([0.0]).data
    array([0.69314718])
    """
    return _Softplus.apply(_as_tensor(input))


def _softmax_axis(x: Tensor, dim: Any, axis: Any) -> int:
    d = _dim(dim, axis)
    if d is None:
        raise TypeError("softmax needs `dim` (or `axis`): the axis that sums to one")
    return _norm_axes(d, x.ndim)[0]


def softmax(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:  # noqa: A002
    r"""``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (shifted by the max for stability).

    Backward: ``dx = y (g - sum(g y))``.

    >>> import numpy as np
    >>> softmax(np.log([[1.0, 3.0]]), dim=1).data
    array([[0.25, 0.75]])
    """
    x = _as_tensor(input)
    return _Softmax.apply(x, axis=_softmax_axis(x, dim, axis))


def log_softmax(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:  # noqa: A002
    r"""``x_i - log sum_j exp(x_j)`` along ``dim``, without overflow.

    Backward: ``dx = g - softmax(x) sum(g)``.

    >>> import numpy as np
    >>> np.exp(log_softmax(np.log([[1.0, 3.0]]), dim=1).data)
    array([[0.25, 0.75]])
    """
    x = _as_tensor(input)
    return _LogSoftmax.apply(x, axis=_softmax_axis(x, dim, axis))
