"""The stencil method's compiled loops (see :mod:`convolab.conv.methods.stencil`).

Module-level Numba functions, so that their compiled code is cached on disk and
loaded, not compiled, by the next process (functions built inside another
function are not: their cache entry never matched, and every process compiled
them again, 26-29 s on a loaded machine). :mod:`convolab._jit.stencil` imports
this module only when Numba is there; without it the functions stay plain Python.
"""

import math

import numpy as np

try:
    from numba import njit

    jit = njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
except ImportError:  # pragma: no cover - importable (for doctest collection) without Numba

    def jit(fn):
        return fn


@jit
def madd4(dst, assign, n, base, o, w):  # pragma: no cover
    """``dst[:n] (=|+=) sum_{t<4} w[t] base[o[t] :][:n]``: four taps in one pass.

    All runs are read from the one array ``base`` at unsigned offsets: the
    compiler then needs a single overlap check against ``dst`` (it vectorizes
    a loop with at most 8 such checks) and no negative-index test.
    """
    w0, w1, w2, w3 = w[0], w[1], w[2], w[3]
    o0, o1, o2, o3 = o[0], o[1], o[2], o[3]
    if assign:
        for q in range(n):
            u = np.uint64(q)
            dst[q] = (w0 * base[o0 + u] + w1 * base[o1 + u] + w2 * base[o2 + u]
                      + w3 * base[o3 + u])  # fmt: skip
    else:
        for q in range(n):
            u = np.uint64(q)
            dst[q] = (dst[q] + w0 * base[o0 + u] + w1 * base[o1 + u] + w2 * base[o2 + u]
                      + w3 * base[o3 + u])  # fmt: skip

@jit
def madd9(dst, assign, n, base, o, w):  # pragma: no cover
    """``dst[:n] (=|+=) sum_{t<9} w[t] base[o[t] :][:n]``: nine taps (a 3x3) in one pass."""
    w0, w1, w2, w3, w4, w5, w6, w7, w8 = w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
    o0, o1, o2, o3, o4, o5, o6, o7, o8 = o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8]
    if assign:
        for q in range(n):
            u = np.uint64(q)
            dst[q] = (w0 * base[o0 + u] + w1 * base[o1 + u] + w2 * base[o2 + u]
                      + w3 * base[o3 + u] + w4 * base[o4 + u] + w5 * base[o5 + u]
                      + w6 * base[o6 + u] + w7 * base[o7 + u] + w8 * base[o8 + u])  # fmt: skip
    else:
        for q in range(n):
            u = np.uint64(q)
            dst[q] = (dst[q] + w0 * base[o0 + u] + w1 * base[o1 + u] + w2 * base[o2 + u]
                      + w3 * base[o3 + u] + w4 * base[o4 + u] + w5 * base[o5 + u]
                      + w6 * base[o6 + u] + w7 * base[o7 + u] + w8 * base[o8 + u])  # fmt: skip

@jit
def sum_taps(dst, assign, n, base, starts, wts, zero_at, o, w):  # pragma: no cover
    """``dst[:n] (=|+=) sum_t wts[t] base[starts[t] :][:n]``, up to nine taps a pass.

    A pass of fewer taps reads runs of zeros at ``zero_at`` for the rest (finite:
    they add exact zeros, so NaN and inf still propagate as defined). ``o`` and
    ``w`` are scratch for one pass's offsets (uint64) and weights (9 each).
    """
    T = starts.shape[0]
    for g in range(0, T, 9):
        m = min(9, T - g)
        for t in range(9):
            o[t] = np.uint64(starts[g + t] if t < m else zero_at)
            w[t] = wts[g + t] if t < m else 0
        if m <= 4:
            madd4(dst, assign and g == 0, n, base, o, w)
        else:
            madd9(dst, assign and g == 0, n, base, o, w)

@jit
def strided_taps(dst, assign, src, w, C, sw, dw, n_cols):  # pragma: no cover
    """``dst[c, l] (=|+=) sum_j w[j] src[(c sw + j dw) C + l]``: one row of taps, any stride."""
    for c in range(n_cols):
        for lane in range(C):
            acc = dst.dtype.type(0) if assign else dst[c * C + lane]
            for j in range(w.shape[0]):
                acc += w[j] * src[(c * sw + j * dw) * C + lane]
            dst[c * C + lane] = acc

