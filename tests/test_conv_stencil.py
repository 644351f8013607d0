"""The stencil method (one compiled pass for small 2D/3D kernels) against the oracle and SciPy."""

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

import convolab
from convolab.conv.methods import stencil
from oracle import BOUNDARIES, MODES, NDIMAGE_MODE, assert_conv_close, conv_atol, correlate_ref

pytestmark = pytest.mark.skipif(
    not stencil.applies(2, (3, 3), np.dtype(np.float64)), reason="needs Numba"
)
DTYPES = ("float32", "float64")


def _data(shape, kshape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape).astype(dtype), rng.standard_normal(kshape).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("side", range(1, 10))
def test_every_kernel_size_and_boundary_against_the_loop_oracle(side, boundary, dtype):
    # odd and even sizes 1..9, square and oblong, with stride and dilation
    for kshape, stride, dilation, mode in [
        ((side, side), 1, 1, "same"),
        ((side, max(1, side - 1)), (2, 1), (1, 2), "full"),
        ((max(1, side - 2), side), (1, 3), 1, "valid"),
    ]:
        x, k = _data((13, 19), kshape, dtype, seed=side)
        kw = dict(mode=mode, boundary=boundary, fill_value=-0.5 if boundary == "constant" else 0,
                  stride=stride, dilation=dilation)  # fmt: skip
        got = convolab.correlate(x, k, method="stencil", **kw)
        assert got.dtype == np.dtype(dtype)
        assert_conv_close(got, correlate_ref(x, k, **kw), x, k, fill_value=kw["fill_value"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_3d_kernels_against_the_loop_oracle(boundary, dtype):
    for kshape, stride, dilation in [((3, 3, 3), 1, 1), ((2, 4, 3), (1, 2, 1), (2, 1, 1))]:
        x, k = _data((6, 7, 9), kshape, dtype, seed=1)
        kw = dict(mode="same", boundary=boundary, stride=stride, dilation=dilation)
        got = convolab.correlate(x, k, method="stencil", **kw)
        assert_conv_close(got, correlate_ref(x, k, **kw), x, k)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("side", range(1, 8))
def test_strided_square_kernels_run_at_stride_one_and_keep_every_sth_output(side, dtype):
    """A square kernel with an unrolled stride-1 kernel and a stride above 1: every output
    at stride 1, then every ``s``-th kept (the strided general loop was 5-15x slower)."""
    x, k = _data((41, 38), (side, side), dtype, seed=side)
    rank1 = np.outer(k[:, 0], k[0]).astype(dtype)
    for kern, boundary, stride, mode in itertools.product(
        (k, rank1), BOUNDARIES, ((2, 2), (3, 1), (1, 4)), ("same", "valid")
    ):
        kw = dict(mode=mode, boundary=boundary, stride=stride)
        got = convolab.correlate(x, kern, method="stencil", **kw)
        assert got.dtype == np.dtype(dtype) and got.flags.c_contiguous
        assert_conv_close(got, correlate_ref(x, kern, **kw), x, kern)
    _, reason = convolab.choose_method(np.zeros((256, 256), dtype), k, mode="same", stride=2)
    if reason.startswith("stencil"):
        assert "at stride 1, every 2x2 kept" in reason


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_oblong_and_dilated_kernels_take_the_general_loop_at_stride_one(dtype):
    x, _ = _data((45, 52), (1, 1), dtype, seed=3)
    for kshape, stride, dilation in [((3, 5), (2, 2), (1, 1)), ((5, 2), (3, 2), (2, 1)),
                                     ((3, 3), (2, 3), (2, 2))]:  # fmt: skip
        _, k = _data((1, 1), kshape, dtype, seed=sum(kshape))
        for boundary, mode in itertools.product(BOUNDARIES, ("same", "valid")):
            kw = dict(mode=mode, boundary=boundary, stride=stride, dilation=dilation)
            got = convolab.correlate(x, k, method="stencil", **kw)
            assert_conv_close(got, correlate_ref(x, k, **kw), x, k)
    _, k = _data((1, 1), (3, 5), dtype, seed=1)
    _, reason = convolab.choose_method(np.zeros((1024, 1024), dtype), k, mode="same", stride=2)
    assert reason.startswith("stencil"), reason
    assert "one compiled pass at stride 1, every 2x2 kept" in reason


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("side", range(1, 10))
def test_against_scipy_ndimage(side, boundary, dtype):
    # ndimage puts the kernel's origin at k // 2, convolab's 'same' pads K // 2 before: equal
    x, k = _data((150, 67), (side, 10 - side), dtype, seed=side)
    got = convolab.correlate(x, k, "same", boundary=boundary, method="stencil")
    want = ndimage.correlate(x.astype(np.float64), k.astype(np.float64),
                             mode=NDIMAGE_MODE[boundary])  # fmt: skip
    assert_conv_close(got, want.astype(dtype), x, k)


def test_rank1_kernels_run_as_two_sums_and_agree_with_direct():
    x, _ = _data((70, 90), (1, 1), "float64")
    g = np.exp(-np.arange(-4, 5) ** 2 / 4)
    for k in (np.outer(g, g), np.outer([1.0, 2, 1], [-1.0, 0, 1]), np.ones((5, 2))):
        assert stencil.rank1_factors(k) is not None
        for boundary, stride, dilation in itertools.product(BOUNDARIES, (1, 2), (1, 3)):
            kw = dict(boundary=boundary, stride=stride, dilation=dilation)
            got = convolab.correlate(x, k, "same", method="stencil", **kw)
            assert_conv_close(got, convolab.correlate(x, k, "same", method="direct", **kw), x, k)


def test_rank1_factors_keep_exact_zeros_and_refuse_other_ranks():
    v, h = stencil.rank1_factors(np.array([[0.0, 3, 0], [0, 6, 0]]))
    assert np.array_equal(np.outer(v, h), [[0, 3, 0], [0, 6, 0]])
    assert (h == 0).sum() == 2
    assert stencil.rank1_factors(np.array([[1.0, 2], [3, 4]])) is None
    assert stencil.rank1_factors(np.zeros((3, 3))) is None
    assert stencil.rank1_factors(np.array([[1.0, np.inf]])) is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_nan_and_inf_propagate_as_the_definition(boundary, dtype):
    x, _ = _data((12, 14), (1, 1), dtype, seed=3)
    x[3, 4], x[8, 0], x[0, 13] = np.inf, np.nan, -np.inf
    kernels = [
        np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]),  # zeros: 0 * inf is nan
        np.outer([1.0, 2, 1], [-1.0, 0, 1]),  # rank 1 with a zero column
        np.ones((4, 4)),
    ]
    for k in kernels:
        k = k.astype(dtype)
        for mode, stride in (("same", 1), ("full", 2)):
            kw = dict(mode=mode, boundary=boundary, stride=stride)
            with np.errstate(invalid="ignore"):
                want = correlate_ref(x, k, **kw)
                got = convolab.correlate(x, k, method="stencil", **kw)
            assert np.array_equal(np.isnan(got), np.isnan(want)), (k, kw)
            assert np.array_equal(np.isposinf(got), np.isposinf(want)), (k, kw)
            assert np.array_equal(np.isneginf(got), np.isneginf(want)), (k, kw)
            finite = np.isfinite(want)
            np.testing.assert_allclose(got[finite], want[finite], rtol=1e-5, atol=1e-5)


