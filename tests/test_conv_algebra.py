"""The algebra of convolution (from the articles) as properties of the engine.

Commutativity, associativity, distributivity, differentiation, plus the identities
that tie correlation to convolution and make the CNN backward pass a convolution.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convolab
from oracle import BOUNDARIES, METHODS, MODES, array_of

SIDES = {1: 8, 2: 5, 3: 4}


@st.composite
def shapes(draw, nd, min_side=1):
    return tuple(draw(st.integers(min_side, SIDES[nd])) for _ in range(nd))


@st.composite
def operands(draw, count, dtype=None, same_shape=False):
    """``count`` arrays of equal ndim (1-3), float64 / float32 / complex."""
    nd = draw(st.integers(1, 3), label="ndim")
    dt = draw(st.sampled_from(["float64", "float32", "complex128"])) if dtype is None else dtype
    shape = draw(shapes(nd))
    out = []
    for _ in range(count):
        sh = shape if same_shape else draw(shapes(nd))
        out.append(draw(array_of(dt, sh)))
    return out


def close(a, b, *arrays):
    """Compare within a tolerance scaled by dtype and by the operands' L2 norms.

    ``|f * g| <= ||f||_2 ||g||_2`` bounds every output (Cauchy-Schwarz) and the rounding
    error of both the direct sum and an FFT is a small multiple of eps times that; a
    second convolution multiplies by another norm and at most sqrt(size).
    """
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    dt = np.result_type(a, b, np.float32)
    eps = np.finfo(dt).eps
    scale = 1.0
    for arr in arrays:
        scale *= float(np.sqrt(np.sum(np.abs(np.asarray(arr)) ** 2)))
    atol = 16 * eps * (16 + np.sqrt(a.size)) * scale + 1e-300
    np.testing.assert_allclose(a, b, rtol=0, atol=atol)


def flip_all(a):
    return a[(slice(None, None, -1),) * a.ndim]


@pytest.mark.parametrize("method", METHODS)
@given(ops=operands(2))
def test_commutativity_full(method, ops):
    f, g = ops
    close(convolab.convolve(f, g, method=method), convolab.convolve(g, f, method=method), f, g)


@given(ops=operands(2))
def test_correlation_is_conjugate_reversed_commuted(ops):
    """(f ⋆ g)[n] = conj((g ⋆ f)[-n]): correlation is not commutative, but nearly."""
    f, g = ops
    close(convolab.correlate(f, g), np.conj(flip_all(convolab.correlate(g, f))), f, g)


@pytest.mark.parametrize("method", METHODS)
@given(ops=operands(3))
def test_associativity(method, ops):
    f, g, h = ops
    left = convolab.convolve(convolab.convolve(f, g, method=method), h, method=method)
    right = convolab.convolve(f, convolab.convolve(g, h, method=method), method=method)
    close(left, right, f, g, h)


@settings(max_examples=max(40, settings.default.max_examples))
@given(data=st.data())
def test_distributivity_over_kernels_any_mode_and_boundary(data):
    """f * (g + h) = f * g + f * h, for every mode, boundary, stride and dilation."""
    f, g, h = data.draw(operands(3), label="f")
    h = np.resize(h, g.shape).astype(g.dtype)
    mode = data.draw(st.sampled_from(MODES), label="mode")
    if mode == "valid":
        f = np.resize(f, tuple(max(a, b) for a, b in zip(f.shape, g.shape, strict=True)))
    kw = dict(
        boundary=data.draw(st.sampled_from(BOUNDARIES), label="boundary"),
        fill_value=data.draw(st.sampled_from([0.0, 3.0]), label="fill"),
        stride=data.draw(st.integers(1, 2), label="stride"),
        method=data.draw(st.sampled_from(METHODS), label="method"),
    )
    for func in (convolab.convolve, convolab.correlate):
        whole = func(f, g + h, mode, **kw)
        parts = func(f, g, mode, **kw) + func(f, h, mode, **kw)
        # the padded signal (fill included) is the same on both sides: linear in the kernel
        fill = [kw["fill_value"]] * g.size
        close(whole, parts, np.concatenate([f.ravel(), fill]), np.abs(g) + np.abs(h))


@settings(max_examples=max(40, settings.default.max_examples))
@given(data=st.data())
def test_linearity_in_the_signal(data):
    """a f1 + b f2 in, a y1 + b y2 out, for every boundary with a zero fill."""
    f1, f2, k = data.draw(operands(3, dtype="float64"), label="ops")
    f2 = np.resize(f2, f1.shape)
    a, b = data.draw(st.sampled_from([(2.0, -1.0), (0.5, 3.0)]), label="ab")
    mode = data.draw(st.sampled_from(["full", "same"]), label="mode")
    boundary = data.draw(st.sampled_from(BOUNDARIES), label="boundary")
    method = data.draw(st.sampled_from(METHODS), label="method")
    for func in (convolab.convolve, convolab.correlate):
        lhs = func(a * f1 + b * f2, k, mode, boundary=boundary, method=method)
        rhs = (a * func(f1, k, mode, boundary=boundary, method=method)
               + b * func(f2, k, mode, boundary=boundary, method=method))
        close(lhs, rhs, np.abs(a * f1) + np.abs(b * f2), k)


def diff_kernel(nd, axis):
    shape = [1] * nd
    shape[axis] = 2
    return np.array([1.0, -1.0]).reshape(shape)


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_differentiation_full(method, data):
    """d/dx (f * g) = (df/dx) * g = f * (dg/dx), with the difference kernel [1, -1]."""
    f, g = data.draw(operands(2, dtype="float64"), label="ops")
    axis = data.draw(st.integers(0, f.ndim - 1), label="axis")
    d = diff_kernel(f.ndim, axis)

    def conv(a, b):
        return convolab.convolve(a, b, method=method)

    d_of_conv = conv(conv(f, g), d)
    close(d_of_conv, conv(conv(f, d), g), f, g)
    close(d_of_conv, conv(f, conv(g, d)), f, g)


@given(data=st.data())
def test_differentiation_same_size_on_a_circle(data):
    """With periodic boundaries the difference and the filter commute at the same size."""
    f, g = data.draw(operands(2, dtype="float64"), label="ops")
    axis = data.draw(st.integers(0, f.ndim - 1), label="axis")

    def circ_diff(a):  # (x[i] - x[i-1]) on a circle
        return a - np.roll(a, 1, axis=axis)

    for func in (convolab.convolve, convolab.correlate):
        y = func(f, g, "same", boundary="wrap")
        close(circ_diff(y), func(circ_diff(f), g, "same", boundary="wrap"), f, g)


@given(data=st.data())
def test_shift_equivariance_wrap(data):
    """Translating the input translates the output (the CNN's equivariance), exactly on a circle."""
    (f,) = data.draw(operands(1, dtype="float64"), label="f")
    k = data.draw(array_of("float64", data.draw(shapes(f.ndim))), label="k")
    shift = tuple(data.draw(st.integers(-3, 3)) for _ in range(f.ndim))
    axes = tuple(range(f.ndim))
    for func in (convolab.convolve, convolab.correlate):
        y = func(f, k, "same", boundary="wrap")
        close(func(np.roll(f, shift, axes), k, "same", boundary="wrap"),
              np.roll(y, shift, axes), f, k)


@given(ops=operands(2))
def test_sum_rule_full(ops):
    """sum(f * g) = sum(f) sum(g): the full convolution keeps every product once."""
    f, g = ops
    dt = np.result_type(f, g)
    atol = 64 * np.finfo(dt).eps * float(np.sum(np.abs(f)) * np.sum(np.abs(g)) + 1e-300)
    y = convolab.convolve(f, g)
    np.testing.assert_allclose(np.sum(y), np.sum(f) * np.sum(g), rtol=0, atol=atol)
    y = convolab.correlate(f, g)
    np.testing.assert_allclose(np.sum(y), np.sum(f) * np.sum(np.conj(g)), rtol=0, atol=atol)


@settings(max_examples=max(40, settings.default.max_examples))
@given(data=st.data())
def test_correlate_is_convolve_with_reversed_conjugated_kernel(data):
    """For every mode, boundary, stride and dilation: x ⋆ k = x * conj(reverse(k))."""
    x, k = data.draw(operands(2), label="ops")
    mode = data.draw(st.sampled_from(["full", "same"]), label="mode")
    kw = dict(
        boundary=data.draw(st.sampled_from(BOUNDARIES), label="boundary"),
        stride=data.draw(st.integers(1, 3), label="stride"),
        dilation=data.draw(st.integers(1, 2), label="dilation"),
        method=data.draw(st.sampled_from(METHODS), label="method"),
    )
    close(convolab.correlate(x, k, mode, **kw),
          convolab.convolve(x, np.conj(flip_all(k)), mode, **kw), x, k)


@given(data=st.data())
def test_gradient_of_valid_correlation_is_full_convolution(data):
    """<x ⋆ k (valid), y> = <x, y * k (full)>: the layer's input gradient is a convolution."""
    nd = data.draw(st.integers(1, 3), label="ndim")
    ks = data.draw(shapes(nd), label="kshape")
    xs = tuple(k + data.draw(st.integers(0, 3)) for k in ks)
    x = data.draw(array_of("float64", xs), label="x")
    k = data.draw(array_of("float64", ks), label="k")
    y = data.draw(array_of("float64", tuple(a - b + 1 for a, b in zip(xs, ks, strict=True))))
    method = data.draw(st.sampled_from(METHODS), label="method")
    lhs = np.sum(convolab.correlate(x, k, "valid", method=method) * y)
    rhs = np.sum(x * convolab.convolve(y, k, "full", method=method))
    close(lhs, rhs, x, k, y)
    # and the kernel gradient is a valid correlation of x with y
    gk = convolab.correlate(x, y, "valid", method=method)
    close(np.sum(convolab.correlate(x, k, "valid") * y), np.sum(gk * k), x, k, y)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("method", METHODS)
def test_identity_kernel(boundary, method):
    x = np.random.default_rng(0).standard_normal((6, 7))
    delta = np.zeros((3, 3))
    delta[1, 1] = 1.0
    for func in (convolab.convolve, convolab.correlate):
        np.testing.assert_allclose(func(x, delta, "same", boundary=boundary, method=method), x,
                                   atol=1e-12)
        np.testing.assert_allclose(func(x, [[1.0]], "valid", method=method), x, atol=1e-12)
