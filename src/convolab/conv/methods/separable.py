"""Separable method: a kernel as a sum of outer products, run as 1D passes.

A 2D kernel of rank ``r`` is ``k = sum_j s_j u_j v_j^T`` (its SVD), so

.. math:: x \\star k = \\sum_{j=1}^{r} s_j\\, (x \\star_0 u_j) \\star_1 v_j

``r`` pairs of 1D passes (``k_h + k_w`` multiply-adds per output each) instead
of ``k_h k_w``. Gaussian, box and Sobel kernels have rank 1. The rank counts
the singular values above ``max(k.shape) * eps * s_max`` (``eps`` of the
kernel's precision, as :func:`numpy.linalg.matrix_rank` does), so the passes
reproduce the kernel to rounding; the planner only chooses this method when
``r (k_h + k_w) < k_h k_w``.

In 2D the passes are fused band by band, so no intermediate image is ever
made: for a band of ``L`` output rows, the vertical pass is one matrix product
``T_u @ x[rows]`` with the banded (Toeplitz) matrix ``T_u[r, r s + i d] = u[i]``
(BLAS speed, no copy of the input rows), written straight into a small buffer
whose border columns are then filled by the boundary rule (the vertical pass
commutes with padding the columns); the horizontal pass is a shift-and-add
over that buffer while it is in cache (with a zero border and ``same`` width,
over unpadded rows, in place, see :mod:`convolab.conv.methods.direct`). In more
dimensions the kernel is unfolded along its first axis and the remaining
factor is separated again, recursively, each 1D pass being the direct method.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

import numpy as np

from convolab.conv import profile
from convolab.conv.boundary import pad, source_index, zero_border
from convolab.conv.geometry import effective_size, output_length
from convolab.conv.methods import Method, Problem, describe
from convolab.conv.methods.direct import (
    all_finite,
    correlate_direct,
    dilate_row,
    fill_slab,
    row_block,
    row_buffer,
    row_gemm_applies,
    row_gemm_ns,
    rows_in_place,
    rows_toeplitz,
    sum_taps,
    taps_speedup,
    toeplitz,
)
from convolab.runtime.threads import n_workers, run_tasks
from convolab.runtime.workspace import recycled

__all__ = ["correlate_separable", "kernel_rank", "rank_tolerance", "separate"]

def rank_tolerance(k: np.ndarray) -> float:
    """Relative cut for singular values: ``max(k.shape) * eps(k.dtype)``.

    >>> rank_tolerance(np.ones((5, 5), np.float32)) > rank_tolerance(np.ones((5, 5)))
    True
    """
    dt = k.dtype if k.dtype.kind in "fc" else np.dtype(np.float64)
    return max(k.shape) * float(np.finfo(dt).eps)


def separate(k: np.ndarray, tol: float | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split ``k`` into ``[(u_j, rest_j)]`` with ``k = sum_j outer(u_j, rest_j)``.

    ``u_j`` is 1D along the first axis, ``rest_j`` has the remaining axes. The
    number of terms is the numerical rank of ``k`` unfolded as ``(K_0, K_1 K_2 ...)``:
    singular values above ``tol * s_max`` (default :func:`rank_tolerance`).

    >>> terms = separate(np.outer([1., 2., 1.], [1., 0., -1.]))
    >>> len(terms)
    1
    >>> np.allclose(np.outer(*terms[0]), np.outer([1., 2., 1.], [1., 0., -1.]))
    True
    """
    if tol is None:
        tol = rank_tolerance(k)
    rows = k.shape[0]
    mat = k.reshape(rows, -1)
    if not np.isfinite(mat).all():
        raise ValueError("a kernel with NaN or inf cannot be separated")
    u, s, vt = np.linalg.svd(mat, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return []
    rank = int(np.count_nonzero(s > tol * s[0]))
    return [(u[:, j] * s[j], vt[j].reshape(k.shape[1:])) for j in range(rank)]


def kernel_rank(k: np.ndarray, tol: float | None = None) -> int:
    """Numerical rank of ``k`` unfolded along its first axis (0 for a zero kernel).

    >>> kernel_rank(np.outer([1., 4., 6., 4., 1.], [1., 4., 6., 4., 1.]))
    1
    >>> kernel_rank(np.array([[0., 1, 0], [1, -4, 1], [0, 1, 0]]))
    2
    """
    if not np.isfinite(k).all():
        return min(k.shape[0], int(np.prod(k.shape[1:])))
    # The singular values alone, as separate() counts them: the full SVD's products of U and V
    # took 0.1-0.2 s for a 63 x 63 kernel on a loaded 2-core machine (OpenBLAS's threads
    # waiting for a core), the values alone 0.3 ms.
    s = np.linalg.svd(k.reshape(k.shape[0], -1), compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.count_nonzero(s > (rank_tolerance(k) if tol is None else tol) * s[0]))


def _pass(
    x: np.ndarray, k1: np.ndarray, axis: int, m: int, stride: Sequence[int], dilation: Sequence[int]
) -> np.ndarray:
    """Valid 1D correlation of ``x`` (``(B, *S)``) along spatial ``axis`` with ``k1``."""
    shape = [1] * m
    shape[axis] = k1.size
    s = [1] * m
    s[axis] = stride[axis]
    d = [1] * m
    d[axis] = dilation[axis]
    k1 = k1.reshape(1, *shape)
    problem = describe(x, k1, ((0, 0),) * m, stride=tuple(s), dilation=tuple(d))
    return correlate_direct(x, k1, problem)


def _correlate_valid(
    x: np.ndarray, k: np.ndarray, axis0: int, stride: Sequence[int], dilation: Sequence[int]
) -> np.ndarray:
    """Valid correlation over spatial axes ``axis0..`` of ``x`` by recursive separation."""
    m = x.ndim - 1
    if k.ndim == 1:
        return _pass(x, k, axis0, m, stride, dilation)
    terms = separate(k)
    if not terms:
        terms = [(np.zeros(k.shape[0], k.dtype), np.zeros(k.shape[1:], k.dtype))]
    y = None
    for u, rest in terms:
        part = _correlate_valid(
            _pass(x, u, axis0, m, stride, dilation), rest, axis0 + 1, stride, dilation
        )
        y = part if y is None else np.add(y, part, out=y)
    return y


def _vertical_matrix(u: np.ndarray, rows: int, s: int, d: int) -> np.ndarray:
    """``T`` of shape ``(rows, (rows-1) s + (K-1) d + 1)`` with ``T[r, r s + i d] = u[i]``."""
    K = u.shape[0]
    T = np.zeros((rows, (rows - 1) * s + (K - 1) * d + 1), dtype=u.dtype)
    r = np.arange(rows)
    for i in range(K):
        T[r, r * s + i * d] = u[i]
    return T


def _correlate_2d(
    x: np.ndarray,
    k: np.ndarray,
    pads: Sequence[tuple[int, int]],
    boundary: str,
    fill_value: complex,
    stride: Sequence[int],
    dilation: Sequence[int],
) -> np.ndarray:
    """Fused 2D passes, band by band (see the module notes)."""
    B, (H, W) = x.shape[0], x.shape[1:]
    (kh, kw), (s0, s1), (d0, d1) = k.shape[1:], stride, dilation
    eff0, eff1 = effective_size(kh, d0), effective_size(kw, d1)
    (pt, pb), (pl, pr) = pads
    Ho, Wo = output_length(H, pt, pb, eff0, s0), output_length(W, pl, pr, eff1, s1)
    dtype = np.result_type(x, k)
    y = recycled((B, Ho, Wo), dtype)
    if y.size == 0:
        return y
    shared = k.shape[0] == 1
    termsets = []
    for kb in k[:1] if shared else k:
        terms = separate(kb) or [(np.zeros(kh, dtype), np.zeros(kw, dtype))]
        termsets.append([(u.astype(dtype), v.astype(dtype).reshape(1, kw)) for u, v in terms])
    band = max(1, min(Ho, profile.BAND_BYTES // max(1, (W + pl + pr) * y.itemsize * s0)))
    if B * -(-Ho // band) < n_workers() and Ho > 1:
        band = max(1, -(-Ho // n_workers()))
    mats = {}  # (term set, term, rows) -> vertical matrix
    for t, terms in enumerate(termsets):
        for j, (u, _) in enumerate(terms):
            for rows in {band, Ho - (Ho // band) * band or band}:
                mats[t, j, rows] = _vertical_matrix(u, rows, s0, d0)
    zero_fill = zero_border(boundary, fill_value)
    col_src = source_index(W, pl, pr, boundary)
    htaps = [(0, i) for i in range(kw)]
    tasks = [(b, r0, min(r0 + band, Ho)) for b in range(B) for r0 in range(0, Ho, band)]
    in_place = zero_fill and s1 == 1 and Wo == W
    row_gemm = s1 == 1 and kw >= profile.ROW_TOEPLITZ_MIN_TAPS
    hmats = {}
    if row_gemm:
        L = row_block(eff1)
        hmats = {
            t: [toeplitz(dilate_row(v[0], d1), L) for _, v in terms]
            for t, terms in enumerate(termsets)
        }

    def run(b: int, r0: int, r1: int) -> None:
        terms = termsets[0 if shared else b]
        rows = r1 - r0
        p0 = r0 * s0
        nrows = (rows - 1) * s0 + eff0
        # Input rows of the band (padded coordinates p0 .. p0 + nrows), columns unpadded.
        lo, hi = max(p0 - pt, 0), min(p0 - pt + nrows, H)
        if zero_fill or (lo == p0 - pt and hi == p0 - pt + nrows):
            rows_x = x[b, lo:hi]
            c0, c1 = lo - (p0 - pt), hi - (p0 - pt)  # the matrix columns they meet
        else:
            rows_x = fill_slab(x[b], p0, [(pt, pb), (0, 0)], boundary, fill_value, nrows)
            c0, c1 = 0, nrows
        out = y[b, r0:r1]
        tmp = None
        with np.errstate(invalid="ignore", over="ignore"):
            finite = all_finite(rows_x)
            if finite and in_place and not row_gemm:
                # vertical products into rows 1..R of a buffer of unpadded rows (rows 0 and
                # R+1 are zeros for the wrapped reads), horizontal taps in place
                zrows = np.empty((rows + 2, W), dtype=dtype)
                zrows[0] = 0
                zrows[-1] = 0
                for j, (_, v) in enumerate(terms):
                    z = zrows[1:-1]
                    np.matmul(mats[0 if shared else b, j, rows][:, c0:c1], rows_x, out=z)
                    if j == 0:
                        target = out
                    else:
                        tmp = np.empty_like(out) if tmp is None else tmp
                        target = tmp
                    taps = [t for t in htaps if v[t] != 0]
                    if not taps:
                        target[...] = 0
                    elif not rows_in_place(zrows, v, taps, ((0, 0), (pl, pr)), (1, d1), target, 1):
                        zbuf = np.zeros((rows, W + pl + pr), dtype=dtype)  # overflowed to inf
                        zbuf[:, pl : pl + W] = z
                        sum_taps(zbuf, v, htaps, target, (1, 1), (1, d1))
                    if j:
                        out += tmp
                return
            width = W + pl + pr
            if finite and row_gemm:  # the horizontal pass as a Toeplitz product over the rows
                flat = row_buffer(rows, width, hmats[0 if shared else b][0], dtype)
                zbuf = flat[: rows * width].reshape(rows, width)
            else:
                zbuf = np.empty((rows, width), dtype=dtype)
            for j, (u, v) in enumerate(terms):
                z = zbuf[:, pl : pl + W]
                if finite:
                    np.matmul(mats[0 if shared else b, j, rows][:, c0:c1], rows_x, out=z)
                else:  # a matrix product would spread inf/nan through T's zeros
                    full = fill_slab(x[b], p0, [(pt, pb), (0, 0)], boundary, fill_value, nrows)
                    sum_taps(full, u.reshape(kh, 1), [(i, 0) for i in range(kh)], z,
                              (s0, 1), (d0, 1))
                if boundary == "constant":
                    zbuf[:, :pl] = fill_value * u.sum()
                    zbuf[:, pl + W :] = fill_value * u.sum()
                else:
                    if pl:
                        zbuf[:, :pl] = zbuf[:, col_src[:pl] + pl]
                    if pr:
                        zbuf[:, pl + W :] = zbuf[:, col_src[pl + W :] + pl]
                if j == 0:
                    target = out
                else:
                    tmp = np.empty_like(out) if tmp is None else tmp
                    target = tmp
                if finite and row_gemm and all_finite(zbuf):
                    rows_toeplitz(flat, rows, width, hmats[0 if shared else b][j], target)
                else:
                    taps = htaps if not finite else [t for t in htaps if v[t] != 0]
                    sum_taps(zbuf, v, taps, target, (1, s1), (1, d1))
                if j:
                    out += tmp

    parallel = y.size * (kh + kw) >= profile.PARALLEL_MIN_WORK and (
        row_gemm or profile.TAPS_IN_PARALLEL
    )
    run_tasks(run, tasks, parallel=parallel, blas=True)
    return y


def correlate_separable(x: np.ndarray, k: np.ndarray, p: Problem) -> np.ndarray:
    r"""Correlate every row of ``x`` (``(B, *S)``) with ``k`` (``(1 or B, *K)``) by 1D passes.

    .. math:: y = \sum_j s_j\, (x_{pad} \star_0 u_j) \star_1 v_j,
              \qquad k = \sum_j s_j\, u_j v_j^T

    >>> x = np.arange(16.).reshape(1, 4, 4)
    >>> k = np.ones((1, 3, 3))
    >>> correlate_separable(x, k, describe(x, k, ((0, 0), (0, 0))))
    array([[[45., 54.],
            [81., 90.]]])
    """
    pads, boundary, fill_value, stride, dilation = (
        p.pads, p.boundary, p.fill_value, p.stride, p.dilation
    )  # fmt: skip
    m = k.ndim - 1
    if m == 1 or not np.isfinite(k).all():
        return correlate_direct(x, k, p)
    if m == 2:
        return _correlate_2d(x, k, pads, boundary, fill_value, stride, dilation)
    xp = pad(x, pads, boundary, fill_value)
    if k.shape[0] == 1:
        return _correlate_valid(xp, k[0], 0, stride, dilation)
    return np.concatenate(
        [_correlate_valid(xp[b : b + 1], k[b], 0, stride, dilation) for b in range(k.shape[0])]
    )


# --------------------------------------------------------------------------- cost and registry


def _largest_rank(p: Problem, k: np.ndarray | None) -> int | None:
    """Largest SVD rank over the (first few) kernels, or None if not worth computing."""
    if k is None or len(p.kernel) < 2 or prod(p.kernel) > profile.SVD_MAX * profile.SVD_MAX:
        return None
    if not np.isfinite(k).all():
        return None
    return max(kernel_rank(kb) for kb in k[:8])


def estimate(p: Problem, k: np.ndarray | None = None) -> tuple[float, str] | None:
    """Per SVD term: a banded product for the vertical pass and the horizontal passes."""
    rank = _largest_rank(p, k)
    if rank is None:
        return None
    kh, kw = p.kernel[0], prod(p.kernel[1:])
    nout = p.batch * prod(p.out)
    r = max(rank, 1)
    if len(p.kernel) == 2:
        band = profile.BAND_ROWS
        cols = (band - 1) * p.stride[0] + effective_size(kh, p.dilation[0])
        width = p.spatial[1] + sum(p.pads[1])
        macs = cols * width / max(1, band * p.out[1]) * band  # per output, vertical product
        if row_gemm_applies(p):
            horizontal = row_gemm_ns(p)
            speedup = profile.PARALLEL
        else:  # multiply-adds, border columns, the band buffer
            horizontal = (2 * kw + 2) * profile.pass_ns(p.itemsize)
            horizontal *= profile.strided_pass(p.stride[-1], p.input_bytes)
            speedup = taps_speedup()
        t = r * nout * (macs * profile.blas_thin_ns(p.itemsize) + horizontal) / speedup
        t += (p.batch * -(-p.out[0] // band)) * profile.TILE_NS * r / speedup
        t *= profile.SEPARABLE_2D_SCALE
    else:
        t = r * nout * 2 * sum(p.kernel) * profile.pass_ns(p.itemsize) * 2
    desc = "x".join(map(str, p.kernel))
    return t, f"rank-{r} {desc} kernel as {r} x ({kh} + {kw}) taps"



METHOD = Method("separable", correlate_separable, estimate)
