"""Choosing an algorithm: a cost model that can say why.

Each method's time is estimated from what it does, counted the way it runs:

* **direct** -- passes over the output in cache-sized tiles: one to copy the
  padded slab, then one per tap of weight ``+-1`` and ``g + 2`` for a group of
  ``g`` taps sharing another weight (taps of weight 0 are skipped); in 1D,
  :func:`numpy.correlate` (``a + b K`` per output) for short kernels or the
  Toeplitz product (``L + K - 1`` multiply-adds per output at BLAS speed);
* **separable** -- per term of the SVD, a banded matrix product for the
  vertical pass and the passes of the horizontal one (2D only; in more
  dimensions one 1D pass per axis per term);
* **fft** -- three real transforms of ``N log2 N`` each at the fast length
  ``N`` (overlap-save blocks for a long 1D signal), plus a few passes;
* **gemm** -- one im2col copy per tap, then the matrix product;
* **stencil** -- small 2D/3D kernels in one compiled pass (its cost in
  :func:`convolab.conv.stencil.cost_ns`, with the constants at the top of that module).

Pass costs, BLAS and FFT rates are constants measured on the reference
machine (2-core x86-64, AVX-512; ``benchmarks/RESULTS.md``): they rank the
methods, the absolute estimates are only indicative. ``method="auto"`` takes
the cheapest, and :func:`plan` reports the ranking with the numbers, e.g. for
a 15x15 Gaussian on a 2048 x 2048 float32 image: ``"separable: rank-1 15x15
kernel as 1 x (15 + 15) taps (est. 14.5 ms) < fft (25.7 ms) < direct (96.8 ms)
< gemm (303 ms)"``. Plans are remembered for recent (problem, kernel) pairs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from math import log2, prod

import numpy as np

__all__ = ["METHODS", "Problem", "estimate", "plan"]

METHODS = ("auto", "direct", "fft", "separable", "gemm", "stencil")

# --- constants measured on the reference machine (nanoseconds) ------------------------------
#: One ufunc pass over an in-cache tile, per element, by item size (float32, float64/c64, c128).
PASS_NS = {4: 0.15, 8: 0.35, 16: 0.7}
#: Multiply-add in a thin BLAS product (ns), float32 and float64 (about 110 and 65 GFLOP/s).
GEMM_NS = {4: 0.018, 8: 0.031, 16: 0.12}
#: numpy.correlate per output: ``a + b K`` (its unrolled loop for short kernels).
NPCORR_NS = {4: (0.45, 0.14), 8: (0.3, 0.15), 16: (1.0, 0.6)}
#: Real FFT per ``n log2 n``: large multi-dimensional transforms and batched 1D blocks.
FFT_ND_NS = {4: 0.20, 8: 0.6}
FFT_1D_NS = {4: 0.10, 8: 0.2}
#: Real FFT per ``n log2 n`` of in-cache N-d blocks (overlap-save), run on the thread pool.
FFT_BLOCK_NS = {4: 0.17, 8: 0.3}
#: Python and call overhead per tile (ns).
TILE_NS = 15_000.0
#: Speed-up of tile-parallel work on the reference machine's two cores.
PARALLEL = 1.7
#: Kernels larger than this are not decomposed by SVD when planning (it would cost too much).
SVD_MAX = 256
#: Plans are remembered for this many recent (problem, kernel) pairs, kernels up to this size:
#: the same filter on many images is planned (and its kernel decomposed) once.
_CACHE_SIZE = 64
_CACHE_MAX_TAPS = 1 << 16
_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Problem:
    """What the planner needs to know about one normalized correlation."""

    batch: int
    spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    out: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    itemsize: int
    complex: bool
    kernel_batched: bool
    boundary: str
    fill_value: complex


def _pass_ns(p: Problem) -> float:
    return PASS_NS.get(p.itemsize, PASS_NS[16])


def _tap_passes(k: np.ndarray | None, ntaps: int) -> int:
    """Passes of the grouped shift-and-add (see :mod:`convolab.conv.direct`)."""
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


def _ranks(k: np.ndarray | None, p: Problem) -> int | None:
    """Largest SVD rank over the (first few) kernels, or None if not worth computing."""
    if k is None or len(p.kernel) < 2 or prod(p.kernel) > SVD_MAX * SVD_MAX:
        return None
    if not np.isfinite(k).all():
        return None
    from convolab.conv.separable import kernel_rank

    return max(kernel_rank(kb) for kb in k[:8])


def _direct(p: Problem, k: np.ndarray | None) -> tuple[float, str]:
    from convolab.conv import _compiled
    from convolab.conv.direct import (
        _COMPILED_MIN_WORK,
        _NP_PARALLEL_MIN_WORK,
        _TOEPLITZ_BLOCK,
        strategy_1d,
    )

    ntaps = prod(p.kernel)
    nout = p.batch * prod(p.out)
    dt = {4: np.float32, 8: np.float64, 16: np.complex128}.get(p.itemsize, np.float64)
    if p.complex:
        dt = np.complex64 if p.itemsize == 8 else np.complex128
    if len(p.kernel) == 1:
        strategy = strategy_1d(ntaps, p.stride, p.dilation, dt)
        if strategy == "numpy":
            a, b = NPCORR_NS.get(p.itemsize, NPCORR_NS[16])
            t = nout * (a + b * ntaps)
            if nout * ntaps >= _NP_PARALLEL_MIN_WORK:  # chunks on the cores, copied out
                t = (t + 2 * nout * _pass_ns(p)) / PARALLEL
            compiled = (
                nout * ntaps >= _COMPILED_MIN_WORK and not p.complex and _compiled.available()
            )
            loop = "a compiled loop on the cores" if compiled else "numpy.correlate"
            return t, f"direct {ntaps} taps ({loop})"
        if strategy == "toeplitz":
            L = max(_TOEPLITZ_BLOCK, 1 << int(np.ceil(np.log2(max(ntaps - 1, 1)))))
            gemm = GEMM_NS.get(p.itemsize, GEMM_NS[16])
            t = nout * ((L + ntaps - 1) * gemm + 4 * _pass_ns(p)) / PARALLEL
            return t, f"direct {ntaps} taps as a Toeplitz product ({L + ntaps - 1} MACs/output)"
    if len(p.kernel) == 2 and p.kernel[0] == 1 and p.stride[0] == 1 and _row_gemm(p):
        t = nout * _row_gemm_ns(p) / PARALLEL
        return t, f"direct {ntaps} taps as a Toeplitz product over the rows"
    passes = _tap_passes(k, ntaps) + 1
    tiles = max(1, nout * p.itemsize // (1 << 18))
    if p.kernel_batched:  # one kernel per input: at least one tile per input
        tiles = max(tiles, p.batch)
    t = (nout * passes * _pass_ns(p) + tiles * TILE_NS) / _taps_parallel()
    return t, f"direct {ntaps} taps in {passes} passes"


def _taps_parallel() -> float:
    """Speed-up of shift-and-add tiles: 1 where they run on one thread (see direct)."""
    from convolab.conv.direct import TAPS_IN_PARALLEL

    return PARALLEL if TAPS_IN_PARALLEL else 1.0


def _row_gemm(p: Problem) -> bool:
    """Whether the horizontal taps of a 2D problem run as a Toeplitz product over the rows."""
    from convolab.conv.direct import ROW_TOEPLITZ_MIN_TAPS

    return p.stride[-1] == 1 and p.kernel[-1] >= ROW_TOEPLITZ_MIN_TAPS


def _row_gemm_ns(p: Problem) -> float:
    """Per output: the row Toeplitz product (L + K - 1 MACs) and its 4 passes (copies, sum)."""
    from convolab.conv.direct import _row_block

    eff = p.dilation[-1] * (p.kernel[-1] - 1) + 1
    L = _row_block(eff)
    return (L + eff - 1) * GEMM_NS.get(p.itemsize, GEMM_NS[16]) + 4 * _pass_ns(p)


def _separable(p: Problem, k: np.ndarray | None, rank: int | None) -> tuple[float, str] | None:
    if rank is None or len(p.kernel) < 2:
        return None
    kh, kw = p.kernel[0], prod(p.kernel[1:])
    nout = p.batch * prod(p.out)
    r = max(rank, 1)
    if len(p.kernel) == 2:
        band = 32
        eff0 = p.dilation[0] * (kh - 1) + 1
        cols = (band - 1) * p.stride[0] + eff0
        width = p.spatial[1] + sum(p.pads[1])
        macs = cols * width / max(1, band * p.out[1]) * band  # per output, vertical product
        gemm = GEMM_NS.get(p.itemsize, GEMM_NS[16])
        if _row_gemm(p):
            horizontal = _row_gemm_ns(p)
            speedup = PARALLEL
        else:  # multiply-adds, border columns, the band buffer
            horizontal = (2 * kw + 2) * _pass_ns(p)
            speedup = _taps_parallel()
        t = r * nout * (macs * gemm + horizontal) / speedup
        t += (p.batch * -(-p.out[0] // band)) * TILE_NS * r / speedup
    else:
        t = r * nout * 2 * sum(p.kernel) * _pass_ns(p) * 2
    desc = "x".join(map(str, p.kernel))
    return t, f"rank-{r} {desc} kernel as {r} x ({kh} + {kw}) taps"


def _fft(p: Problem) -> tuple[float, str]:
    from convolab.conv.fft import _BLOCK_OVERHEAD, block_shape, ols_block, transform_shape

    eff = tuple(d * (n - 1) + 1 for d, n in zip(p.dilation, p.kernel))
    zero = p.boundary == "constant" and p.fill_value == 0
    cplx = 2.0 if p.complex else 1.0
    size = 4 if p.itemsize == 4 else 8
    passes = 6 * _pass_ns(p)
    if len(p.kernel) == 1:
        n = p.spatial[0] + sum(p.pads[0])
        N = ols_block(eff[0], n)
        if N is not None:
            nb = -(-(n - eff[0] + 1) // (N - eff[0] + 1))
            t = cplx * (2 * p.batch * nb + 1) * N * log2(N) * FFT_1D_NS[size] / PARALLEL
            return t + p.batch * n * passes, f"fft overlap-save, {nb} blocks of {N}"
    pads = p.pads if zero else tuple((0, 0) for _ in p.pads)
    spatial = p.spatial if zero else tuple(n + b + a for n, (b, a) in zip(p.spatial, p.pads))
    if len(p.kernel) >= 2 and all(s == 1 for s in p.stride):
        shape = block_shape(spatial, eff, pads, p.batch)
        if shape is not None:
            tiles = [N - e + 1 for N, e in zip(shape, eff)]
            outs = [n + b + a - e + 1 for n, e, (b, a) in zip(spatial, eff, pads)]
            nblocks = p.batch * prod(-(-o // t) for o, t in zip(outs, tiles))
            pts = prod(shape)
            work = nblocks * (2 * pts * log2(pts) + _BLOCK_OVERHEAD) + pts * log2(pts)
            t = cplx * work * FFT_BLOCK_NS[size] / PARALLEL
            why = f"fft overlap-save, {nblocks} blocks of {'x'.join(map(str, shape))}"
            return t + p.batch * prod(p.out) * passes, why
    fshape, _ = transform_shape(spatial, eff, pads, p.stride, not p.complex)
    npts = prod(fshape)
    ns = FFT_ND_NS[size] if len(fshape) > 1 else FFT_1D_NS[size]
    nk = p.batch if p.kernel_batched else 1
    t = cplx * (2 * p.batch + nk) * npts * log2(max(npts, 2)) * ns + p.batch * npts * passes
    return t, f"fft {'x'.join(map(str, fshape))}"


def _gemm(p: Problem) -> tuple[float, str]:
    ntaps = prod(p.kernel)
    nout = p.batch * prod(p.out)
    copy = 2 * _pass_ns(p)  # full-size strided copies, out of cache
    t = nout * ntaps * (copy + GEMM_NS.get(p.itemsize, GEMM_NS[16])) + 2 * nout * copy
    return t, f"gemm im2col of {ntaps} taps"


def _stencil(p: Problem, k: np.ndarray | None) -> tuple[float, str] | None:
    from convolab.conv import stencil

    dtype = np.dtype(f"f{p.itemsize}") if not p.complex and p.itemsize in (4, 8) else None
    if dtype is None or not stencil.applies(len(p.kernel), p.kernel, dtype, rank1=True):
        return None
    rank1 = len(p.kernel) == 2 and k is not None
    rank1 = rank1 and all(stencil.rank1_factors(kb) is not None for kb in k[:4])
    if not stencil.applies(len(p.kernel), p.kernel, dtype, rank1=rank1):
        return None
    taps = stencil.taps_per_output(p.kernel, rank1)
    nout = p.batch * prod(p.out)
    rows = p.batch * prod(p.out[:-1])
    t = stencil.cost_ns(nout, rows, taps, p.itemsize, PARALLEL)
    kind = "rank-1 kernel, " if rank1 else ""
    return t, f"stencil {kind}{taps} multiply-adds per output, one compiled pass"


def estimate(problem: Problem, kernel: np.ndarray | None = None) -> dict[str, tuple[float, str]]:
    """Estimated seconds and a description for every method that applies.

    >>> p = Problem(1, (2048, 2048), (3, 3), (2048, 2048), ((1, 1), (1, 1)), (1, 1), (1, 1),
    ...             4, False, False, "constant", 0)
    >>> sorted(set(estimate(p, np.ones((1, 3, 3)))) - {"stencil"})
    ['direct', 'fft', 'gemm', 'separable']
    """
    p = problem
    est = {"direct": _direct(p, kernel), "fft": _fft(p), "gemm": _gemm(p)}
    sep = _separable(p, kernel, _ranks(kernel, p))
    if sep is not None:
        est["separable"] = sep
    st = _stencil(p, kernel)
    if st is not None:
        est["stencil"] = st
    return {m: (t * 1e-9, why) for m, (t, why) in est.items()}


def plan(problem: Problem, kernel: np.ndarray | None = None) -> tuple[str, str]:
    """Return ``(method, reason)``: the cheapest method by the cost model, and the ranking.

    ``kernel`` is the correlation kernel ``(1 or B, *K)``; its values refine the
    estimate (zero and repeated weights, SVD rank).

    >>> p = Problem(1, (10**6,), (1001,), (10**6,), ((500, 500),), (1,), (1,),
    ...             8, False, False, "constant", 0)
    >>> plan(p, np.ones((1, 1001)))[0]
    'fft'
    """
    key = None
    if kernel is None or kernel.size <= _CACHE_MAX_TAPS:
        raw = None if kernel is None else (kernel.dtype.str, kernel.shape, kernel.tobytes())
        key = (problem, raw)
        if key in _CACHE:
            return _CACHE[key]
    est = estimate(problem, kernel)
    order = sorted(est, key=lambda m: est[m][0])
    best = order[0]
    t, why = est[best]
    head = f"{best}: {why.removeprefix(best).strip() or why} (est. {t * 1e3:.3g} ms)"
    rest = " < ".join(f"{m} ({est[m][0] * 1e3:.3g} ms)" for m in order[1:])
    result = best, f"{head} < {rest}" if rest else head
    if key is not None:
        with _CACHE_LOCK:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))  # the oldest
            _CACHE[key] = result
    return result