@jit
def pad_row(x, b, sd, sh, wmap, lo, C, fill, dest):  # pragma: no cover
    """Padded row ``dest`` (``len(wmap)`` columns of ``C`` lanes) of input row ``(sd, sh)``.

    Columns ``lo .. lo + W`` are the row itself; the others come from ``wmap``.
    """
    n_cols = wmap.shape[0]
    if sd < 0 or sh < 0:
        for q in range(n_cols * C):
            dest[q] = fill
        return
    src = x[b, sd, sh]
    hi = min(lo + src.shape[0] // C, n_cols)
    d = dest[lo * C : hi * C]
    s = src[: (hi - lo) * C]
    for q in range(d.shape[0]):
        d[q] = s[q]
    for c in range(lo):
        sc = wmap[c]
        for lane in range(C):
            dest[c * C + lane] = fill if sc < 0 else src[sc * C + lane]
    for c in range(hi, n_cols):
        sc = wmap[c]
        for lane in range(C):
            dest[c * C + lane] = fill if sc < 0 else src[sc * C + lane]

@jit
def tap_table(kb, v, dw, C):  # pragma: no cover
    """Per tap of a pass over the ring: kernel plane, kernel row, lane offset, weight."""
    KD, KH, KW = kb.shape
    rank1 = v.shape[0] > 0
    T = KH if rank1 else KD * KH * KW
    plane = np.zeros(T, np.int64)
    krow = np.arange(T)
    offs = np.zeros(T, np.int64)
    if not rank1:
        for t in range(T):
            plane[t] = t // (KW * KH)
            krow[t] = (t // KW) % KH
            offs[t] = (t % KW) * dw * C
    wts = v.copy() if rank1 else kb.copy().reshape(T)
    return plane, krow, offs, wts

@jit
def block_of(out, nc, a0, r, sh, dh, RH, n_pad, flat, zero_at, table, h, tmp, span,
             starts, sw, dw, C, o, w):  # pragma: no cover  # fmt: skip
    """``nc`` columns of one output row of one kernel, from the padded rows in the ring."""
    plane, krow, offs, wts = table
    T = wts.shape[0]
    for t in range(T):
        starts[t] = (plane[t] * RH + (r * sh + krow[t] * dh) % RH) * n_pad + a0 + offs[t]
    KW = h.shape[0]
    if KW > 0:  # rank 1: the vertical sum into tmp, then the horizontal one
        n_in = min(span, n_pad - a0)
        sum_taps(tmp, True, n_in, flat, starts, wts, zero_at, o, w)
        if sw == 1:
            h_starts = np.arange(KW) * (dw * C)
            sum_taps(out, True, nc * C, tmp, h_starts, h, span, o, w)
        else:
            strided_taps(out, True, tmp, h, C, sw, dw, nc)
    elif sw == 1:
        sum_taps(out, True, nc * C, flat, starts, wts, zero_at, o, w)
    else:
        kw = T // (plane[T - 1] + 1) // (krow.max() + 1)
        for t in range(0, T, kw):
            strided_taps(out, t == 0, flat[starts[t] :], wts[t : t + kw], C, sw, dw, nc)

@jit
def norm_into(a, b, n, scratch):  # pragma: no cover
    """``a[:n] = sqrt(a^2 + b^2)``, with :func:`math.hypot` where the squares overflow."""
    overflow = 0
    for q in range(n):
        s = a[q] * a[q] + b[q] * b[q]
        scratch[q] = np.sqrt(s)
        overflow += s == np.inf
    if overflow:
        for q in range(n):
            if scratch[q] == np.inf:
                scratch[q] = math.hypot(a[q], b[q])
    for q in range(n):
        a[q] = scratch[q]

@jit
def rows(x, kb, y, dmap, hmap, wmap, pl, C, sd, sh, sw, dd, dh, dw, fill, b, od, r0, r1,
         v, h, block, kb2, v2, h2):  # pragma: no cover  # fmt: skip
    """Output rows ``r0 .. r1`` of plane ``od`` of input ``b``, ``block`` columns at a time.

    With a second kernel ``kb2`` (non-empty), the output is the Euclidean norm
    of the two correlations, computed in the same pass.
    """
    KD, KH, KW = kb.shape
    n_cols = y.shape[3] // C
    n_pad = wmap.shape[0] * C
    RH = dh * (KH - 1) + 1  # ring slots per kernel plane: every padded row the kernel spans
    ring = np.zeros((KD * RH + 1, n_pad), y.dtype)  # the last row stays zero
    flat = ring.reshape(-1)
    zero_at = KD * RH * n_pad
    tags = np.full(KD * RH, -1, np.int64)
    span = ((block - 1) * sw + dw * (KW - 1) + 1) * C  # padded lanes a block reads
    tmp = np.zeros(2 * span, y.dtype)  # a run of vertical sums, then zeros
    table = tap_table(kb, v, dw, C)
    starts = np.empty(table[3].shape[0], np.int64)
    o = np.empty(9, np.uint64)
    w = np.zeros(9, y.dtype)
    two = kb2.size > 0
    table2 = tap_table(kb2 if two else kb, v2, dw, C)
    starts2 = np.empty(table2[3].shape[0], np.int64)
    acc2 = np.empty(block * C if two else 0, y.dtype)
    scratch = np.empty(block * C if two else 0, y.dtype)
    for r in range(r0, r1):
        dst = y[b, od, r]
        for i_d in range(KD):  # bring the rows in
            src_d = dmap[od * sd + i_d * dd]
            for i_h in range(KH):
                ph = r * sh + i_h * dh
                slot = i_d * RH + ph % RH
                if tags[slot] != ph:
                    pad_row(x, b, src_d, hmap[ph], wmap, pl, C, fill, ring[slot])
                    tags[slot] = ph
        for c0 in range(0, n_cols, block):
            nc = min(block, n_cols - c0)
            out = dst[c0 * C : (c0 + nc) * C]
            a0 = c0 * sw * C  # first padded lane the block reads
            block_of(out, nc, a0, r, sh, dh, RH, n_pad, flat, zero_at, table, h, tmp, span,
                     starts, sw, dw, C, o, w)  # fmt: skip
            if two:
                block_of(acc2, nc, a0, r, sh, dh, RH, n_pad, flat, zero_at, table2, h2, tmp,
                         span, starts2, sw, dw, C, o, w)  # fmt: skip
                norm_into(out, acc2, nc * C, scratch)
