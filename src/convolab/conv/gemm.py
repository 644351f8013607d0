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
    n_in = int(np.prod(spatial, dtype=np.int64))

    if ntaps <= npos and _SCATTER_GAIN * Og * n_in < Cg * npos:
        return _conv_scatter(x, wmat, ksize, pads, stride, dilation, out, groups)
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
    """Fill ``plane[g, c, n, *p] = x_pad[n, g, c, p*s + tap*d]`` (zero outside ``x``)."""
    lead = (slice(None),) * 3
    box = _tap_box(tap, pads, stride, dilation, xg.shape[3:], plane.shape[3:])
    if box is None:
        plane[...] = 0
        return
    dst, src = box
    plane[lead + dst] = np.moveaxis(xg[lead + src], 0, 2)
    for a, span in enumerate(dst):
        inner = lead + dst[:a]
        if span.start > 0:
            plane[inner + (slice(0, span.start),)] = 0
        if span.stop < plane.shape[3 + a]:
            plane[inner + (slice(span.stop, None),)] = 0


def _conv_scatter(
    x: np.ndarray,
    wmat: np.ndarray,
    ksize: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    out: tuple[int, ...],
    groups: int,
) -> np.ndarray:
    """GEMM first, then shift-and-add: for layers with fewer outputs than padded inputs.

    ``Z[n, g, (o, t), q] = sum_c w[g, o, c, t] x[n, g, c, q]`` (one product over the
    channels, on the unpadded input), then ``y[n, g, o, p] = sum_t Z[n, g, o, t,
    p*s + t*d - before]``. This touches ``O * K`` values per input sample instead
    of im2col's ``C * K`` per output position, and never multiplies padding zeros:
    the shape of a layer's input gradient (a full convolution that narrows channels).
    """
    N, C = x.shape[:2]
    G, Og, CgK = wmat.shape
    ntaps = int(np.prod(ksize, dtype=np.int64))
    Cg = CgK // ntaps
    spatial = x.shape[2:]
    n_in = int(np.prod(spatial, dtype=np.int64))
    dtype = wmat.dtype
    w2 = wmat.reshape(G, Og, Cg, ntaps).transpose(0, 1, 3, 2).reshape(G, Og * ntaps, Cg)
    xg = x.reshape(N, G, Cg, n_in)
    y = np.zeros((N, G, Og, *out), dtype=dtype)
    z_bytes = G * Og * ntaps * n_in * np.dtype(dtype).itemsize
    chunk = max(1, min(N, _CHUNK_BYTES // max(1, z_bytes)))
    lead = (slice(None),) * 3
    boxes = [
        (t, _tap_box(tap, pads, stride, dilation, spatial, out))
        for t, tap in enumerate(np.ndindex(*ksize))
    ]
    for n0 in range(0, N, chunk):
        n1 = min(N, n0 + chunk)
        z = np.matmul(w2, xg[n0:n1]).reshape(n1 - n0, G, Og, ntaps, *spatial)
        part = y[n0:n1]
        for t, box in boxes:
            if box is not None:
                dst, src = box
                part[lead + dst] += z[lead + (t,) + src]
    return y.reshape(N, G * Og, *out)


_LOCAL = threading.local()
_WORKSPACE_MAX = 1 << 28  # buffers up to 256 MiB are kept for the next call
_CHUNK_BYTES = 1 << 23  # im2col columns per batch chunk: about 8 MiB
# GEMM-then-shift-and-add replaces im2col when it moves this many times fewer values:
# measured 2.7x faster on LeNet-5's C3 input gradient (5.2x fewer), 1.2x slower on a
# 3x3 64->32 input gradient (2x fewer), where its skinny per-sample products lose.
_SCATTER_GAIN = 3


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
