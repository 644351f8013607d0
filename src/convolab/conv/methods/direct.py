"""Direct method: the definition, as a sum of shifted, scaled copies of the input.

For every kernel tap ``i`` the output gains ``k[i] * x_pad[n*s + i*d]``:

.. math:: y[n] = \\sum_i k[i]\\, x_{pad}[n s + i d]

The sum runs tile by tile: bands of output rows sized so that the padded slab
of input they need and the output band stay in the L2 cache. Each tile builds
its own padded slab (one copy, borders filled by the boundary rule), so
padding never costs a pass over the whole input. Tiles that are matrix
products run on the shared thread pool; tiles of shift-and-add run on one
thread, which measured faster (:data:`profile.TAPS_IN_PARALLEL`). Many small inputs
sharing one kernel go several to a tile.

Inside a tile the taps are grouped by weight: taps that share a weight are
added first and multiplied once (``w = 1`` costs no multiplication at all,
``w = -1`` is a subtraction), so the 3x3 Laplacian costs one multiplication
and four additions per output instead of nine of each. With unit strides each
tap is a *contiguous run* of the flattened slab (the output laid out with the
slab's row length), which NumPy processes 1.7x faster than a 2D view. In 2D
with a zero border and ``same`` width the runs are taken from the input rows
themselves and written to the output rows, no copy at all: near the left and
right borders a run wraps into the neighbouring row, and those few values are
subtracted afterwards. Taps equal to zero are skipped when the tile is finite,
so NaN and inf still propagate as in the definition.

One-dimensional problems with a unit stride and dilation use
:func:`numpy.correlate` (a compiled loop, one pass over memory) for short
kernels, in one call or one chunk per idle core, and a *Toeplitz matrix
product* for medium ones: the signal is cut into blocks of ``L`` outputs, and
block ``b`` is ``x_pad[bL : bL + L + K - 1] @ T`` with ``T[t, j] = k[t - j]``,
the product of the block with the top ``L`` rows of ``T`` plus that of the
first ``K - 1`` samples of the next block with the rest: ``L + K - 1``
multiply-adds per output instead of ``K``, but at BLAS speed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod
from typing import TYPE_CHECKING

import numpy as np

from convolab._jit import conv1d
from convolab.conv import profile
from convolab.conv.boundary import border_index, fill_window, pad, zero_border
from convolab.conv.geometry import (
    MODES,
    effective_size,
    effective_sizes,
    mode_pads,
    output_lengths,
    row_strides,
)
from convolab.conv.methods import Method, Problem
from convolab.runtime.threads import busy_cores, n_workers, run_tasks
from convolab.runtime.workspace import recycled

if TYPE_CHECKING:  # numpy.typing takes 30 ms to import
    from numpy.typing import DTypeLike

Pads = Sequence[tuple[int, int]]

__all__ = [
    "all_finite",
    "correlate_direct",
    "dilate_row",
    "fill_slab",
    "row_buffer",
    "row_block",
    "rows_in_place",
    "rows_toeplitz",
    "strategy_1d",
    "sum_taps",
    "toeplitz",
]

def strategy_1d(
    ntaps: int, stride: Sequence[int], dilation: Sequence[int], dtype: DTypeLike
) -> str:
    """Inner strategy of the direct method for a 1D problem: 'numpy', 'toeplitz' or 'taps'.

    >>> strategy_1d(3, (1,), (1,), np.float64), strategy_1d(31, (1,), (1,), np.float32)
    ('numpy', 'toeplitz')
    >>> strategy_1d(31, (2,), (1,), np.float64)
    'taps'
    """
    if tuple(stride) != (1,) or tuple(dilation) != (1,):
        return "taps"
    if np.dtype(dtype).kind not in "fc":
        return "taps"
    if ntaps <= profile.NP_CORRELATE_MAX_TAPS:
        return "numpy"
    if ntaps <= profile.TOEPLITZ_MAX_TAPS:
        return "toeplitz"
    return "numpy"


def fill_slab(
    xb: np.ndarray,
    first: int,
    pads: Sequence[tuple[int, int]],
    boundary: str,
    fill_value: complex,
    nrows: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Rows ``first .. first + nrows`` of ``xb`` padded by ``pads`` (padded coordinates).

    ``xb`` has shape ``S``; the result has ``nrows`` rows along axis 0 (row ``j``
    is padded row ``first + j``, i.e. ``x[first + j - pads[0][0]]`` or a border
    sample) and the inner axes padded by ``pads[1:]``. Only the slab is copied.

    >>> fill_slab(np.arange(1., 5.), 0, [(2, 1)], "symmetric", 0, 7)
    array([2., 1., 1., 2., 3., 4., 4.])
    >>> fill_slab(np.arange(6.).reshape(2, 3), 1, [(1, 0), (1, 1)], "constant", 9, 2)
    array([[9., 0., 1., 2., 9.],
           [9., 3., 4., 5., 9.]])
    """
    n0, b0 = xb.shape[0], pads[0][0]
    inner = tuple(pads[1:])
    shape = (nrows,) + tuple(n + b + a for n, (b, a) in zip(xb.shape[1:], inner))
    if out is None:
        out = np.empty(shape, dtype=xb.dtype)
    lo, hi = first - b0, first - b0 + nrows  # rows of xb wanted
    interior = (slice(None),) + tuple(slice(b, b + n) for n, (b, _) in zip(xb.shape[1:], inner))
    if 0 <= lo and hi <= n0:
        out[interior] = xb[lo:hi]
    else:
        src = border_index(n0, b0, boundary, first, nrows)
        valid = src >= 0
        if valid.all() and src[-1] - src[0] == nrows - 1:
            out[interior] = xb[src[0] : src[-1] + 1]
        else:
            out[interior] = xb.take(np.maximum(src, 0), axis=0)
            if not valid.all():
                out[(~valid,) + interior[1:]] = fill_value
    # Inner borders, one axis at a time (later axes read the already-padded earlier ones).
    for ax, (n, (b, a)) in enumerate(zip(xb.shape[1:], inner), start=1):
        if not (b or a):
            continue
        before = (slice(None),) * ax
        if boundary == "constant":
            out[before + (slice(0, b),)] = fill_value
            out[before + (slice(b + n, b + n + a),)] = fill_value
        else:
            if b:
                src = border_index(n, b, boundary, 0, b) + b
                out[before + (slice(0, b),)] = out.take(src, axis=ax)
            if a:
                src = border_index(n, b, boundary, b + n, a) + b
                out[before + (slice(b + n, b + n + a),)] = out.take(src, axis=ax)
    return out


