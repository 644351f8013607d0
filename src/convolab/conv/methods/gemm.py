"""GEMM method: im2col + one matrix product per group (what the network layers use).

For a batch ``x`` of shape ``(N, C, *S)`` and weights ``w`` of shape
``(O, C/g, *K)`` the cross-correlation

.. math:: y[n, o, p] = \\sum_{c, t} w[o, c, t]\\, x_{pad}[n, c, p s + t d]

is a matrix product once the patches are laid out as columns: the *im2col*
matrix has one row per ``(c, t)`` (input channel, kernel tap) and one column
per ``(n, p)`` (sample, output position). It is built by whichever loop is
shorter: one strided copy per kernel tap (each the size of the output), or
one per output position (each the size of the kernel), so both a layer's
forward pass (few taps, many positions) and its weight gradient (a kernel as
large as the feature map, few positions) cost a handful of copies and one
BLAS call. Layers that narrow their channels under heavy padding (an input
gradient) multiply first and shift-and-add after; with stride 1 and short
rows, copies and adds run on the flattened padded rows (see ``STRATEGIES``).
"""

from __future__ import annotations

import functools
from math import prod
from typing import NamedTuple

import numpy as np

from convolab._jit import blocked
from convolab.conv import profile
from convolab.conv.boundary import pad, zero_border
from convolab.conv.geometry import effective_size, effective_sizes, output_lengths, row_strides
from convolab.conv.methods import Method, Problem
from convolab.runtime.threads import matmul as _matmul
from convolab.runtime.threads import run_blocks
from convolab.runtime.workspace import recycled as _recycled
from convolab.runtime.workspace import scratch as _workspace
from convolab.runtime.workspace import zeros as _zeros

__all__ = ["conv_gemm"]


