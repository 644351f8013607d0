"""Pooling: max (with indices and unpooling), average, Lp and adaptive average, forward and
backward, in 1, 2 and 3 dimensions."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from convolab._docs import fill, parameters
from convolab._jit import pool as _pool_compiled
from convolab.conv.geometry import effective_sizes, layer_pads, pool_length
from convolab.nn.functional._checks import (
    _check_ndim,
    _ntuple,
    _per_dimension,
    _spatial_names,
)
from convolab.nn.tensor import Function, Tensor, _as_tensor

__all__ = [
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "global_avg_pool",
    "global_max_pool",
    "lp_pool1d",
    "lp_pool2d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
]


# --------------------------------------------------------------------------- window geometry


class _Windows(NamedTuple):
    """A pooling's resolved geometry over the last ``m`` axes."""

    k: tuple[int, ...]  # taps per axis
    s: tuple[int, ...]  # stride
    d: tuple[int, ...]  # dilation
    pads: tuple[tuple[int, int], ...]  # (before, after) per axis
    out: tuple[int, ...]  # output lengths
    tail: tuple[int, ...]  # samples the last (ceil_mode) window reads beyond the padding

    def padded(self, x: np.ndarray, value: float) -> np.ndarray:
        """``x`` padded by ``value``: ``before`` in front, ``after + tail`` behind."""
        width = tuple((b, a + t) for (b, a), t in zip(self.pads, self.tail, strict=True))
        if not any(b or a for b, a in width):
            return x
        return np.pad(x, ((0, 0),) * (x.ndim - len(width)) + width, constant_values=value)

    def crop(self, g: np.ndarray, spatial: tuple[int, ...]) -> np.ndarray:
        """The inverse of :meth:`padded` on a gradient: the input's part."""
        if not any(b for b, _ in self.pads) and g.shape[-len(spatial) :] == spatial:
            return g
        return g[(Ellipsis,) + tuple(slice(b, b + n) for (b, _), n in zip(self.pads, spatial))]

    def taps(self) -> list[tuple[int, ...]]:
        return [tuple(int(i) for i in t) for t in np.ndindex(*self.k)]

    def tap_slices(self, tap: tuple[int, ...]) -> tuple[slice, ...]:
        """Where tap ``tap`` reads in the padded input, for all outputs (a strided slice)."""
        return (Ellipsis,) + tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, o, s, d in zip(tap, self.out, self.s, self.d, strict=True)
        )

    def counts(self, spatial: tuple[int, ...], include_pad: bool, dtype: np.dtype) -> np.ndarray:
        """Per output, how many taps fall in the padded input (``include_pad``) or in the input.

        Separable: the product over axes of each axis's count.
        """
        m = len(self.k)
        div = np.ones((1,) * m, dtype=dtype)
        for ax, (n, (b, a), k, s, d, o) in enumerate(
            zip(spatial, self.pads, self.k, self.s, self.d, self.out, strict=True)
        ):
            pos = np.arange(o)[:, None] * s + np.arange(k)[None, :] * d  # padded coordinates
            lo, hi = (0, n + b + a) if include_pad else (b, b + n)
            cnt = ((pos >= lo) & (pos < hi)).sum(axis=1).astype(dtype)
            div = div * cnt.reshape((1,) * ax + (o,) + (1,) * (m - ax - 1))
        return div