def all_finite(a: np.ndarray) -> bool:
    """True if no element of ``a`` is NaN or infinite (two reductions, no temporary).

    ``max - min`` is NaN or infinite when an element is; it can also overflow for
    finite values, which only sends the caller down its slower, exact path.

    >>> all_finite(np.array([1., 2.])), all_finite(np.array([1., np.inf])), all_finite(np.array([]))
    (True, False, True)
    """
    if a.size == 0:
        return True
    with np.errstate(invalid="ignore", over="ignore"):
        if a.dtype.kind == "c":
            return all_finite(a.real) and all_finite(a.imag)
        return bool(np.isfinite(a.max() - a.min()))


def _tap_groups(kb: np.ndarray, taps: list[tuple[int, ...]]) -> list[tuple[object, list]]:
    """Taps grouped by equal weight, a weight other than +-1 first.

    The first group writes the output instead of adding to it, which saves its
    final addition; groups of weight +-1 have none to save.
    """
    groups: dict = {}
    for t in taps:
        groups.setdefault(kb[t].item(), []).append(t)
    return sorted(groups.items(), key=lambda item: item[0] in (1, -1))


def sum_taps(
    slab: np.ndarray,
    kb: np.ndarray,
    taps: list[tuple[int, ...]],
    out: np.ndarray,
    stride: Sequence[int],
    dilation: Sequence[int],
) -> None:
    """``out = sum_t kb[t] * slab[t*d :: s]`` over ``taps``, grouped by weight.

    With unit strides and a contiguous slab, every tap is a *contiguous* run of
    the flattened slab when the output is laid out with the slab's row length
    (the few positions that fall in the padding columns are computed and
    dropped): ufuncs run about 1.7x faster on contiguous 1D runs than on 2D
    views, which pays for the final copy into ``out``.
    """
    if not taps:
        out[...] = 0
        return
    if out.ndim >= 2 and all(s == 1 for s in stride) and slab.flags.c_contiguous:
        steps = row_strides(slab.shape)
        length = sum((n - 1) * st for n, st in zip(out.shape, steps)) + 1
        flat = slab.reshape(-1)
        buf = np.empty(out.shape[0] * steps[0], dtype=out.dtype)

        def run(tap):
            off = sum(t * d * st for t, d, st in zip(tap, dilation, steps))
            return flat[off : off + length]

        _accumulate(run, kb, taps, buf[:length])
        full = buf.reshape(out.shape[0], *slab.shape[1:])
        out[...] = full[(slice(None),) + tuple(slice(0, n) for n in out.shape[1:])]
        return

    def view(tap: tuple[int, ...]) -> np.ndarray:
        return slab[
            tuple(
                slice(t * d, t * d + (n - 1) * s + 1, s)
                for t, d, n, s in zip(tap, dilation, out.shape, stride)
            )
        ]

    _accumulate(view, kb, taps, out)


