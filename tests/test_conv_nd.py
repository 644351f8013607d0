"""conv_nd (the layer op) against a loop oracle with PyTorch's conv1d/2d/3d semantics."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import signal

import convolab
from convolab._jit import blocked as _compiled
from convolab.conv.methods.gemm import STRATEGIES, conv_gemm
from oracle import array_of, conv_nd_ref, same_pads_torch

UNIT_STRIDE = ("taps_flat", "scatter_flat", "blocked", "dot")
COMPILED = ("blocked", "dot")  # the compiled loops (Numba)
HAVE_COMPILED = _compiled.available()


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def conv_nd_scipy(x, w, bias=None, *, stride=1, padding=0, dilation=1, groups=1):
    """A second, independent reference: numpy.pad + scipy.signal.correlate per channel pair."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    nsp = x.ndim - 2
    ks = w.shape[2:]
    s, d = _tuple(stride, nsp), _tuple(dilation, nsp)
    if padding == "valid":
        pads = [(0, 0)] * nsp
    elif padding == "same":
        pads = [same_pads_torch(k, dd) for k, dd in zip(ks, d, strict=True)]
    else:
        pads = [(p, p) for p in _tuple(padding, nsp)]
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    wd = np.zeros(w.shape[:2] + tuple(dd * (k - 1) + 1 for k, dd in zip(ks, d, strict=True)))
    wd[(slice(None), slice(None), *(slice(None, None, dd) for dd in d))] = w
    cin_g, cout_g = x.shape[1] // groups, w.shape[0] // groups
    out = None
    for n, o in itertools.product(range(x.shape[0]), range(w.shape[0])):
        g = o // cout_g
        acc = sum(signal.correlate(xp[n, g * cin_g + c], wd[o, c], "valid") for c in range(cin_g))
        acc = acc[tuple(slice(None, None, ss) for ss in s)]
        if out is None:
            out = np.zeros((x.shape[0], w.shape[0], *acc.shape))
        out[n, o] = acc + (0.0 if bias is None else bias[o])
    return out