def _windows(
    m: int,
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    name: str,
) -> _Windows:
    spatial = _spatial_names(m)
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C, {', '.join(spatial)}) or (C, ...)")
    k = _ntuple(kernel_size, m, "kernel_size")
    s = k if stride is None or stride == () else _ntuple(stride, m, "stride")
    d = _ntuple(dilation, m, "dilation")
    eff = effective_sizes(k, d)
    n = x.shape[-m:]
    pads = layer_pads(padding, n, eff, s)
    if any(max(b, a) >= e for (b, a), e in zip(pads, eff, strict=True)):
        raise ValueError(
            f"{name}: `padding` must be smaller than the (dilated) window on each side; got "
            f"padding={padding!r} ({pads}), kernel_size={kernel_size!r}, dilation={dilation!r}"
        )
    out = tuple(
        pool_length(ni, b, a, e, si, bool(ceil_mode))
        for ni, (b, a), e, si in zip(n, pads, eff, s, strict=True)
    )
    if min(out) < 1:
        raise ValueError(
            f"{name}: the window {k} (dilation {d}) is larger than the padded input {n} "
            f"(padding {pads})"
        )
    tail = tuple(
        max(0, (o - 1) * si + e - (ni + b + a))
        for o, si, e, ni, (b, a) in zip(out, s, eff, n, pads, strict=True)
    )
    return _Windows(k, s, d, pads, out, tail)


def _first_max_taps(xp: np.ndarray, y: np.ndarray, win: _Windows) -> np.ndarray:
    """For each window, the index (row-major) of its first tap holding the maximum ``y``.

    A NaN counts as the maximum, as in PyTorch.
    """
    nan = np.isnan(y) if y.dtype.kind == "f" else None
    found = np.full(y.shape, -1, dtype=np.int64)
    for i, tap in enumerate(win.taps()):
        v = xp[win.tap_slices(tap)]
        hit = v == y
        if nan is not None:
            hit |= nan & np.isnan(v)
        np.copyto(found, i, where=hit & (found < 0))
    return found


def _flat_indices(win: _Windows, tap_index: np.ndarray, spatial: tuple[int, ...]) -> np.ndarray:
    """Row-major index in the input's plane of the sample that tap ``tap_index`` of each
    window reads (PyTorch's ``return_indices``)."""
    m = len(win.k)
    taps = np.unravel_index(np.maximum(tap_index, 0), win.k)
    flat = np.zeros(tap_index.shape, dtype=np.int64)
    for ax in range(m):
        o = np.arange(win.out[ax]).reshape((-1,) + (1,) * (m - ax - 1))
        pos = o * win.s[ax] + taps[ax] * win.d[ax] - win.pads[ax][0]
        flat = flat * spatial[ax] + np.clip(pos, 0, spatial[ax] - 1)
    return flat


