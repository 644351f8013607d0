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
    if any(b or a for b, a in pads):
        x = np.pad(x, [(0, 0), (0, 0), *pads])
    spatial = x.shape[2:]
    eff = [d * (m - 1) + 1 for d, m in zip(dilation, ksize)]
    out = tuple(output_length(n, 0, 0, e, s) for n, e, s in zip(spatial, eff, stride))
    ntaps = int(np.prod(ksize, dtype=np.int64))
    npos = int(np.prod(out, dtype=np.int64))
    if N == 0 or O == 0 or npos == 0:
        return np.zeros((N, O, *out), dtype=dtype)

    # cols[g, (c, t), n, p]: channel c of group g at tap t, sample n, output position p.
    cols = np.empty((G, Cg, ntaps, N, npos), dtype=dtype)
    xg = x.reshape(N, G, Cg, *spatial)
    if ntaps <= npos:
        dest = cols.reshape(G, Cg, ntaps, N, *out)
        for t, tap in enumerate(np.ndindex(*ksize)):
            src = xg[
                (slice(None),) * 3
                + tuple(
                    slice(i * d, i * d + (m - 1) * s + 1, s)
                    for i, d, m, s in zip(tap, dilation, out, stride)
                )
            ]
            dest[:, :, t] = np.moveaxis(src, 0, 2)
    else:
        dest = cols.reshape(G, Cg, *ksize, N, npos)
        for p, pos in enumerate(np.ndindex(*out)):
            src = xg[
                (slice(None),) * 3
                + tuple(
                    slice(q * s, q * s + (m - 1) * d + 1, d)
                    for q, s, m, d in zip(pos, stride, ksize, dilation)
                )
            ]
            dest[..., p] = np.moveaxis(src, 0, -1)

    wmat = w.reshape(G, Og, Cg * ntaps).astype(dtype, copy=False)
    y = np.matmul(wmat, cols.reshape(G, Cg * ntaps, N * npos))  # (G, Og, N*npos)
    y = y.reshape(G, Og, N, npos).transpose(2, 0, 1, 3)
    return np.ascontiguousarray(y).reshape(N, O, *out)
