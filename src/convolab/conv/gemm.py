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
BLAS call.
"""

from __future__ import annotations

import threading

import numpy as np

from convolab.conv.padding import output_length

__all__ = ["conv_gemm"]


def conv_gemm(
    x: np.ndarray,
    w: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int = 1,
) -> np.ndarray:
    """Batched multi-channel cross-correlation with zero padding ``pads``.

    Parameters
    ----------
    x : ndarray, shape ``(N, C, *S)``
    w : ndarray, shape ``(O, C // groups, *K)``
    pads : ``(before, after)`` zero padding per spatial axis.
    stride, dilation : per spatial axis.
    groups : channels split into ``groups`` independent convolutions.

    Returns
    -------
    ndarray, shape ``(N, O, *out)`` with ``out = floor((S + p - d*(K-1) - 1) / s) + 1``.

    >>> x = np.arange(8.).reshape(1, 2, 4)
    >>> w = np.ones((1, 2, 2))
    >>> conv_gemm(x, w, ((0, 0),), (1,), (1,))
    array([[[10., 14., 18.]]])
    """
    N, C = x.shape[:2]
    O, Cg = w.shape[:2]
    ksize = w.shape[2:]
    G = groups
    Og = O // G
    dtype = np.result_type(x, w)
    spatial = x.shape[2:]
    eff = [d * (m - 1) + 1 for d, m in zip(dilation, ksize)]
    out = tuple(
        output_length(n, b, a, e, s) for n, (b, a), e, s in zip(spatial, pads, eff, stride)
    )
    ntaps = int(np.prod(ksize, dtype=np.int64))
    npos = int(np.prod(out, dtype=np.int64))
    if N == 0 or O == 0 or npos == 0:
        return np.zeros((N, O, *out), dtype=dtype)
    wmat = w.reshape(G, Og, Cg * ntaps).astype(dtype, copy=False)

    if ntaps <= npos:
        # One strided copy per kernel tap: cols[g, (c, t), (n, p)], then W @ cols.
        # Zero padding is never materialized: each tap copies the box of outputs
        # whose sample lies inside x and zeroes the frame around it.
        # The batch runs in chunks so that each chunk's columns stay in cache.
        xg = x.reshape(N, G, Cg, *spatial)
        col_bytes = G * Cg * ntaps * npos * np.dtype(dtype).itemsize
        chunk = max(1, min(N, _CHUNK_BYTES // max(1, col_bytes)))
        y = np.empty((N, G, Og, npos), dtype=dtype)
        for n0 in range(0, N, chunk):
            n1 = min(N, n0 + chunk)
            cols = _workspace((G, Cg, ntaps, n1 - n0, *out), dtype)
            for t, tap in enumerate(np.ndindex(*ksize)):
                _copy_tap(cols[:, :, t], xg[n0:n1], tap, pads, stride, dilation)
            part = np.matmul(wmat, cols.reshape(G, Cg * ntaps, (n1 - n0) * npos))
            y[n0:n1] = part.reshape(G, Og, n1 - n0, npos).transpose(2, 0, 1, 3)
        return y.reshape(N, O, *out)

    # Many taps, few outputs (a layer's weight gradient): one copy per output
    # position (a kernel-sized window), rows[g, (n, p), (c, t)], then rows @ W^T.
    # The contraction over channels runs in chunks whose rows stay in cache.
    if any(b or a for b, a in pads):
        x = np.pad(x, [(0, 0), (0, 0), *pads])
    xg = x.reshape(N, G, Cg, *x.shape[2:])
    row_bytes = G * N * npos * ntaps * np.dtype(dtype).itemsize
    chunk = max(1, min(Cg, _CHUNK_BYTES // max(1, row_bytes)))
    wt = wmat.reshape(G, Og, Cg, ntaps)
    y = np.zeros((G, N * npos, Og), dtype=dtype)
    for c0 in range(0, Cg, chunk):
        c1 = min(Cg, c0 + chunk)
        rows = _workspace((G, N, npos, c1 - c0, *ksize), dtype)
        for p, pos in enumerate(np.ndindex(*out)):
            src = xg[
                (slice(None), slice(None), slice(c0, c1))
                + tuple(
                    slice(q * s, q * s + (m - 1) * d + 1, d)
                    for q, s, m, d in zip(pos, stride, ksize, dilation)
                )
            ]
            rows[:, :, p] = np.moveaxis(src, 1, 0)
        wpart = wt[:, :, c0:c1].reshape(G, Og, (c1 - c0) * ntaps)
        y += np.matmul(rows.reshape(G, N * npos, (c1 - c0) * ntaps), wpart.transpose(0, 2, 1))
    y = y.reshape(G, N, npos, Og).transpose(1, 0, 3, 2)
    return np.ascontiguousarray(y).reshape(N, O, *out)


def _copy_tap(
    plane: np.ndarray,
    xg: np.ndarray,
    tap: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> None:
    """Fill ``plane[g, c, n, *p] = x_pad[n, g, c, p*s + tap*d]`` (zero outside ``x``)."""
    lead = (slice(None),) * 3
    dst, src = [], []
    for i, (b, _), s, d, n, m in zip(tap, pads, stride, dilation, xg.shape[3:], plane.shape[3:]):
        offset = i * d - b  # sample index of output 0
        lo = min(m, max(0, -(offset // s)))  # first output with a sample >= 0
        hi = min(m, max(0, -((offset - n) // s)))  # first output with a sample >= n
        if hi <= lo:
            plane[...] = 0
            return
        first = lo * s + offset
        dst.append(slice(lo, hi))
        src.append(slice(first, first + (hi - lo - 1) * s + 1, s))
    plane[lead + tuple(dst)] = np.moveaxis(xg[lead + tuple(src)], 0, 2)
    for a, box in enumerate(dst):
        inner = lead + tuple(dst[:a])
        if box.start > 0:
            plane[inner + (slice(0, box.start),)] = 0
        if box.stop < plane.shape[3 + a]:
            plane[inner + (slice(box.stop, None),)] = 0


_LOCAL = threading.local()
_WORKSPACE_MAX = 1 << 28  # buffers up to 256 MiB are kept for the next call
_CHUNK_BYTES = 1 << 23  # im2col columns per batch chunk: about 8 MiB


def _workspace(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A scratch array reused across calls (per thread), sparing fresh pages each time."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if nbytes > _WORKSPACE_MAX:
        return np.empty(shape, dtype=dtype)
    buf = getattr(_LOCAL, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        buf = np.empty(max(nbytes, 1 << 20), dtype=np.uint8)
        _LOCAL.buf = buf
    return buf[:nbytes].view(dtype).reshape(shape)