def _padded_to_input_index(arg: np.ndarray, win: _Windows, padded: tuple[int, ...],
                           spatial: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """Flat index in the padded plane -> flat index in the input's plane."""
    coords = np.unravel_index(arg, padded)
    flat = np.zeros(arg.shape, dtype=np.int64)
    for c, (b, _), n in zip(coords, win.pads, spatial, strict=True):
        flat = flat * n + np.clip(c - b, 0, n - 1)
    return flat


# --------------------------------------------------------------------------- max and average


class _MaxPool(Function):
    """Max over each window as a running maximum of strided slices, one per window tap.

    Backward sends each window's gradient to its first maximum in row-major tap order
    (ties go to one element, NaN counts as the maximum, as in PyTorch). With Numba,
    float inputs take one compiled pass instead (:mod:`convolab._jit.pool`),
    which keeps the index of each maximum for the backward pass.
    """

    def forward(self, x: np.ndarray, win: _Windows, indices: bool) -> np.ndarray:
        m = len(win.k)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = win.padded(x, fill)
        self.win, self.spatial, self.indices = win, x.shape[-m:], None
        if _pool_compiled.available(x.dtype):
            y, self.arg = _pool_compiled.max_pool_forward(xp, win.k, win.s, win.d, win.out)
            self.padded_shape = xp.shape
            if indices:
                arg = self.arg.reshape(y.shape)
                self.indices = _padded_to_input_index(arg, win, xp.shape[-m:], self.spatial)
            return y
        taps = win.taps()
        y = xp[win.tap_slices(taps[0])].copy()
        for tap in taps[1:]:
            np.maximum(y, xp[win.tap_slices(tap)], out=y)
        self.xp, self.y = xp, y
        if indices:
            self.indices = _flat_indices(win, _first_max_taps(xp, y, win), self.spatial)
        return y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        win = self.win
        if hasattr(self, "arg"):
            g = _pool_compiled.max_pool_backward(grad, self.arg, self.padded_shape)
            return (win.crop(g, self.spatial),)
        xp, y = self.xp, self.y
        m = len(win.k)
        # Windows that never overlap take plain assignments; if they also tile the
        # padded input, no element is left to zero beforehand.
        disjoint = all(k <= s and d == 1 for k, s, d in zip(win.k, win.s, win.d, strict=True))
        tiled = disjoint and all(
            k == s and o * s == n
            for k, s, o, n in zip(win.k, win.s, win.out, xp.shape[-m:], strict=True)
        )
        g = np.empty(xp.shape, dtype=grad.dtype) if tiled else np.zeros(xp.shape, grad.dtype)
        nan = np.isnan(y) if y.dtype.kind == "f" and np.isnan(y).any() else None
        taps = win.taps()
        unclaimed = None  # windows whose maximum is not found yet (None: all of them)
        for i, tap in enumerate(taps):
            sl = win.tap_slices(tap)
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
        return (win.crop(g, self.spatial),)


class _AvgPool(Function):
    """Mean over each window (a sum of strided slices); backward spreads ``g / count``."""

    def forward(
        self,
        x: np.ndarray,
        win: _Windows,
        count_include_pad: bool,
        divisor_override: int | None,
    ) -> np.ndarray:
        m = len(win.k)
        xp = win.padded(x, 0)
        acc = np.zeros(x.shape[:-m] + win.out, dtype=np.result_type(x.dtype, np.float32))
        for tap in win.taps():
            acc += xp[win.tap_slices(tap)]
        if divisor_override is not None:
            div: Any = float(divisor_override)
        elif not any(win.tail) and (count_include_pad or not any(b or a for b, a in win.pads)):
            div = float(np.prod(win.k))
        else:  # count the taps inside the (padded) input: separable per axis
            div = win.counts(x.shape[-m:], count_include_pad, acc.dtype)
        self.div, self.shape, self.win, self.spatial = div, xp.shape, win, x.shape[-m:]
        return acc / div

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        win = self.win
        share = grad / self.div
        g = np.zeros(self.shape, dtype=grad.dtype)
        for tap in win.taps():
            g[win.tap_slices(tap)] += share
        return (win.crop(g, self.spatial),)


def _max_pool(
    m: int,
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    return_indices: bool,
) -> Any:
    x = _as_tensor(input)
    win = _windows(m, x, kernel_size, stride, padding, dilation, ceil_mode, f"max_pool{m}d")
    if not return_indices:
        return _MaxPool.apply(x, win=win, indices=False)
    y = _MaxPool.apply(x, win=win, indices=True)
    fn = y._ctx
    if fn is None:  # not recorded (no gradient needed): run once more to get the indices
        fn = _MaxPool()
        fn.forward(x.data, win, True)
    return y, Tensor(fn.indices)


def _avg_pool(
    m: int,
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    dilation: Any,
) -> Tensor:
    if divisor_override is not None and (
        not isinstance(divisor_override, numbers.Integral) or divisor_override < 1
    ):
        raise ValueError(f"`divisor_override` must be a positive int; got {divisor_override!r}")
    x = _as_tensor(input)
    win = _windows(m, x, kernel_size, stride, padding, dilation, ceil_mode, f"avg_pool{m}d")
    return _AvgPool.apply(
        x, win=win, count_include_pad=bool(count_include_pad), divisor_override=divisor_override
    )


# The pooling operations' parameters, one description each.
_ENTRIES = parameters(
    """
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    kernel_size : int or pair
    stride : int or pair, default ``kernel_size``
    padding : int, pair, pairs, 'valid', 'same', 'same_upper' or 'same_lower', default 0
        Each side smaller than the (dilated) window; pairs: ``((top, bottom), (left, right))``.
    dilation : int or pair, default 1
    ceil_mode : bool, default False
        Round the output length up: a last, partial window if it starts inside the
        input or its front padding.
    return_indices : bool, default False
        Also return, for each output, the row-major index of its maximum in the input's
        ``(H, W)`` plane (int64), what :func:`max_unpool2d` takes.
    count_include_pad : bool, default True
        Count the padded zeros in each window's divisor.
    divisor_override : int, optional
        Divide every window's sum by this number instead.
    """
)


def _max_pool_op(m: int, doc: str) -> Callable[..., Any]:
    """The public ``max_pool{m}d`` (``m`` spatial axes), documented by ``doc``."""

    def max_pool(
        input: Any,  # noqa: A002
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        ceil_mode: bool = False,
        return_indices: bool = False,
    ) -> Any:
        return _max_pool(
            m, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
        )

    return _per_dimension(max_pool, f"max_pool{m}d", fill(doc, _ENTRIES))


def _avg_pool_op(m: int, doc: str) -> Callable[..., Tensor]:
    """The public ``avg_pool{m}d`` for ``m`` = 2, 3 (``avg_pool1d`` has no ``divisor_override``)."""

    def avg_pool(
        input: Any,  # noqa: A002
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
        *,
        dilation: Any = 1,
    ) -> Tensor:
        return _avg_pool(
            m, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
            divisor_override, dilation,
        )  # fmt: skip

    return _per_dimension(avg_pool, f"avg_pool{m}d", fill(doc, _ENTRIES))


max_pool1d = _max_pool_op(
    1,
    """1D max pooling; see :func:`max_pool2d`.

    >>> import numpy as np
    >>> max_pool1d(np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2).data
    array([[[3., 5.]]])
    >>> max_pool1d(np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2, ceil_mode=True).data
    array([[[3., 5., 4.]]])
    """,
)


max_pool2d = _max_pool_op(
    2,
    r"""2D max pooling (not a convolution: a maximum over each window).

    .. math:: y[n, c, i, j] = \max_{u < k_h,\, v < k_w} x_{pad}[n, c, i s_h + u d_h, j s_w + v d_w]

    with ``-inf`` padding. The gradient goes to the window's maximum; of tied
    maxima only the first (in row-major order) receives it, as in PyTorch.

    Parameters
    ----------
    %(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)s

    Returns
    -------
    Tensor, shape ``(N, C, H_out, W_out)``, or ``(output, indices)``

    Notes
    -----
    Shape: ``H_out = floor((H + p_top + p_bottom - d (k - 1) - 1) / s) + 1`` (``ceil``
    with ``ceil_mode``), same for W.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 2.0, 0.0], [4.0, 3.0, 1.0], [0.0, 1.0, 6.0]]]])
    >>> max_pool2d(x, 2, stride=1).data
    array([[[[4., 3.],
             [4., 6.]]]])
    >>> max_pool2d(x, 2, stride=1, return_indices=True)[1].data
    array([[[[3, 4],
             [3, 8]]]])
    """,
)


max_pool3d = _max_pool_op(
    3,
    """3D max pooling; see :func:`max_pool2d`.

    >>> import numpy as np
    >>> max_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2).data
    array([[[[[7.]]]]])
    """,
)


def avg_pool1d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    dilation: Any = 1,
) -> Tensor:
    """1D average pooling; see :func:`avg_pool2d`.

    >>> import numpy as np
    >>> avg_pool1d(np.array([[[1.0, 3.0, 2.0, 6.0]]]), 2).data
    array([[[2., 4.]]])
    """
    return _avg_pool(
        1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, dilation
    )