def test_batches_and_per_input_kernels_broadcast():
    x, k = _data((3, 20, 21), (3, 5, 4), "float32", seed=4)
    got = convolab.correlate(x, k, "same", boundary="wrap", axes=(1, 2), method="stencil")
    for b in range(3):
        want = correlate_ref(x[b], k[b], "same", boundary="wrap")
        assert_conv_close(got[b], want, x[b], k[b])
    shared = convolab.correlate(x, k[0], "same", axes=(-2, -1), method="stencil")
    assert_conv_close(shared[2], correlate_ref(x[2], k[0], "same"), x[2], k[0])


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_lanes_filter_every_channel_of_an_interleaved_image(boundary):
    x, k = _data((2, 17, 23, 3), (4, 5), "float32", seed=5)
    pads = ((2, 1), (2, 2))
    for stride, dilation in [((1, 1), (1, 1)), ((2, 3), (1, 2))]:
        got = stencil.correlate_stencil(x, k[None], pads, boundary, 0.25, stride, dilation,
                                        lanes=True)  # fmt: skip
        for b, c in itertools.product(range(2), range(3)):
            want = stencil.correlate_stencil(x[b : b + 1, ..., c], k[None], pads, boundary,
                                             0.25, stride, dilation)  # fmt: skip
            np.testing.assert_array_equal(got[b, ..., c], want[0])