def _accumulate(
    view: Callable[[tuple[int, ...]], np.ndarray],
    kb: np.ndarray,
    taps: list[tuple[int, ...]],
    out: np.ndarray,
) -> None:
    """``out = sum_t kb[t] * view(t)``: groups of equal weight summed, then scaled once."""
    tmp = None
    started = False
    for w, group in _tap_groups(kb, taps):
        if w == 1 or w == -1:
            for t in group:
                if not started:
                    if w == 1:
                        np.copyto(out, view(t))
                    else:
                        np.negative(view(t), out=out)
                    started = True
                else:
                    (np.add if w == 1 else np.subtract)(out, view(t), out=out)
            continue
        if not started:
            target = out
        else:
            tmp = np.empty_like(out) if tmp is None else tmp
            target = tmp
        if len(group) == 1:
            np.multiply(view(group[0]), w, out=target)
        else:
            np.add(view(group[0]), view(group[1]), out=target)
            for t in group[2:]:
                np.add(target, view(t), out=target)
            np.multiply(target, w, out=target)
        if started:
            np.add(out, tmp, out=out)
        started = True


def correlate_direct(x: np.ndarray, k: np.ndarray, p: Problem) -> np.ndarray:
    r"""Correlate every row of ``x`` (shape ``(B, *S)``) with ``k`` (``(1 or B, *K)``).

    .. math:: y[b, n] = \sum_i k[b, i]\, x_{pad}[b, n s + i d]

    ``pads`` are the ``(before, after)`` widths per spatial axis, filled by
    ``boundary``. Returns ``(B, *O)`` with ``O`` from
    :func:`~convolab.conv.geometry.output_length`.

    >>> from convolab.conv.methods import describe
    >>> x = np.array([[0., 0, 0, 3, 4, 5, 4, 3, 0, 0]])
    >>> k = np.array([[1., 0, 0]])
    >>> correlate_direct(x, k, describe(x, k, ((1, 1),)))
    array([[0., 0., 0., 0., 3., 4., 5., 4., 3., 0.]])
    >>> lap = np.array([[[0., 1, 0], [1, -4, 1], [0, 1, 0]]])
    >>> correlate_direct(np.eye(3)[None], lap, describe(np.eye(3)[None], lap, ((1, 1), (1, 1))))
    array([[[-4.,  2.,  0.],
            [ 2., -4.,  2.],
            [ 0.,  2., -4.]]])
    """
    pads, stride, dilation = p.pads, p.stride, p.dilation
    B, spatial = x.shape[0], x.shape[1:]
    ksize = k.shape[1:]
    eff = effective_sizes(ksize, dilation)
    out_shape = output_lengths(spatial, pads, eff, stride)
    dtype = np.result_type(x, k)
    if B * prod(out_shape) == 0:
        return np.empty((B, *out_shape), dtype=dtype)
    x = x.astype(dtype, copy=False)
    k = k.astype(dtype, copy=False)
    if len(spatial) == 1 and strategy_1d(ksize[0], stride, dilation, dtype) == "numpy":
        return _correlate_1d_numpy(x, k, p, out_shape[0])
    # allocated after any early return: a second large live block makes malloc map fresh pages
    y = recycled((B, *out_shape), dtype)
    if len(spatial) == 1:
        strategy = strategy_1d(ksize[0], stride, dilation, dtype)
        if strategy == "toeplitz":
            _correlate_1d_toeplitz(x, k, p, y)
            return y
    _correlate_taps(x, k, p, eff, y)
    return y