avg_pool2d = _avg_pool_op(
    2,
    r"""2D average pooling.

    .. math:: y[n, c, i, j] = \frac{1}{D} \sum_{u < k_h,\, v < k_w}
              x_{pad}[n, c, i s_h + u d_h, j s_w + v d_w]

    with zero padding and ``D`` the number of taps that fall in the padded input
    (``k_h k_w`` unless a ``ceil_mode`` window hangs over its end), or only those in
    the input itself when ``count_include_pad=False``, or ``divisor_override``.

    Parameters
    ----------
    %(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)s
    dilation : int or pair, default 1
        Keyword only (ONNX's ``AveragePool`` has it, PyTorch's not).

    Returns
    -------
    Tensor, shape ``(N, C, H_out, W_out)``, as :func:`max_pool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).data
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """,
)


avg_pool3d = _avg_pool_op(
    3,
    """3D average pooling; see :func:`avg_pool2d`.

    >>> import numpy as np
    >>> avg_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2).data
    array([[[[[3.5]]]]])
    """,
)


# --------------------------------------------------------------------------- unpooling, Lp


class _MaxUnpool(Function):
    """Scatter each value to its index in a zero plane; backward gathers from there."""

    def forward(self, x: np.ndarray, idx: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
        m = len(out)
        lead = x.shape[:-m]
        planes = int(np.prod(lead)) if lead else 1
        self.idx = idx.reshape(planes, -1)
        y = np.zeros((planes, int(np.prod(out))), dtype=x.dtype)
        np.put_along_axis(y, self.idx, x.reshape(planes, -1), axis=1)
        self.x_shape = x.shape
        return y.reshape(lead + out)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        g = grad.reshape(self.idx.shape[0], -1)
        return (np.take_along_axis(g, self.idx, axis=1).reshape(self.x_shape),)


def _max_unpool(
    m: int,
    input: Any,  # noqa: A002
    indices: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    output_size: Any,
) -> Tensor:
    x = _as_tensor(input)
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C, {', '.join(_spatial_names(m))}) or (C, ...)")
    if idx.shape != x.shape or idx.dtype.kind not in "iu":
        raise ValueError(
            f"`indices` must be integers of the input's shape {x.shape} (from max_pool's "
            f"return_indices); got {idx.dtype} {idx.shape}"
        )
    k = _ntuple(kernel_size, m, "kernel_size")
    s = k if stride is None else _ntuple(stride, m, "stride")
    p = _ntuple(padding, m, "padding", minimum=0)
    if output_size is None:
        out = tuple((n - 1) * si - 2 * pi + ki for n, si, pi, ki in zip(x.shape[-m:], s, p, k))
    else:
        out = tuple(output_size)[-m:]
        _ntuple(out, m, "output_size")
    if idx.size and (idx.min() < 0 or idx.max() >= np.prod(out)):
        raise ValueError(
            f"`indices` must lie in [0, {int(np.prod(out))}) for the output size {out}; got "
            f"values from {idx.min()} to {idx.max()}"
        )
    return _MaxUnpool.apply(x, idx=idx.astype(np.int64, copy=False), out=out)


