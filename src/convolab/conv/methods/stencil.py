"""Stencil method: small 2D and 3D kernels in one compiled pass over the image.

The ``direct`` method makes one pass over the image per tap; this one applies
every tap while a few rows are in cache. Output rows are computed one at a
time: the input rows the kernel needs are padded once each into a small *ring*
of rows (the boundary rule applied by the closed-form index maps of
:func:`convolab.conv.boundary.border_index`, so the image is never copied whole),
and each output row is then a sum of shifted runs of those rows, up to nine
taps per pass (a 3x3 in one), vectorized along the row. A rank-1 kernel ``k = v h^T`` (a Gaussian, a
box, Sobel) runs as a vertical sum into one row buffer, then a horizontal sum
from it: ``k_r + k_c`` multiply-adds per output instead of ``k_r k_c``.

.. math:: y[b, o, c] = \\sum_{i, j} k[i, j]\\; x_{pad}[b, o s_0 + i d_0, c s_1 + j d_1]

Bands of output rows run on the shared threads (:func:`run_tasks`), each with
its own ring. An inner *lanes* axis (the channels of an ``(H, W, C)`` image)
is carried along each row: one call filters every channel of an interleaved
RGB image, without moving its channels to the front.

The loops keep IEEE semantics (every tap is multiplied, zeros included; only
contraction to fused multiply-adds is allowed), so NaN and inf propagate as in
the definition. They need Numba (``convolab[fast]``); without it the method
does not apply and the planner never picks it. The planner offers it once its loop
is loaded (:mod:`convolab._jit.stencil`: :func:`convolab.runtime.load_compiled`, or a
first ``method="stencil"`` call): loading costs as much as a few hundred calls.
"""

from __future__ import annotations

from functools import lru_cache
from math import prod

import numpy as np

from convolab._jit import stencil as compiled
from convolab.conv import profile
from convolab.conv.boundary import border_index, check_boundary
from convolab.conv.geometry import effective_sizes, mode_pads, output_length
from convolab.conv.methods import Method, Problem
from convolab.runtime.threads import n_workers, run_tasks

__all__ = [
    "MAX_SIDE",
    "MAX_SIDE_RANK1",
    "applies",
    "correlate_stencil",
    "cost_ns",
    "estimate",
    "gradient_norm",
    "rank1_factors",
    "taps_per_output",
]

#: The largest kernel sides the method takes (see :mod:`convolab.conv.profile`).
MAX_SIDE = profile.STENCIL_MAX_SIDE
MAX_SIDE_RANK1 = profile.STENCIL_MAX_SIDE_RANK1



def applies(ndim: int, kernel: tuple[int, ...], dtype: np.dtype, rank1: bool = False) -> bool:
    """Whether the stencil method handles this problem (2D or 3D, real float, small kernel).

    ``rank1``: the kernel is ``outer(v, h)`` (:func:`rank1_factors`), which allows
    larger sides.

    >>> applies(2, (3, 3), np.dtype(np.float32)) == compiled.available()
    True
    >>> applies(1, (3,), np.dtype(np.float64)), applies(2, (3, 3), np.dtype(np.complex128))
    (False, False)
    """
    return (
        ndim in (2, 3)
        and np.dtype(dtype).kind == "f"
        and np.dtype(dtype).itemsize in (4, 8)
        and max(kernel) <= (MAX_SIDE_RANK1 if rank1 and ndim == 2 else MAX_SIDE)
        and compiled.available()
    )


