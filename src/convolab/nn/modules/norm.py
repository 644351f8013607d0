"""Normalization layers: batch norm and :class:`Standardize`."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from convolab.nn import functional as F
from convolab.nn.modules._checks import _check_positive_int, _float_dtype
from convolab.nn.modules.module import Module, Parameter, register_module
from convolab.nn.tensor import Tensor, _as_tensor

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Standardize",
]


class _BatchNorm(Module):
    kind = "norm"
    _ndims: tuple[int, ...] = (4,)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = "float32",
        unbiased_running_var: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = _check_positive_int(num_features, "num_features")
        if not isinstance(eps, numbers.Real) or eps <= 0:
            raise ValueError(f"`eps` must be a positive number; got {eps!r}")
        if momentum is not None and (
            not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1
        ):
            raise ValueError(f"`momentum` must be in [0, 1] or None; got {momentum!r}")
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.unbiased_running_var = bool(unbiased_running_var)
        dt = _float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dt))
            self.bias = Parameter(np.zeros(num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dt))
            self.register_buffer("running_var", np.ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) expects input with "
                f"{' or '.join(map(str, self._ndims))} dimensions and {self.num_features} "
                f"channels on axis 1; got shape {x.shape}"
            )
        use_batch = self.training or self.running_mean is None
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        rm = self.running_mean if (self.training or not use_batch) else None
        rv = self.running_var if (self.training or not use_batch) else None
        return F.batch_norm(x, rm, rv, self.weight, self.bias, use_batch, momentum, self.eps,
                            unbiased_running_var=self.unbiased_running_var)  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        ) + ("" if self.unbiased_running_var else ", unbiased_running_var=False")


@register_module
class BatchNorm1d(_BatchNorm):
    r"""Batch normalization of ``(N, C)`` or ``(N, C, L)`` inputs per channel.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with batch statistics in
    training (updating ``running_mean``/``running_var`` with ``momentum``) and the
    running statistics in eval; see :func:`convolab.nn.functional.batch_norm`.
    ``unbiased_running_var=False`` moves ``running_var`` toward the biased batch
    variance, as ONNX's ``BatchNormalization`` in training mode does.

    >>> from convolab import nn
    >>> nn.BatchNorm1d(84)
    BatchNorm1d(84, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """

    _ndims = (2, 3)


@register_module
class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` inputs per channel; see :class:`BatchNorm1d`.

    >>> from convolab import nn
    >>> nn.BatchNorm2d(6)
    BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """

    _ndims = (4,)


@register_module
class BatchNorm3d(_BatchNorm):
    """Batch normalization of ``(N, C, D, H, W)`` inputs per channel; see :class:`BatchNorm1d`.

    >>> from convolab import nn
    >>> nn.BatchNorm3d(4, momentum=None)
    BatchNorm3d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)
    """

    _ndims = (5,)


@register_module
class Standardize(Module):
    r"""``(x - mean[c]) / std[c]`` per channel (axis 1): the inputs' normalization, inside
    the model, so that a saved model takes raw inputs (images in [0, 1]).

    ``mean`` and ``std`` are constants (a number for every channel, or one per
    channel), usually the training data's; they are saved with the model and are
    not trained. LeCun et al. (1998) normalized LeNet-5's inputs to mean 0 and
    variance about 1 the same way.

    >>> import numpy as np
    >>> from convolab import nn
    >>> layer = nn.Standardize(0.5, 0.25)
    >>> layer(np.array([[[0.0, 0.5, 1.0]]], np.float32)).data
    array([[[-2.,  0.,  2.]]], dtype=float32)
    >>> nn.Standardize([0.1, 0.2], [1.0, 2.0])
    Standardize(mean=[0.1, 0.2], std=[1.0, 2.0])
    """

    kind = "norm"

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        super().__init__()
        m = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        sd = np.atleast_1d(np.asarray(std, dtype=np.float64))
        got = f"got mean={mean!r}, std={std!r}"
        if m.ndim != 1 or sd.ndim != 1 or not m.size or not sd.size:
            raise ValueError(f"`mean` and `std` must be numbers or 1D sequences; {got}")
        if not (np.isfinite(m).all() and np.isfinite(sd).all() and (sd > 0).all()):
            raise ValueError(f"`mean` must be finite and `std` finite and > 0; {got}")
        if m.size != sd.size and 1 not in (m.size, sd.size):
            raise ValueError(f"`mean` and `std` must have one value per channel; {got}")
        self.mean, self.std = [float(v) for v in m], [float(v) for v in sd]

    def forward(self, x: Any) -> Tensor:
        t = x if isinstance(x, Tensor) else Tensor(x)
        channels = max(len(self.mean), len(self.std))
        if t.ndim < 2 or (channels > 1 and t.shape[1] != channels):
            raise ValueError(
                f"Standardize with {channels} channel(s) expects (N, C, ...) input with "
                f"C = {channels}; got shape {t.shape}"
            )
        dtype = t.dtype if np.issubdtype(t.dtype, np.floating) else np.float32
        shape = (1, -1) + (1,) * (t.ndim - 2)
        m = np.asarray(self.mean, dtype).reshape(shape)
        inv = (1.0 / np.asarray(self.std, np.float64)).astype(dtype).reshape(shape)
        return (t - Tensor(m)) * Tensor(inv)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"