@st.composite
def layer_cases(draw, max_side=None):
    nsp = draw(st.integers(1, 3), label="spatial dims")
    side = max_side or {1: 9, 2: 6, 3: 4}[nsp]
    groups = draw(st.integers(1, 3), label="groups")
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    batch = draw(st.integers(1, 2))
    ks = tuple(draw(st.integers(1, 3 if nsp > 1 else 4)) for _ in range(nsp))
    dilation = draw(st.one_of(st.integers(1, 2), st.tuples(*[st.integers(1, 2)] * nsp)))
    kind = draw(st.sampled_from(["int", "tuple", "valid", "same"]), label="padding kind")
    stride = 1
    if kind != "same":
        stride = draw(st.one_of(st.integers(1, 3), st.tuples(*[st.integers(1, 3)] * nsp)))
    if kind == "int":
        padding = draw(st.integers(0, 2))
    elif kind == "tuple":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(nsp))
    else:
        padding = kind
    d = _tuple(dilation, nsp)
    p = (0,) * nsp if isinstance(padding, str) else _tuple(padding, nsp)
    # the spatial size must hold the dilated kernel once padded
    sp = tuple(
        draw(st.integers(max(1, dd * (k - 1) + 1 - 2 * pp), max(side, dd * (k - 1) + 1)))
        for k, dd, pp in zip(ks, d, p, strict=True)
    )
    dtype = draw(st.sampled_from(["float32", "float64"]), label="dtype")
    x = draw(array_of(dtype, (batch, cin, *sp)), label="x")
    w = draw(array_of(dtype, (cout, cin // groups, *ks)), label="w")
    bias = None
    if draw(st.booleans()):
        bias = draw(array_of(dtype, (cout,)), label="bias")
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, bias, kw


def _atol(x, w, dtype):
    eps = np.finfo(dtype).eps
    taps = w[0].size
    return eps * (32 + 4 * taps) * (np.abs(x).max() + 1) * (np.abs(w).max() + 1) * taps


@settings(max_examples=max(200, settings.default.max_examples))
@given(case=layer_cases())
def test_conv_nd_matches_oracle(case):
    x, w, bias, kw = case
    expected = conv_nd_ref(x, w, bias, **kw)
    got = convolab.conv_nd(x, w, bias, **kw)
    assert got.dtype == x.dtype
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=_atol(x, w, x.dtype))


@given(case=layer_cases())
def test_oracle_matches_scipy_composition(case):
    """The loop oracle itself, against numpy.pad + scipy.signal.correlate."""
    x, w, bias, kw = case
    np.testing.assert_allclose(conv_nd_ref(x, w, bias, **kw), conv_nd_scipy(x, w, bias, **kw),
                               atol=1e-9)


@pytest.mark.parametrize(
    ("xshape", "wshape", "kw"),
    [
        ((4, 8, 12, 12), (16, 8, 3, 3), {"padding": 1}),
        ((2, 6, 11, 13), (6, 2, 3, 2), {"groups": 3, "stride": 2, "padding": "valid"}),
        ((2, 4, 10, 10), (4, 1, 4, 4), {"groups": 4, "padding": "same", "dilation": 2}),
        ((3, 5, 40), (7, 5, 5), {"stride": 3, "padding": 2, "dilation": 2}),
        ((1, 2, 6, 7, 5), (3, 2, 2, 3, 2), {"padding": (1, 0, 1)}),
    ],
)
def test_conv_nd_medium_sizes(xshape, wshape, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xshape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    b = rng.standard_normal(wshape[0]).astype(np.float32)
    got = convolab.conv_nd(x, w, b, **kw)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, conv_nd_scipy(x, w, b, **kw), rtol=0,
                               atol=_atol(x, w, np.float32))


def test_same_padding_puts_the_extra_element_at_the_end():
    """PyTorch 'same' with an even kernel pads (0, 1); scipy's 'same' mode pads (1, 0)."""
    x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    w = np.array([[[1.0, 10.0]]])
    np.testing.assert_allclose(convolab.conv_nd(x, w, padding="same"), [[[21, 32, 43, 4]]])
    np.testing.assert_allclose(convolab.correlate(x[0, 0], w[0, 0], "same"), [10, 21, 32, 43])
    # dilation 3 with k = 2: total 3, one before and two after
    x = np.arange(1.0, 7.0)[None, None]
    np.testing.assert_allclose(convolab.conv_nd(x, w, padding="same", dilation=3),
                               [[[0 + 10 * 3, 1 + 10 * 4, 2 + 10 * 5, 3 + 10 * 6, 4, 5]]])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_same_padding_keeps_the_spatial_size(k, d):
    x = np.ones((1, 1, 9, 10))
    w = np.ones((2, 1, k, k))
    assert convolab.conv_nd(x, w, padding="same", dilation=d).shape == (1, 2, 9, 10)


def test_same_padding_with_stride_is_refused_like_pytorch():
    with pytest.raises(ValueError, match="padding"):
        convolab.conv_nd(np.ones((1, 1, 8)), np.ones((1, 1, 3)), padding="same", stride=2)


def test_depthwise_equals_per_channel_correlation():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 8))
    w = rng.standard_normal((3, 1, 3, 2))
    y = convolab.conv_nd(x, w, groups=3)
    for n in range(2):
        for c in range(3):
            np.testing.assert_allclose(y[n, c], signal.correlate(x[n, c], w[c, 0], "valid"),
                                       atol=1e-12)


def test_pointwise_is_channel_mixing():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 4, 6))
    w = rng.standard_normal((3, 5, 1, 1))
    b = rng.standard_normal(3)
    expected = np.einsum("nchw,oc->nohw", x, w[:, :, 0, 0]) + b[None, :, None, None]
    np.testing.assert_allclose(convolab.conv_nd(x, w, b), expected, atol=1e-12)


@pytest.mark.parametrize(("dtype", "expected"), [("float32", "float32"), ("float64", "float64"),
                                                 ("int64", "float64"), ("bool", "float64")])
def test_conv_nd_dtypes(dtype, expected):
    x = np.ones((1, 2, 5, 5), dtype)
    w = np.ones((1, 2, 3, 3), dtype)
    y = convolab.conv_nd(x, w)
    assert y.dtype == np.dtype(expected)
    np.testing.assert_array_equal(y, np.full((1, 1, 3, 3), 18.0))


