"""Every method gives the same answer as every other; the planner's choice and reason."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

import convolab
from oracle import BOUNDARIES, METHODS, MODES, assert_conv_close, conv_atol, correlate_ref

CONCRETE = tuple(m for m in METHODS if m != "auto") + ("stencil",)  # 2D/3D real, with Numba
FUNCS = (convolab.correlate, convolab.convolve)


@st.composite
def medium_cases(draw):
    """Shapes too large for the loop oracle but cheap for the engine (random values)."""
    nd = draw(st.integers(1, 3), label="ndim")
    side = {1: 70, 2: 17, 3: 7}[nd]
    xs = tuple(draw(st.integers(1, side)) for _ in range(nd))
    ks = tuple(draw(st.integers(1, side)) for _ in range(nd))
    mode = draw(st.sampled_from(MODES), label="mode")
    dilation = draw(st.integers(1, 3), label="dilation")
    if mode == "valid":
        if all(k >= n for n, k in zip(xs, ks, strict=True)):
            dilation = 1
        else:
            ks = tuple(min(k, (n - 1) // dilation + 1) for n, k in zip(xs, ks, strict=True))
    boundary = draw(st.sampled_from(BOUNDARIES), label="boundary")
    fill = draw(st.sampled_from([0.0, -1.25])) if boundary == "constant" else 0.0
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dtype = draw(st.sampled_from(["float32", "float64", "complex128"]), label="dtype")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs)
    k = rng.standard_normal(ks)
    if dtype == "complex128":
        x = x + 1j * rng.standard_normal(xs)
        k = k + 1j * rng.standard_normal(ks)
    kw = dict(mode=mode, boundary=boundary, fill_value=fill, stride=stride, dilation=dilation)
    return x.astype(dtype), k.astype(dtype), kw


@settings(max_examples=max(200, settings.default.max_examples))
@given(case=medium_cases())
def test_every_method_equals_every_other(case):
    x, k, kw = case
    atol = conv_atol(x, k, x.dtype, kw["fill_value"])
    for func in FUNCS:
        results = {m: func(x, k, method=m, **kw) for m in METHODS}
        for m, y in results.items():
            assert y.dtype == x.dtype, (func.__name__, m, y.dtype)
        for a, b in itertools.combinations(METHODS, 2):
            assert results[a].shape == results[b].shape, (func.__name__, a, b)
            np.testing.assert_allclose(results[a], results[b], rtol=0, atol=2 * atol,
                                       err_msg=f"{func.__name__}: {a} vs {b}")


def _gauss(n, sigma):
    t = np.arange(n) - (n - 1) / 2
    g = np.exp(-0.5 * (t / sigma) ** 2)
    return g / g.sum()


SEPARABLE_KERNELS = {
    "gaussian15": np.outer(_gauss(15, 3.0), _gauss(15, 3.0)),
    "box5x3": np.ones((5, 3)) / 15,
    "sobel": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], float),
    "rank2": np.outer([1, 2, 3, 2], [1, -1, 0.5]) + np.outer([0, 1, 0, -1], [2, 2, 1]),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),  # rank 2
    "random7": np.random.default_rng(0).standard_normal((7, 7)),  # full rank
}


@pytest.mark.parametrize("name", sorted(SEPARABLE_KERNELS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_separable_on_low_and_full_rank_kernels(name, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((48, 41)).astype(dtype)
    k = SEPARABLE_KERNELS[name].astype(dtype)
    for boundary in BOUNDARIES:
        for func in FUNCS:
            ref = func(x.astype(np.float64), k.astype(np.float64), "same", boundary=boundary,
                       method="direct")
            got = func(x, k, "same", boundary=boundary, method="separable")
            assert got.dtype == np.dtype(dtype)
            assert_conv_close(got, ref, x, k, dtype=dtype)


def test_direct_matches_oracle_on_a_readable_2d_case():
    """A direct check on a 2D case big enough to exercise tiling across rows."""
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, (37, 11)).astype(np.float64)
    k = rng.integers(-2, 3, (4, 3)).astype(np.float64)
    for method in METHODS:
        got = convolab.correlate(x, k, "same", boundary="symmetric", method=method)
        assert_conv_close(got, correlate_ref(x, k, "same", boundary="symmetric"), x, k)


@pytest.mark.parametrize("method", METHODS)
def test_long_signal_short_kernel(method):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(100_003)
    k = rng.standard_normal(7)
    expected = np.convolve(x, k, "same")  # numpy's 'same' agrees with scipy for odd k
    got = convolab.convolve(x, k, "same", method=method)
    assert_conv_close(got, expected, x, k)
    got = convolab.correlate(x, k, "valid", method=method)
    assert_conv_close(got, np.correlate(x, k, "valid"), x, k)


# --- the planner ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xshape", "kshape", "kw"),
    [
        ((100,), (3,), {}),
        ((64, 64), (5, 5), {"mode": "same"}),
        ((64, 64), (5, 5), {"mode": "same", "boundary": "reflect", "stride": 2}),
        ((8, 9, 10), (3, 3, 3), {"mode": "valid", "dilation": 2}),
        ((5, 40, 40), (1, 7, 7), {"mode": "same", "axes": (-2, -1)}),
    ],
)
def test_choose_method_returns_a_method_and_a_reason(xshape, kshape, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xshape)
    k = rng.standard_normal(kshape)
    method, reason = convolab.choose_method(x, k, **kw)
    assert method in CONCRETE
    assert isinstance(reason, str) and reason.strip()
    mode = kw.pop("mode", "full")
    auto = convolab.correlate(x, k, mode, method="auto", **kw)
    chosen = convolab.correlate(x, k, mode, method=method, **kw)
    np.testing.assert_allclose(auto, chosen, rtol=0, atol=conv_atol(x, k, x.dtype))


def test_choose_method_measure():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 30))
    k = rng.standard_normal((3, 3))
    method, reason = convolab.choose_method(x, k, mode="same", measure=True)
    assert method in CONCRETE
    assert isinstance(reason, str) and reason.strip()


def test_choose_method_large_random_kernel_is_not_direct():
    """architecture §6: a 63x63 random kernel on 2048^2 is ~150x faster by FFT than directly."""
    x = np.zeros((2048, 2048), np.float32)
    k = np.random.default_rng(0).standard_normal((63, 63)).astype(np.float32)
    method, _ = convolab.choose_method(x, k, mode="same")
    assert method == "fft"


def test_choose_method_long_kernel_1d_is_fft():
    x = np.zeros(1_000_000)
    k = np.ones(1001)
    method, _ = convolab.choose_method(x, k, mode="same")
    assert method == "fft"


def test_choose_method_gaussian_is_not_direct():
    """A 15x15 Gaussian is rank 1: 30 taps per pixel as two passes instead of 225."""
    x = np.zeros((2048, 2048), np.float32)
    k = SEPARABLE_KERNELS["gaussian15"].astype(np.float32)
    method, reason = convolab.choose_method(x, k, mode="same")
    assert method in ("separable", "fft", "stencil"), reason


def test_choose_method_small_kernel_is_not_fft():
    """architecture §6: 3x3 and k=3 are cheaper directly (ndimage 42 ms vs fftconvolve 108 ms)."""
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    method, reason = convolab.choose_method(np.zeros((2048, 2048), np.float32), lap, mode="same")
    assert method != "fft", reason
    method, reason = convolab.choose_method(np.zeros(1_000_000), np.ones(3), mode="same")
    assert method != "fft", reason


# --- sizes that cross the engine's tiles and thread splits ---------------------------------


def ref_via_pad(func_name, x, k, mode, boundary, fill_value=0.0):
    """numpy.pad + scipy.signal.correlate('valid'): an independent route to the definition."""
    pads = []
    for m in k.shape:
        if mode == "full":
            pads.append((m - 1, m - 1))
        elif mode == "same":
            pads.append((m // 2, (m - 1) // 2))
        else:
            pads.append((0, 0))
    kw = {"constant_values": fill_value} if boundary == "constant" else {}
    xp = np.pad(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64), pads,
                mode=boundary, **kw)
    kk = k.astype(xp.dtype)
    if func_name == "convolve":
        kk = np.conj(kk[(slice(None, None, -1),) * k.ndim])  # correlate conjugates again
    return signal.correlate(xp, kk, "valid")


@pytest.mark.parametrize("K", [3, 11, 12, 31, 64, 65, 256, 257])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_long_1d_signals_across_tiles(K, dtype):
    rng = np.random.default_rng(K)
    n = 140_001  # more than two 64 Ki-sample tiles
    x = rng.standard_normal(n)
    k = rng.standard_normal(K)
    if dtype == "complex128":
        x = x + 1j * rng.standard_normal(n)
        k = k + 1j * rng.standard_normal(K)
    x, k = x.astype(dtype), k.astype(dtype)
    boundary = BOUNDARIES[K % len(BOUNDARIES)]
    fill = 0.5 if boundary == "constant" else 0.0
    for name, func in (("correlate", convolab.correlate), ("convolve", convolab.convolve)):
        expected = ref_via_pad(name, x, k, "same", boundary, fill)
        for method in ("auto", "direct", "fft"):
            got = func(x, k, "same", boundary=boundary, fill_value=fill, method=method)
            assert got.dtype == np.dtype(dtype)
            assert_conv_close(got, expected, x, k, fill_value=fill, dtype=dtype)


@pytest.mark.parametrize("K", [5, 12, 31, 200])
@pytest.mark.parametrize("method", ["auto", "direct"])
def test_nan_stays_local_on_long_signals(K, method):
    """NaN/inf propagate as in the definition on every 1D path (not only small kernels).

    (A forced ``method='fft'`` spreads NaN over the whole output by construction.)
    """
    rng = np.random.default_rng(K)
    x = rng.standard_normal(70_000)
    x[1000] = np.nan
    x[50_000] = np.inf
    k = np.abs(rng.standard_normal(K)) + 0.1  # positive taps: the inf stays +inf
    y = convolab.correlate(x, k, "valid", method=method)
    nan = np.zeros(y.shape, bool)
    nan[1000 - K + 1 : 1001] = True
    inf = np.zeros(y.shape, bool)
    inf[50_000 - K + 1 : 50_001] = True
    np.testing.assert_array_equal(np.isnan(y), nan)
    np.testing.assert_array_equal(np.isposinf(y), inf)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("method", METHODS)
def test_large_2d_image_across_row_bands(boundary, method):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((700, 300)).astype(np.float32)
    k = rng.standard_normal((5, 4)).astype(np.float32)
    for mode in ("same", "full"):
        for name, func in (("correlate", convolab.correlate), ("convolve", convolab.convolve)):
            expected = ref_via_pad(name, x, k, mode, boundary)
            got = func(x, k, mode, boundary=boundary, method=method)
            assert got.dtype == np.float32
            assert_conv_close(got, expected, x, k, dtype=np.float32)


@pytest.mark.parametrize("method", METHODS)
def test_3d_volume_and_batched_kernels(method):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((60, 50, 40))
    k = rng.standard_normal((3, 2, 3))
    expected = ref_via_pad("correlate", x, k, "same", "wrap")
    assert_conv_close(convolab.correlate(x, k, "same", boundary="wrap", method=method),
                      expected, x, k)
    # a different kernel per row: axes broadcasting with a batched kernel
    xb = rng.standard_normal((6, 3000))
    kb = rng.standard_normal((6, 20))
    got = convolab.correlate(xb, kb, "same", boundary="edge", axes=-1, method=method)
    for i in range(6):
        assert_conv_close(got[i], ref_via_pad("correlate", xb[i], kb[i], "same", "edge"),
                          xb[i], kb[i])
