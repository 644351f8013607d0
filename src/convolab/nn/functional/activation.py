"""Element-wise activations and the (log-)softmax."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

from convolab._jit import activation as _act_compiled
from convolab.nn.axes import dim_or_axis, norm_axes
from convolab.nn.tensor import Function, Tensor, _as_tensor
from convolab.runtime.workspace import recycled

__all__ = [
    "celu",
    "elu",
    "gelu",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "leaky_relu",
    "log_softmax",
    "prelu",
    "relu",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]

#: SELU's constants (Klambauer et al. 2017), as PyTorch and ONNX use them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# --------------------------------------------------------------------------- activations


class _ReLU(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = recycled(x.shape, x.dtype) if x.ndim else None  # a 0-d result stays a scalar
        self.out = np.maximum(x, np.zeros((), dtype=x.dtype), out=out)
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


def _softmax_axis(x: Tensor, dim: Any, axis: Any) -> int:
    d = dim_or_axis(dim, axis)
    if d is None:
        raise TypeError("softmax needs `dim` (or `axis`): the axis that sums to one")
    return norm_axes(d, x.ndim)[0]


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


# --------------------------------------------------------------------------- pointwise family


class _Pointwise(Function):
    """``y = f(x)`` element by element; backward ``g * f'(x)``, the slope from ``x`` and ``y``."""

    def forward(
        self,
        x: np.ndarray,
        value: Callable[[np.ndarray], np.ndarray],
        slope: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ) -> np.ndarray:
        y = np.asarray(value(x), dtype=x.dtype)
        self.x, self.y, self.slope = x, y, slope
        return y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return ((grad * self.slope(self.x, self.y)).astype(grad.dtype, copy=False),)


def _pointwise(input: Any, value: Callable, slope: Callable) -> Tensor:  # noqa: A002
    x = _as_tensor(input)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(np.float64))
    return _Pointwise.apply(x, value=value, slope=slope)


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise TypeError(f"`{name}` must be a real number; got {value!r}")
    return float(value)


def elu(input: Any, alpha: float = 1.0) -> Tensor:  # noqa: A002
    r"""Exponential linear unit: ``x`` if ``x > 0`` else ``alpha (exp(x) - 1)``.

    Gradient ``1`` for ``x > 0``, else ``alpha exp(x)``.

    >>> elu([-1.0, 0.0, 2.0]).data.round(4)
    array([-0.6321,  0.    ,  2.    ])
    """
    a = _real("alpha", alpha)
    return _pointwise(
        input,
        lambda x: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))),
        lambda x, y: np.where(x > 0, 1.0, a * np.exp(np.minimum(x, 0))),
    )


def selu(input: Any, *, alpha: float = SELU_ALPHA, scale: float = SELU_SCALE) -> Tensor:  # noqa: A002
    """Scaled ELU: ``scale * elu(x, alpha)``, by default with the self-normalizing constants
    ``alpha = 1.6733``, ``scale = 1.0507`` (:data:`SELU_ALPHA`, :data:`SELU_SCALE`).

    ``alpha`` and ``scale`` (keywords) are ONNX's ``Selu`` attributes ``alpha``, ``gamma``.

    >>> selu([0.0, 1.0]).data
    array([0.        , 1.05070099])
    """
    a, c = _real("alpha", alpha), _real("scale", scale)
    return _pointwise(
        input,
        lambda x: c * np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))),
        lambda x, y: c * np.where(x > 0, 1.0, a * np.exp(np.minimum(x, 0))),
    )