def test_conv_nd_is_cross_correlation_not_convolution():
    x = np.array([[[0.0, 0.0, 1.0, 0.0, 0.0]]])
    w = np.array([[[1.0, 2.0, 3.0]]])
    # an impulse correlated with w gives w reversed (a convolution would give w itself)
    np.testing.assert_allclose(convolab.conv_nd(x, w, padding=1)[0, 0], [0, 3, 2, 1, 0])


@given(case=layer_cases())
def test_input_gradient_is_a_full_convolution(case):
    """<conv_nd(x, w), g> = <x, dx> with dx[c] = sum_o convolve(g[o], w[o, c], 'full')
    (stride 1, valid, groups 1: the backward pass of architecture §4)."""
    x, w, _, _ = case
    x = x.astype(np.float64)
    w = w.astype(np.float64)[:, : x.shape[1]]
    if w.shape[1] != x.shape[1] or any(
        k > n for k, n in zip(w.shape[2:], x.shape[2:], strict=True)
    ):
        w = np.ones((2, x.shape[1]) + (1,) * (x.ndim - 2))
    y = convolab.conv_nd(x, w)
    g = np.random.default_rng(0).standard_normal(y.shape)
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for o in range(w.shape[0]):
                dx[n, c] += convolab.convolve(g[n, o], w[o, c], "full")
    lhs = float(np.sum(y * g))
    rhs = float(np.sum(x * dx))
    assert abs(lhs - rhs) <= 1e-9 * (1 + np.abs(y).sum() * np.abs(g).max())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weight_gradient_shapes(dtype):
    """Many taps, few outputs (what a layer's weight gradient computes), chunked channels."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 16, 28, 28)).astype(dtype)
    w = rng.standard_normal((4, 16, 26, 26)).astype(dtype)
    got = convolab.conv_nd(x, w)
    assert got.shape == (64, 4, 3, 3) and got.dtype == np.dtype(dtype)
    # one sample per output by a plain dot product (independent of any conv routine)
    expected = np.einsum("ncij,ocij->no", x[:, :, 1:27, 2:28].astype(np.float64),
                         w.astype(np.float64))
    scale = np.sqrt((x[:, :, :26, :26].astype(np.float64) ** 2).sum((1, 2, 3)))[:, None]
    scale = scale * np.sqrt((w.astype(np.float64) ** 2).sum((1, 2, 3)))[None, :]
    tol = 64 * np.finfo(dtype).eps * scale
    assert np.all(np.abs(got[:, :, 1, 2] - expected) <= tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_chunks_and_workspace_reuse(dtype):
    """Batches split into chunks; consecutive calls must not share their results' memory."""
    rng = np.random.default_rng(4)
    x1 = rng.standard_normal((16, 8, 32, 32)).astype(dtype)
    w1 = rng.standard_normal((8, 8, 3, 3)).astype(dtype)
    x2 = rng.standard_normal((3, 4, 9, 11)).astype(dtype)
    w2 = rng.standard_normal((6, 2, 2, 3)).astype(dtype)
    y1 = convolab.conv_nd(x1, w1, padding=1)
    y1_copy = y1.copy()
    y2 = convolab.conv_nd(x2, w2, groups=2, stride=(2, 1))
    y3 = convolab.conv_nd(x1, w1, padding=1)
    np.testing.assert_array_equal(y1, y1_copy)
    assert not np.shares_memory(y1, y3) and not np.shares_memory(y1, y2)
    np.testing.assert_allclose(y1, conv_nd_scipy(x1, w1, padding=1), rtol=0,
                               atol=_atol(x1, w1, dtype))
    np.testing.assert_allclose(y2, conv_nd_scipy(x2, w2, groups=2, stride=(2, 1)), rtol=0,
                               atol=_atol(x2, w2, dtype))


