"""The worked examples of the source articles, with their numbers written out by hand."""

import numpy as np
import pytest

import convolab
from oracle import METHODS

F = [0, 0, 0, 3, 4, 5, 4, 3, 0, 0]  # the signal of the "shifting a signal" example


@pytest.mark.parametrize("method", METHODS)
def test_shift_right_by_correlation(method):
    """g = [1, 0, 0] in 'same' mode moves the signal one step to the right."""
    y = convolab.correlate(F, [1, 0, 0], "same", method=method)
    np.testing.assert_allclose(y, [0, 0, 0, 0, 3, 4, 5, 4, 3, 0], atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_shift_left_by_correlation(method):
    y = convolab.correlate(F, [0, 0, 1], "same", method=method)
    np.testing.assert_allclose(y, [0, 0, 3, 4, 5, 4, 3, 0, 0, 0], atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_true_convolution_shifts_the_other_way(method):
    """The article's table is a cross-correlation; convolve flips the kernel."""
    y = convolab.convolve(F, [1, 0, 0], "same", method=method)
    np.testing.assert_allclose(y, [0, 0, 3, 4, 5, 4, 3, 0, 0, 0], atol=1e-12)
    y = convolab.convolve(F, [0, 0, 1], "same", method=method)
    np.testing.assert_allclose(y, [0, 0, 0, 0, 3, 4, 5, 4, 3, 0], atol=1e-12)


def test_soft_shift():
    """g = [0.8, 0.1, 0.1] (Neural Turing Machine): mostly shifted, partly spread."""
    y = convolab.correlate(F, [0.8, 0.1, 0.1], "same")
    # y[t] = 0.8 f[t-1] + 0.1 f[t] + 0.1 f[t+1], by hand:
    np.testing.assert_allclose(y, [0, 0, 0.3, 0.7, 3.3, 4.1, 4.7, 3.5, 2.4, 0], atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_convolve_with_a_single_weight_scales(method):
    """np.convolve(x, 2) from the weighted-sum article: the same pattern, stretched."""
    x = np.sin(np.linspace(-2 * np.pi, 2 * np.pi, 200))
    y = convolab.convolve(x, [2], method=method)
    assert y.shape == (200,)
    np.testing.assert_allclose(y, 2 * x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(convolab.convolve(x, [2.0], "same", method=method), 2 * x,
                               atol=1e-12)


def test_moving_average_denoises():
    """The noisy recording f from the first article, averaged over 3 samples (valid)."""
    f = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]
    y = convolab.convolve(f, np.ones(3) / 3, "valid")
    # window sums 29, 28, 29, 20, 21, 20, 29, 27
    np.testing.assert_allclose(y, np.array([29, 28, 29, 20, 21, 20, 29, 27]) / 3, atol=1e-12)
    assert y.dtype == np.float64


def test_definition_of_the_discrete_convolution():
    """(f*g)[n] = sum_i f[i] g[n-i], by hand for f = [1, 2, 3], g = [0, 1, 0.5]."""
    np.testing.assert_allclose(convolab.convolve([1, 2, 3], [0, 1, 0.5]),
                               [0, 1, 2.5, 4, 1.5], atol=1e-12)
    # commutative: the same numbers with the roles swapped
    np.testing.assert_allclose(convolab.convolve([0, 1, 0.5], [1, 2, 3]),
                               [0, 1, 2.5, 4, 1.5], atol=1e-12)


def test_weighted_sum_formula_is_valid_correlation():
    """y_n = sum_i w_i x_{n+i} and Y(m, n) = sum_ij W_ij X_{m+i, n+j}."""
    x = [1, 2, 3, 4, 5]
    w = [1, 10, 100]
    np.testing.assert_allclose(convolab.correlate(x, w, "valid"), [321, 432, 543])
    X = np.arange(1, 10).reshape(3, 3)
    W = np.array([[1, 0], [0, -1]])
    np.testing.assert_allclose(convolab.correlate(X, W, "valid"), [[-4, -4], [-4, -4]])
    # as a convolution, W is flipped: -X[m, n] + X[m+1, n+1]
    np.testing.assert_allclose(convolab.convolve(X, W, "valid"), [[4, 4], [4, 4]])


def test_full_mode_is_the_articles_zero_padded_image():
    """'full' = a 'valid' pass over the image with K-1 rows/columns of zeros on each side."""
    f = np.array([[0, 3, 6, 3], [3, 6, 3, 6], [6, 3, 6, 3], [3, 6, 3, 0]], float)
    f_transformed = np.array([
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 3, 6, 3, 0, 0],
        [0, 0, 3, 6, 3, 6, 0, 0],
        [0, 0, 6, 3, 6, 3, 0, 0],
        [0, 0, 3, 6, 3, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
    ], float)
    k = np.array([[1, 2, 0], [0, -1, 3], [2, 0, 1]], float)
    for func in (convolab.correlate, convolab.convolve):
        full = func(f, k, "full")
        assert full.shape == (6, 6)
        np.testing.assert_allclose(full, func(f_transformed, k, "valid"), atol=1e-12)
    # the corner of 'full' sees only f[0, 0] * k[2, 2] (correlation)
    assert convolab.correlate(f, k, "full")[0, 0] == f[0, 0] * k[2, 2]
    assert convolab.correlate(f, k, "full")[0, 1] == f[0, 0] * k[2, 1] + f[0, 1] * k[2, 2]


@pytest.mark.parametrize("n", [5, 8, 13])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_output_sizes(n, k):
    """full n+k-1, same n, valid n-k+1 (not n-(k+1), as one article writes)."""
    x = np.ones(n)
    w = np.ones(k)
    assert convolab.convolve(x, w, "full").shape == (n + k - 1,)
    assert convolab.convolve(x, w, "same").shape == (n,)
    assert convolab.convolve(x, w, "valid").shape == (n - k + 1,)
    assert convolab.output_shape((n,), (k,), "full") == (n + k - 1,)
    assert convolab.output_shape((n,), (k,), "same") == (n,)
    assert convolab.output_shape((n,), (k,), "valid") == (n - k + 1,)
    if k > 2:
        assert convolab.output_shape((n,), (k,), "valid") != (n - (k + 1),)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_image_sizes_from_the_border_problem(k):
    """1x1 keeps n x n, 2x2 gives n-1, 3x3 gives n-2 (valid)."""
    img = np.ones((6, 6))
    assert convolab.correlate(img, np.ones((k, k)), "valid").shape == (7 - k, 7 - k)


@pytest.mark.parametrize(
    ("shape", "kshape", "mode", "stride", "dilation", "expected"),
    [
        ((10,), (3,), "full", 1, 1, (12,)),
        ((10,), (3,), "same", 2, 1, (5,)),
        ((10,), (3,), "valid", 3, 1, (3,)),  # 8 outputs, keep 0, 3, 6
        ((10,), (3,), "valid", 1, 2, (6,)),  # K = 5
        ((10,), (4,), "same", 1, 3, (10,)),
        ((32, 32), (5, 5), "valid", 2, 1, (14, 14)),
        ((7, 9), (3, 2), "full", (2, 3), (1, 2), (5, 4)),  # 9 -> 5 (s=2), K=3: 11 -> 4 (s=3)
        ((3,), (5,), "valid", 1, 1, (3,)),  # kernel larger: SciPy's swap, |n-k|+1
    ],
)
def test_output_shape_formula(shape, kshape, mode, stride, dilation, expected):
    """floor((n + p - d(k-1) - 1) / s) + 1, checked on hand-computed cases and real calls."""
    assert convolab.output_shape(shape, kshape, mode, stride=stride, dilation=dilation) == expected
    y = convolab.correlate(np.ones(shape), np.ones(kshape), mode, stride=stride,
                           dilation=dilation)
    assert y.shape == expected


def test_strided_valid_example():
    np.testing.assert_allclose(convolab.correlate([1, 2, 3, 4], [1, 1], "valid", stride=2), [3, 7])


def test_dilated_example():
    """Dilation 2 spreads [1, 1] to [1, 0, 1]."""
    np.testing.assert_allclose(convolab.correlate([1, 2, 3, 4, 5], [1, 1], "valid", dilation=2),
                               [4, 6, 8])


KERNELS = {  # from the CNN deep-dive article
    "laplacian": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], float),
    "gaussian": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], float) / 16,
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float),
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], float),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
}