def _max_unpool_op(m: int, doc: str) -> Callable[..., Tensor]:
    """The public ``max_unpool{m}d`` (``m`` spatial axes), documented by ``doc``."""

    def max_unpool(
        input: Any,  # noqa: A002
        indices: Any,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        output_size: Any = None,
    ) -> Tensor:
        return _max_unpool(m, input, indices, kernel_size, stride, padding, output_size)

    return _per_dimension(max_unpool, f"max_unpool{m}d", doc)


max_unpool1d = _max_unpool_op(
    1,
    """The partial inverse of :func:`max_pool1d`; see :func:`max_unpool2d`.

    >>> import numpy as np
    >>> y, i = max_pool1d(np.array([[[1.0, 3.0, 2.0, 5.0]]]), 2, return_indices=True)
    >>> max_unpool1d(y, i, 2).data
    array([[[0., 3., 0., 5.]]])
    """,
)


max_unpool2d = _max_unpool_op(
    2,
    """Put each value at its index (from ``max_pool2d(..., return_indices=True)``), zeros elsewhere.

    Shape: ``(N, C, H, W) -> (N, C, *output_size)``, by default
    ``H_out = (H - 1) s - 2 p + k``. Backward gathers the gradient at the indices.

    >>> import numpy as np
    >>> x = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
    >>> y, i = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d(y, i, 2).data
    array([[[[0., 0.],
             [4., 0.]]]])
    """,
)


