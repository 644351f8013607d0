"""Bad arguments raise ValueError/TypeError whose message names the argument."""

import re

import numpy as np
import pytest

import convolab

BAD = (ValueError, TypeError)
FUNCS = [convolab.convolve, convolab.correlate]
X = np.arange(12.0).reshape(3, 4)
K = np.ones((2, 2))


def raises(call, *patterns, exc=BAD):
    """``call()`` raises ``exc`` and its message matches every regex in ``patterns``."""
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    for p in patterns:
        assert re.search(p, msg), f"{p!r} not in error message {msg!r}"
    return msg


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("mode", ["ful", "FULL", "", "reflect", None, 1])
def test_unknown_mode(func, mode):
    raises(lambda: func(X, K, mode), r"\bmode\b", re.escape(repr(mode)), exc=ValueError)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("boundary", ["zero", "periodic-ish", "", None, 0])
def test_unknown_boundary(func, boundary):
    raises(lambda: func(X, K, "same", boundary=boundary), r"\bboundary\b",
           re.escape(repr(boundary)), exc=ValueError)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize(
    ("foreign", "ours"),
    [
        ("nearest", "edge"),
        ("replicate", "edge"),
        ("mirror", "reflect"),
        ("symm", "symmetric"),
        ("circular", "wrap"),
        ("zeros", "constant"),
        ("fill", "constant"),
    ],
)
def test_foreign_boundary_names_suggest_ours(func, foreign, ours):
    msg = raises(lambda: func(X, K, "same", boundary=foreign), r"\bboundary\b", exc=ValueError)
    assert repr(ours) in msg or f"`{ours}`" in msg or f'"{ours}"' in msg, msg


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("method", ["fastest", "FFT", "oaconvolve", "", None])
def test_unknown_method(func, method):
    raises(lambda: func(X, K, method=method), r"\bmethod\b", re.escape(repr(method)),
           exc=ValueError)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("name", ["stride", "dilation"])
@pytest.mark.parametrize("value", [0, -1, (1, 0), (2, -3)])
def test_stride_dilation_below_one(func, name, value):
    raises(lambda: func(X, K, **{name: value}), rf"\b{name}\b", exc=ValueError)


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("name", ["stride", "dilation"])
@pytest.mark.parametrize("value", [1.5, 2.0, "2", None, (1, 1.5), True])
def test_stride_dilation_not_integer(func, name, value):
    raises(lambda: func(X, K, **{name: value}), rf"\b{name}\b")


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("name", ["stride", "dilation"])
def test_stride_dilation_wrong_length(func, name):
    raises(lambda: func(X, K, **{name: (1, 1, 1)}), rf"\b{name}\b")


@pytest.mark.parametrize("func", FUNCS)
def test_ndim_mismatch(func):
    msg = raises(lambda: func(X, np.ones(3)), r"dimension|ndim")
    assert "x" in msg and "k" in msg


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize(("x", "k", "name"), [
    ([], [1.0], "x"),
    (np.ones(3), [], "k"),
    (np.ones((0, 3)), np.ones((1, 1)), "x"),
    (np.ones((2, 3)), np.ones((2, 0)), "k"),
])
def test_empty_input(func, x, k, name):
    raises(lambda: func(x, k), rf"\b{name}\b", "empty", exc=ValueError)


@pytest.mark.parametrize("func", FUNCS)
def test_scalar_input(func):
    raises(lambda: func(3.0, [1.0]), r"\bx\b")
    raises(lambda: func([1.0, 2.0], 2.0), r"\bk\b")


@pytest.mark.parametrize("func", FUNCS)
def test_non_numeric_input(func):
    raises(lambda: func(["a", "b"], [1.0]), r"\bx\b")
    raises(lambda: func([1.0, 2.0], np.array([object()])), r"\bk\b")


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize(("xs", "ks", "kw"), [
    ((5, 2), (3, 4), {}),  # larger in one axis, smaller in the other
    ((2, 5), (4, 3), {}),
    ((5,), (3,), {"dilation": 3}),  # the dilated kernel (7) no longer fits in 5
    ((6, 6), (3, 2), {"dilation": (1, 6)}),
])
def test_valid_with_kernel_larger_where_forbidden(func, xs, ks, kw):
    raises(lambda: func(np.ones(xs), np.ones(ks), "valid", **kw), "valid", exc=ValueError)


@pytest.mark.parametrize("func", FUNCS)
def test_bad_fill_value(func):
    raises(lambda: func(X, K, "same", fill_value="zero"), r"\bfill_value\b")
    raises(lambda: func(X, K, "same", fill_value=None), r"\bfill_value\b")


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("axes", [(2,), (-3,), (0, 0), (1, -1), ()])
def test_bad_axes(func, axes):
    raises(lambda: func(X, K, axes=axes), r"\baxes\b")


