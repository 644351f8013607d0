"""Reference implementations of the convolution definitions, written as plain loops.

Nothing here imports from ``convolab``: these functions restate the contract
(architecture §2) as directly as possible so that the engine can be checked against
them.  They are slow on purpose (explicit Python loops over output positions and
kernel taps) and are meant for tiny arrays only.

Definitions used (per convolved axis, kernel size ``k``, dilation ``d``,
dilated size ``K = d*(k-1) + 1``):

* correlate: ``y[n] = sum_i xpad[n*s + i*d] * conj(k[i])`` (``conj`` only for
  complex kernels, as ``scipy.signal.correlate`` does);
* convolve: the same with the kernel flipped along the convolved axes (no
  conjugation);
* ``full`` pads ``K-1`` on both sides, ``same`` pads ``K//2`` before and
  ``(K-1)//2`` after (centred on ``full`` like ``scipy.signal``), ``valid`` pads
  nothing; if the dilated kernel is at least as large as the input in every axis,
  ``valid`` is the centred slice of ``full`` of length ``K-n+1`` (SciPy's rule);
* the padded samples come from the boundary rule, computed here by explicit index
  arithmetic (not ``numpy.pad``);
* stride keeps every ``s``-th output of the unstrided result, starting with the
  first.

The end of the module holds the comparison tolerance and the Hypothesis
strategies that the ``test_conv_*`` files share.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = [
    "BOUNDARIES",
    "DTYPES",
    "METHODS",
    "MODES",
    "array_of",
    "assert_conv_close",
    "boundary_index",
    "conv_atol",
    "conv_cases",
    "conv_nd_ref",
    "convolve_ref",
    "correlate_ref",
    "pad_ref",
    "result_dtype",
    "same_pads_torch",
]

MODES = ("full", "same", "valid")
BOUNDARIES = ("constant", "edge", "reflect", "symmetric", "wrap")

# architecture §2 table: convolab (numpy.pad) boundary name -> scipy.ndimage mode name
NDIMAGE_MODE = {
    "constant": "constant",
    "edge": "nearest",
    "reflect": "mirror",
    "symmetric": "reflect",
    "wrap": "wrap",
}


def boundary_index(j: int, n: int, boundary: str) -> int | None:
    """Map a (possibly out-of-range) index ``j`` of a length-``n`` axis to a source index.

    Returns ``None`` where the sample is the constant ``fill_value``.
    Semantics are those of ``numpy.pad`` with the same mode name, including paddings
    larger than the axis (the extensions are periodic).
    """
    if 0 <= j < n:
        return j
    if boundary == "constant":
        return None
    if boundary == "edge":
        return 0 if j < 0 else n - 1
    if boundary == "wrap":
        return j % n
    if boundary == "symmetric":
        # ... b a | a b c d | d c b a a b ...   period 2n
        r = j % (2 * n)
        return r if r < n else 2 * n - 1 - r
    if boundary == "reflect":
        # ... c b | a b c d | c b a b c ...     period 2(n-1)
        if n == 1:
            return 0
        period = 2 * (n - 1)
        r = j % period
        return r if r < n else period - r
    raise ValueError(f"unknown boundary {boundary!r}")


def pad_ref(x, pads, boundary="constant", fill_value=0.0):
    """Pad ``x`` by ``pads = [(before, after), ...]`` using :func:`boundary_index` (loops)."""
    x = np.asarray(x)
    out_shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pads, strict=True))
    out = np.empty(out_shape, dtype=np.result_type(x.dtype, np.asarray(fill_value).dtype))
    for idx in itertools.product(*(range(s) for s in out_shape)):
        src = []
        for j, n, (b, _a) in zip(idx, x.shape, pads, strict=True):
            src.append(boundary_index(j - b, n, boundary))
        out[idx] = fill_value if any(s is None for s in src) else x[tuple(src)]
    return out


def result_dtype(x_dtype, k_dtype):
    """architecture §2 dtype rule: ``np.result_type``; integer and bool compute in float64."""
    dt = np.result_type(x_dtype, k_dtype)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    return dt


def _as_tuple(v, n, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(e) for e in v)
    if len(v) != n:
        raise ValueError(f"{name} has {len(v)} entries for {n} axes")
    return v


def _norm_axes(axes, ndim):
    if axes is None:
        return tuple(range(ndim))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    return tuple(sorted(int(a) % ndim for a in axes))


def _correlate_core(x, k, mode, boundary, fill_value, stride, dilation):
    """Correlate equal-ndim arrays over all their axes, kernel already conjugated/flipped."""
    nd = x.ndim
    ks = k.shape
    big = [dilation[a] * (ks[a] - 1) + 1 for a in range(nd)]  # dilated sizes K
    n = x.shape
    kernel_larger = all(big[a] >= n[a] for a in range(nd))
    if mode == "valid" and kernel_larger and any(big[a] > n[a] for a in range(nd)):
        # SciPy's rule: the centred part of `full` of length K - n + 1 per axis.
        full = _correlate_core(x, k, "full", "constant", 0, (1,) * nd, dilation)
        sl = tuple(slice(n[a] - 1, n[a] - 1 + big[a] - n[a] + 1) for a in range(nd))
        unstrided = full[sl]
        return unstrided[tuple(slice(None, None, s) for s in stride)]
    if mode == "full":
        before = [big[a] - 1 for a in range(nd)]
        after = before
    elif mode == "same":
        before = [big[a] // 2 for a in range(nd)]
        after = [(big[a] - 1) // 2 for a in range(nd)]
    elif mode == "valid":
        if any(big[a] > n[a] for a in range(nd)):
            raise ValueError("valid: kernel larger than input in some but not all axes")
        before = after = [0] * nd
    else:
        raise ValueError(f"unknown mode {mode!r}")
    unstrided_len = [n[a] + before[a] + after[a] - big[a] + 1 for a in range(nd)]
    out_len = [(unstrided_len[a] - 1) // stride[a] + 1 for a in range(nd)]
    dt = np.result_type(x.dtype, k.dtype, np.asarray(fill_value).dtype)
    out = np.zeros(out_len, dtype=dt)
    for o in itertools.product(*(range(m) for m in out_len)):
        acc = dt.type(0)
        for t in itertools.product(*(range(m) for m in ks)):
            src = []
            for a in range(nd):
                j = o[a] * stride[a] + t[a] * dilation[a] - before[a]
                src.append(boundary_index(j, n[a], boundary))
            xv = fill_value if any(s is None for s in src) else x[tuple(src)]
            with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 is nan, silently
                acc = acc + xv * k[t]
        out[o] = acc
    return out


def _ref(x, k, mode, boundary, fill_value, stride, dilation, axes, flip):
    x = np.asarray(x)
    k = np.asarray(k)
    if x.ndim != k.ndim:
        raise ValueError("x and k must have the same ndim")
    dt = result_dtype(x.dtype, k.dtype)
    # compute in the widest precision, cast at the end (the oracle is exact-ish)
    wide = np.complex128 if dt.kind == "c" else np.float64
    xw = x.astype(wide)
    kw = k.astype(wide)
    if not flip and dt.kind == "c":
        kw = np.conj(kw)
    ax = _norm_axes(axes, x.ndim)
    stride = _as_tuple(stride, len(ax), "stride")
    dilation = _as_tuple(dilation, len(ax), "dilation")
    if flip:
        kw = kw[tuple(slice(None, None, -1) if a in ax else slice(None) for a in range(x.ndim))]
    other = [a for a in range(x.ndim) if a not in ax]
    bshape = []
    for a in other:
        if x.shape[a] != k.shape[a] and 1 not in (x.shape[a], k.shape[a]):
            raise ValueError("non-convolved axes do not broadcast")
        bshape.append(max(x.shape[a], k.shape[a]))
    result = None
    for bidx in itertools.product(*(range(m) for m in bshape)):
        xi = [slice(None)] * x.ndim
        ki = [slice(None)] * x.ndim
        for a, i in zip(other, bidx, strict=True):
            xi[a] = 0 if x.shape[a] == 1 else i
            ki[a] = 0 if k.shape[a] == 1 else i
        sub = _correlate_core(
            xw[tuple(xi)], kw[tuple(ki)], mode, boundary, fill_value, stride, dilation
        )
        if result is None:
            full_shape = [0] * x.ndim
            for a, m in zip(other, bshape, strict=True):
                full_shape[a] = m
            for a, m in zip(ax, sub.shape, strict=True):
                full_shape[a] = m
            result = np.zeros(full_shape, dtype=sub.dtype)
        idx = [slice(None)] * x.ndim
        for a, i in zip(other, bidx, strict=True):
            idx[a] = i
        result[tuple(idx)] = sub
    return result.astype(dt) if dt.kind == "c" else result.real.astype(dt)


def correlate_ref(x, k, mode="full", *, boundary="constant", fill_value=0.0, stride=1,
                  dilation=1, axes=None):
    """Cross-correlation by the definition (no kernel flip; complex kernels conjugated)."""
    return _ref(x, k, mode, boundary, fill_value, stride, dilation, axes, flip=False)


def convolve_ref(x, k, mode="full", *, boundary="constant", fill_value=0.0, stride=1,
                 dilation=1, axes=None):
    """True convolution by the definition (kernel flipped along the convolved axes)."""
    return _ref(x, k, mode, boundary, fill_value, stride, dilation, axes, flip=True)


def same_pads_torch(k: int, d: int) -> tuple[int, int]:
    """PyTorch ``padding='same'``: total ``d*(k-1)``, the odd element at the end."""
    total = d * (k - 1)
    return total // 2, total - total // 2


def conv_nd_ref(x, w, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    """Batched multi-channel cross-correlation with ``torch.nn.functional.convNd`` semantics.

    ``x`` is ``(N, C_in, *spatial)``, ``w`` is ``(C_out, C_in // groups, *kernel)``.
    Zero padding, no conjugation (real inputs).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    nsp = x.ndim - 2
    N, C_in = x.shape[:2]
    C_out = w.shape[0]
    ks = w.shape[2:]
    stride = _as_tuple(stride, nsp, "stride")
    dilation = _as_tuple(dilation, nsp, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nsp
        elif padding == "same":
            pads = [same_pads_torch(ks[a], dilation[a]) for a in range(nsp)]
        else:
            raise ValueError(padding)
    else:
        p = _as_tuple(padding, nsp, "padding")
        pads = [(pa, pa) for pa in p]
    sp = x.shape[2:]
    out_sp = [
        (sp[a] + pads[a][0] + pads[a][1] - dilation[a] * (ks[a] - 1) - 1) // stride[a] + 1
        for a in range(nsp)
    ]
    cin_g = C_in // groups
    cout_g = C_out // groups
    out = np.zeros((N, C_out, *out_sp))
    for b in range(N):
        for co in range(C_out):
            g = co // cout_g
            for o in itertools.product(*(range(m) for m in out_sp)):
                acc = 0.0 if bias is None else float(bias[co])
                for ci in range(cin_g):
                    for t in itertools.product(*(range(m) for m in ks)):
                        src = []
                        for a in range(nsp):
                            src.append(o[a] * stride[a] + t[a] * dilation[a] - pads[a][0])
                        if all(0 <= s < m for s, m in zip(src, sp, strict=True)):
                            acc += x[(b, g * cin_g + ci, *src)] * w[(co, ci, *t)]
                out[(b, co, *o)] = acc
    return out


# ---------------------------------------------------------------------------
# Comparison helper shared by the conv tests
# ---------------------------------------------------------------------------


def conv_atol(x, k, dtype, fill_value=0.0):
    """Absolute tolerance for comparing a computed convolution with the oracle.

    Scaled by the precision of ``dtype`` and by a bound on the size of every output
    (Cauchy-Schwarz on one window, plus the global norms that an FFT's rounding
    error is proportional to), times a slowly growing count of rounding steps.
    """
    x = np.asarray(x)
    k = np.asarray(k)
    dt = np.dtype(dtype)
    eps = np.finfo(dt).eps if dt.kind in "fc" else np.finfo(np.float64).eps
    ax = np.abs(x.astype(np.complex128)) if x.size else np.zeros(1)
    ak = np.abs(k.astype(np.complex128)) if k.size else np.zeros(1)
    m = max(float(ax.max()), abs(fill_value))
    knorm = float(np.sqrt(np.sum(ak**2)))
    scale = (float(np.sqrt(np.sum(ax**2))) + np.sqrt(k.size) * m) * knorm
    steps = 16 + k.size + 4 * np.log2(max(2, x.size * k.size))
    return steps * eps * scale + np.finfo(np.float64).tiny


def assert_conv_close(actual, expected, x, k, *, fill_value=0.0, dtype=None):
    """Shapes and dtypes equal, values within :func:`conv_atol`."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    dt = expected.dtype if dtype is None else np.dtype(dtype)
    atol = conv_atol(x, k, dt, fill_value)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)


# ---------------------------------------------------------------------------
# Hypothesis strategies shared by the conv tests
# ---------------------------------------------------------------------------

try:  # the oracle itself does not need hypothesis
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError:  # pragma: no cover
    st = hnp = None

METHODS = ("auto", "direct", "fft", "separable", "gemm")
DTYPES = ("float32", "float64", "int64", "bool", "complex128", "complex64")
MAX_SIDE = {1: 9, 2: 6, 3: 4}


def elements_for(dtype):
    """Small, well-scaled values for ``dtype`` (no tiny magnitudes, no NaN)."""
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        return st.integers(-9, 9)
    if dt.kind == "b":
        return st.booleans()
    if dt.kind == "c":
        part = st.floats(-3, 3, width=dt.itemsize * 4).map(_no_tiny)
        return st.builds(complex, part, part)
    # tiny magnitudes are flushed to 0: scipy.ndimage drops near-zero weights, and
    # values near the underflow threshold say nothing about the convolution itself
    return st.floats(-4, 4, width=dt.itemsize * 8).map(_no_tiny)


def _no_tiny(v):
    return 0.0 if abs(v) < 1e-6 else v


def array_of(dtype, shape):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements_for(dtype))


def per_axis(draw, values, nd):
    """An int, or a per-axis tuple of ints, drawn from ``values``."""
    if draw(st.booleans()):
        return draw(values)
    return tuple(draw(values) for _ in range(nd))


def _expand(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)


if st is not None:

    @st.composite
    def conv_cases(draw, ndim=None, modes=MODES, boundaries=BOUNDARIES, dtypes=DTYPES,
                   max_stride=3, max_dilation=3, mixed_dtypes=True):
        """A dict of ``x, k, mode, boundary, fill_value, stride, dilation`` for one call.

        Shapes go from 1 up to :data:`MAX_SIDE` per axis, so kernels larger than the
        input, even and odd sizes and size-1 axes all occur.  ``valid`` cases keep the
        dilated kernel either no larger than the input in every axis, or (undilated)
        at least as large in every axis, the two cases SciPy defines.
        """
        nd = draw(st.integers(1, 3)) if ndim is None else ndim
        side = MAX_SIDE[nd]
        mode = draw(st.sampled_from(modes))
        xs = [draw(st.integers(1, side)) for _ in range(nd)]
        ks = [draw(st.integers(1, side)) for _ in range(nd)]
        dilation = per_axis(draw, st.integers(1, max_dilation), nd)
        if mode == "valid":
            if draw(st.booleans()):  # kernel fits in the input
                dil = _expand(dilation, nd)
                ks = [min(k, (n - 1) // d + 1) for k, n, d in zip(ks, xs, dil, strict=True)]
            else:  # kernel at least as large as the input everywhere (SciPy swaps)
                dilation = 1
                ks = [max(k, n) for k, n in zip(ks, xs, strict=True)]
        boundary = draw(st.sampled_from(boundaries))
        fill_value = 0.0
        if boundary == "constant":
            fill_value = draw(st.sampled_from([0.0, 0.0, 1.5, -2.0]))
        stride = per_axis(draw, st.integers(1, max_stride), nd)
        xdt = draw(st.sampled_from(dtypes))
        kdt = draw(st.sampled_from(dtypes)) if mixed_dtypes and draw(st.booleans()) else xdt
        x = draw(array_of(xdt, tuple(xs)))
        k = draw(array_of(kdt, tuple(ks)))
        return dict(x=x, k=k, mode=mode, boundary=boundary, fill_value=fill_value,
                    stride=stride, dilation=dilation)
