"""FFT method: correlation as a product of spectra.

Correlating with ``k`` is convolving with the flipped kernel, and convolution
is a product in the frequency domain:

.. math:: x \\star k = \\mathcal{F}^{-1}\\big(\\mathcal{F}(x)\\,\\mathcal{F}(\\bar k)\\big),
          \\qquad \\bar k[i] = k[K - 1 - i]

Transforms are pocketfft's (:mod:`convolab.conv.methods._transforms`: SciPy's
extension, loaded without importing :mod:`scipy.fft`, writing into given
arrays), real transforms for real data and complex ones otherwise, in the
input's precision (float32 stays float32, complex64 spectra). ``1 / N`` is
folded into the kernel's spectrum, computed once per call.

Only the outputs asked for are free of wrap-around: the transform is
*circular* of length ``N``, and output ``j`` of the full convolution is aliased
with ``j +- N``. For the outputs ``j0 .. j1`` of the full result that the mode
keeps, ``N >= max(n + K - 1 - j0, j1 + 1)`` suffices, so ``same`` needs
``N >= n + K // 2`` rather than ``n + K - 1`` (then the next fast length).
The kernel spectrum is made first and the input's multiplied into in place,
so a whole-input transform holds about three input-sized arrays at its peak.

Large inputs are cut into blocks (*overlap-save*): a block of ``N`` padded
samples per axis, overlapping the next by ``K - 1``, gives ``N - K + 1``
outputs per axis after a product with the kernel's spectrum at size ``N``.
In 2D and more, :func:`block_plan` picks square blocks of side ``2**a 3**b``
by their measured cost (in rounds of one block per worker); each block is
copied from the input *as padded* by :func:`~convolab.conv.boundary.fill_window`
(the boundary rule's index map at the border: no padded copy of the input, for
any boundary), transformed in place in the thread's scratch buffers and
written to the output. For a long 1D signal ``N`` is the power of two nearest
``8 K`` (:func:`ols_block`): ``O(n log K)`` work instead of ``O(n log n)``.
Blocks (groups of blocks in 1D) are spread on the thread pool, each transform
single-threaded and in cache, and only block-sized temporaries exist: a
2048 x 2048 ``same`` filtering allocates 1.1 images, the result included.

NaN and inf would spread through every output of a transform; an input or
kernel that is not finite is handed to the direct method, which keeps them
local as the definition does. The blocks find it at no cost: a block's zero
frequency is the sum of its samples, finite exactly when they all are (or,
rarely, not finite by overflow: the direct method then runs, exact and slower).
"""

from __future__ import annotations

import functools
import threading
from itertools import product
from math import log2, prod
from typing import Any

import numpy as np

from convolab.conv import profile
from convolab.conv.boundary import fill_window, pad, zero_border
from convolab.conv.geometry import effective_sizes, output_length
from convolab.conv.methods import Method, Problem
from convolab.conv.methods import _transforms as transforms
from convolab.conv.methods.direct import all_finite, correlate_direct, fill_slab
from convolab.runtime import workspace
from convolab.runtime.threads import n_workers, run_tasks

__all__ = [
    "block_length",
    "block_plan",
    "correlate_fft",
    "dilate_kernel",
    "fast_length",
    "ols_block",
    "transform_shape",
]