@pytest.mark.parametrize("func", FUNCS)
def test_non_convolved_axes_must_broadcast(func):
    raises(lambda: func(np.ones((3, 5)), np.ones((2, 3)), axes=(-1,)), "broadcast",
           exc=ValueError)


# --- conv_nd ----------------------------------------------------------------------------

XN = np.ones((2, 4, 6, 6))
WN = np.ones((6, 4, 3, 3))


def test_conv_nd_groups_must_divide_channels():
    raises(lambda: convolab.conv_nd(XN, np.ones((6, 1, 3, 3)), groups=3), r"\bgroups\b",
           exc=ValueError)  # 3 does not divide C_in = 4
    raises(lambda: convolab.conv_nd(XN, np.ones((5, 2, 3, 3)), groups=2), r"\bgroups\b",
           exc=ValueError)  # 2 does not divide C_out = 5


@pytest.mark.parametrize("groups", [0, -2, 1.5, "2", None])
def test_conv_nd_bad_groups_value(groups):
    raises(lambda: convolab.conv_nd(XN, WN, groups=groups), r"\bgroups\b")


def test_conv_nd_channels_per_group_mismatch():
    # w expects 3 input channels per group; x has 4 with groups=1
    raises(lambda: convolab.conv_nd(XN, np.ones((6, 3, 3, 3))), r"channel", exc=ValueError)


@pytest.mark.parametrize("shape", [(6,), (6, 6), (1, 1, 2, 2, 2, 2)])
def test_conv_nd_wrong_x_ndim(shape):
    """x must be (N, C_in, *spatial) with 1 to 3 spatial axes."""
    w = np.ones((1,) * len(shape))
    raises(lambda: convolab.conv_nd(np.ones(shape), w), r"\bx\b", exc=ValueError)


def test_conv_nd_wrong_w_ndim():
    raises(lambda: convolab.conv_nd(XN, np.ones((6, 4, 3))), r"\bw\b", exc=ValueError)


@pytest.mark.parametrize("padding", [-1, (1, -1), (1, 1, 1), "full", "SAME", None, 1.5])
def test_conv_nd_bad_padding(padding):
    raises(lambda: convolab.conv_nd(XN, WN, padding=padding), r"\bpadding\b")


@pytest.mark.parametrize("name", ["stride", "dilation"])
@pytest.mark.parametrize("value", [0, -1, (1, 0), 1.5, (1, 1, 1)])
def test_conv_nd_bad_stride_dilation(name, value):
    raises(lambda: convolab.conv_nd(XN, WN, **{name: value}), rf"\b{name}\b")


@pytest.mark.parametrize("bias", [np.ones(5), np.ones((6, 1)), np.ones(7)])
def test_conv_nd_bad_bias(bias):
    raises(lambda: convolab.conv_nd(XN, WN, bias), r"\bbias\b", exc=ValueError)


def test_conv_nd_kernel_larger_than_padded_input():
    raises(lambda: convolab.conv_nd(np.ones((1, 1, 2, 2)), np.ones((1, 1, 4, 4))),
           r"kernel|larger", exc=ValueError)


def test_conv_nd_empty_input():
    raises(lambda: convolab.conv_nd(np.ones((0, 4, 6, 6)), WN), r"\bx\b", exc=ValueError)


# --- output_shape and choose_method -----------------------------------------------------


def test_output_shape_errors():
    raises(lambda: convolab.output_shape((10,), (3,), "ful"), r"\bmode\b", exc=ValueError)
    raises(lambda: convolab.output_shape((10, 10), (3,), "full"), r"kernel_shape|shape")
    raises(lambda: convolab.output_shape((10,), (3,), stride=0), r"\bstride\b")
    raises(lambda: convolab.output_shape((10,), (3,), dilation=0), r"\bdilation\b")


def test_choose_method_errors():
    raises(lambda: convolab.choose_method(X, K, mode="ful"), r"\bmode\b", exc=ValueError)
    raises(lambda: convolab.choose_method(X, K, boundary="nearest"), r"\bboundary\b",
           exc=ValueError)
    raises(lambda: convolab.choose_method(X, K, stride=0), r"\bstride\b")


def test_reflect_is_numpys_reflect_not_an_error():
    """'reflect' is accepted and means NumPy's reflect (cb|abcd|cb), not SciPy's."""
    y = convolab.correlate([1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 0.0], "same", boundary="reflect")
    np.testing.assert_array_equal(y, [2.0, 1.0, 2.0, 3.0])  # x[-1] reflects to x[1] = 2
