"""Activation layers."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from convolab.nn import functional as F
from convolab.nn.functional.activation import SELU_ALPHA, SELU_SCALE
from convolab.nn.modules._checks import _check_positive_int, _float_dtype
from convolab.nn.modules.module import Module, Parameter, register_module
from convolab.nn.tensor import Tensor

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "PReLU",
    "SELU",
    "SiLU",
    "Softplus",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


class _Activation(Module):
    """An activation: ``_function`` applied with its options.

    The attributes named in ``_options`` are passed positionally and always shown
    in the repr; those in ``_keywords`` (name -> default) are passed by keyword and
    shown only when one differs from its default.
    """

    kind = "activation"

    _options: tuple[str, ...] = ()
    _keywords: ClassVar[dict[str, float]] = {}
    _function: Any = None

    def forward(self, x: Any) -> Tensor:
        options = (getattr(self, name) for name in self._options)
        keywords = {name: getattr(self, name) for name in self._keywords}
        return type(self)._function(x, *options, **keywords)

    def extra_repr(self) -> str:
        shown = list(self._options)
        if any(getattr(self, name) != default for name, default in self._keywords.items()):
            shown += self._keywords
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)


class _AlongDim(_Activation):
    """An activation along one axis, ``dim`` (default the last)."""

    _options = ("dim",)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim


@register_module
class ReLU(_Activation):
    """``max(x, 0)``.

    >>> from convolab import nn
    >>> nn.ReLU()([-1.0, 2.0]).data
    array([0., 2.])
    """

    _function = F.relu


@register_module
class LeakyReLU(_Activation):
    """``x`` if ``x > 0`` else ``negative_slope * x``.

    >>> from convolab import nn
    >>> nn.LeakyReLU(0.1)
    LeakyReLU(negative_slope=0.1)
    """

    _options = ("negative_slope",)
    _function = F.leaky_relu

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)


@register_module
class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))``.

    >>> from convolab import nn
    >>> nn.Sigmoid()([0.0]).data
    array([0.5])
    """

    _function = F.sigmoid


@register_module
class Tanh(_Activation):
    """Hyperbolic tangent.

    >>> from convolab import nn
    >>> nn.Tanh()([0.0]).data
    array([0.])
    """

    _function = F.tanh


@register_module
class Softmax(_AlongDim):
    """Softmax along ``dim`` (default the last axis).

    >>> from convolab import nn
    >>> nn.Softmax(dim=1)
    Softmax(dim=1)
    """

    _function = F.softmax


@register_module
class LogSoftmax(_AlongDim):
    """Log-softmax along ``dim`` (default the last axis).

    >>> from convolab import nn
    >>> nn.LogSoftmax(dim=1)
    LogSoftmax(dim=1)
    """

    _function = F.log_softmax


@register_module
class ELU(_Activation):
    """``x`` if ``x > 0`` else ``alpha (exp(x) - 1)``; see :func:`convolab.nn.functional.elu`.

    >>> from convolab import nn
    >>> nn.ELU(alpha=0.5)
    ELU(alpha=0.5)
    """

    _options = ("alpha",)
    _function = F.elu

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)


@register_module
class SELU(_Activation):
    """Scaled ELU, by default with the self-normalizing constants; see
    :func:`convolab.nn.functional.selu`.

    >>> from convolab import nn
    >>> nn.SELU()([0.0]).data
    array([0.])
    """

    _function = F.selu
    _keywords: ClassVar[dict[str, float]] = {"alpha": SELU_ALPHA, "scale": SELU_SCALE}

    def __init__(self, *, alpha: float = SELU_ALPHA, scale: float = SELU_SCALE) -> None:
        super().__init__()
        self.alpha, self.scale = float(alpha), float(scale)