def rank1_factors(k: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(v, h)`` with ``k == outer(v, h)`` to rounding and the same zeros, or None.

    The factors come from a pivot, not from an SVD, so a weight that is exactly
    zero stays exactly zero (``0 * inf`` must give NaN as in the definition).

    >>> v, h = rank1_factors(np.outer([1., 2., 1.], [-1., 0., 1.]))
    >>> v, h
    (array([-1., -2., -1.]), array([ 1., -0., -1.]))
    >>> rank1_factors(np.eye(2)) is None
    True
    """
    if k.ndim != 2 or not np.isfinite(k).all():
        return None
    i0, j0 = np.unravel_index(np.argmax(np.abs(k)), k.shape)
    top = k[i0, j0]
    if top == 0:
        return None
    v = k[:, j0].copy()
    h = k[i0, :] / top
    approx = np.outer(v, h)
    tol = 8 * np.finfo(k.dtype).eps * abs(top)
    if np.any(np.abs(approx - k) > tol) or np.any((approx == 0) != (k == 0)):
        return None
    return v, h.astype(k.dtype)


def cost_ns(out_elements: int, rows: int, taps: int, itemsize: int, parallel: float) -> float:
    """Estimated time (ns): memory per output, multiply-adds per tap, rows, the call.

    ``taps`` is ``k_r + k_c`` for a rank-1 2D kernel, the number of taps otherwise.

    >>> round(cost_ns(2048 * 2048, 2048, 9, 4, 1.0) / 1e6, 1)
    4.7
    """
    size = itemsize if itemsize in profile.STENCIL_OUTPUT_NS else 8
    per = profile.STENCIL_OUTPUT_NS[size] + taps * profile.STENCIL_TAP_NS[size]
    return (out_elements * per + rows * profile.STENCIL_ROW_NS) / parallel + profile.STENCIL_CALL_NS


def correlate_stencil(
    x: np.ndarray,
    k: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
    fill_value: complex,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    lanes: bool = False,
    norm_with: np.ndarray | None = None,
) -> np.ndarray:
    r"""Correlate every input of ``x`` with ``k`` over 2 or 3 axes, one compiled pass.

    .. math:: y[b, n] = \sum_i k[b, i]\, x_{pad}[b, n s + i d]

    With ``norm_with`` (a second kernel ``k'`` of the same shape) the result is
    the Euclidean norm :math:`\sqrt{y^2 + y'^2}` of the two correlations (a
    gradient magnitude), computed in the same pass.

    Parameters
    ----------
    x : ndarray, shape ``(B, *S)``, or ``(B, *S, C)`` with ``lanes=True``
        Real float32 or float64; ``len(S)`` is 2 or 3.
    k : ndarray, shape ``(1 or B, *K)``
        The correlation kernel (no flip), same dtype as ``x``.
    pads, boundary, fill_value, stride, dilation
        As for the other methods: ``(before, after)`` per axis of ``S``, a
        :data:`~convolab.conv.boundary.BOUNDARIES` name, the constant, and ints
        per axis of ``S``.
    lanes : bool
        ``x``'s last axis is not convolved: every one of its ``C`` lanes is
        filtered alike (the channels of an interleaved image).
    norm_with : ndarray, shape like ``k``, optional
        The second kernel of a norm (:func:`math.hypot` where the squares overflow).

    Returns
    -------
    ndarray, shape ``(B, *O)`` (``(B, *O, C)`` with ``lanes``)
        ``O`` from :func:`~convolab.conv.geometry.output_length` per axis.

    Examples
    --------
    >>> lap = np.array([[[0., 1, 0], [1, -4, 1], [0, 1, 0]]])
    >>> correlate_stencil(np.eye(3)[None], lap, ((1, 1), (1, 1)), "constant", 0, (1, 1), (1, 1))
    array([[[-4.,  2.,  0.],
            [ 2., -4.,  2.],
            [ 0.,  2., -4.]]])
    """
    loops = compiled.LOOPS.load()
    if loops is None:
        raise RuntimeError("the stencil method needs Numba: pip install convolab[fast]")
    dtype = np.result_type(x, k)
    if dtype.kind != "f":
        raise ValueError(f"`method`='stencil' needs real data; got dtype {dtype}")
    x = np.ascontiguousarray(x, dtype=dtype)
    k = np.ascontiguousarray(k, dtype=dtype)
    C = x.shape[-1] if lanes else 1
    spatial = x.shape[1 : x.ndim - 1] if lanes else x.shape[1:]
    ksize = k.shape[1:]
    m = len(spatial)
    if m not in (2, 3) or len(ksize) != m:
        raise ValueError(f"`method`='stencil' convolves 2 or 3 axes; got {m}")
    eff = list(effective_sizes(ksize, dilation))
    out = [output_length(n, b, a, e, s) for n, (b, a), e, s in zip(spatial, pads, eff, stride)]
    B = x.shape[0]
    y = np.empty((B, *out, C) if lanes else (B, *out), dtype=dtype)
    if y.size == 0:
        return y
    if m == 2:  # a 2D problem is a 3D one of depth 1
        spatial, out, ksize = (1, *spatial), [1, *out], (1, *ksize)
        pads, stride, dilation = ((0, 0), *pads), (1, *stride), (1, *dilation)
        eff = [1, *eff]
    x4 = x.reshape(B, *spatial[:2], spatial[2] * C)
    y4 = y.reshape(B, *out[:2], out[2] * C)
    k4 = k.reshape(k.shape[0], *ksize)
    two = norm_with is not None
    k4b = np.ascontiguousarray(norm_with, dtype=dtype).reshape(k4.shape) if two else k4
    maps = [_index_map(n, b, a, boundary) for n, (b, a) in zip(spatial, pads)]
    fill = dtype.type(fill_value) if boundary == "constant" else dtype.type(0)
    shared = k.shape[0] == 1
    factors = [
        [rank1_factors(kb[0]) if ksize[0] == 1 else None for kb in kk[: 1 if shared else B]]
        for kk in ((k4, k4b) if two else (k4,))
    ]
    factors += factors[:1] if not two else []  # one kernel: its factors serve both
    empty = np.zeros(0, dtype=dtype)
    nothing = np.zeros((0, 0, 0), dtype=dtype)

    block = max(1, profile.STENCIL_BLOCK_BYTES // (dtype.itemsize * C))
    bands = _bands(B * out[0], out[1], y.size)
    tasks = [(b, od, r0, r1) for b in range(B) for od in range(out[0]) for r0, r1 in bands]
    plain = m == 2 and C == 1 and not two and stride == (1, 1, 1) and dilation == (1, 1, 1)
    fast = _unrolled(ksize[1:], factors[0]) if plain else None

    def general(b: int, od: int, r0: int, r1: int) -> None:
        i = 0 if shared else b
        v, h = factors[0][i] or (empty, empty)
        v2, h2 = factors[1][i] or (empty, empty)
        loops(x4, k4[i], y4, maps[0], maps[1], maps[2], pads[2][0], C, stride[0], stride[1],
              stride[2], dilation[0], dilation[1], dilation[2], fill, b, od, r0, r1, v, h, block,
              k4b[i] if two else nothing, v2, h2)  # fmt: skip

    def run(b: int, od: int, r0: int, r1: int) -> None:
        if fast is None:
            general(b, od, r0, r1)
            return
        # rows whose kernel rows are all in the image run on the unrolled kernel
        H, W = spatial[1:]
        top = pads[1][0]
        lo = min(max(r0, top), r1)
        hi = min(max(lo, H + top - ksize[1] + 1), r1)
        if lo > r0:
            general(b, od, r0, lo)
        if hi > lo:
            i = 0 if shared else b
            x0, y0 = (b * H + lo - top) * W, (b * out[1] + lo) * out[2]
            geometry = (maps[2], fill, x0, W, y0, out[2], hi - lo, out[2], W, pads[2][0])
            if fast[0] == "rank1":
                v, h = factors[0][i]
                tmp = np.empty(_RANK1_ROWS * maps[2].shape[0], dtype)
                fast[1](x4.reshape(-1), y4.reshape(-1), v, h, *geometry, tmp)
            else:
                fast[1](x4.reshape(-1), y4.reshape(-1), k4[i].reshape(-1), *geometry)
        if r1 > hi:
            general(b, od, hi, r1)

    parallel = y.size >= profile.STENCIL_PARALLEL_MIN_OUTPUTS and len(tasks) > 1
    run_tasks(run, tasks, parallel=parallel)
    return y


def gradient_norm(
    img: np.ndarray, kx: np.ndarray, ky: np.ndarray, boundary: str
) -> np.ndarray | None:
    r"""``sqrt((img ⋆ kx)^2 + (img ⋆ ky)^2)``, ``same`` mode over axes 0 and 1, in one pass.

    ``img`` is ``(rows, columns)`` or ``(rows, columns, channels)`` (each
    channel alike); ``kx`` and ``ky`` are 2D kernels of one shape. Returns None
    where the method does not apply (no Numba, a kernel too large), so that the
    caller takes two correlations instead. float32 stays float32; other inputs
    compute in float64.

    Shape: the result has ``img``'s shape.

    >>> img = np.zeros((4, 4)); img[:, 2:] = 1.0
    >>> sobel_x = np.outer([1.0, 2, 1], [-1.0, 0, 1])
    >>> g = gradient_norm(img, sobel_x, sobel_x.T.copy(), "edge")
    >>> g is None or g[0].tolist() == [0.0, 4.0, 4.0, 0.0]
    True
    """
    boundary = check_boundary(boundary)
    dtype = np.result_type(img.dtype, kx.dtype, ky.dtype)
    dtype = dtype if dtype.kind == "f" and dtype.itemsize in (4, 8) else np.dtype(np.float64)
    if kx.shape != ky.shape or kx.ndim != 2 or img.ndim not in (2, 3):
        return None
    if not applies(2, kx.shape, dtype) or not compiled.ready():  # not loaded: two calls
        return None
    x = np.ascontiguousarray(img, dtype=dtype)
    x = x.reshape(1, *img.shape[:2], -1)
    pads = tuple(mode_pads("same", n) for n in kx.shape)
    y = correlate_stencil(x, kx[None], pads, boundary, 0, (1, 1), (1, 1), lanes=True,
                          norm_with=ky[None])  # fmt: skip
    return y.reshape(img.shape)


@lru_cache(maxsize=64)
def _index_map(n: int, before: int, after: int, boundary: str) -> np.ndarray:
    """Source index of each padded position along one axis (-1: the fill), as int64.

    Remembered: the same image size is usually filtered many times (never written to).
    """
    return border_index(n, before, boundary, 0, n + before + after).astype(np.int64)


#: Scratch rows the generated rank-1 kernels use (at most 4 vertical sums at a time).
_RANK1_ROWS = 4


def _unrolled(ksize: tuple[int, ...], factors: list) -> tuple[str, object] | None:
    """``(kind, kernel)``: the generated kernel for a 2D kernel of shape ``ksize``, or None.

    A square kernel takes its rank-1 form (two 1D sums, ``2 k`` multiply-adds) from
    4 x 4 on where every input's kernel has one; up to 3 x 3, or without factors, the
    unrolled sum of every tap.
    """
    kh, kw = ksize
    if kh != kw:
        return None
    if kh > 3 and kh in compiled.RANK1_SIDES and all(f is not None for f in factors):
        return "rank1", compiled.kernel(f"rank1_{kh}")
    if kh in compiled.FULL_SIDES:
        return "full", compiled.kernel(f"full_{kh}x{kh}")
    return None


def _bands(planes: int, rows: int, size: int) -> list[tuple[int, int]]:
    """Row ranges of each output plane: enough bands for every thread, none too thin."""
    if size < profile.STENCIL_PARALLEL_MIN_OUTPUTS:
        return [(0, rows)]
    want = max(1, -(-profile.STENCIL_BANDS_PER_WORKER * n_workers() // planes))
    parts = max(1, min(want, rows // 8))
    edges = [rows * i // parts for i in range(parts + 1)]
    return list(zip(edges[:-1], edges[1:]))


def taps_per_output(ksize: tuple[int, ...], rank1: bool) -> int:
    """Multiply-adds per output: ``k_r + k_c`` for a rank-1 2D kernel, else all taps.

    >>> taps_per_output((5, 5), True), taps_per_output((5, 5), False)
    (10, 25)
    """
    return sum(ksize) if rank1 and len(ksize) == 2 else prod(ksize)


def estimate(p: Problem, k: np.ndarray | None = None) -> tuple[float, str] | None:
    """One compiled pass: memory per output, a multiply-add per tap (``k_r + k_c`` for a
    rank-1 2D kernel), the rows and the call; None where it does not apply or its loop is
    not loaded (see :mod:`convolab._jit.stencil`)."""
    dtype = np.dtype(f"f{p.itemsize}") if not p.complex and p.itemsize in (4, 8) else None
    if dtype is None or not applies(p.ndim, p.kernel, dtype, rank1=True) or not compiled.ready():
        return None
    rank1 = p.ndim == 2 and k is not None
    rank1 = rank1 and all(rank1_factors(kb) is not None for kb in k[:4])
    if not applies(p.ndim, p.kernel, dtype, rank1=rank1):
        return None
    taps = taps_per_output(p.kernel, rank1)
    nout = p.batch * prod(p.out)
    rows = p.batch * prod(p.out[:-1])
    t = cost_ns(nout, rows, taps, p.itemsize, profile.PARALLEL)
    kind = "rank-1 kernel, " if rank1 else ""
    return t, f"stencil {kind}{taps} multiply-adds per output, one compiled pass"


def _run(x: np.ndarray, k: np.ndarray, p: Problem) -> np.ndarray:
    return correlate_stencil(x, k, p.pads, p.boundary, p.fill_value, p.stride, p.dilation)


METHOD = Method("stencil", _run, estimate)
