"""The kernel bank: shapes, sums, agreement with SciPy's filters, registry and kernel files."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

from convolab import kernels

BLURS = ["box", "gaussian", "motion_blur", "identity"]
SUM_TO_ONE = ["box", "gaussian", "identity", "sharpen", "emboss", "unsharp", "motion_blur",
              "shift"]
SUM_TO_ZERO = ["sobel", "scharr", "prewitt", "laplacian"]


def _impulse(n: int = 15) -> np.ndarray:
    x = np.zeros((n, n))
    x[n // 2, n // 2] = 1.0
    return x


def _embed(k: np.ndarray, n: int = 15) -> np.ndarray:
    """The kernel centred in an n x n zero array."""
    out = np.zeros((n, n))
    r0, c0 = n // 2 - k.shape[0] // 2, n // 2 - k.shape[1] // 2
    out[r0:r0 + k.shape[0], c0:c0 + k.shape[1]] = k
    return out


# --------------------------------------------------------------------------- sums and shapes


@pytest.mark.parametrize("name", SUM_TO_ONE)
def test_blur_like_kernels_sum_to_one(name):
    k = kernels.get(name)
    assert k.ndim == 2 and k.dtype == np.float64
    assert math.isclose(k.sum(), 1.0, rel_tol=0, abs_tol=1e-12)


@pytest.mark.parametrize("name", SUM_TO_ZERO)
def test_derivative_and_edge_kernels_sum_to_zero(name):
    assert kernels.get(name).sum() == 0.0


def test_laplacian_8_is_the_articles_edge_kernel():
    expected = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float)
    np.testing.assert_array_equal(kernels.laplacian(8), expected)


@pytest.mark.parametrize(
    ("call", "shape"),
    [
        (lambda: kernels.identity(5), (5, 5)),
        (lambda: kernels.box(4), (4, 4)),
        (lambda: kernels.box((2, 7)), (2, 7)),
        (lambda: kernels.gaussian(2.0), (17, 17)),
        (lambda: kernels.gaussian(2.0, truncate=2.0), (9, 9)),
        (lambda: kernels.gaussian((1.0, 3.0)), (9, 25)),
        (lambda: kernels.gaussian(1.0, size=(3, 7)), (3, 7)),
        (lambda: kernels.motion_blur(7, 0), (7, 7)),
        (lambda: kernels.motion_blur(4, 30), (5, 5)),
        (lambda: kernels.shift(2, -1), (5, 5)),
        (lambda: kernels.shift(0.5, 0), (3, 3)),
        (lambda: kernels.gabor(sigma=2, truncate=3), (13, 13)),
        (lambda: kernels.gabor(sigma=2, aspect=0.5, truncate=3), (25, 25)),
        (lambda: kernels.unsharp(1.0, 2.0), (9, 9)),
    ],
)
def test_shapes(call, shape):
    assert call().shape == shape


def test_box_is_the_mean():
    np.testing.assert_allclose(kernels.box((2, 3)), np.full((2, 3), 1 / 6))


# --------------------------------------------------------------------------- against SciPy


@given(
    sigma=st.floats(0.3, 4.0),
    truncate=st.floats(1.0, 5.0),
)
def test_gaussian_is_the_impulse_response_of_ndimage_gaussian_filter(sigma, truncate):
    k = kernels.gaussian(sigma, truncate=truncate)
    n = k.shape[0] + 4
    response = ndimage.gaussian_filter(_impulse(n), sigma, truncate=truncate, mode="constant")
    np.testing.assert_allclose(_embed(k, n), response, atol=1e-12)
    assert math.isclose(k.sum(), 1.0, abs_tol=1e-12)
    np.testing.assert_array_equal(k, k.T)


def test_anisotropic_gaussian_matches_ndimage():
    k = kernels.gaussian((1.0, 2.5))
    n = 25
    response = ndimage.gaussian_filter(_impulse(n), (1.0, 2.5), mode="constant")
    np.testing.assert_allclose(_embed(k, n), response, atol=1e-12)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("name", ["sobel", "prewitt"])
def test_derivatives_match_ndimage_impulse_response(name, axis):
    # Correlating an impulse with k gives k rotated by 180 degrees.
    response = getattr(ndimage, name)(_impulse(7), axis=axis, mode="constant")
    k = kernels.get(name, axis=axis)
    np.testing.assert_array_equal(_embed(k[::-1, ::-1], 7), response)


@pytest.mark.parametrize("axis", [0, 1])
def test_scharr_is_derivative_times_smoothing(axis):
    x = _impulse(7)
    other = 1 - axis
    expected = ndimage.correlate1d(x, [-1, 0, 1], axis=axis, mode="constant")
    expected = ndimage.correlate1d(expected, [3, 10, 3], axis=other, mode="constant")
    np.testing.assert_array_equal(_embed(kernels.scharr(axis)[::-1, ::-1], 7), expected)


def test_axis_names_and_numbers_agree():
    for name in ("sobel", "scharr", "prewitt"):
        np.testing.assert_array_equal(kernels.get(name, axis="y"), kernels.get(name, axis=0))
        np.testing.assert_array_equal(kernels.get(name, axis="x"), kernels.get(name, axis=1))
        np.testing.assert_array_equal(kernels.get(name, axis=0), kernels.get(name, axis=1).T)


def test_laplacian_4_is_minus_ndimage_laplace():
    rng = np.random.default_rng(3)
    x = rng.random((12, 10))
    ours = ndimage.correlate(x, kernels.laplacian(4), mode="mirror")
    np.testing.assert_allclose(ours, -ndimage.laplace(x, mode="mirror"), atol=1e-12)


def test_sharpen_is_identity_plus_edges():
    rng = np.random.default_rng(4)
    x = rng.random((9, 9))
    ours = ndimage.correlate(x, kernels.sharpen(), mode="nearest")
    np.testing.assert_allclose(ours, x - ndimage.laplace(x, mode="nearest"), atol=1e-12)


@given(sigma=st.floats(0.4, 2.5), amount=st.floats(-1.0, 3.0))
def test_unsharp_kernel_is_x_plus_amount_times_detail(sigma, amount):
    rng = np.random.default_rng(5)
    x = rng.random((20, 21))
    blurred = ndimage.gaussian_filter(x, sigma, mode="mirror")
    ours = ndimage.correlate(x, kernels.unsharp(sigma, amount), mode="mirror")
    np.testing.assert_allclose(ours, x + amount * (x - blurred), atol=1e-10)


# --------------------------------------------------------------------------- geometry


@given(dy=st.integers(-4, 4), dx=st.integers(-4, 4))
def test_integer_shift_moves_content_down_and_right(dy, dx):
    rng = np.random.default_rng(6)
    x = rng.random((11, 13))
    moved = ndimage.correlate(x, kernels.shift(dy, dx), mode="wrap")
    np.testing.assert_allclose(moved, np.roll(x, (dy, dx), axis=(0, 1)), atol=1e-12)


@given(dy=st.floats(-3, 3), dx=st.floats(-3, 3))
def test_fractional_shift_is_bilinear(dy, dx):
    rng = np.random.default_rng(7)
    x = rng.random((12, 12))
    moved = ndimage.correlate(x, kernels.shift(dy, dx), mode="wrap")
    y0, x0 = math.floor(dy), math.floor(dx)
    fy, fx = dy - y0, dx - x0
    expected = sum(
        wy * wx * np.roll(x, (y0 + oy, x0 + ox), axis=(0, 1))
        for oy, wy in ((0, 1 - fy), (1, fy))
        for ox, wx in ((0, 1 - fx), (1, fx))
    )
    np.testing.assert_allclose(moved, expected, atol=1e-10)
    assert math.isclose(kernels.shift(dy, dx).sum(), 1.0, abs_tol=1e-12)


def test_motion_blur_directions():
    h = kernels.motion_blur(5, 0)
    np.testing.assert_allclose(h[2], np.full(5, 0.2))
    assert h.sum() == pytest.approx(1.0) and np.count_nonzero(h) == 5
    np.testing.assert_allclose(kernels.motion_blur(5, 90), h.T, atol=1e-12)
    d = kernels.motion_blur(5, 45)
    # 45 degrees counter-clockwise with y up: from bottom-left to top-right
    assert d[0, 4] > 0 and d[4, 0] > 0 and d[0, 0] == 0 and d[4, 4] == 0
    np.testing.assert_allclose(kernels.motion_blur(5, 135), d[:, ::-1], atol=1e-12)


def test_motion_blur_even_length_spreads_half_weight_to_the_ends():
    k = kernels.motion_blur(4, 0)
    np.testing.assert_allclose(k[2], np.array([0.5, 1, 1, 1, 0.5]) / 4)


@given(length=st.floats(1.0, 15.0), angle=st.floats(-360, 360))
def test_motion_blur_properties(length, angle):
    k = kernels.motion_blur(length, angle)
    assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    assert np.all(k >= 0)
    assert math.isclose(k.sum(), 1.0, abs_tol=1e-12)
    np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-12)  # a line through the centre


def _gabor_loop(sigma, theta, wavelength, phase, aspect, radius):
    t = math.radians(theta)
    out = np.zeros((2 * radius + 1, 2 * radius + 1))
    for r in range(2 * radius + 1):
        for c in range(2 * radius + 1):
            x, y = c - radius, radius - r
            u = x * math.cos(t) + y * math.sin(t)
            v = -x * math.sin(t) + y * math.cos(t)
            out[r, c] = math.exp(-(u * u + aspect**2 * v * v) / (2 * sigma**2)) * math.cos(
                2 * math.pi * u / wavelength + phase
            )
    return out


@pytest.mark.parametrize(
    "params",
    [(2.0, 0.0, 4.0, 0.0, 1.0), (1.5, 30.0, 3.0, 0.5, 0.5), (3.0, 120.0, 6.0, -1.0, 2.0)],
)
def test_gabor_matches_the_formula(params):
    sigma, theta, wavelength, phase, aspect = params
    k = kernels.gabor(sigma, theta, wavelength, phase, aspect)
    radius = k.shape[0] // 2
    assert radius == math.ceil(3.0 * sigma / min(aspect, 1.0))
    np.testing.assert_allclose(k, _gabor_loop(*params, radius), atol=1e-14)


def test_gabor_responds_to_stripes_across_its_wave():
    cols = np.cos(2 * np.pi * np.arange(64) / 4.0)
    vertical_stripes = np.tile(cols, (64, 1))  # intensity varies along x
    k = kernels.gabor(sigma=3.0, theta=0.0, wavelength=4.0)
    strong = np.abs(ndimage.correlate(vertical_stripes, k, mode="wrap")).mean()
    weak = np.abs(ndimage.correlate(vertical_stripes.T, k, mode="wrap")).mean()
    assert strong > 20 * weak


# --------------------------------------------------------------------------- registry


def test_names_and_round_trip():
    names = kernels.names()
    assert names == sorted(names)
    assert set(names) >= {"identity", "box", "gaussian", "sobel", "scharr", "prewitt",
                          "laplacian", "sharpen", "emboss", "unsharp", "motion_blur", "shift",
                          "gabor"}
    for name in names:
        np.testing.assert_array_equal(kernels.get(name), getattr(kernels, name)())


def test_get_passes_parameters():
    np.testing.assert_array_equal(kernels.get("gaussian", sigma=2), kernels.gaussian(2))
    np.testing.assert_array_equal(kernels.get("Motion-Blur", length=3), kernels.motion_blur(3))


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown kernel 'sobol'") as err:
        kernels.get("sobol")
    msg = str(err.value)
    assert "did you mean 'sobel'" in msg
    for name in kernels.names():
        assert name in msg


def test_unknown_parameter_lists_the_accepted_ones():
    with pytest.raises(TypeError, match=r"unexpected parameter 'sigmaa'.*sigma, size, truncate"):
        kernels.get("gaussian", sigmaa=2)
    with pytest.raises(TypeError, match=r"unexpected parameter 'size'.*its parameters are: none"):
        kernels.get("sharpen", size=5)


@pytest.mark.parametrize(
    ("call", "exc", "pattern"),
    [
        (lambda: kernels.gaussian(0), ValueError, "`sigma` must be a positive number; got 0"),
        (lambda: kernels.gaussian("a"), TypeError, "`sigma` must be a positive number"),
        (lambda: kernels.gaussian(1, size=4), ValueError, "`size` must be odd"),
        (lambda: kernels.gaussian(1, truncate=-1), ValueError, "`truncate`"),
        (lambda: kernels.gaussian((1, 2, 3)), ValueError, "`sigma` must be a number or a pair"),
        (lambda: kernels.box(0), ValueError, "`size` must be an integer >= 1; got 0"),
        (lambda: kernels.box(2.5), TypeError, "`size` must be an integer"),
        (lambda: kernels.identity(4), ValueError, "`size` must be odd; got 4"),
        (lambda: kernels.laplacian(6), ValueError, "`neighbours` must be 4 or 8; got 6"),
        (lambda: kernels.sobel(2), ValueError, "`axis` must be 0 or 'y'"),
        (lambda: kernels.sobel("z"), ValueError, "got 'z'"),
        (lambda: kernels.motion_blur(0.5), ValueError, "`length` must be at least 1"),
        (lambda: kernels.shift(float("nan")), ValueError, "`dy` must be a finite number"),
        (lambda: kernels.gabor(wavelength=0), ValueError, "`wavelength`"),
        (lambda: kernels.unsharp(amount="x"), TypeError, "`amount`"),
    ],
)
def test_bad_parameters(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


# --------------------------------------------------------------------------- specs


def test_from_spec():
    np.testing.assert_array_equal(
        kernels.from_spec("gaussian:sigma=2,truncate=3"), kernels.gaussian(2, truncate=3)
    )
    np.testing.assert_array_equal(kernels.from_spec(" box : size = 3x5 "), kernels.box((3, 5)))
    np.testing.assert_array_equal(kernels.from_spec("sobel:axis=y"), kernels.sobel(0))
    np.testing.assert_array_equal(kernels.from_spec("shift:dy=-1.5"), kernels.shift(-1.5))
    np.testing.assert_array_equal(kernels.from_spec("sharpen"), kernels.sharpen())


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ("", "kernel spec must be a text"),
        ("sobel:axis", "expected param=value, got 'axis'"),
        ("sobel:=1", "expected param=value"),
        ("gaussian:sigma=", "expected param=value"),
        ("blurr", "unknown kernel 'blurr'"),
        ("gaussian:sigma=abc", "`sigma` must be a positive number; got 'abc'"),
    ],
)
def test_bad_specs(spec, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        kernels.from_spec(spec)


# --------------------------------------------------------------------------- kernel files


def test_load_text_and_csv(tmp_path):
    edge = kernels.laplacian(8)
    txt = tmp_path / "k.txt"
    txt.write_text("# the articles' edge kernel\n-1 -1 -1\n\n-1  8 -1\n-1,-1,-1\n")
    np.testing.assert_array_equal(kernels.load_file(txt), edge)
    csv = tmp_path / "k.csv"
    csv.write_text("0.25, 0.25\n0.25,0.25,\n")
    np.testing.assert_array_equal(kernels.load_file(csv), np.full((2, 2), 0.25))


def test_load_npy(tmp_path):
    p = tmp_path / "k.npy"
    np.save(p, np.arange(6, dtype=np.int32).reshape(2, 3))
    k = kernels.load_file(p)
    assert k.dtype == np.float64
    np.testing.assert_array_equal(k, np.arange(6.0).reshape(2, 3))
    np.save(p, np.array([1.0, 2.0, 1.0]))
    np.testing.assert_array_equal(kernels.load_file(p), [[1.0, 2.0, 1.0]])


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("ragged.txt", "1 2 3\n4 5\n", r"line 2: 2 values, but line 1 has 3"),
        ("ragged.csv", "1,2\n3,4\n5,6,7\n", r"line 3: 3 values, but line 1 has 2"),
        ("word.txt", "1 2\n3 x\n", r"line 2: 'x' is not a number"),
        ("word.csv", "1,two\n", r"line 1: 'two' is not a number"),
        ("empty.txt", "", "is empty"),
        ("comments.txt", "# nothing here\n\n", "is empty"),
        ("nan.txt", "1 nan\n", "NaN or infinite"),
        ("kernel.json", "[[1]]", "extension must be .txt, .csv or .npy"),
    ],
)
def test_bad_text_kernel_files(tmp_path, name, content, pattern):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(ValueError, match=pattern) as err:
        kernels.load_file(p)
    assert name in str(err.value)


def test_bad_npy_kernel_files(tmp_path):
    p = tmp_path / "k.npy"
    np.save(p, np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"1D or 2D array; got shape \(2, 2, 2\)"):
        kernels.load_file(p)
    np.save(p, np.zeros((0,)))
    with pytest.raises(ValueError, match="is empty"):
        kernels.load_file(p)
    np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="holds Python objects .a pickle."):
        kernels.load_file(p)
    np.save(p, np.array(["a", "b"]))
    with pytest.raises(ValueError, match="real numeric array"):
        kernels.load_file(p)
    p.write_bytes(b"not numpy at all")
    with pytest.raises(ValueError, match="not a NumPy array file"):
        kernels.load_file(p)


def test_missing_kernel_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt' does not exist"):
        kernels.load_file(tmp_path / "missing.txt")
