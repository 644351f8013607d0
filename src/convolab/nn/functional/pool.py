"""Pooling: max, average and adaptive average, forward and backward."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from convolab.nn import _pool_compiled
from convolab.nn.functional._checks import _check_ndim, _ntuple
from convolab.nn.tensor import Function, Tensor, _as_tensor

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "global_avg_pool2d",
    "max_pool1d",
    "max_pool2d",
]


# --------------------------------------------------------------------------- pooling


def _pool_args(
    m: int, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, name: str
) -> tuple[tuple[int, ...], ...]:
    spatial = ("L",) if m == 1 else ("H", "W")
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C, {', '.join(spatial)}) or (C, ...)")
    k = _ntuple(kernel_size, m, "kernel_size")
    s = k if stride is None or stride == () else _ntuple(stride, m, "stride")
    p = _ntuple(padding, m, "padding", minimum=0)
    d = _ntuple(dilation, m, "dilation")
    if any(pi > ki // 2 for pi, ki in zip(p, k, strict=True)):
        raise ValueError(
            f"{name}: `padding` must be at most half of `kernel_size`; got padding={padding}, "
            f"kernel_size={kernel_size}"
        )
    for n, ki, pi, di in zip(x.shape[-m:], k, p, d, strict=True):
        if n + 2 * pi < di * (ki - 1) + 1:
            raise ValueError(
                f"{name}: the window {k} (dilation {d}) is larger than the padded input "
                f"{x.shape[-m:]} (padding {p})"
            )
    return k, s, p, d


def _taps(k: tuple[int, ...]) -> list[tuple[int, ...]]:
    return [tuple(int(i) for i in t) for t in np.ndindex(*k)]


def _tap_slices(
    tap: tuple[int, ...], out: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...]
) -> tuple[slice, ...]:
    """Where kernel tap ``tap`` reads, for all outputs at once (a strided slice per axis)."""
    return (Ellipsis,) + tuple(
        slice(t * di, t * di + (o - 1) * si + 1, si)
        for t, o, si, di in zip(tap, out, s, d, strict=True)
    )


def _pad_spatial(x: np.ndarray, p: tuple[int, ...], value: float) -> np.ndarray:
    if not any(p):
        return x
    return np.pad(
        x, ((0, 0),) * (x.ndim - len(p)) + tuple((q, q) for q in p), constant_values=value
    )


def _crop_spatial(g: np.ndarray, p: tuple[int, ...]) -> np.ndarray:
    if not any(p):
        return g
    return g[
        (Ellipsis,) + tuple(slice(q, g.shape[g.ndim - len(p) + i] - q) for i, q in enumerate(p))
    ]


class _MaxPool(Function):
    """Max over each window as a running maximum of strided slices, one per window tap.

    Backward sends each window's gradient to its first maximum in row-major tap order
    (ties go to one element, NaN counts as the maximum, as in PyTorch). With Numba,
    float inputs take one compiled pass instead (:mod:`convolab.nn._pool_compiled`),
    which keeps the index of each maximum for the backward pass.
    """

    def forward(
        self,
        x: np.ndarray,
        k: tuple[int, ...],
        s: tuple[int, ...],
        p: tuple[int, ...],
        d: tuple[int, ...],
    ) -> np.ndarray:
        m = len(k)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = _pad_spatial(x, p, fill)
        out = tuple(
            (n - di * (ki - 1) - 1) // si + 1
            for n, ki, si, di in zip(xp.shape[-m:], k, s, d, strict=True)
        )
        self.options = (k, s, p, d, out)
        if _pool_compiled.available(x.dtype):
            y, self.arg = _pool_compiled.max_pool_forward(xp, k, s, d, out)
            self.padded_shape = xp.shape
            return y
        taps = _taps(k)
        y = xp[_tap_slices(taps[0], out, s, d)].copy()
        for tap in taps[1:]:
            np.maximum(y, xp[_tap_slices(tap, out, s, d)], out=y)
        self.xp, self.y = xp, y
        return y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        k, s, p, d, out = self.options
        if hasattr(self, "arg"):
            g = _pool_compiled.max_pool_backward(grad, self.arg, self.padded_shape)
            return (_crop_spatial(g, p),)
        xp, y = self.xp, self.y
        m = len(k)
        # Windows that never overlap take plain assignments; if they also tile the
        # padded input, no element is left to zero beforehand.
        disjoint = all(ki <= si and di == 1 for ki, si, di in zip(k, s, d, strict=True))
        tiled = disjoint and all(
            ki == si and o * si == n for ki, si, o, n in zip(k, s, out, xp.shape[-m:], strict=True)
        )
        g = np.empty(xp.shape, dtype=grad.dtype) if tiled else np.zeros(xp.shape, grad.dtype)
        nan = np.isnan(y) if y.dtype.kind == "f" and np.isnan(y).any() else None
        taps = _taps(k)
        unclaimed = None  # windows whose maximum is not found yet (None: all of them)
        for i, tap in enumerate(taps):
            sl = _tap_slices(tap, out, s, d)
            if i == len(taps) - 1 and nan is None:
                # the last tap holds the maximum of every window not claimed yet
                hit = np.ones(y.shape, dtype=bool) if unclaimed is None else unclaimed
            else:
                hit = xp[sl] == y
                if nan is not None:
                    hit |= nan & np.isnan(xp[sl])
                if unclaimed is not None:
                    hit &= unclaimed
            if disjoint:
                np.multiply(grad, hit, out=g[sl])
            else:
                g[sl] += grad * hit
            unclaimed = ~hit if unclaimed is None else np.logical_xor(unclaimed, hit, out=unclaimed)
        return (_crop_spatial(g, p),)


class _AvgPool(Function):
    """Mean over each window (a sum of strided slices); backward spreads ``g / count``."""

    def forward(
        self,
        x: np.ndarray,
        k: tuple[int, ...],
        s: tuple[int, ...],
        p: tuple[int, ...],
        count_include_pad: bool,
        divisor_override: int | None,
    ) -> np.ndarray:
        m = len(k)
        xp = _pad_spatial(x, p, 0)
        out = tuple((n - ki) // si + 1 for n, ki, si in zip(xp.shape[-m:], k, s, strict=True))
        d = (1,) * m
        acc = np.zeros(x.shape[:-m] + out, dtype=np.result_type(x.dtype, np.float32))
        for tap in _taps(k):
            acc += xp[_tap_slices(tap, out, s, d)]
        if divisor_override is not None:
            div: Any = float(divisor_override)
        elif count_include_pad or not any(p):
            div = float(np.prod(k))
        else:  # count only the real samples in each window: separable per axis
            div = np.ones((1,) * m, dtype=acc.dtype)
            for ax, (n, ki, si, pi, o) in enumerate(zip(x.shape[-m:], k, s, p, out, strict=True)):
                start = np.arange(o) * si - pi
                cnt = np.minimum(start + ki, n) - np.maximum(start, 0)
                div = div * cnt.astype(acc.dtype).reshape((1,) * ax + (o,) + (1,) * (m - ax - 1))
        self.div, self.shape, self.options = div, xp.shape, (k, s, p, d, out)
        return acc / div

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        k, s, p, d, out = self.options
        share = grad / self.div
        g = np.zeros(self.shape, dtype=grad.dtype)
        for tap in _taps(k):
            g[_tap_slices(tap, out, s, d)] += share
        return (_crop_spatial(g, p),)


def max_pool1d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """1D max pooling; see :func:`max_pool2d`.

    >>> import numpy as np
    >>> max_pool1d(np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2).data
    array([[[3., 5.]]])
    """
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    r"""2D max pooling (not a convolution: a maximum over each window).

    .. math:: y[n, c, i, j] = \max_{u < k_h,\, v < k_w} x_{pad}[n, c, i s_h + u d_h, j s_w + v d_w]

    with ``-inf`` padding. The gradient goes to the window's maximum; of tied
    maxima only the first (in row-major order) receives it, as in PyTorch.

    Parameters
    ----------
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    kernel_size : int or pair
    stride : int or pair, default ``kernel_size``
    padding : int or pair, default 0 (at most half the kernel)
    dilation : int or pair, default 1
    ceil_mode, return_indices : only ``False`` is supported.

    Returns
    -------
    Tensor, shape ``(N, C, H_out, W_out)``

    Notes
    -----
    Shape: ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1``, same for W.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 2.0, 0.0], [4.0, 3.0, 1.0], [0.0, 1.0, 6.0]]]])
    >>> max_pool2d(x, 2, stride=1).data
    array([[[[4., 3.],
             [4., 6.]]]])
    """
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _max_pool(
    m: int,
    input: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,  # noqa: A002
    ceil_mode: bool,
    return_indices: bool,
) -> Tensor:
    if ceil_mode or return_indices:
        raise ValueError("`ceil_mode` and `return_indices` must be False (not supported)")
    x = _as_tensor(input)
    k, s, p, d = _pool_args(m, x, kernel_size, stride, padding, dilation, f"max_pool{m}d")
    return _MaxPool.apply(x, k=k, s=s, p=p, d=d)


def avg_pool1d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1D average pooling; see :func:`avg_pool2d`.

    >>> import numpy as np
    >>> avg_pool1d(np.array([[[1.0, 3.0, 2.0, 6.0]]]), 2).data
    array([[[2., 4.]]])
    """
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    r"""2D average pooling.

    .. math:: y[n, c, i, j] = \frac{1}{D} \sum_{u < k_h,\, v < k_w}
              x_{pad}[n, c, i s_h + u, j s_w + v]

    with zero padding and ``D = k_h k_w`` (or the number of non-padding samples
    when ``count_include_pad=False``, or ``divisor_override``).

    Parameters
    ----------
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    kernel_size : int or pair
    stride : int or pair, default ``kernel_size``
    padding : int or pair, default 0 (at most half the kernel)
    ceil_mode : only ``False`` is supported
    count_include_pad : bool, default True
    divisor_override : int, optional

    Returns
    -------
    Tensor, shape ``(N, C, H_out, W_out)``, ``H_out = floor((H + 2 p - k) / s) + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).data
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return _avg_pool(
        2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def _avg_pool(
    m: int,
    input: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,  # noqa: A002
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    if ceil_mode:
        raise ValueError("`ceil_mode` must be False (not supported)")
    if divisor_override is not None and (
        not isinstance(divisor_override, numbers.Integral) or divisor_override < 1
    ):
        raise ValueError(f"`divisor_override` must be a positive int; got {divisor_override!r}")
    x = _as_tensor(input)
    k, s, p, _ = _pool_args(m, x, kernel_size, stride, padding, 1, f"avg_pool{m}d")
    return _AvgPool.apply(
        x, k=k, s=s, p=p, count_include_pad=count_include_pad, divisor_override=divisor_override
    )


def _adaptive_matrix(n: int, out: int, dtype: np.dtype) -> np.ndarray:
    """Averaging matrix ``A`` (out, n): bin ``i`` covers ``[floor(i n/out), ceil((i+1) n/out))``."""
    i = np.arange(out)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class _AdaptiveAvgPool(Function):
    """Adaptive average pooling as one averaging matrix per axis: ``y = A_h x A_w^T``."""

    def forward(self, x: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
        m = len(out)
        dtype = np.result_type(x.dtype, np.float32)
        self.mats = [_adaptive_matrix(n, o, dtype) for n, o in zip(x.shape[-m:], out, strict=True)]
        return self._apply(x.astype(dtype, copy=False), transpose=False)

    def _apply(self, a: np.ndarray, transpose: bool) -> np.ndarray:
        m = len(self.mats)
        for i, mat in enumerate(self.mats):
            ax = a.ndim - m + i
            a = np.moveaxis(np.moveaxis(a, ax, -1) @ (mat if transpose else mat.T), -1, ax)
        return np.ascontiguousarray(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (self._apply(grad, transpose=True),)


def _adaptive(m: int, input: Any, output_size: Any) -> Tensor:  # noqa: A002
    x = _as_tensor(input)
    spatial = ("L",) if m == 1 else ("H", "W")
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C, {', '.join(spatial)}) or (C, ...)")
    if isinstance(output_size, tuple | list):
        output_size = tuple(x.shape[-m + i] if o is None else o for i, o in enumerate(output_size))
    out = _ntuple(output_size, m, "output_size")
    return _AdaptiveAvgPool.apply(x, out=out)


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    """1D adaptive average pooling to ``output_size`` bins; see :func:`adaptive_avg_pool2d`.

    >>> import numpy as np
    >>> adaptive_avg_pool1d(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).data
    array([[[2., 4.]]])
    """
    return _adaptive(1, input, output_size)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    r"""Average over ``output_size`` bins per spatial axis, whatever the input size.

    .. math:: y[\dots, i] = \frac{1}{e_i - b_i} \sum_{j=b_i}^{e_i - 1} x[\dots, j],\quad
              b_i = \lfloor i n / o \rfloor,\; e_i = \lceil (i+1) n / o \rceil

    per axis (PyTorch's bins), computed as ``A_h x A_w^T`` with averaging matrices.
    ``output_size=1`` is global average pooling.

    Parameters
    ----------
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    output_size : int or pair (``None`` keeps that axis)

    Returns
    -------
    Tensor, shape ``(N, C, *output_size)``

    Examples
    --------
    >>> import numpy as np
    >>> adaptive_avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 1).data
    array([[[[7.5]]]])
    """
    return _adaptive(2, input, output_size)


def global_avg_pool2d(input: Any) -> Tensor:  # noqa: A002
    """Mean over H and W, keeping them as axes of length 1: ``(N, C, H, W) -> (N, C, 1, 1)``.

    >>> import numpy as np
    >>> global_avg_pool2d(np.ones((2, 3, 4, 4))).shape
    (2, 3, 1, 1)
    """
    return _adaptive(2, input, 1)