def _correlate_taps(
    x: np.ndarray, k: np.ndarray, p: Problem, eff: Sequence[int], y: np.ndarray
) -> None:
    """The banded shift-and-add loop (any number of axes, stride and dilation)."""
    pads, boundary, fill_value = p.pads, p.boundary, p.fill_value
    stride, dilation = p.stride, p.dilation
    B, spatial = x.shape[0], x.shape[1:]
    ksize = k.shape[1:]
    padded_inner = [n + b + a for n, (b, a) in zip(spatial[1:], pads[1:])]
    row_bytes = max(1, int(np.prod(padded_inner, dtype=np.int64))) * y.itemsize
    out_rows = y.shape[1]
    image_bytes = row_bytes * (spatial[0] + sum(pads[0]))
    if k.shape[0] == 1 and B > 1 and 2 * image_bytes <= profile.TILE_BYTES:
        _correlate_taps_batched(x, k, p, image_bytes, y)
        return
    # 2D, zero border, unit stride, output rows as long as input rows ('same' columns): taps
    # read the input rows in place (no padded copy) and write the output rows in place.
    in_place = (
        len(spatial) == 2
        and zero_border(boundary, fill_value)
        and tuple(stride) == (1, 1)
        and y.shape[2] == spatial[1]
        and x.strides[2] == x.itemsize
        and x.strides[1] == spatial[1] * x.itemsize
    )
    # One row of many taps (the horizontal pass of a separable filter): a Toeplitz product
    # over the flattened padded rows beats one pass per tap.
    row_gemm = (
        len(spatial) == 2
        and ksize[0] == 1
        and ksize[1] >= profile.ROW_TOEPLITZ_MIN_TAPS
        and tuple(stride) == (1, 1)
        and y.dtype.kind in "fc"
    )
    tile = profile.TILE_BYTES * (2 if in_place and not row_gemm else 1)  # no slab: 2x rows
    band = max(1, min(out_rows, tile // (row_bytes * max(1, stride[0]))))
    if B * out_rows > 1 and B * -(-out_rows // band) < n_workers():
        band = max(1, -(-B * out_rows // n_workers()) // B)  # at least one tile per core
    tasks = [(b, r0, min(r0 + band, out_rows)) for b in range(B) for r0 in range(0, out_rows, band)]
    taps = list(np.ndindex(*ksize))
    shared = k.shape[0] == 1
    nonzero_shared = [t for t in taps if k[0][t] != 0] if shared else None
    s0 = stride[0]
    mats = {}
    if row_gemm:
        L = row_block(eff[1])
        mats = {b: toeplitz(dilate_row(kb[0], dilation[1]), L) for b, kb in enumerate(k)}

    def run(b: int, r0: int, r1: int) -> None:
        kb = k[0 if shared else b]
        nonzero = nonzero_shared if shared else [t for t in taps if kb[t] != 0]
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, 0 * inf: as defined
            if not row_gemm and in_place:
                if rows_in_place(x[b], kb, nonzero, pads, dilation, y[b, r0:r1], r0):
                    return
            p0 = r0 * s0
            nrows = (r1 - 1 - r0) * s0 + eff[0]
            if row_gemm:
                T = mats[0 if shared else b]
                width = spatial[1] + sum(pads[1])
                buf = row_buffer(nrows, width, T, y.dtype)
                slab = fill_slab(
                    x[b], p0, pads, boundary, fill_value, nrows,
                    out=buf[: nrows * width].reshape(nrows, width),
                )
                if all_finite(slab):  # T's zeros would spread inf/nan
                    rows_toeplitz(buf, nrows, width, T, y[b, r0:r1])
                    return
            else:
                slab = fill_slab(x[b], p0, pads, boundary, fill_value, nrows)
            if len(nonzero) < len(taps) and not all_finite(slab):
                nonzero = taps  # 0 * inf and 0 * nan must still give nan
            sum_taps(slab, kb, nonzero, y[b, r0:r1], stride, dilation)

    parallel = y.size * len(taps) >= profile.PARALLEL_MIN_WORK and (
        row_gemm or profile.TAPS_IN_PARALLEL
    )
    run_tasks(run, tasks, parallel=parallel, blas=row_gemm)


def row_buffer(nrows: int, width: int, T: np.ndarray, dtype: DTypeLike) -> np.ndarray:
    """A flat buffer for :func:`rows_toeplitz`: ``nrows`` rows of ``width``, then room."""
    L = T.shape[1]
    count = nrows * width - (T.shape[0] - L)  # flat outputs up to the last row's last
    nb = max(1, -(-count // L))
    return np.empty(max(nb + 1, -(-nrows * width // L) + 1) * L, dtype=dtype)


def rows_toeplitz(buf: np.ndarray, nrows: int, width: int, T: np.ndarray, out: np.ndarray) -> None:
    """Correlate each of ``nrows`` padded rows (flattened in ``buf``) with a row kernel.

    The rows are one flat signal: output ``i`` of the flat correlation is
    ``sum_j v[j] buf[i + j]``, and for ``i = r * width + c`` with ``c < out.shape[1]``
    that reads row ``r`` only. Blocks of ``L`` flat outputs are a product with the
    Toeplitz matrix ``T`` of :func:`toeplitz` (``L + K - 1`` multiply-adds per
    output at BLAS speed, where the shift-and-add needs a pass per tap).

    >>> v = np.array([1., 2., 3.])
    >>> T = toeplitz(v, 64)
    >>> rows = np.arange(12.).reshape(2, 6)
    >>> buf = row_buffer(2, 6, T, rows.dtype)
    >>> buf[:12] = rows.ravel()
    >>> out = np.empty((2, 4))
    >>> rows_toeplitz(buf, 2, 6, T, out)
    >>> out
    array([[ 8., 14., 20., 26.],
           [44., 50., 56., 62.]])
    """
    L = T.shape[1]
    nb = buf.size // L - 1
    buf[nrows * width :] = 0
    blocks = buf.reshape(nb + 1, L)
    flat = np.empty_like(buf)
    head = flat[: nb * L].reshape(nb, L)
    np.matmul(blocks[:nb], T[:L], out=head)
    if T.shape[0] > L:
        head += blocks[1:, : T.shape[0] - L] @ T[L:]
    out[...] = flat[: nrows * width].reshape(nrows, width)[:, : out.shape[1]]


def row_block(ntaps: int) -> int:
    """Outputs per block of a Toeplitz product over ``ntaps`` (dilated) taps: >= 64, >= K - 1."""
    return max(profile.TOEPLITZ_BLOCK, 1 << int(np.ceil(np.log2(max(ntaps - 1, 1)))))


def dilate_row(v: np.ndarray, d: int) -> np.ndarray:
    """``v`` with ``d - 1`` zeros between its taps.

    >>> dilate_row(np.array([1., 2., 3.]), 2)
    array([1., 0., 2., 0., 3.])
    """
    if d == 1:
        return v
    out = np.zeros((len(v) - 1) * d + 1, dtype=v.dtype)
    out[::d] = v
    return out


def rows_in_place(
    xb: np.ndarray,
    kb: np.ndarray,
    taps: list[tuple[int, ...]],
    pads: Pads,
    dilation: Sequence[int],
    out: np.ndarray,
    r0: int,
) -> bool:
    """Rows ``r0 .. r0 + len(out)`` of a 2D 'same'-width correlation, zero border, into ``out``.

    With rows of equal length ``W``, tap ``(i, j)`` adds ``kb[i, j] * x[r + e_i, c + e_j]``
    to ``y[r, c]``, i.e. a contiguous run of the flattened input starting at
    ``(r0 + e_i) W + e_j``. Near the left and right borders such a run wraps into
    the previous or next row where the definition has zeros: those few values
    (``|e_j|`` per row) are subtracted afterwards. Returns False, doing nothing,
    where a row the band needs (one more above and below, for the wraps) is
    outside ``x``, a tap reaches a whole row sideways, or a value is not finite
    (``inf - inf`` would not cancel).

    >>> rng = np.random.default_rng(0)
    >>> x, k = rng.standard_normal((40, 30)), rng.standard_normal((3, 5))
    >>> y = np.zeros((40, 30))
    >>> taps = list(np.ndindex(3, 5))
    >>> rows_in_place(x, k, taps, ((1, 1), (2, 2)), (1, 1), y[10:20], 10)
    True
    >>> from convolab.conv.methods import describe
    >>> ref = correlate_direct(x[None], k[None], describe(x[None], k[None], ((1, 1), (2, 2))))
    >>> np.allclose(y[10:20], ref[0, 10:20])
    True
    """
    H, W = xb.shape
    r1 = r0 + out.shape[0]
    offs = [(i * dilation[0] - pads[0][0], j * dilation[1] - pads[1][0]) for i, j in taps]
    if not offs:
        return False
    lo = r0 + min(e for e, _ in offs) - 1
    hi = r1 + max(e for e, _ in offs) + 1
    if lo < 0 or hi > H or any(abs(e) >= W for _, e in offs) or not all_finite(xb[lo:hi]):
        return False  # (a run may wrap by one row at most)
    R = r1 - r0
    flat = xb.reshape(-1)
    offset = {t: (r0 + ei) * W + ej for t, (ei, ej) in zip(taps, offs)}
    _accumulate(lambda t: flat[offset[t] : offset[t] + R * W], kb, taps, out.reshape(-1))
    for t, (ei, ej) in zip(taps, offs):
        w = kb[t]
        if ej < 0:  # columns c < -ej read the end of the row above
            wrapped = xb[r0 + ei - 1 : r1 + ei - 1, W + ej : W]
            out[:, :-ej] -= wrapped if w == 1 else w * wrapped
        elif ej > 0:  # columns c >= W - ej read the start of the row below
            wrapped = xb[r0 + ei + 1 : r1 + ei + 1, :ej]
            out[:, W - ej :] -= wrapped if w == 1 else w * wrapped
    return True


def _correlate_taps_batched(
    x: np.ndarray, k: np.ndarray, p: Problem, image_bytes: int, y: np.ndarray
) -> None:
    """Many small inputs, one kernel: a tile is a group of whole inputs, padded together."""
    pads, stride, dilation = p.pads, p.stride, p.dilation
    B = x.shape[0]
    per_tile = max(1, min(profile.TILE_BYTES // image_bytes, -(-B // n_workers())))
    tasks = [(b0, min(b0 + per_tile, B)) for b0 in range(0, B, per_tile)]
    taps = [(0, *t) for t in np.ndindex(*k.shape[1:])]
    nonzero = [t for t in taps if k[t] != 0]

    def run(b0: int, b1: int) -> None:
        slab = np.ascontiguousarray(pad(x[b0:b1], pads, p.boundary, p.fill_value))
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, 0 * inf: as defined
            used = taps if len(nonzero) < len(taps) and not all_finite(slab) else nonzero
            sum_taps(slab, k, used, y[b0:b1], (1, *stride), (1, *dilation))

    work = y.size * len(taps)
    run_tasks(run, tasks, parallel=profile.TAPS_IN_PARALLEL and work >= profile.PARALLEL_MIN_WORK)


def _tiles_1d(
    n_out: int, n: int, K: int, before: int, tile: int, parts: int
) -> list[tuple[int, int]]:
    """Output ranges of a 1D problem: the two border ranges, then the interior in chunks.

    Interior outputs read only samples of ``x`` (their segments are views); the
    interior is cut into at least ``parts`` chunks of at most about ``tile``.
    """
    i0 = min(max(0, before), n_out)
    i1 = max(i0, min(n_out, before + n - K + 1))
    ranges = [(0, i0), (i1, n_out)]
    chunks = max(parts, -(-(i1 - i0) // tile)) if i1 > i0 else 0
    edges = [i0 + (i1 - i0) * j // chunks for j in range(chunks + 1)] if chunks else []
    ranges += list(zip(edges[:-1], edges[1:]))
    return [(a, c) for a, c in ranges if c > a]


def _segment(
    xb: np.ndarray, lo: int, hi: int, pad0: tuple[int, int], boundary: str, fill_value: complex
) -> np.ndarray:
    """Padded samples ``lo .. hi`` of a 1D signal (a view when no border is touched)."""
    n = xb.shape[0]
    if lo - pad0[0] >= 0 and hi - pad0[0] <= n:
        return xb[lo - pad0[0] : hi - pad0[0]]
    return fill_window(xb, (lo,), np.empty(hi - lo, xb.dtype), [pad0], boundary, fill_value)


def _numpy_mode(n: int, K: int, pad0: tuple[int, int]) -> str | None:
    """The :func:`numpy.correlate` mode with exactly these zero pads, if any."""
    if n < K:
        return "full" if pad0 == (K - 1, K - 1) else None
    for mode in MODES:  # (with K = 1 all three pad nothing, and agree)
        if mode_pads(mode, K) == tuple(pad0):
            return mode
    return None


def _correlate_1d_numpy(x: np.ndarray, k: np.ndarray, p: Problem, n_out: int) -> np.ndarray:
    """1D, unit stride and dilation: :func:`numpy.correlate` ('valid') per chunk.

    Large problems run in one chunk per core (a view of ``x`` each, the borders
    apart); small ones in one call.
    """
    pad0, boundary, fill_value = p.pads[0], p.boundary, p.fill_value
    B, n = x.shape
    K = k.shape[1]
    shared = k.shape[0] == 1
    # numpy.correlate conjugates its second argument; our kernel is already the one to multiply.
    kk = np.conj(k) if k.dtype.kind == "c" else k
    work = B * n_out * K
    if (
        work >= profile.COMPILED_MIN_WORK
        and x.dtype.kind == "f"
        and x.dtype == kk.dtype
        and x.flags.c_contiguous
        and conv1d.ready()
    ):
        return _correlate_1d_compiled(x, kk, p, n_out)
    # A short job: threads pay only if a core is idle now (a wake-up on a busy core costs more).
    parallel = work >= profile.NP_PARALLEL_MIN_WORK and n_workers() > 1 + busy_cores()
    mode = _numpy_mode(n, K, pad0) if zero_border(boundary, fill_value) else None
    # numpy.correlate copies a read-only input whole; in chunks only each chunk is copied
    if not parallel and mode is not None and B == 1 and x.flags.writeable:
        with np.errstate(invalid="ignore", over="ignore"):
            return np.correlate(x[0], kk[0], mode)[None]
    y = recycled((B, n_out), np.result_type(x, k))
    parts = profile.NP_PARTS * n_workers() if parallel else max(1, n_out // profile.TILE_1D)
    ranges = _tiles_1d(n_out, n, K, pad0[0], max(1, n_out // parts), parts)
    tasks = [(b, a, c) for b in range(B) for a, c in ranges]

    def run(b: int, a: int, c: int) -> None:
        seg = _segment(x[b], a, c + K - 1, pad0, boundary, fill_value)
        with np.errstate(invalid="ignore", over="ignore"):
            y[b, a:c] = np.correlate(seg, kk[0 if shared else b], "valid")

    run_tasks(run, tasks, parallel=parallel)
    return y


def _correlate_1d_compiled(x: np.ndarray, kk: np.ndarray, p: Problem, n_out: int) -> np.ndarray:
    """The 1D short-kernel case on the compiled loop (:mod:`convolab._jit.conv1d`).

    Interior outputs, which read only samples of ``x``, are written in place, one
    range per core; the few border outputs come from :func:`numpy.correlate` on
    padded segments.
    """
    pad0, boundary, fill_value = p.pads[0], p.boundary, p.fill_value
    B, n = x.shape
    K = kk.shape[1]
    shared = kk.shape[0] == 1
    y = recycled((B, n_out), x.dtype)
    # No look at the load here: a helper that starts late finds fewer ranges left, and
    # the calling thread takes the rest (see run_tasks), so a busy core costs little.
    parallel = B * n_out * K >= profile.COMPILED_PARALLEL_MIN_WORK and n_workers() > 1
    parts = n_workers() if parallel else 1
    before = pad0[0]
    ranges = _tiles_1d(n_out, n, K, before, n_out, parts)
    tasks = [(b, a, c) for b in range(B) for a, c in ranges]

    def run(b: int, a: int, c: int) -> None:
        k = kk[0 if shared else b]
        if a >= before and c - before + K - 1 <= n:  # reads only samples of x
            xs = x[b, a - before : c - before + K - 1]
            conv1d.correlate_valid_into(xs, k, y[b, a:c], 0, c - a)
            return
        seg = _segment(x[b], a, c + K - 1, pad0, boundary, fill_value)
        with np.errstate(invalid="ignore", over="ignore"):
            y[b, a:c] = np.correlate(seg, k, "valid")

    run_tasks(run, tasks, parallel=parallel)
    return y


def toeplitz(kb: np.ndarray, L: int) -> np.ndarray:
    """``T`` of shape ``(L + K - 1, L)`` with ``T[j + i, j] = kb[i]``: block @ T correlates."""
    K = kb.shape[0]
    T = np.zeros((L + K - 1, L), dtype=kb.dtype)
    idx = np.arange(L)
    for i in range(K):
        T[idx + i, idx] = kb[i]
    return T


def _correlate_1d_toeplitz(x: np.ndarray, k: np.ndarray, p: Problem, y: np.ndarray) -> None:
    """1D, unit stride and dilation: blocks of ``L`` outputs as a product with a Toeplitz ``T``.

    >>> rng = np.random.default_rng(0)
    >>> x, k = rng.standard_normal((2, 5000)), rng.standard_normal((1, 31))
    >>> y = np.empty((2, 5000))
    >>> from convolab.conv.methods import describe
    >>> _correlate_1d_toeplitz(x, k, describe(x, k, ((15, 15),), "reflect"), y)
    >>> ref = [np.correlate(np.pad(r, 15, mode="reflect"), k[0], "valid") for r in x]
    >>> np.allclose(y, ref)
    True
    """
    pad0, boundary, fill_value = p.pads[0], p.boundary, p.fill_value
    K = k.shape[1]
    L = row_block(K)
    shared = k.shape[0] == 1
    mats = [toeplitz(kb, L) for kb in (k[:1] if shared else k)]
    tile = max(L, (profile.TILE_1D // L) * L)
    parts = n_workers() if y.size * K >= profile.PARALLEL_MIN_WORK else 1
    ranges = _tiles_1d(y.shape[1], x.shape[1], K, pad0[0], tile, parts)
    tasks = [(b, a, c) for b in range(x.shape[0]) for a, c in ranges]

    def run(b: int, a: int, c: int) -> None:
        T = mats[0 if shared else b]
        nb = -(-(c - a) // L)
        buf = np.zeros((nb + 1) * L, dtype=y.dtype)
        need = min(c - a + K - 1, buf.size)
        seg = _segment(x[b], a, a + need, pad0, boundary, fill_value)
        with np.errstate(invalid="ignore", over="ignore"):
            if not all_finite(seg):  # T's structural zeros would spread inf/nan
                kk = k[0 if shared else b]
                kk = np.conj(kk) if kk.dtype.kind == "c" else kk
                y[b, a:c] = np.correlate(seg, kk, "valid")
                return
            buf[:need] = seg
            blocks = buf.reshape(nb + 1, L)
            out = blocks[:nb] @ T[:L]
            if K > 1:
                out += blocks[1:, : K - 1] @ T[L:]
        y[b, a:c] = out.reshape(-1)[: c - a]

    run_tasks(run, tasks, parallel=y.size * K >= profile.PARALLEL_MIN_WORK, blas=True)


# --------------------------------------------------------------------------- cost and registry


def _tap_passes(k: np.ndarray | None, ntaps: int) -> int:
    """Passes of the grouped shift-and-add (see :func:`sum_taps`)."""
    if k is None:
        return 2 * ntaps
    passes = 0
    for kb in k[:4]:
        groups: dict = {}
        for w in kb.ravel().tolist():
            if w != 0:
                groups[w] = groups.get(w, 0) + 1
        n = sum(g if w in (1, -1) else (g + 1 if g > 1 else 2) for w, g in groups.items())
        n -= any(w not in (1, -1) for w in groups)  # written first: no final addition
        passes = max(passes, n)
    return max(passes, 1)


def taps_speedup() -> float:
    """Speed-up of shift-and-add tiles: 1 where they run on one thread."""
    return profile.PARALLEL if profile.TAPS_IN_PARALLEL else 1.0


def row_gemm_applies(p: Problem) -> bool:
    """Whether the horizontal taps of a 2D problem run as a Toeplitz product over the rows."""
    return p.stride[-1] == 1 and p.kernel[-1] >= profile.ROW_TOEPLITZ_MIN_TAPS


def row_gemm_ns(p: Problem) -> float:
    """Per output: the row Toeplitz product (L + K - 1 MACs) and its 4 passes (copies, sum)."""
    eff = effective_size(p.kernel[-1], p.dilation[-1])
    return (row_block(eff) + eff - 1) * profile.blas_thin_ns(p.itemsize) + 4 * profile.pass_ns(
        p.itemsize
    )


def estimate(p: Problem, k: np.ndarray | None = None) -> tuple[float, str]:
    """Nanoseconds and a reason, counted the way :func:`correlate_direct` runs."""
    ntaps = prod(p.kernel)
    nout = p.batch * prod(p.out)
    pass_ns = profile.pass_ns(p.itemsize)
    dt = {4: np.float32, 8: np.float64, 16: np.complex128}.get(p.itemsize, np.float64)
    if p.complex:
        dt = np.complex64 if p.itemsize == 8 else np.complex128
    if len(p.kernel) == 1:
        strategy = strategy_1d(ntaps, p.stride, p.dilation, dt)
        if strategy == "numpy":
            a, b = profile.NPCORR_NS.get(p.itemsize, profile.NPCORR_NS[16])
            t = nout * (a + b * ntaps)
            if nout * ntaps >= profile.NP_PARALLEL_MIN_WORK:  # chunks on the cores, copied out
                t = (t + 2 * nout * pass_ns) / profile.PARALLEL
            compiled = (
                nout * ntaps >= profile.COMPILED_MIN_WORK
                and not p.complex
                and conv1d.ready()
            )
            loop = "a compiled loop on the cores" if compiled else "numpy.correlate"
            return t, f"direct {ntaps} taps ({loop})"
        if strategy == "toeplitz":
            L = row_block(ntaps)
            gemm = profile.blas_thin_ns(p.itemsize)
            t = nout * ((L + ntaps - 1) * gemm + 4 * pass_ns) / profile.PARALLEL
            return t, f"direct {ntaps} taps as a Toeplitz product ({L + ntaps - 1} MACs/output)"
    if len(p.kernel) == 2 and p.kernel[0] == 1 and p.stride[0] == 1 and row_gemm_applies(p):
        t = nout * row_gemm_ns(p) / profile.PARALLEL
        return t, f"direct {ntaps} taps as a Toeplitz product over the rows"
    passes = _tap_passes(k, ntaps) + 1
    tiles = max(1, nout * p.itemsize // profile.TILE_BYTES)
    if p.kernel_batched:  # one kernel per input: at least one tile per input
        tiles = max(tiles, p.batch)
    pass_ns *= profile.strided_pass(p.stride[-1], p.input_bytes)
    t = (nout * passes * pass_ns + tiles * profile.TILE_NS) / taps_speedup()
    return t, f"direct {ntaps} taps in {passes} passes"



METHOD = Method("direct", correlate_direct, estimate)