@pytest.mark.parametrize(
    ("xshape", "wshape", "kw"),
    [
        # the shape of LeNet-5 C3's input gradient (channels narrowing under a full padding)
        ((2, 8, 10, 10), (2, 8, 5, 5), {"padding": 4}),
        ((3, 12, 7), (2, 12, 4), {"padding": 3, "dilation": 2}),
        ((2, 12, 6, 5), (2, 6, 3, 2), {"padding": (2, 1), "groups": 2}),
        ((2, 9, 5, 6), (1, 9, 3, 3), {"padding": 2, "stride": 2}),
        ((1, 8, 3, 4, 3), (1, 8, 2, 3, 2), {"padding": (1, 2, 1)}),
        # LeNet-5 C5's input gradient: a 1x1 map under a kernel-sized padding
        ((3, 12, 1, 1), (4, 12, 5, 5), {"padding": 4}),
        # fewer input samples than taps, with dilation and uneven padding
        ((2, 10, 2, 1), (3, 10, 3, 4), {"padding": (4, 3), "dilation": (2, 1)}),
        ((2, 9, 2), (2, 9, 6), {"padding": 5, "dilation": 2}),
    ],
)
def test_narrowing_full_padding_layers(xshape, wshape, kw):
    """Few output channels, heavy padding (a layer's input gradient): the engine then runs
    the channel product before the shift-and-add; it must still equal the definition."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(xshape)
    w = rng.standard_normal(wshape)
    np.testing.assert_allclose(
        convolab.conv_nd(x, w, **kw), conv_nd_ref(x, w, **kw), rtol=0, atol=1e-10
    )


@st.composite
def gemm_cases(draw):
    """Shapes for every GEMM layout, including asymmetric padding and 1x1 maps."""
    nsp = draw(st.integers(1, 3), label="spatial dims")
    groups = draw(st.integers(1, 2), label="groups")
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    ks = tuple(draw(st.integers(1, 4 if nsp < 3 else 3)) for _ in range(nsp))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nsp))
    pads = tuple((draw(st.integers(0, 4)), draw(st.integers(0, 4))) for _ in range(nsp))
    lows = [max(1, d * (k - 1) + 1 - b - a) for k, d, (b, a) in zip(ks, dil, pads, strict=True)]
    sp = tuple(draw(st.integers(lo, max(lo, 7 if nsp < 3 else 4))) for lo in lows)
    x = draw(array_of("float64", (draw(st.integers(1, 3)), cin, *sp)), label="x")
    w = draw(array_of("float64", (cout, cin // groups, *ks)), label="w")
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nsp))
    return x, w, pads, stride, dil, groups


@settings(max_examples=max(150, settings.default.max_examples))
@given(case=gemm_cases(), strategy=st.sampled_from(STRATEGIES))
def test_every_gemm_layout_matches_oracle(case, strategy):
    """Each layout of the GEMM method, forced, against np.pad + the loop oracle."""
    x, w, pads, stride, dil, groups = case
    if strategy in UNIT_STRIDE:
        stride = (1,) * len(stride)  # those layouts are for unit stride
    assume(strategy not in COMPILED or HAVE_COMPILED)
    xp = np.pad(x, [(0, 0), (0, 0), *pads])
    expected = conv_nd_ref(xp, w, stride=stride, dilation=dil, groups=groups)
    got = conv_gemm(x, w, pads, stride, dil, groups, strategy=strategy)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=_atol(x, w, np.float64))


@pytest.mark.parametrize("groups", [1, 3])
def test_pointwise_kernels_are_a_matrix_product(groups):
    """A 1x1 kernel without padding multiplies ``x`` in place; it must equal the definition."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 6, 3, 5))
    w = rng.standard_normal((9, 6 // groups, 1, 1))
    for strategy in (None, "taps"):
        got = conv_gemm(x, w, ((0, 0),) * 2, (1, 1), (1, 1), groups, strategy=strategy)
        np.testing.assert_allclose(got, conv_nd_ref(x, w, groups=groups), rtol=0, atol=1e-12)


def test_gemm_layout_errors_name_the_argument():
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match="`strategy`"):
        conv_gemm(x, w, ((0, 0),) * 2, (1, 1), (1, 1), strategy="winograd")
    with pytest.raises(ValueError, match="stride 1"):
        conv_gemm(x, w, ((0, 0),) * 2, (2, 1), (1, 1), strategy="taps_flat")