def test_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="2 or 3 axes"):
        convolab.correlate(np.ones(10), np.ones(3), method="stencil")
    with pytest.raises(ValueError, match="real data"):
        convolab.correlate(np.ones((4, 4), complex), np.ones((2, 2)), method="stencil")


def test_planner_offers_the_stencil_once_its_loop_is_loaded(monkeypatch):
    """Under the lazy policy a first call does not wait for Numba; once loaded, it serves."""
    from convolab._jit import LazyLoops
    from convolab._jit import stencil as compiled

    monkeypatch.setenv("CONVOLAB_JIT", "lazy")
    monkeypatch.setattr(compiled, "LOOPS", LazyLoops(compiled._build, optional=True))
    img = np.zeros((1024, 1024), np.float32)
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    assert convolab.choose_method(img, lap, "same")[0] != "stencil"
    compiled.LOOPS.load()
    assert convolab.choose_method(img, lap, "same")[0] == "stencil"  # not the remembered plan


def test_lazy_loop_loads_when_the_time_it_would_have_saved_pays_for_it(monkeypatch):
    """Under the lazy policy the first filter call runs without the loop; the time calls
    lose to its absence is counted, and the call after it passes the cost of loading loads
    it (a tiny cost here; 0.8 s in a fresh process). Planning alone loads nothing."""
    from convolab._jit import LazyLoops
    from convolab._jit import stencil as compiled
    from convolab.conv import planner, profile

    monkeypatch.setenv("CONVOLAB_JIT", "lazy")
    monkeypatch.setattr(compiled, "LOOPS", LazyLoops(compiled._build, optional=True))
    monkeypatch.setattr(planner, "_FORGONE", {})
    monkeypatch.setattr(profile, "LOOP_LOAD_S", 1e-9)
    monkeypatch.setattr(profile, "LOOP_LOAD_WARM_S", 1e-9)
    img = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    for _ in range(3):
        assert convolab.choose_method(img, lap, "same")[0] != "stencil"
    assert not compiled.ready()
    first = convolab.correlate(img, lap, "same", boundary="reflect")
    assert not compiled.ready()
    second = convolab.correlate(img, lap, "same", boundary="reflect")
    assert compiled.ready()
    assert convolab.choose_method(img, lap, "same", boundary="reflect")[0] == "stencil"
    np.testing.assert_allclose(second, first, rtol=1e-5, atol=1e-5)
    want = ndimage.correlate(img.astype(np.float64), lap.astype(np.float64), mode="mirror")
    np.testing.assert_allclose(second, want, rtol=1e-5, atol=1e-4)


def test_planner_picks_the_stencil_for_small_kernels_on_large_images():
    from convolab.runtime import load_compiled

    load_compiled()
    img = np.zeros((2048, 2048), np.float32)
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    for k in (lap, np.ones((5, 5), np.float32) / 25, np.ones((7, 7), np.float32)):
        for boundary in ("constant", "reflect"):
            method, reason = convolab.choose_method(img, k, "same", boundary=boundary)
            assert method == "stencil", reason
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((63, 63)).astype(np.float32)  # full rank: FFT
    method, reason = convolab.choose_method(img, dense, "same")
    assert method != "stencil", reason
    # a rank-1 kernel costs 2 k multiply-adds an output: a 63 x 63 box (15 ms against 24 for
    # FFT on 2048^2) and a Gaussian of sigma 8 (65 x 65) stay in one pass
    for k in (np.ones((63, 63), np.float32), convolab.kernels.gaussian(8).astype(np.float32)):
        method, reason = convolab.choose_method(img, k, "same", boundary="reflect")
        assert method == "stencil", reason


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("side", [33, 64, 127])
def test_large_rank1_kernels_against_scipy(side, dtype):
    # two 1D correlations (scipy.ndimage.correlate1d) are the rank-1 kernel's definition
    rng = np.random.default_rng(side)
    v, h = rng.standard_normal(side), rng.standard_normal(side)
    k = np.outer(v, h).astype(dtype)
    x = rng.standard_normal((side + 37, 2 * side + 5)).astype(dtype)
    for boundary in BOUNDARIES:
        got = convolab.correlate(x, k, "same", boundary=boundary, method="stencil")
        mode = NDIMAGE_MODE[boundary]
        # ndimage's origin k // 2 is where convolab's 'same' puts it, even sizes too
        want = ndimage.correlate1d(x.astype(np.float64), v, axis=0, mode=mode)
        want = ndimage.correlate1d(want, h, axis=1, mode=mode)
        assert_conv_close(got, want.astype(dtype), x, k)