@pytest.mark.parametrize("method", METHODS)
def test_classic_kernels_on_simple_images(method):
    flat = np.full((6, 7), 3.0)
    for name, expected in (("laplacian", 0.0), ("gaussian", 3.0), ("sharpen", 3.0),
                           ("sobel_x", 0.0)):
        y = convolab.correlate(flat, KERNELS[name], "same", boundary="edge", method=method)
        np.testing.assert_allclose(y, expected, atol=1e-12, err_msg=name)
    ramp = np.tile(np.arange(7.0), (6, 1))  # x[i, j] = j
    # correlation with sobel_x on x = j: (1 + 2 + 1) * ((j+1) - (j-1)) = 8 inside
    y = convolab.correlate(ramp, KERNELS["sobel_x"], "valid", method=method)
    np.testing.assert_allclose(y, 8.0, atol=1e-12)
    # convolution flips the kernel: the sign turns
    y = convolab.convolve(ramp, KERNELS["sobel_x"], "valid", method=method)
    np.testing.assert_allclose(y, -8.0, atol=1e-12)
    y = convolab.correlate(ramp, KERNELS["sobel_y"], "valid", method=method)
    np.testing.assert_allclose(y, 0.0, atol=1e-12)


def test_neuron_formula_is_same_correlation_plus_bias():
    """H_ij = U + sum_{a,b=-k..k} V_ab X_{i+a, j+b}: a 'same' correlation plus a bias."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 6))
    V = rng.standard_normal((3, 3))
    U = 0.75
    H = np.zeros_like(X)
    Xp = np.zeros((7, 8))
    Xp[1:-1, 1:-1] = X
    for i in range(5):
        for j in range(6):
            H[i, j] = U + sum(V[a + 1, b + 1] * Xp[i + 1 + a, j + 1 + b]
                              for a in (-1, 0, 1) for b in (-1, 0, 1))
    np.testing.assert_allclose(convolab.correlate(X, V, "same") + U, H, atol=1e-12)
    y = convolab.conv_nd(X[None, None], V[None, None], np.array([U]), padding=1)
    np.testing.assert_allclose(y[0, 0], H, atol=1e-12)
