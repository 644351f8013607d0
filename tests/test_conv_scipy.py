"""convolve / correlate against SciPy: ``scipy.signal`` for the modes (constant boundary)
and ``scipy.ndimage`` for the boundary rules (odd kernels, names mapped per the table)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage, signal

import convolab
from oracle import METHODS, NDIMAGE_MODE, array_of, assert_conv_close, conv_cases


def dilate(k, dilation):
    """The kernel with ``d - 1`` zeros inserted between taps along every axis."""
    k = np.asarray(k)
    dil = (dilation,) * k.ndim if isinstance(dilation, int) else tuple(dilation)
    out = np.zeros([d * (m - 1) + 1 for m, d in zip(k.shape, dil, strict=True)], dtype=k.dtype)
    out[tuple(slice(None, None, d) for d in dil)] = k
    return out


def take_stride(y, stride):
    st_ = (stride,) * y.ndim if isinstance(stride, int) else tuple(stride)
    return y[tuple(slice(None, None, s) for s in st_)]


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=max(60, settings.default.max_examples))
@given(data=st.data())
def test_correlate_and_convolve_match_scipy_signal(method, data):
    case = data.draw(conv_cases(boundaries=("constant",)), label="case")
    x, k, mode = case["x"], case["k"], case["mode"]
    stride, dilation = case["stride"], case["dilation"]
    wide = np.complex128 if np.result_type(x, k).kind == "c" else np.float64
    xs, ks = x.astype(wide), dilate(k, dilation).astype(wide)
    for func, ref in ((convolab.correlate, signal.correlate), (convolab.convolve, signal.convolve)):
        expected = take_stride(ref(xs, ks, mode, method="direct"), stride)
        got = func(x, k, mode, stride=stride, dilation=dilation, method=method)
        assert_conv_close(got, expected, x, k, dtype=got.dtype)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=max(60, settings.default.max_examples))
@given(data=st.data())
def test_boundaries_match_scipy_ndimage(method, data):
    nd = data.draw(st.integers(1, 3), label="ndim")
    side = {1: 12, 2: 7, 3: 5}[nd]
    xs = tuple(data.draw(st.integers(1, side)) for _ in range(nd))
    dilation = data.draw(st.integers(1, 2), label="dilation")
    # odd (dilated) kernels no larger than the input
    ks = tuple(data.draw(st.sampled_from([m for m in (1, 3, 5) if dilation * (m - 1) < n]))
               for n in xs)
    dtype = data.draw(st.sampled_from(["float32", "float64"]), label="dtype")
    x = data.draw(array_of(dtype, xs), label="x")
    k = data.draw(array_of(dtype, ks), label="k")
    boundary = data.draw(st.sampled_from(sorted(NDIMAGE_MODE)), label="boundary")
    fill = data.draw(st.sampled_from([0.0, 2.5])) if boundary == "constant" else 0.0
    stride = data.draw(st.integers(1, 2), label="stride")
    kd = dilate(k, dilation).astype(np.float64)
    x64 = x.astype(np.float64)
    for func, ref in ((convolab.correlate, ndimage.correlate),
                      (convolab.convolve, ndimage.convolve)):
        expected = take_stride(ref(x64, kd, mode=NDIMAGE_MODE[boundary], cval=fill), stride)
        got = func(x, k, "same", boundary=boundary, fill_value=fill, stride=stride,
                   dilation=dilation, method=method)
        assert got.dtype == np.dtype(dtype)
        assert_conv_close(got, expected, x, k, fill_value=fill, dtype=dtype)


@pytest.mark.parametrize("boundary", sorted(NDIMAGE_MODE))
def test_image_same_mode_matches_ndimage_all_methods(boundary):
    """A larger 2D case (too big for the loop oracle) per boundary and method."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 33)).astype(np.float32)
    for k in (rng.standard_normal((5, 3)), np.outer([1, 4, 6, 4, 1], [1, 2, 1]) / 64.0):
        k = k.astype(np.float32)
        expected = ndimage.correlate(x.astype(np.float64), k.astype(np.float64),
                                     mode=NDIMAGE_MODE[boundary], cval=0.0)
        for method in METHODS:
            got = convolab.correlate(x, k, "same", boundary=boundary, method=method)
            assert got.dtype == np.float32, method
            assert_conv_close(got, expected, x, k, dtype=np.float32)
            got = convolab.convolve(x, k[::-1, ::-1], "same", boundary=boundary, method=method)
            assert_conv_close(got, expected, x, k, dtype=np.float32)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=max(60, settings.default.max_examples))