@functools.lru_cache(maxsize=4096)
def fast_length(n: int, real: bool = True) -> int:
    """The smallest length ``>= n`` whose prime factors are 2, 3 and 5 (also 7 and 11 for
    complex transforms): :func:`scipy.fft.next_fast_len`'s answer, without importing
    :mod:`scipy.fft` (0.7 s), so that planning a call never waits for it.

    >>> fast_length(1000), fast_length(1031), fast_length(1031, real=False)
    (1000, 1080, 1050)
    """
    odd = (3, 5) if real else (3, 5, 7, 11)
    best = 1 << max(0, n - 1).bit_length()

    def walk(i: int, base: int) -> None:
        nonlocal best
        while base < best:
            if i < len(odd):
                walk(i + 1, base)
            else:  # times the smallest power of two that reaches n
                best = min(best, base << max(0, -(-n // base) - 1).bit_length())
                return
            base *= odd[i]

    walk(0, 1)
    return best


@functools.lru_cache(maxsize=1024)
def block_length(n: int) -> int:
    """The smallest ``2**a * 3**b >= n`` with ``b <= 2``: a block length whose transforms run
    near full speed.

    Blocks of 600, 720 and 750 (factors of 5) ran 1.1-1.9x slower than blocks of 576 and
    768, and each factor 3 costs a few percent (see :mod:`convolab.conv.profile`).

    >>> block_length(574), block_length(745), block_length(420)
    (576, 768, 512)
    """
    best = 1 << max(0, n - 1).bit_length()
    three = 1
    while three <= 9 and three < best:
        best = min(best, three << max(0, -(-n // three) - 1).bit_length())
        three *= 3
    return best


def block_plan(
    spatial: tuple[int, ...],
    eff: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    batch: int = 1,
    itemsize: int = 4,
    workers: int | None = None,
) -> tuple[list[int], int, float] | None:
    """The cheapest N-d overlap-save blocks: ``(shape, number of blocks, ns)``, or None.

    Blocks are square (cut to the axes shorter than a side), their side any length
    ``2**a 3**b`` (:func:`block_length`; tiles of at least ``K`` and 16 outputs):
    elongated blocks measured slower than square ones of the same work
    (128 x 768 against 256 x 256 for a 15 x 15 kernel, 576 x 768 against 576 x 576 for
    63 x 63). A block has at most
    :data:`~convolab.conv.profile.FFT_BLOCK_MAX_POINTS` points, so that it and its
    spectrum stay near the core's cache. A block costs two transforms of
    ``n log2 n`` at :data:`~convolab.conv.profile.FFT_BLOCK_NS` (more per factor 3 of
    the lengths, :data:`~convolab.conv.profile.FFT_BLOCK_RADIX3`) plus
    :data:`~convolab.conv.profile.FFT_BLOCK_CALL_NS`; the blocks go in rounds of one
    per worker, each round slowed by ``workers / PARALLEL`` (the workers share the
    memory bus), so a count of blocks that the workers share evenly is preferred.
    None when the whole transform (three of ``n log2 n`` at
    :data:`~convolab.conv.profile.FFT_ND_NS`) is cheaper.

    >>> shape, count, ns = block_plan((2048, 2048), (63, 63), ((31, 31), (31, 31)), workers=2)
    >>> shape, count
    ([576, 576], 16)
    """
    workers = n_workers() if workers is None else workers
    size = 4 if itemsize <= 4 else 8
    outs = [n + b + a - e + 1 for n, e, (b, a) in zip(spatial, eff, pads)]
    if any(o < 1 for o in outs):
        return None
    full = [fast_length(n + b + a) for n, (b, a) in zip(spatial, pads)]
    npts = prod(full)
    whole = 3 * batch * npts * log2(max(npts, 2)) * profile.FFT_ND_NS[size] / profile.PARALLEL
    whole_axis = [block_length(o + e - 1) for o, e in zip(outs, eff)]
    best = None
    for side in _BLOCK_SIDES:  # square blocks, cut to the axes shorter than a side
        if side > max(whole_axis):
            break
        shape = [min(side, w) for w in whole_axis]
        if any(N - e + 1 < min(o, max(e, 16)) for N, o, e in zip(shape, outs, eff)):
            continue
        pts = prod(shape)
        if pts > profile.FFT_BLOCK_MAX_POINTS:
            continue
        count = batch * prod(-(-o // (N - e + 1)) for o, N, e in zip(outs, shape, eff))
        threes = sum(_threes(N) for N in shape) / len(shape)
        rate = profile.FFT_BLOCK_NS[size] * (1 + profile.FFT_BLOCK_RADIX3 * threes)
        each = 2 * pts * log2(pts) * rate + profile.FFT_BLOCK_CALL_NS
        if workers < 2 or count < 2:
            cost = count * each
        else:  # rounds of one block per worker, each slowed by the workers' shared memory
            cost = -(-count // workers) * each * workers / profile.PARALLEL
        if cost < whole and (best is None or cost < best[2]):
            best = (list(shape), count, cost)
    return best


#: The block sides tried: every ``2**a 3**b`` (``b <= 2``) from 16 to 2**20.
_BLOCK_SIDES = sorted({t << a for a in range(21) for t in (1, 3, 9) if 16 <= t << a <= 1 << 20})


def _threes(n: int) -> int:
    """The power of 3 in ``n``."""
    count = 0
    while n % 3 == 0:
        n //= 3
        count += 1
    return count


def dilate_kernel(k: np.ndarray, dilation: tuple[int, ...]) -> np.ndarray:
    """Insert ``d - 1`` zeros between the taps of the trailing axes of ``k``.

    >>> dilate_kernel(np.array([[1., 2., 3.]]), (2,))
    array([[1., 0., 2., 0., 3.]])
    """
    if all(d == 1 for d in dilation):
        return k
    m = len(dilation)
    shape = k.shape[:-m] + effective_sizes(k.shape[-m:], dilation)
    out = np.zeros(shape, dtype=k.dtype)
    out[(...,) + tuple(slice(None, None, d) for d in dilation)] = k
    return out


def transform_shape(
    spatial: tuple[int, ...],
    eff: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    real: bool = True,
) -> tuple[list[int], list[slice]]:
    """Fast circular lengths free of wrap-around on the kept outputs, and where they lie.

    >>> transform_shape((2048,), (63,), ((31, 31),), (1,))
    ([2160], [slice(31, 2079, 1)])
    >>> transform_shape((10,), (3,), ((2, 2),), (1,))  # full: nothing wraps
    ([12], [slice(0, 12, 1)])
    """
    fshape, index = [], []
    for n, e, (b, a), s in zip(spatial, eff, pads, stride):
        count = output_length(n, b, a, e, s)
        j0 = e - 1 - b
        j1 = j0 + (count - 1) * s
        need = max(n + e - 1 - j0, j1 + 1, n, e)
        fshape.append(fast_length(need, real))
        index.append(slice(j0, j1 + 1, s))
    return fshape, index


def ols_block(ntaps: int, n: int) -> int | None:
    """Overlap-save transform length for ``ntaps`` taps over ``n`` samples, or None.

    The power of two nearest ``8 * ntaps`` (at least 1024 and ``2 * ntaps``; the
    measurements behind them are in :mod:`convolab.conv.profile`), used only when
    the signal is several times longer.

    >>> ols_block(1001, 10**6), ols_block(31, 10**6), ols_block(1001, 5000)
    (8192, 1024, None)
    """
    nearest = 1 << int(np.round(np.log2(profile.OLS_TAPS_FACTOR * ntaps)))
    N = max(profile.OLS_MIN_BLOCK, nearest, 1 << int(np.ceil(np.log2(2 * ntaps))))
    if n + ntaps - 1 < profile.OLS_MIN_RATIO * N:
        return None
    return N


def correlate_fft(x: np.ndarray, k: np.ndarray, p: Problem) -> np.ndarray:
    r"""Correlate every row of ``x`` (``(B, *S)``) with ``k`` (``(1 or B, *K)``) by FFT.

    .. math:: y = \mathcal{F}^{-1}_N\big(\mathcal{F}_N(x)\,\mathcal{F}_N(\bar k)\big)[j_0 :: s]

    >>> from convolab.conv.methods import describe
    >>> x = np.array([[0., 0, 0, 3, 4, 5, 4, 3, 0, 0]])
    >>> k = np.array([[1., 0, 0]])
    >>> np.round(correlate_fft(x, k, describe(x, k, ((1, 1),))), 12) + 0.0  # no -0.
    array([[0., 0., 0., 0., 3., 4., 5., 4., 3., 0.]])
    """
    pads, boundary, fill_value, stride, dilation = (
        p.pads, p.boundary, p.fill_value, p.stride, p.dilation
    )  # fmt: skip
    dtype = np.result_type(x, k)
    if not all_finite(k):
        return correlate_direct(x, k, p)
    m = k.ndim - 1
    axes = tuple(range(1, m + 1))
    kd = dilate_kernel(k, dilation)
    eff = kd.shape[1:]
    real = dtype.kind != "c"
    kflip = kd[(slice(None),) + (slice(None, None, -1),) * m]
    if m >= 2 and all(st == 1 for st in stride):
        plan = block_plan(x.shape[1:], eff, pads, x.shape[0], dtype.itemsize)
        if plan is not None:  # blocks read the padded input where they lie: no padded copy
            y = _overlap_save_nd(x, kflip, pads, boundary, fill_value, plan[0], dtype)
            return correlate_direct(x, k, p) if y is None else y
    x0 = x
    zero_pad = zero_border(boundary, fill_value)
    if not zero_pad or any(b > e - 1 or a > e - 1 for (b, a), e in zip(pads, eff)):
        x = pad(x, pads, boundary, fill_value)
        pads = ((0, 0),) * m
    if m == 1:
        N = ols_block(eff[0], x.shape[1] + sum(pads[0]))
        if N is not None:
            y = _overlap_save(x, kflip, pads[0], stride[0], N, dtype)
            return correlate_direct(x0, k, p) if y is None else y
    if not all_finite(x):
        return correlate_direct(x0, k, p)
    fshape, index = transform_shape(x.shape[1:], eff, pads, stride, real)
    workers = n_workers()
    kspec = _kernel_spectra(kflip, fshape, dtype, workers)
    xpad = np.zeros((x.shape[0], *fshape), dtype)  # the transform's zero padding
    xpad[(slice(None), *(slice(0, n) for n in x.shape[1:]))] = x
    spec = (
        transforms.r2c(xpad, axes, workers=workers)
        if real
        else transforms.c2c(xpad, axes, True, out=xpad, workers=workers)
    )
    del xpad
    spec *= kspec  # x has the full batch; the kernel's broadcasts
    del kspec
    if real:
        full = transforms.c2r(spec, axes, fshape[-1], workers=workers)
    else:
        full = transforms.c2c(spec, axes, False, out=spec, workers=workers)
    del spec
    return np.ascontiguousarray(full[(slice(None), *index)], dtype=dtype)


def _complex(dtype: np.dtype) -> np.dtype:
    return np.result_type(dtype, np.complex64)


_SPECTRA: dict[tuple[Any, ...], np.ndarray] = {}  # recent kernel spectra, oldest first
_SPECTRA_LOCK = threading.Lock()


def _kernel_spectra(
    kflip: np.ndarray, shape: list[int], dtype: np.dtype, workers: int = 1
) -> np.ndarray:
    """Spectra of the flipped kernels at transform size ``shape``, times ``1 / prod(shape)``
    (the inverse transforms are unnormalized). Read-only: the last few are kept
    (:data:`~convolab.conv.profile.SPECTRUM_CACHE_BYTES`) for the next call with the same
    kernel, the way a filter is applied to image after image."""
    key = (kflip.dtype.str, kflip.shape, kflip.tobytes(), tuple(shape), np.dtype(dtype).str)
    with _SPECTRA_LOCK:
        spec = _SPECTRA.pop(key, None)
        if spec is not None:
            _SPECTRA[key] = spec  # the most recent last
            return spec
    spec = _transform_kernels(kflip, shape, dtype, workers)
    spec.flags.writeable = False
    with _SPECTRA_LOCK:
        _SPECTRA[key] = spec
        while sum(a.nbytes for a in _SPECTRA.values()) > profile.SPECTRUM_CACHE_BYTES:
            _SPECTRA.pop(next(iter(_SPECTRA)))
    return spec


def _transform_kernels(
    kflip: np.ndarray, shape: list[int], dtype: np.dtype, workers: int
) -> np.ndarray:
    m = len(shape)
    kpad = np.zeros((kflip.shape[0], *shape), dtype)
    kpad[(slice(None), *(slice(0, e) for e in kflip.shape[1:]))] = kflip
    axes = tuple(range(1, m + 1))
    if dtype.kind == "c":
        spec = transforms.c2c(kpad, axes, True, out=kpad, workers=workers)
    else:
        spec = transforms.r2c(kpad, axes, workers=workers)
    spec *= 1.0 / prod(shape)
    return spec


def _overlap_save(
    x: np.ndarray,
    kflip: np.ndarray,
    pad0: tuple[int, int],
    stride: int,
    N: int,
    dtype: np.dtype,
) -> np.ndarray | None:
    """1D overlap-save: blocks of ``N`` padded samples, ``N - K + 1`` outputs each.

    Blocks go in groups of about ``2**16`` samples, one group per task on the
    thread pool: each group's padded segment is copied once into the thread's
    scratch buffer, its blocks are transformed together (one batched call,
    single-threaded, in cache, into scratch buffers) and written to the output.
    Returns None when a block's sum (the zero frequency) is not finite: the
    input holds NaN or inf, which only the direct method keeps local.

    >>> from convolab.conv.methods import describe
    >>> from convolab.conv.methods.direct import correlate_direct
    >>> rng = np.random.default_rng(0)
    >>> x, k = rng.standard_normal((2, 9000)), rng.standard_normal((2, 301))
    >>> y = _overlap_save(x, k[:, ::-1], (150, 150), 2, 1024, x.dtype)  # 13 blocks
    >>> ref = correlate_direct(x, k, describe(x, k, ((150, 150),), stride=(2,)))
    >>> y.shape == ref.shape and np.allclose(y, ref)
    True
    """
    B, n = x.shape
    K = kflip.shape[1]
    b0, a0 = pad0
    count = n + b0 + a0 - K + 1  # unstrided outputs
    Lo = N - K + 1
    nb = -(-count // Lo)
    real = dtype.kind != "c"
    cdtype = _complex(dtype)
    kspec = _kernel_spectra(kflip, [N], dtype)
    y = workspace.recycled((B, count), dtype)
    group = max(1, profile.OLS_GROUP // N)
    tasks = [(b, g) for b in range(B) for g in range(0, nb, group)]
    finite = [True]

    def run(b: int, g: int) -> None:
        if not finite[0]:
            return
        blocks = min(group, nb - g)
        length = (blocks - 1) * Lo + N
        seg = workspace.scratch((length,), dtype, "fft_segment")
        fill_slab(x[b], g * Lo, [pad0], "constant", 0, length, out=seg)
        windows = np.lib.stride_tricks.sliding_window_view(seg, N)[::Lo]
        spec = workspace.scratch((blocks, N // 2 + 1 if real else N), cdtype, "fft_spectrum")
        if real:
            transforms.r2c(windows, (1,), out=spec)
        else:
            transforms.c2c(windows, (1,), True, out=spec)
        if not np.isfinite(spec[:, 0]).all():
            finite[0] = False
            return
        spec *= kspec[b if len(kspec) > 1 else 0]
        if real:
            out = workspace.scratch((blocks, N), dtype, "fft_block")
            transforms.c2r(spec, (1,), N, out=out)
        else:
            out = transforms.c2c(spec, (1,), False, out=spec)
        lo = g * Lo
        dst = y[b, lo : min(count, lo + blocks * Lo)]
        full = len(dst) // Lo
        dst[: full * Lo].reshape(full, Lo)[...] = out[:full, K - 1 :]
        if len(dst) > full * Lo:
            dst[full * Lo :] = out[full, K - 1 : K - 1 + len(dst) - full * Lo]

    run_tasks(run, tasks, parallel=len(tasks) > 1)
    if not finite[0]:
        return None
    return y if stride == 1 else np.ascontiguousarray(y[:, ::stride])


def _overlap_save_nd(
    x: np.ndarray,
    kflip: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
    fill_value: complex,
    shape: list[int],
    dtype: np.dtype,
) -> np.ndarray | None:
    """N-d overlap-save with unit stride: blocks of ``shape`` transformed one by one.

    Each block of padded input is written into the thread's scratch buffer by
    :func:`~convolab.conv.boundary.fill_window` (the boundary rule's index map
    where the block passes the border: the input is never padded as a whole),
    transformed in place, step by step (real forward on the last axis, complex
    on the others), multiplied by the kernel's spectrum at the block size and
    transformed back into the same buffer; its last ``N - K + 1`` samples per
    axis are outputs. Blocks run on the thread pool, each transform
    single-threaded and in cache. Returns None when a block's sum (the zero
    frequency) is not finite: the input holds NaN or inf, which only the
    direct method keeps local.

    >>> from convolab.conv.methods import describe
    >>> from convolab.conv.methods.direct import correlate_direct
    >>> rng = np.random.default_rng(0)
    >>> x, k = rng.standard_normal((2, 300, 200)), rng.standard_normal((1, 9, 15))
    >>> pads = ((4, 4), (7, 7))
    >>> kflip = k[:, ::-1, ::-1]
    >>> y = _overlap_save_nd(x, kflip, pads, "reflect", 0, [64, 48], x.dtype)  # 6 x 6 blocks
    >>> ref = correlate_direct(x, k, describe(x, k, pads, "reflect"))
    >>> y.shape == ref.shape and np.allclose(y, ref)
    True
    """
    B, spatial = x.shape[0], x.shape[1:]
    m = len(spatial)
    eff = kflip.shape[1:]
    inner = tuple(range(m - 1))
    real = dtype.kind != "c"
    cdtype = _complex(dtype)
    outs = [n + b + a - e + 1 for n, e, (b, a) in zip(spatial, eff, pads)]
    tiles = [N - e + 1 for N, e in zip(shape, eff)]
    kspecs = _kernel_spectra(kflip, shape, dtype)
    spec_shape = (*shape[:-1], shape[-1] // 2 + 1) if real else tuple(shape)
    y = workspace.recycled((B, *outs), dtype)
    starts = [range(0, o, t) for o, t in zip(outs, tiles)]
    tasks = [(b, corner) for b in range(B) for corner in product(*starts)]
    finite = [True]
    zero = (0,) * m

    def run(b: int, corner: tuple[int, ...]) -> None:
        if not finite[0]:
            return
        if real:  # the spectrum in the block's own memory: rows of N + 2 reals
            room = workspace.scratch((*shape[:-1], 2 * spec_shape[-1]), dtype, "fft_block")
            buf = room[..., : shape[-1]]
        else:
            buf = workspace.scratch(tuple(shape), dtype, "fft_block")
        fill_window(x[b], corner, buf, pads, boundary, fill_value)
        if real:
            spec = room.view(cdtype)
            transforms.r2c(buf, (m - 1,), out=spec)
            if inner:
                transforms.c2c(spec, inner, True, out=spec)
        else:
            spec = transforms.c2c(buf, tuple(range(m)), True, out=buf)
        if not np.isfinite(spec[zero]):
            finite[0] = False
            return
        spec *= kspecs[b if len(kspecs) > 1 else 0]
        target = y[(b, *(slice(c, c + t) for c, t in zip(corner, tiles)))]
        kept = tuple(slice(e - 1, e - 1 + n) for e, n in zip(eff, target.shape))
        if real:
            if inner:
                transforms.c2c(spec, inner, False, out=spec)
            # the last axis's transforms only where the first axis keeps outputs
            transforms.c2r(spec[kept[0]], (m - 1,), shape[-1], out=buf[kept[0]])
        else:
            transforms.c2c(spec, tuple(range(m)), False, out=spec)
        target[...] = buf[kept]

    run_tasks(run, tasks, parallel=len(tasks) > 1)
    return y if finite[0] else None


# --------------------------------------------------------------------------- cost and registry


def estimate(p: Problem, k: np.ndarray | None = None) -> tuple[float, str]:
    """Three real transforms of ``N log2 N`` at the fast length, plus passes; or the blocks of
    :func:`block_plan` (overlap-save)."""
    eff = effective_sizes(p.kernel, p.dilation)
    zero = zero_border(p.boundary, p.fill_value)
    cplx = 2.0 if p.complex else 1.0
    size = 4 if p.itemsize == 4 else 8
    passes = 6 * profile.pass_ns(p.itemsize)
    if len(p.kernel) == 1:
        n = p.spatial[0] + sum(p.pads[0])
        N = ols_block(eff[0], n)
        if N is not None:
            nb = -(-(n - eff[0] + 1) // (N - eff[0] + 1))
            t = cplx * (2 * p.batch * nb + 1) * N * log2(N) * profile.FFT_1D_NS[size]
            t = t / profile.PARALLEL + p.batch * n * passes
            return t, f"fft overlap-save, {nb} blocks of {N}"
    if len(p.kernel) >= 2 and all(s == 1 for s in p.stride):
        plan = block_plan(p.spatial, eff, p.pads, p.batch, p.itemsize)
        if plan is not None:
            shape, nblocks, ns = plan
            return cplx * ns, f"fft overlap-save, {nblocks} blocks of {'x'.join(map(str, shape))}"
    pads = p.pads if zero else tuple((0, 0) for _ in p.pads)
    spatial = p.spatial if zero else tuple(n + b + a for n, (b, a) in zip(p.spatial, p.pads))
    fshape, _ = transform_shape(spatial, eff, pads, p.stride, not p.complex)
    npts = prod(fshape)
    ns = profile.FFT_ND_NS[size] if len(fshape) > 1 else profile.FFT_1D_NS[size]
    nk = p.batch if p.kernel_batched else 1
    t = cplx * (2 * p.batch + nk) * npts * log2(max(npts, 2)) * ns + p.batch * npts * passes
    return t, f"fft {'x'.join(map(str, fshape))}"


METHOD = Method("fft", correlate_fft, estimate)