def celu(input: Any, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``.

    >>> celu([-2.0, 3.0], alpha=2.0).data.round(4)
    array([-1.2642,  3.    ])
    """
    a = _real("alpha", alpha)
    if a == 0:
        raise ValueError("`alpha` must not be 0 for celu")
    return _pointwise(
        input,
        lambda x: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0) / a)),
        lambda x, y: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0) / a)),
    )


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu_tanh(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
    return u, np.tanh(u)


def gelu(input: Any, approximate: str = "none") -> Tensor:  # noqa: A002
    r"""Gaussian error linear unit ``x Phi(x)``, ``Phi`` the standard normal CDF.

    ``approximate='tanh'`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
    Gradient (exact): ``Phi(x) + x phi(x)``.

    >>> gelu([0.0, 1.0]).data.round(4), gelu([1.0], approximate="tanh").data.round(4)
    (array([0.    , 0.8413]), array([0.8412]))
    """
    if approximate == "none":
        return _pointwise(
            input,
            lambda x: x * special.ndtr(x),
            lambda x, y: special.ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi),
        )
    if approximate == "tanh":

        def slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            _, t = _gelu_tanh(x)
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du

        return _pointwise(input, lambda x: 0.5 * x * (1 + _gelu_tanh(x)[1]), slope)
    raise ValueError(f"`approximate` must be 'none' or 'tanh'; got {approximate!r}")


def silu(input: Any) -> Tensor:  # noqa: A002
    """Sigmoid linear unit (swish): ``x sigmoid(x)``; gradient ``s (1 + x (1 - s))``.

    >>> silu([0.0, 1.0]).data.round(4)
    array([0.    , 0.7311])
    """
    return _pointwise(
        input,
        lambda x: x * _sigmoid(x),
        lambda x, y: _sigmoid(x) * (1 + x * (1 - _sigmoid(x))),
    )


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta x)) / beta``, computed stably; ``x`` itself where ``beta x > threshold``.

    Gradient ``sigmoid(beta x)`` (1 above the threshold), as in PyTorch.

    >>> softplus([0.0]).data
    array([0.69314718])
    """
    b, t = _real("beta", beta), _real("threshold", threshold)
    if b == 0:
        raise ValueError("`beta` must not be 0 for softplus")

    def value(x: np.ndarray) -> np.ndarray:
        return np.where(b * x > t, x, np.logaddexp(np.zeros((), x.dtype), b * x) / b)

    return _pointwise(input, value, lambda x, y: np.where(b * x > t, 1.0, _sigmoid(b * x)))


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """``clip(x, min_val, max_val)``; gradient 1 strictly inside the interval, else 0.

    >>> hardtanh([-2.0, 0.5, 3.0]).data
    array([-1. ,  0.5,  1. ])
    """
    lo, hi = _real("min_val", min_val), _real("max_val", max_val)
    if lo > hi:
        raise ValueError(f"`min_val` ({lo}) must not exceed `max_val` ({hi})")
    return _pointwise(
        input, lambda x: np.clip(x, lo, hi), lambda x, y: ((x > lo) & (x < hi)).astype(x.dtype)
    )


def hardsigmoid(input: Any, *, alpha: float = 1 / 6, beta: float = 0.5) -> Tensor:  # noqa: A002
    """``clip(alpha x + beta, 0, 1)``; gradient ``alpha`` where strictly inside, else 0.

    The defaults are PyTorch's (``x / 6 + 1/2``); ONNX's ``HardSigmoid`` defaults to
    ``alpha=0.2``.

    >>> hardsigmoid([-4.0, 0.0, 1.5]).data
    array([0.  , 0.5 , 0.75])
    """
    a, b = _real("alpha", alpha), _real("beta", beta)
    return _pointwise(
        input,
        lambda x: np.clip(a * x + b, 0, 1),
        lambda x, y: np.where((a * x + b > 0) & (a * x + b < 1), a, 0.0),
    )


def hardswish(input: Any) -> Tensor:  # noqa: A002
    """``x hardsigmoid(x)``: 0 below -3, ``x`` above 3, ``x (x + 3) / 6`` between.

    Gradient: 0 up to -3, ``x / 3 + 1/2`` between, 1 from 3 on (PyTorch's choice at the kinks).

    >>> hardswish([-4.0, 1.0, 4.0]).data.round(4)
    array([-0.    ,  0.6667,  4.    ])
    """
    return _pointwise(
        input,
        lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
        lambda x, y: np.where(x <= -3, 0.0, np.where(x < 3, x / 3 + 0.5, 1.0)),
    )


class _PReLU(Function):
    """``x`` if ``x > 0`` else ``a x``: one slope, one per channel (axis 1), or slopes of a
    shape that broadcasts to the input's (ONNX's ``PRelu``)."""

    def forward(self, x: np.ndarray, a: np.ndarray) -> np.ndarray:
        if a.ndim == 1 and x.ndim >= 2 and a.size == x.shape[1]:  # per channel
            slopes = a.reshape((1, -1) + (1,) * (x.ndim - 2))
        else:  # one slope, or broadcast from the trailing axes
            slopes = a
        self.x, self.a, self.a_shape = x, slopes, a.shape
        return np.where(x > 0, x, slopes * x).astype(np.result_type(x, a), copy=False)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, neg = self.x, self.x <= 0
        dx = np.where(neg, self.a * grad, grad) if self.needs_input_grad[0] else None
        da = None
        if self.needs_input_grad[1]:
            contrib = np.where(neg, x * grad, 0)
            lead = contrib.ndim - self.a.ndim
            contrib = contrib.sum(axis=tuple(range(lead)))
            axes = tuple(i for i, n in enumerate(self.a.shape) if n == 1 and contrib.shape[i] != 1)
            da = contrib.sum(axis=axes, keepdims=True).reshape(self.a_shape)
        return dx, da


def prelu(input: Any, weight: Any) -> Tensor:  # noqa: A002
    """Parametric ReLU: ``x`` if ``x > 0`` else ``a x``, ``a`` learnable.

    ``weight`` has 1 element (shared), ``C`` (one per channel, axis 1, as in PyTorch; a
    1-D input has one channel), or any shape that broadcasts to the input's (ONNX's
    ``PRelu``, e.g. one slope per element). Gradients: ``dx = g`` or ``a g``;
    ``da = sum of x g`` where ``x <= 0``, summed over the axes ``a`` is broadcast along.

    >>> import numpy as np
    >>> prelu(np.array([[-2.0, 3.0]]), np.array([0.25])).data
    array([[-0.5,  3. ]])
    """
    x, a = _as_tensor(input), _as_tensor(weight)
    channels = x.shape[1] if x.ndim >= 2 else 1
    per_channel = a.ndim == 1 and a.shape[0] in (1, channels)
    try:
        broadcasts = np.broadcast_shapes(a.shape, x.shape) == x.shape
    except ValueError:
        broadcasts = False
    if not (per_channel or broadcasts):
        raise ValueError(
            f"`weight` must have shape (1,) or ({channels},) (one slope per channel), or a "
            f"shape that broadcasts to the input's {x.shape}; got {a.shape}"
        )
    return _PReLU.apply(x, a)