def conv_gemm(
    x: np.ndarray,
    w: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int = 1,
    *,
    strategy: str | None = None,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """Batched multi-channel cross-correlation with zero padding ``pads``, plus ``bias``.

    Parameters
    ----------
    x : ndarray, shape ``(N, C, *S)``
    w : ndarray, shape ``(O, C // groups, *K)``
    pads : ``(before, after)`` zero padding per spatial axis.
    stride, dilation : per spatial axis.
    groups : channels split into ``groups`` independent convolutions.
    strategy : one of :data:`STRATEGIES` to force a layout (tests and benchmarks);
        ``None`` picks by the shape.
    bias : ndarray, shape ``(O,)``, optional
        Added to every output of its channel (the ``blocked`` loop starts its sums
        with it, saving a pass over the output).

    Returns
    -------
    ndarray, shape ``(N, O, *out)`` with ``out = floor((S + p - d*(K-1) - 1) / s) + 1``.

    >>> x = np.arange(8.).reshape(1, 2, 4)
    >>> w = np.ones((1, 2, 2))
    >>> conv_gemm(x, w, ((0, 0),), (1,), (1,))
    array([[[10., 14., 18.]]])
    """
    N = x.shape[0]
    O, Cg = w.shape[:2]
    ksize = w.shape[2:]
    G = groups
    dtype = np.result_type(x, w)
    spatial = x.shape[2:]
    eff = effective_sizes(ksize, dilation)
    out = output_lengths(spatial, pads, eff, stride)
    npos = prod(out)
    if N == 0 or O == 0 or npos == 0:
        return np.zeros((N, O, *out), dtype=dtype)
    wmat = w.reshape(G, O // G, -1).astype(dtype, copy=False)
    x = np.ascontiguousarray(x, dtype=dtype)
    if strategy is None:
        strategy = _choose_strategy(x.shape, w.shape, pads, stride, dilation, out, groups, dtype)
    elif strategy not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES} or None; got {strategy!r}")
    elif strategy in _UNIT_STRIDE and any(s != 1 for s in stride):
        raise ValueError(f"`strategy`={strategy!r} needs stride 1; got stride={stride}")
    elif strategy in _COMPILED and not _blocked_ok(dtype):
        raise ValueError(
            f"`strategy`={strategy!r} needs Numba (pip install convolab[fast]) and a float32 or "
            f"float64 input; got {dtype}"
        )
    run = _STRATEGY_FUNCS[strategy]
    if strategy == "blocked":
        return run(x, wmat, ksize, pads, stride, dilation, out, bias=bias)
    y = run(x, wmat, ksize, pads, stride, dilation, out)
    if bias is not None:
        y += np.asarray(bias, dtype=y.dtype).reshape((1, O) + (1,) * len(out))
    return y


# The layouts, by the loop that builds the matrix product's operand:
#   taps       one strided copy per kernel tap (a layer's forward pass)
#   positions  one copy per output position (a weight gradient: kernel as large as the map)
#   scatter    product first, then one shifted add per tap (narrowing, heavily padded layers)
# and, for stride 1, ``taps_flat`` and ``scatter_flat``, which work on the padded input
# flattened per channel: every copy or add is one contiguous run of whole rows, at
# the price of computing the rows' padding columns. They pay where rows are short
# (LeNet-5's 28- and 10-wide maps: 1.3-1.6x faster) and lose a little from about
# 32 columns on. (A flat form of ``positions`` was measured slower on every weight
# gradient tried: its matrix product, not its copies, dominates.)
STRATEGIES = ("taps", "taps_flat", "positions", "scatter", "scatter_flat", "blocked", "dot")


class _Layer(NamedTuple):
    """The shapes a layout is chosen by (one per call of :func:`conv_gemm`)."""

    x_shape: tuple[int, ...]
    w_shape: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    out: tuple[int, ...]
    groups: int

    @property
    def channels(self) -> tuple[int, int, int]:
        """``(N, O/g, C/g)``: samples, output and input channels per group."""
        return self.x_shape[0], self.w_shape[0] // self.groups, self.w_shape[1]


def _choose_strategy(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    out: tuple[int, ...],
    groups: int,
    dtype: np.dtype | None = None,
) -> str:
    """The NumPy layout that moves the fewest values in the longest runs, or the
    compiled ``blocked`` loop where the cost model expects it to be faster."""
    layer = _Layer(x_shape, w_shape, pads, stride, dilation, out, groups)
    layout = _numpy_layout(layer)
    if _pointwise(w_shape[2:], pads, stride):  # a plain matrix product: nothing to copy
        return layout
    if dtype is None or any(s != 1 for s in stride) or not _blocked_ok(dtype):
        return layout
    dtype = np.dtype(dtype)
    if layout == "positions":  # a large kernel, few outputs: dot products over the kernel
        compiled, ns = "dot", _dot_ns(layer, dtype)
    else:
        compiled, ns = "blocked", _blocked_ns(layer, dtype)
    if ns < profile.LAYER_COMPILED_MARGIN * _layout_ns(layout, layer):
        return compiled
    return layout


def _layout_ns(layout: str, layer: _Layer) -> float:
    """Rough time of a NumPy layout: its matrix product plus the values it copies or adds.

    im2col layouts copy one value per (channel, tap, output position), and their
    product is slow per multiply-add when it has few output channels (a skinny
    BLAS product runs at memory speed); the shift-and-add layouts add one value
    per (output channel, tap, input position).
    """
    (N, Og, Cg), groups = layer.channels, layer.groups
    ntaps, npos = prod(layer.w_shape[2:]), prod(layer.out)
    if layout.startswith("scatter"):
        z = N * groups * Og * ntaps * prod(layer.x_shape[2:])
        return profile.BLAS_LAYER_NS * z * Cg + profile.LAYER_SHIFT_ADD_NS * z
    cols = N * groups * Cg * ntaps * npos
    skinny = max(1.0, profile.BLAS_FULL_ROWS / Og)
    copy = profile.LAYER_COPY_WINDOWS_NS if layout == "positions" else profile.LAYER_COPY_NS
    return profile.BLAS_LAYER_NS * skinny * cols * Og + copy * cols


def _blocked_ns(layer: _Layer, dtype: np.dtype) -> float:
    """Rough time of the ``blocked`` loop: its multiply-adds, padding columns and
    padding filters included, plus one scattered store per flat output."""
    N, Og, Cg = layer.channels
    ob, vb = blocked.block_shape(Og, dtype)
    rows = prod(_blocked_rows(layer.x_shape[2:], layer.pads, layer.out)[1:])
    flat = -(-layer.out[0] * rows // vb) * vb
    outputs = N * layer.groups * -(-Og // ob) * ob * flat
    macs = outputs * Cg * prod(layer.w_shape[2:])
    stores = profile.LAYER_BLOCKED_STORE_NS * outputs
    return profile.LAYER_COMPILED_CALL_NS + profile.LAYER_BLOCKED_MAC_NS * macs + stores


def _dot_ns(layer: _Layer, dtype: np.dtype) -> float:
    """Rough time of the ``dot`` loop: laying out the kernels on flat rows, then its
    multiply-adds over them (zeros between kernel rows included)."""
    N, Og, Cg = layer.channels
    ob, _, lanes = blocked.dot_shape(Og, dtype)
    rows = prod(n + b + a for n, (b, a) in zip(layer.x_shape[3:], layer.pads[1:]))
    extent = effective_size(layer.w_shape[2], layer.dilation[0])
    length = -(-extent * rows // lanes) * lanes
    kernels = layer.groups * -(-Og // ob) * ob * Cg * length
    macs = N * kernels * prod(layer.out)
    layout = profile.LAYER_DOT_LAYOUT_NS * kernels
    return profile.LAYER_COMPILED_CALL_NS + profile.LAYER_DOT_MAC_NS * macs + layout


def _numpy_layout(layer: _Layer) -> str:
    """Pick the layout that moves the fewest values in the longest runs (see ``STRATEGIES``)."""
    _, Og, Cg = layer.channels
    ksize, spatial, out = layer.w_shape[2:], layer.x_shape[2:], layer.out
    ntaps = prod(ksize)
    npos = prod(out)
    n_in = prod(spatial)
    flat = all(s == 1 for s in layer.stride) and len(out) > 1
    if _pointwise(ksize, layer.pads, layer.stride):
        return "taps"
    if ntaps > npos:
        return "positions"
    if profile.SCATTER_GAIN * Og * n_in < Cg * npos:
        canvas = [(k - 1) * d + o for k, d, o in zip(ksize, layer.dilation, out)]  # >= flat rows
        wide = prod(canvas[1:])
        short = spatial[-1] < profile.SHORT_ROW
        if flat and short and wide <= profile.FLAT_WASTE * prod(spatial[1:]):
            return "scatter_flat"
        return "scatter"
    padded = [n + b + a for n, (b, a) in zip(spatial, layer.pads)]
    rows = prod(padded[1:])
    kept = prod(out[1:])
    if flat and out[-1] < profile.SHORT_ROW and rows <= profile.FLAT_WASTE * kept:
        return "taps_flat"
    return "taps"


def _blocked_ok(dtype: np.dtype) -> bool:
    return np.dtype(dtype).name in ("float32", "float64") and blocked.available()


def _pad_into(
    x: np.ndarray, lead: int, shape: tuple[int, ...], front: list[int], compiled: bool = False
) -> np.ndarray:
    """``x`` placed at offsets ``front`` of a zero array with spatial ``shape``; in one
    compiled pass where ``compiled`` (the callers whose kernels loaded Numba already)."""
    if tuple(x.shape[lead:]) == tuple(shape) and not any(front):
        return x
    xp = _workspace(x.shape[:lead] + tuple(shape), x.dtype, "pad")
    if compiled and len(shape) <= 3 and x.flags.c_contiguous:
        m = prod(x.shape[:lead])
        blocked.pad_into(x.reshape(m, *x.shape[lead:]), xp.reshape(m, -1), tuple(front), shape)
        return xp
    inner = tuple(slice(f, f + n) for f, n in zip(front, x.shape[lead:]))
    xp[(Ellipsis,) + inner] = x
    _zero_frame(xp, lead, inner)
    return xp


def _zero_frame(a: np.ndarray, lead: int, inner: tuple[slice, ...]) -> None:
    """Zero ``a`` outside the box ``inner`` of its axes from ``lead`` on (one slab per side)."""
    for i, box in enumerate(inner):
        outer = (slice(None),) * lead + inner[:i]
        if box.start > 0:
            a[outer + (slice(0, box.start),)] = 0
        if box.stop < a.shape[lead + i]:
            a[outer + (slice(box.stop, None),)] = 0


def _chunk(total: int, bytes_per_item: int) -> int:
    return max(1, min(total, profile.CHUNK_BYTES // max(1, bytes_per_item)))


def _pointwise(ksize, pads, stride) -> bool:
    """A one-tap kernel on the unpadded input at stride 1: the columns are ``x`` itself."""
    return prod(ksize) == 1 and all(s == 1 for s in stride) and not any(map(any, pads))


def _taps(x, wmat, ksize, pads, stride, dilation, out):
    """One strided copy per kernel tap: ``cols[g, (c, t), (n, p)]``, then ``W @ cols``.

    Zero padding is never materialized: each tap copies the box of outputs whose
    sample lies inside ``x`` and zeroes the frame around it. The batch runs in
    chunks so that each chunk's columns stay in cache. A pointwise kernel (one
    tap, no padding, stride 1) needs no columns: ``y[n] = W @ x[n]``, one product
    per sample.
    """
    N, C, *spatial = x.shape
    G, Og, CgT = wmat.shape
    Cg, ntaps, npos = C // G, prod(ksize), prod(out)
    if _pointwise(ksize, pads, stride):
        y = _matmul(wmat, x.reshape(N, G, Cg, npos))
        return y.reshape(N, G * Og, *out)
    xg = x.reshape(N, G, Cg, *spatial).transpose(1, 2, 0, *range(3, 3 + len(spatial)))
    chunk = _chunk(N, G * Cg * ntaps * npos * x.itemsize)
    y = np.empty((N, G, Og, npos), dtype=x.dtype)
    for n0 in range(0, N, chunk):
        n1 = min(N, n0 + chunk)
        cols = _workspace((G, Cg, ntaps, n1 - n0, *out), x.dtype)
        for t, tap in enumerate(np.ndindex(*ksize)):
            _copy_tap(cols[:, :, t], xg[:, :, n0:n1], tap, pads, stride, dilation)
        part = _matmul(wmat, cols.reshape(G, CgT, (n1 - n0) * npos))
        y[n0:n1] = part.reshape(G, Og, n1 - n0, npos).transpose(2, 0, 1, 3)
    return y.reshape(N, G * Og, *out)


def _taps_flat(x, wmat, ksize, pads, stride, dilation, out):
    """``taps`` on the flat padded input: tap ``t`` is the run ``x_flat[n, c, off_t:off_t+Q]``.

    With the padded input flattened per channel (row strides ``st``), output ``p``
    of stride 1 reads sample ``sum_a (p_a + t_a d_a) st_a``: a constant offset
    ``off_t = sum_a t_a d_a st_a`` from ``q(p) = sum_a p_a st_a``. So for all outputs
    of the first ``out_0`` rows taken whole (``Q = out_0 * st_0`` columns), a tap is
    one contiguous slice; the columns of each row beyond ``out_a`` are computed and
    dropped. One more zero row at the end keeps the last tap's slice in bounds.
    """
    N, C, *spatial = x.shape
    G, Og, CgT = wmat.shape
    Cg, ntaps = C // G, prod(ksize)
    padded = [n + b + a for n, (b, a) in zip(spatial, pads)]
    st = row_strides(padded)
    offs = [sum(t * d * s for t, d, s in zip(tap, dilation, st)) for tap in np.ndindex(*ksize)]
    Q = out[0] * st[0]
    need = Q + max(offs)
    padded[0] += -(-max(0, need - padded[0] * st[0]) // st[0])
    xf = _pad_into(x, 2, tuple(padded), [b for b, _ in pads]).reshape(N, G, Cg, -1)
    y = np.empty((N, G, Og, *out), dtype=x.dtype)
    keep = (Ellipsis, slice(None)) + tuple(slice(0, m) for m in out[1:])

    xt = xf.transpose(1, 2, 0, 3)  # (G, Cg, N, flat): views, not np.moveaxis (8 us a call)
    chunk = _chunk(N, G * CgT * Q * x.itemsize)
    for n0 in range(0, N, chunk):
        n1 = min(N, n0 + chunk)
        cols = _workspace((G, Cg, ntaps, n1 - n0, Q), x.dtype)
        for t, off in enumerate(offs):
            cols[:, :, t] = xt[:, :, n0:n1, off : off + Q]
        part = _matmul(wmat, cols.reshape(G, CgT, (n1 - n0) * Q))
        part = part.reshape(G, Og, n1 - n0, out[0], *padded[1:])
        y[n0:n1] = part[keep].swapaxes(1, 2).swapaxes(0, 1)
    return y.reshape(N, G * Og, *out)


def _positions(x, wmat, ksize, pads, stride, dilation, out):
    """One copy per output position (a kernel-sized window): ``rows[g, (n, p), (c, t)]``,
    then ``rows @ W^T``; the contraction over channels runs in chunks that stay in cache.
    """
    if any(b or a for b, a in pads):
        x = np.pad(x, [(0, 0), (0, 0), *pads])
    N, C, *spatial = x.shape
    G, Og, CgT = wmat.shape
    Cg, ntaps, npos = C // G, prod(ksize), prod(out)
    xg = x.reshape(N, G, Cg, *spatial).swapaxes(0, 1)  # (G, N, Cg, *S)
    chunk = _chunk(Cg, G * N * npos * ntaps * x.itemsize)
    wt = wmat.reshape(G, Og, Cg, ntaps)
    y = np.zeros((G, N * npos, Og), dtype=x.dtype)
    for c0 in range(0, Cg, chunk):
        c1 = min(Cg, c0 + chunk)
        rows = _workspace((G, N, npos, c1 - c0, *ksize), x.dtype)
        for p, pos in enumerate(np.ndindex(*out)):
            src = xg[
                (slice(None), slice(None), slice(c0, c1))
                + tuple(
                    slice(q * s, q * s + (m - 1) * d + 1, d)
                    for q, s, m, d in zip(pos, stride, ksize, dilation)
                )
            ]
            rows[:, :, p] = src
        wpart = wt[:, :, c0:c1].reshape(G, Og, (c1 - c0) * ntaps)
        y += _matmul(rows.reshape(G, N * npos, (c1 - c0) * ntaps), wpart.transpose(0, 2, 1))
    y = y.reshape(G, N, npos, Og).transpose(1, 0, 3, 2)
    return np.ascontiguousarray(y).reshape(N, G * Og, *out)


def _tap_box(
    tap: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
    """The outputs whose sample under ``tap`` lies inside the input, and those samples.

    Output ``p`` of an axis reads input sample ``p*s + tap*d - before``; returns
    ``(outputs, samples)`` as slices per axis, or ``None`` if no output reads the input.
    """
    dst, src = [], []
    for i, (b, _), s, d, n, m in zip(tap, pads, stride, dilation, in_shape, out_shape):
        offset = i * d - b  # sample index of output 0
        lo = min(m, max(0, -(offset // s)))  # first output with a sample >= 0
        hi = min(m, max(0, -((offset - n) // s)))  # first output with a sample >= n
        if hi <= lo:
            return None
        first = lo * s + offset
        dst.append(slice(lo, hi))
        src.append(slice(first, first + (hi - lo - 1) * s + 1, s))
    return tuple(dst), tuple(src)


def _copy_tap(
    plane: np.ndarray,
    xg: np.ndarray,
    tap: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> None:
    """Fill ``plane[g, c, n, *p] = x_pad[g, c, n, p*s + tap*d]`` (zero outside ``x``)."""
    lead = (slice(None),) * 3
    box = _tap_box(tap, pads, stride, dilation, xg.shape[3:], plane.shape[3:])
    if box is None:
        plane[...] = 0
        return
    dst, src = box
    plane[lead + dst] = xg[lead + src]
    for a, span in enumerate(dst):
        inner = lead + dst[:a]
        if span.start > 0:
            plane[inner + (slice(0, span.start),)] = 0
        if span.stop < plane.shape[3 + a]:
            plane[inner + (slice(span.stop, None),)] = 0


def _scatter(x, wmat, ksize, pads, stride, dilation, out):
    """GEMM first, then shift-and-add: for layers with fewer outputs than padded inputs.

    ``Z[n, g, (o, t), q] = sum_c w[g, o, c, t] x[n, g, c, q]`` (one product over the
    channels, on the unpadded input), then ``y[n, g, o, p] = sum_t Z[n, g, o, t,
    p*s + t*d - before]``. This touches ``O * K`` values per input sample instead
    of im2col's ``C * K`` per output position, and never multiplies padding zeros:
    the shape of a layer's input gradient (a full convolution that narrows channels).

    With fewer input samples per channel than taps (the input gradient of a layer
    whose kernel covers its whole input, such as LeNet-5's C5), the product is one
    matrix product over all samples at once, ``(N q, C) @ (C, O K)``, instead of
    one small product per sample, and the adds go by input sample: with stride 1,
    sample ``q`` lands on the outputs ``p = q + before - t d`` of all its taps, one
    box of the flipped kernel.
    """
    N, C, *spatial = x.shape
    G, Og, CgK = wmat.shape
    ntaps = prod(ksize)
    Cg = CgK // ntaps
    n_in = prod(spatial)
    dtype = wmat.dtype
    w2 = wmat.reshape(G, Og, Cg, ntaps).transpose(0, 1, 3, 2).reshape(G, Og * ntaps, Cg)
    xg = x.reshape(N, G, Cg, n_in)
    y = np.zeros((N, G, Og, *out), dtype=dtype)
    lead = (slice(None),) * 3
    if n_in < ntaps and all(s == 1 for s in stride):
        xt = xg.transpose(1, 0, 3, 2).reshape(G, N * n_in, Cg)
        z = _matmul(xt, w2.transpose(0, 2, 1)).reshape(G, N, n_in, Og, ntaps)
        z = z.transpose(1, 0, 3, 4, 2).reshape(N, G, Og, *ksize, n_in)
        for q, sample in enumerate(np.ndindex(*spatial)):
            box = _sample_box(sample, pads, dilation, ksize, out)
            if box is not None:
                dst, taps = box
                y[lead + dst] += z[lead + taps + (q,)]
        return y.reshape(N, G * Og, *out)
    chunk = _chunk(N, G * Og * ntaps * n_in * x.itemsize)
    boxes = [
        (t, _tap_box(tap, pads, stride, dilation, spatial, out))
        for t, tap in enumerate(np.ndindex(*ksize))
    ]
    for n0 in range(0, N, chunk):
        n1 = min(N, n0 + chunk)
        z = _matmul(w2, xg[n0:n1]).reshape(n1 - n0, G, Og, ntaps, *spatial)
        part = y[n0:n1]
        for t, box in boxes:
            if box is not None:
                dst, src = box
                part[lead + dst] += z[lead + (t,) + src]
    return y.reshape(N, G * Og, *out)


def _sample_box(
    sample: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...],
    ksize: tuple[int, ...],
    out_shape: tuple[int, ...],
) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
    """Stride 1: the outputs that input ``sample`` reaches, and the taps that take it there.

    Per axis, tap ``t`` carries sample ``q`` to output ``p = q + before - t d``; the
    taps with ``0 <= p < out`` form a range, and the outputs run backwards through
    it. Returns ``(outputs, taps)`` as slices (the taps' step is negative), or
    ``None`` if the sample reaches no output.
    """
    dst, taps = [], []
    for q, (b, _), d, k, m in zip(sample, pads, dilation, ksize, out_shape):
        top = q + b  # output of tap 0
        t_lo = max(0, -(-(top - m + 1) // d))  # first tap with p < m
        t_hi = min(k - 1, top // d)  # last tap with p >= 0
        if t_hi < t_lo:
            return None
        dst.append(slice(top - t_hi * d, top - t_lo * d + 1, d))
        taps.append(slice(t_hi, t_lo - 1 if t_lo > 0 else None, -1))
    return tuple(dst), tuple(taps)


def _scatter_flat(x, wmat, ksize, pads, stride, dilation, out):
    """``scatter`` on flat rows: each tap's shifted add is one contiguous run.

    The input is laid out on rows as wide as the output canvas (whose margins
    ``m = max(0, (K-1) d - before)`` keep every target index non-negative); then
    ``Z_t`` lands at a constant offset ``off_t = sum_a (before_a + m_a - t_a d_a) st_a``
    of the flat canvas, for all samples at once, and the zero columns of ``Z`` fall
    on columns that are cropped. Stride 1.
    """
    N, C, *spatial = x.shape
    G, Og, CgK = wmat.shape
    ntaps = prod(ksize)
    Cg = CgK // ntaps
    margin = [max(0, (k - 1) * d - b) for k, d, (b, _) in zip(ksize, dilation, pads)]
    canvas = [m + max(o, n + b) for m, o, n, (b, _) in zip(margin, out, spatial, pads)]
    cst = row_strides(canvas)
    run = spatial[0] * cst[0]
    # (G, Cg, N, rows): one matrix product per chunk of samples
    xg = x.reshape(N, G, Cg, *spatial).transpose(1, 2, 0, *range(3, 3 + len(spatial)))
    xw = _pad_into(xg, 3, (spatial[0], *canvas[1:]), [0] * len(spatial)).reshape(G, Cg, N, run)
    offs = [
        sum((b + m - t * d) * s for t, d, (b, _), m, s in zip(tap, dilation, pads, margin, cst))
        for tap in np.ndindex(*ksize)
    ]
    w2 = wmat.reshape(G, Og, Cg, ntaps).transpose(0, 1, 3, 2).reshape(G, Og * ntaps, Cg)
    y = np.empty((N, G, Og, *out), dtype=x.dtype)
    keep = (Ellipsis,) + tuple(slice(m, m + o) for m, o in zip(margin, out))
    size = (canvas[0] + 1) * cst[0]
    chunk = _chunk(N, G * Og * ntaps * run * x.itemsize)
    for n0 in range(0, N, chunk):
        n = min(N, n0 + chunk) - n0
        z = _workspace((G, Og * ntaps, n, run), x.dtype)
        xs = xw[:, :, n0 : n0 + n].reshape(G, Cg, n * run)
        _matmul(w2, xs, out=z.reshape(G, Og * ntaps, n * run))
        z = z.reshape(G, Og, ntaps, n, run).transpose(3, 0, 1, 2, 4)  # (n, G, Og, T, run)
        acc = _zeros((n, G, Og, size), x.dtype, "acc")
        for t, off in enumerate(offs):
            acc[..., off : off + run] += z[:, :, :, t]
        y[n0 : n0 + n] = acc[..., : canvas[0] * cst[0]].reshape(n, G, Og, *canvas)[keep]
    return y.reshape(N, G * Og, *out)


@functools.lru_cache(maxsize=64)
def _flat_destinations(out: tuple[int, ...], rows: tuple[int, ...], n: int) -> np.ndarray:
    """Where flat position ``r`` (on rows of shape ``rows``) lands in the flattened
    output of shape ``out``; -1 for the padding columns and the tail up to ``n``."""
    dest = np.full(n, -1, dtype=np.int64)
    canvas = np.full((out[0], *rows), -1, dtype=np.int64)
    canvas[(slice(None),) + tuple(slice(0, m) for m in out[1:])] = np.arange(prod(out)).reshape(out)
    dest[: canvas.size] = canvas.ravel()
    return dest


def _blocked_rows(
    spatial: list[int] | tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    out: tuple[int, ...],
) -> list[int]:
    """The padded shape the blocked loop lays its input on.

    Flat rows let the last axis share its padding: the columns read past a row's end
    are the next row's leading zeros. So when the padding after is at most the
    padding before, and the outputs still fit in a row, the rows carry only the
    leading zeros (LeNet-5's C3 input gradient, padded 4 and 4: rows of 14 instead
    of 18, and 22% fewer multiply-adds).
    """
    padded = [n + b + a for n, (b, a) in zip(spatial, pads)]
    before, after = pads[-1]
    if len(spatial) > 1 and after <= before and out[-1] <= spatial[-1] + before:
        padded[-1] = spatial[-1] + before
    return padded


def _blocked(x, wmat, ksize, pads, stride, dilation, out, bias=None):
    """No matrix product: the compiled register-blocked loop on flat rows. Stride 1.

    The padded input is flattened per channel as in ``taps_flat``, so tap ``t`` of
    flat output ``r`` reads ``x_flat[r + off_t]``, and
    :func:`convolab._jit.blocked.correlate_blocked_into` sums over channels and
    taps with a block of outputs held in registers. Nothing the size of the
    columns is written: where GEMM's products are too skinny to hide the copies
    (few output channels), this does the same multiply-adds at once.
    """
    N, C, *spatial = x.shape
    G, Og, CgT = wmat.shape
    Cg, ntaps = C // G, prod(ksize)
    ob, vb = blocked.block_shape(Og, x.dtype)
    padded = _blocked_rows(spatial, pads, out)
    st = row_strides(padded)
    offs = [sum(t * d * s for t, d, s in zip(tap, dilation, st)) for tap in np.ndindex(*ksize)]
    R = out[0] * st[0]
    Rp = -(-R // vb) * vb
    padded[0] += -(-max(0, Rp + max(offs) - padded[0] * st[0]) // st[0])
    xf = _pad_into(x, 2, tuple(padded), [b for b, _ in pads], True).reshape(N * G, Cg, -1)
    Op = -(-Og // ob) * ob
    w = wmat.reshape(G, Og, Cg, ntaps)
    if Op != Og:
        w = np.concatenate([w, np.zeros((G, Op - Og, Cg, ntaps), w.dtype)], axis=1)
    w = np.ascontiguousarray(w).reshape(G * Op, Cg, ntaps)
    b = np.zeros((G, Op), dtype=x.dtype)
    if bias is not None:
        b[:, :Og] = np.asarray(bias, dtype=x.dtype).reshape(G, Og)
    b = b.reshape(-1)
    dest = _flat_destinations(tuple(out), tuple(padded[1:]), Rp)
    y = _recycled((N, G * Og, *out), x.dtype)
    blocks = N * G * (Op // ob)
    offs_a = np.array(offs, dtype=np.uint64)
    ym = y.reshape(N * G, Og, -1)

    def run(j0: int, j1: int) -> None:
        blocked.correlate_blocked_into(xf, w, b, offs_a, dest, ym, G, j0, j1)

    run_blocks(run, blocks, parallel=blocks * ob * Rp * CgT >= profile.BLOCKED_PARALLEL)
    return y.reshape(N, G * Og, *out)


def _dot(x, wmat, ksize, pads, stride, dilation, out):
    """No matrix product: compiled dot products over the kernel, for few outputs. Stride 1.

    The form of a weight gradient, whose "kernel" is a whole feature map and whose
    outputs are the few taps: each kernel is laid out on the padded input's flat
    rows (zeros between its rows), so output ``q`` is one dot product of that
    flat kernel with ``x_flat[off_q : off_q + R]``, for every channel; see
    :func:`convolab._jit.blocked.correlate_dot_into`. The zeros between kernel
    rows meet input samples outside the window, and ``0 * inf`` is NaN: an input
    with an infinity or a NaN goes to the ``positions`` layout instead.
    """
    if not np.isfinite(x).all():
        return _positions(x, wmat, ksize, pads, stride, dilation, out)
    N, C, *spatial = x.shape
    G, Og, CgT = wmat.shape
    Cg = C // G
    ob, qb, lanes = blocked.dot_shape(Og, x.dtype)
    padded = [n + b + a for n, (b, a) in zip(spatial, pads)]
    st = row_strides(padded)
    extent = [(k - 1) * d + 1 for k, d in zip(ksize, dilation)]
    R = -(-extent[0] * st[0] // lanes) * lanes
    qoffs = np.array([sum(q * s for q, s in zip(pos, st)) for pos in np.ndindex(*out)], np.int64)
    padded[0] += -(-max(0, int(qoffs[-1]) + R - padded[0] * st[0]) // st[0])
    xf = _pad_into(x, 2, tuple(padded), [b for b, _ in pads], True).reshape(N * G, Cg, -1)
    Op = -(-Og // ob) * ob
    wf = _workspace((G, Op, Cg, R), x.dtype, "kernels")
    wf[:, Og:] = 0
    w_in = wmat.reshape(G, Og, Cg, *ksize)
    if any(d > 1 for d in dilation) or len(ksize) > 3:
        wf[:, :Og] = 0
        box = wf[..., : extent[0] * st[0]].reshape(G, Op, Cg, extent[0], *padded[1:])
        taps = tuple(slice(0, e, d) for e, d in zip(extent, dilation))
        box[(slice(None), slice(0, Og), slice(None)) + taps] = w_in
    else:
        kernel_rows = (extent[0], *padded[1:])
        w_c = np.ascontiguousarray(w_in)
        for g in range(G):
            blocked.pad_into(w_c[g].reshape(Og * Cg, *ksize), wf[g, :Og].reshape(Og * Cg, R),
                             (0,) * len(ksize), kernel_rows)  # fmt: skip
    wf = wf.reshape(G * Op, Cg, R)
    y = np.empty((N, G * Og, *out), dtype=x.dtype)
    ym = y.reshape(N * G, Og, -1)
    blocks = N * G * (Op // ob)
    work = blocks * ob * len(qoffs) * Cg * R

    def run(j0: int, j1: int) -> None:
        blocked.correlate_dot_into(xf, wf, qoffs, ym, G, j0, j1)

    run_blocks(run, blocks, parallel=work >= profile.BLOCKED_PARALLEL)
    return y


_STRATEGY_FUNCS = {
    "taps": _taps,
    "taps_flat": _taps_flat,
    "positions": _positions,
    "scatter": _scatter,
    "scatter_flat": _scatter_flat,
    "blocked": _blocked,
    "dot": _dot,
}
_UNIT_STRIDE = ("taps_flat", "scatter_flat", "blocked", "dot")
_COMPILED = ("blocked", "dot")

# --------------------------------------------------------------------------- the engine's method


def estimate(p: Problem, k: np.ndarray | None = None) -> tuple[float, str]:
    """One im2col copy per tap (out of cache), then the thin matrix product."""
    ntaps = prod(p.kernel)
    nout = p.batch * prod(p.out)
    copy = 2 * profile.pass_ns(p.itemsize)  # full-size copies, out of cache
    copy *= profile.strided_pass(p.stride[-1], p.input_bytes)
    t = nout * ntaps * (copy + profile.blas_thin_ns(p.itemsize)) + 2 * nout * copy
    return t, f"gemm im2col of {ntaps} taps"


def _run(x: np.ndarray, k: np.ndarray, p: Problem) -> np.ndarray:
    """The layer op with one channel (or one group per row of ``x`` for batched kernels)."""
    pads = p.pads
    if not zero_border(p.boundary, p.fill_value):
        x = pad(x, pads, p.boundary, p.fill_value)
        pads = ((0, 0),) * len(pads)
    if k.shape[0] > 1:
        return conv_gemm(x[None], k[:, None], pads, p.stride, p.dilation, groups=x.shape[0])[0]
    return conv_gemm(x[:, None], k[None], pads, p.stride, p.dilation)[:, 0]


METHOD = Method("gemm", _run, estimate)