max_unpool3d = _max_unpool_op(
    3,
    """The partial inverse of :func:`max_pool3d`; see :func:`max_unpool2d`.

    >>> import numpy as np
    >>> y, i = max_pool3d(np.arange(8.0).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
    >>> max_unpool3d(y, i, 2).data.ravel()
    array([0., 0., 0., 0., 0., 0., 0., 7.])
    """,
)


def _lp_pool(
    m: int,
    input: Any,  # noqa: A002
    norm_type: float,
    kernel_size: Any,
    stride: Any,
    ceil_mode: bool,
    padding: Any = 0,
) -> Tensor:
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or norm_type <= 0:
        raise ValueError(f"`norm_type` must be a positive number; got {norm_type!r}")
    x = _as_tensor(input)
    powered = x.abs() ** float(norm_type)
    total = _avg_pool(m, powered, kernel_size, stride, padding, ceil_mode, True, 1, 1)
    return total ** (1.0 / float(norm_type))


def _lp_pool_op(m: int, doc: str) -> Callable[..., Tensor]:
    """The public ``lp_pool{m}d`` (``m`` spatial axes), documented by ``doc``."""

    def lp_pool(
        input: Any,  # noqa: A002
        norm_type: float,
        kernel_size: Any,
        stride: Any = None,
        ceil_mode: bool = False,
        *,
        padding: Any = 0,
    ) -> Tensor:
        return _lp_pool(m, input, norm_type, kernel_size, stride, ceil_mode, padding)

    return _per_dimension(lp_pool, f"lp_pool{m}d", doc)


lp_pool1d = _lp_pool_op(
    1,
    """1D power-average pooling ``(sum |x|^p)^(1/p)`` over each window; see :func:`lp_pool2d`.

    >>> import numpy as np
    >>> lp_pool1d(np.array([[[3.0, 4.0]]]), 2, 2).data
    array([[[5.]]])
    """,
)


lp_pool2d = _lp_pool_op(
    2,
    """Power-average pooling: ``(sum over the window of |x|^p)^(1/p)`` (ONNX's ``LpPool``).

    It equals PyTorch's ``lp_pool2d`` for even ``p`` or non-negative inputs (PyTorch
    takes ``x^p`` without the absolute value). ``padding`` (keyword) pads with zeros.

    >>> import numpy as np
    >>> lp_pool2d(np.ones((1, 1, 2, 2)), 2, 2).data
    array([[[[2.]]]])
    """,
)


def _global(input: Any, pool: Callable[..., Tensor], *options: Any) -> Tensor:  # noqa: A002
    """``pool`` (:func:`_max_pool` or :func:`_avg_pool`, given its ``options`` after the
    padding) with the whole of each spatial axis as its window."""
    x = _as_tensor(input)
    _check_ndim(x, "input", (3, 4, 5), "(N, C, *spatial) with 1 to 3 spatial axes")
    return pool(x.ndim - 2, x, x.shape[2:], None, 0, *options)


def global_max_pool(input: Any) -> Tensor:  # noqa: A002
    """Maximum over every axis after the first two, kept as axes of length 1 (``GlobalMaxPool``).

    >>> import numpy as np
    >>> global_max_pool(np.arange(8.0).reshape(1, 2, 4)).data
    array([[[3.],
            [7.]]])
    """
    return _global(input, _max_pool, 1, False, False)


def global_avg_pool(input: Any) -> Tensor:  # noqa: A002
    """Mean over every axis after the first two, kept as axes of length 1 (``GlobalAveragePool``).

    >>> import numpy as np
    >>> global_avg_pool(np.arange(8.0).reshape(1, 2, 4)).data
    array([[[1.5],
            [5.5]]])
    """
    return _global(input, _avg_pool, False, True, None, 1)