@register_module
class CELU(_Activation):
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``; see :func:`convolab.nn.functional.celu`.

    >>> from convolab import nn
    >>> nn.CELU(2.0)
    CELU(alpha=2.0)
    """

    _options = ("alpha",)
    _function = F.celu

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)
        F.celu([0.0], self.alpha)  # checks alpha


@register_module
class GELU(_Activation):
    """``x Phi(x)`` (``approximate='none'``) or its tanh form; see :func:`.functional.gelu`.

    >>> from convolab import nn
    >>> nn.GELU(approximate="tanh")
    GELU(approximate='tanh')
    """

    _options = ("approximate",)
    _function = F.gelu

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"`approximate` must be 'none' or 'tanh'; got {approximate!r}")
        self.approximate = approximate


@register_module
class SiLU(_Activation):
    """``x sigmoid(x)`` (swish); see :func:`convolab.nn.functional.silu`.

    >>> from convolab import nn
    >>> nn.SiLU()([0.0]).data
    array([0.])
    """

    _function = F.silu


@register_module
class Softplus(_Activation):
    """``log(1 + exp(beta x)) / beta`` (linear above ``threshold``); see
    :func:`convolab.nn.functional.softplus`.

    >>> from convolab import nn
    >>> nn.Softplus()
    Softplus(beta=1.0, threshold=20.0)
    """

    _options = ("beta", "threshold")
    _function = F.softplus

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)
        F.softplus([0.0], self.beta, self.threshold)  # checks beta


@register_module
class Hardtanh(_Activation):
    """``clip(x, min_val, max_val)``; see :func:`convolab.nn.functional.hardtanh`.

    >>> from convolab import nn
    >>> nn.Hardtanh(0.0, 6.0)([-1.0, 7.0]).data
    array([0., 6.])
    """

    _options = ("min_val", "max_val")
    _function = F.hardtanh

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        self.min_val, self.max_val = float(min_val), float(max_val)
        F.hardtanh([0.0], self.min_val, self.max_val)  # checks the interval


@register_module
class Hardsigmoid(_Activation):
    """``clip(alpha x + beta, 0, 1)``, by default ``x / 6 + 1/2``; see
    :func:`convolab.nn.functional.hardsigmoid`.

    >>> from convolab import nn
    >>> nn.Hardsigmoid()([0.0]).data
    array([0.5])
    """

    _function = F.hardsigmoid
    _keywords: ClassVar[dict[str, float]] = {"alpha": 1 / 6, "beta": 0.5}

    def __init__(self, *, alpha: float = 1 / 6, beta: float = 0.5) -> None:
        super().__init__()
        self.alpha, self.beta = float(alpha), float(beta)


@register_module
class Hardswish(_Activation):
    """``x hardsigmoid(x)``; see :func:`convolab.nn.functional.hardswish`.

    >>> from convolab import nn
    >>> nn.Hardswish()([3.0]).data
    array([3.])
    """

    _function = F.hardswish


@register_module
class PReLU(_Activation):
    """Parametric ReLU: ``x`` if ``x > 0`` else ``a x``, ``a`` learned (one or one per channel).

    Parameters
    ----------
    num_parameters : int, default 1
        1 (one slope shared by every channel) or the number of channels (axis 1).
    shape : tuple of int, optional (keyword)
        Instead, slopes of this shape, broadcast to the input's trailing axes (ONNX's
        ``PRelu``; no PyTorch twin).
    init : float, default 0.25
        The slopes' starting value.
    dtype : floating dtype, default float32

    Examples
    --------
    >>> from convolab import nn
    >>> layer = nn.PReLU(3)
    >>> layer, layer.weight.shape
    (PReLU(num_parameters=3), (3,))
    """

    def __init__(
        self,
        num_parameters: int = 1,
        init: float = 0.25,
        dtype: Any = "float32",
        *,
        shape: Any = None,
    ) -> None:
        super().__init__()
        self.num_parameters = _check_positive_int(num_parameters, "num_parameters")
        self.init = float(init)
        self.shape = (
            None if shape is None else tuple(_check_positive_int(n, "shape") for n in shape)
        )
        size = self.shape if self.shape is not None else (self.num_parameters,)
        self.weight = Parameter(np.full(size, self.init, dtype=_float_dtype(dtype)))

    def forward(self, x: Any) -> Tensor:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        if self.shape is not None:
            return f"shape={self.shape}"
        return f"num_parameters={self.num_parameters}"