@given(data=st.data())
def test_axes_match_fftconvolve(method, data):
    nd = data.draw(st.integers(2, 3), label="ndim")
    axes = data.draw(st.sampled_from([(-1,), (0,), (-2, -1), (0, nd - 1)]), label="axes")
    conv_axes = {a % nd for a in axes}
    mode = data.draw(st.sampled_from(["full", "same"]), label="mode")
    # SciPy's 'same' crops every axis to in1's shape, so a broadcast axis where x has
    # size 1 and k does not is cut back to 1 there; convolab broadcasts (as 'full' does).
    layouts = ["eq", "k1"] if mode == "same" else ["eq", "x1", "k1"]
    xs, ks = [], []
    for a in range(nd):
        if a in conv_axes:
            xs.append(data.draw(st.integers(1, 6)))
            ks.append(data.draw(st.integers(1, 6)))
        else:
            m = data.draw(st.integers(1, 3))
            which = data.draw(st.sampled_from(layouts))
            xs.append(1 if which == "x1" else m)
            ks.append(1 if which == "k1" else m)
    x = data.draw(array_of("float64", tuple(xs)), label="x")
    k = data.draw(array_of("float64", tuple(ks)), label="k")
    expected = signal.fftconvolve(x, k, mode, axes=axes)
    got = convolab.convolve(x, k, mode, axes=axes, method=method)
    assert_conv_close(got, expected, x, k)
    kflip = k[tuple(slice(None, None, -1) if a in conv_axes else slice(None) for a in range(nd))]
    got = convolab.correlate(x, kflip, mode, axes=axes, method=method)
    assert_conv_close(got, expected, x, k)


def test_axes_batch_of_images_with_one_kernel():
    """The common case: a stack of images (N, H, W) and one (1, kh, kw) kernel."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 20, 17))
    k = rng.standard_normal((1, 4, 3))
    expected = signal.fftconvolve(x, k, "same", axes=(-2, -1))
    got = convolab.convolve(x, k, "same", axes=(-2, -1))
    assert_conv_close(got, expected, x, k)
    for i in range(4):
        np.testing.assert_allclose(got[i], signal.convolve(x[i], k[0], "same"), atol=1e-10)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("method", METHODS)
def test_complex_matches_scipy(mode, method):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((9, 7)) + 1j * rng.standard_normal((9, 7))
    k = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
    assert_conv_close(convolab.correlate(x, k, mode, method=method),
                      signal.correlate(x, k, mode), x, k)
    assert_conv_close(convolab.convolve(x, k, mode, method=method),
                      signal.convolve(x, k, mode), x, k)
    # kernel larger than the input in every axis (SciPy swaps the operands)
    assert_conv_close(convolab.correlate(k, x, mode, method=method),
                      signal.correlate(k, x, mode), x, k)
    assert_conv_close(convolab.convolve(k, x, mode, method=method),
                      signal.convolve(k, x, mode), x, k)


@pytest.mark.parametrize("method", METHODS)
def test_long_signal_matches_oaconvolve(method):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(20000)
    k = rng.standard_normal(31)
    for mode in ("full", "same", "valid"):
        expected = signal.oaconvolve(x, k, mode)
        assert_conv_close(convolab.convolve(x, k, mode, method=method), expected, x, k)
    x32, k32 = x.astype(np.float32), k.astype(np.float32)
    got = convolab.convolve(x32, k32, "same", method=method)
    assert got.dtype == np.float32
    assert_conv_close(got, signal.oaconvolve(x, k, "same"), x32, k32, dtype=np.float32)