@st.composite
def stencil_cases(draw):
    nd = draw(st.integers(2, 3), label="ndim")
    side = {2: 14, 3: 6}[nd]
    xs = tuple(draw(st.integers(1, side)) for _ in range(nd))
    ks = tuple(draw(st.integers(1, 9 if nd == 2 else 4)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    mode = draw(st.sampled_from(MODES), label="mode")
    if mode == "valid":
        ks = tuple(min(k, (n - 1) // d + 1) for n, k, d in zip(xs, ks, dilation, strict=True))
    boundary = draw(st.sampled_from(BOUNDARIES), label="boundary")
    fill = draw(st.sampled_from([0.0, 2.5])) if boundary == "constant" else 0.0
    dtype = draw(st.sampled_from(DTYPES), label="dtype")
    rank1 = draw(st.booleans(), label="rank-1 kernel")
    x, k = _data(xs, ks, dtype, seed=draw(st.integers(0, 2**31)))
    if rank1 and nd == 2:
        k = np.outer(k[:, 0], k[0]).astype(dtype)
    kw = dict(mode=mode, boundary=boundary, fill_value=fill, stride=stride, dilation=dilation)
    return x, k, kw


@settings(max_examples=150, deadline=None)
@given(case=stencil_cases())
def test_property_stencil_equals_direct_and_the_oracle(case):
    x, k, kw = case
    for func in (convolab.correlate, convolab.convolve):
        got = func(x, k, method="stencil", **kw)
        want = func(x, k, method="direct", **kw)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=0, atol=2 * conv_atol(x, k, x.dtype, 2.5))
    assert_conv_close(convolab.correlate(x, k, method="stencil", **kw), correlate_ref(x, k, **kw),
                      x, k, fill_value=kw["fill_value"])  # fmt: skip


def test_channels_last_images_take_the_stencil_in_place(monkeypatch):
    calls = []
    real = stencil.correlate_stencil

    def spy(*args, **kwargs):
        calls.append(kwargs.get("lanes", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(stencil, "correlate_stencil", spy)
    x, k = _data((2, 160, 150, 3), (5, 5), "float32", seed=6)
    for boundary in BOUNDARIES:
        got = convolab.correlate(x, k, "same", boundary=boundary, axes=(1, 2))
        want = convolab.correlate(x, k, "same", boundary=boundary, axes=(1, 2), method="direct")
        assert got.shape == x.shape and got.flags.c_contiguous
        assert_conv_close(got, want, x, k)
    assert calls == [True] * len(BOUNDARIES)


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_gradient_norm_is_the_norm_of_two_correlations(boundary, dtype):
    rng = np.random.default_rng(7)
    img = (rng.random((33, 40, 3)) * 200).astype(dtype)
    kx = np.outer([1.0, 2, 1], [-1.0, 0, 1])
    for ky, shape in ((kx.T.copy(), img.shape), (rng.standard_normal((3, 3)), img.shape[:2])):
        x = img if len(shape) == 3 else img[..., 0]
        fdt = np.float32 if dtype == "float32" else np.float64
        got = stencil.gradient_norm(x, kx.astype(fdt), ky.astype(fdt), boundary)
        per_channel = (...,) + (None,) * (x.ndim - 2)  # a 1-wide kernel axis over the channels
        gx = correlate_ref(x, kx[per_channel], "same", boundary=boundary)
        gy = correlate_ref(x, ky[per_channel], "same", boundary=boundary)
        assert got.dtype == fdt and got.shape == x.shape
        np.testing.assert_allclose(got, np.hypot(gx, gy), rtol=1e-5, atol=1e-3)


def test_gradient_norm_overflow_nan_and_inf():
    kx = np.outer([1.0, 2, 1], [-1.0, 0, 1]).astype(np.float32)
    x = np.full((9, 10), 1e20, np.float32)
    x[:, 5:] = -1e20
    x[6:] = 3e20  # squares overflow float32: hypot
    got = stencil.gradient_norm(x, kx, kx.T.copy(), "reflect")
    want = np.hypot(correlate_ref(x, kx, "same", boundary="reflect"),
                    correlate_ref(x, kx.T, "same", boundary="reflect"))  # fmt: skip
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    x = np.zeros((6, 7), np.float32)
    x[2, 2], x[4, 5] = np.nan, np.inf
    got = stencil.gradient_norm(x, kx, kx.T.copy(), "constant")
    with np.errstate(invalid="ignore"):
        gx = correlate_ref(x, kx, "same")
        gy = correlate_ref(x, kx.T, "same")
        want = np.sqrt(gx * gx + gy * gy)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(np.isinf(got), np.isinf(want))


def test_generated_kernels_are_in_sync():
    """stencil_kernels.py is generated: it must be what tools/ writes today."""
    script = Path(__file__).resolve().parents[1] / "tools" / "generate_stencil_kernels.py"
    out = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "up to date" in out.stdout


def _square(side, rank1, dtype, seed):
    rng = np.random.default_rng(seed)
    if rank1:
        v, h = rng.standard_normal(side), rng.standard_normal(side)
        v[side // 2] = 0.0 if side > 2 else v[0]  # an exact zero row: 0 * inf must stay NaN
        return np.outer(v, h).astype(dtype)
    return rng.standard_normal((side, side)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rank1", [False, True])
@pytest.mark.parametrize("side", range(1, 14))
def test_unrolled_kernels_against_the_loop_oracle(side, rank1, dtype):
    # the generated interior kernels (full_kxk, rank1_k) and the rows and columns around them
    if side > 9 and not rank1:
        pytest.skip("the general loop (tested above); the oracle is slow")
    k = _square(side, rank1, dtype, seed=side)
    kind = stencil._unrolled(k.shape, [stencil.rank1_factors(k)])
    if side <= 3 or (side <= 7 and not rank1):
        assert kind[0] == "full"
    elif rank1 and side <= 11:
        assert kind[0] == "rank1"
    else:  # beyond the generated shapes: the general loop
        assert kind is None
    for shape, mode in (((side + 9, side + 6), "same"), ((side + 4, side + 3), "full"),
                        ((side + 2, side), "valid"), ((side // 2 + 1, 7), "same")):  # fmt: skip
        x, _ = _data(shape, (1, 1), dtype, seed=side + 1)
        for boundary in BOUNDARIES:
            fill = -0.5 if boundary == "constant" else 0
            kw = dict(mode=mode, boundary=boundary, fill_value=fill)
            got = convolab.correlate(x, k, method="stencil", **kw)
            assert got.dtype == np.dtype(dtype)
            assert_conv_close(got, correlate_ref(x, k, **kw), x, k, fill_value=kw["fill_value"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("side", [2, 3, 5, 7, 11])
def test_unrolled_kernels_in_bands_against_scipy(side, dtype):
    # an image large enough for bands on the threads, a band edge in every few rows
    x, _ = _data((301, 187), (1, 1), dtype, seed=side)
    for rank1 in (False, True):
        k = _square(side, rank1, dtype, seed=2 * side)
        for boundary in BOUNDARIES:
            got = convolab.correlate(x, k, "same", boundary=boundary, method="stencil")
            want = ndimage.correlate(x.astype(np.float64), k.astype(np.float64),
                                     mode=NDIMAGE_MODE[boundary])  # fmt: skip
            assert_conv_close(got, want.astype(dtype), x, k)
        batch = np.stack([x[:40, :50], 2 * x[:40, :50]])  # two inputs, one kernel
        got = convolab.correlate(batch, k, "same", boundary="reflect", axes=(1, 2),
                                 method="stencil")  # fmt: skip
        for b in range(2):
            want = correlate_ref(batch[b], k, "same", boundary="reflect")
            assert_conv_close(got[b], want, batch[b], k)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_unrolled_kernels_propagate_nan_and_inf(boundary, dtype):
    x, _ = _data((23, 26), (1, 1), dtype, seed=8)
    x[11, 12], x[4, 0], x[0, 20], x[22, 25], x[15, 3] = np.inf, np.nan, -np.inf, np.nan, -np.inf
    for side, rank1 in itertools.product((2, 3, 5, 7), (False, True)):
        k = _square(side, rank1, dtype, seed=side)
        if not rank1:
            k[0, -1] = k[-1, 0] = 0.0  # zero taps still multiply
        for mode in ("same", "valid"):
            kw = dict(mode=mode, boundary=boundary)
            with np.errstate(invalid="ignore", over="ignore"):
                want = correlate_ref(x, k, **kw)
                got = convolab.correlate(x, k, method="stencil", **kw)
            for test in (np.isnan, np.isposinf, np.isneginf):
                assert np.array_equal(test(got), test(want)), (side, rank1, mode, test)
            finite = np.isfinite(want)
            np.testing.assert_allclose(got[finite], want[finite], rtol=1e-4, atol=1e-4)
