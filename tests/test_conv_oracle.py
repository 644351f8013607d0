"""convolve / correlate against the loop oracle, over every mode x boundary x method.

The oracle (``tests/oracle.py``) is itself checked here against two independent
references: ``numpy.pad`` for the boundary rules and ``scipy.signal`` for the modes.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

import convolab
from oracle import (
    BOUNDARIES,
    METHODS,
    MODES,
    array_of,
    assert_conv_close,
    conv_cases,
    convolve_ref,
    correlate_ref,
    pad_ref,
    result_dtype,
)

FUNCS = {
    "correlate": (convolab.correlate, correlate_ref),
    "convolve": (convolab.convolve, convolve_ref),
}


# --- the oracle checked against independent references ------------------------------------


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("n", [1, 2, 3, 5])
@pytest.mark.parametrize("pads", [(0, 0), (1, 2), (4, 0), (7, 11)])
def test_oracle_padding_matches_numpy_pad(boundary, n, pads):
    x = np.arange(1.0, n + 1)
    kw = {"constant_values": 2.5} if boundary == "constant" else {}
    expected = np.pad(x, pads, boundary, **kw)
    np.testing.assert_array_equal(pad_ref(x, [pads], boundary, 2.5), expected)


def test_oracle_padding_2d_matches_numpy_pad():
    x = np.arange(12.0).reshape(3, 4)
    for boundary in BOUNDARIES:
        np.testing.assert_array_equal(
            pad_ref(x, [(2, 5), (6, 1)], boundary), np.pad(x, [(2, 5), (6, 1)], boundary)
        )


@given(st.data())
def test_oracle_matches_scipy_signal(data):
    case = data.draw(conv_cases(boundaries=("constant",), max_stride=1, max_dilation=1,
                                dtypes=("float64", "complex128")))
    x, k, mode = case["x"], case["k"], case["mode"]
    np.testing.assert_allclose(correlate_ref(x, k, mode), signal.correlate(x, k, mode, "direct"),
                               atol=1e-9)
    np.testing.assert_allclose(convolve_ref(x, k, mode), signal.convolve(x, k, mode, "direct"),
                               atol=1e-9)


def test_oracle_stride_and_dilation_by_hand():
    x = np.arange(10.0)
    # dilation 2: taps at offsets 0 and 2; valid length 10 - 3 + 1 = 8; stride 3 keeps 0, 3, 6
    np.testing.assert_array_equal(
        correlate_ref(x, [1.0, 10.0], "valid", dilation=2, stride=3),
        [0 + 10 * 2, 3 + 10 * 5, 6 + 10 * 8],
    )


# --- the engine against the oracle ------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(FUNCS))
@settings(max_examples=max(120, settings.default.max_examples))
@given(data=st.data())
def test_matches_oracle(name, method, data):
    func, ref = FUNCS[name]
    case = data.draw(conv_cases(), label="case")
    x, k = case.pop("x"), case.pop("k")
    expected = ref(x, k, **case)
    got = func(x, k, method=method, **case)
    assert got.dtype == result_dtype(x.dtype, k.dtype)
    assert_conv_close(got, expected, x, k, fill_value=case["fill_value"])
    shape = convolab.output_shape(x.shape, k.shape, case["mode"], stride=case["stride"],
                                  dilation=case["dilation"])
    assert shape == expected.shape


@pytest.mark.parametrize("name", sorted(FUNCS))
@settings(max_examples=max(60, settings.default.max_examples))
@given(data=st.data())
def test_axes_broadcasting_matches_oracle(name, data):
    func, ref = FUNCS[name]
    nd = data.draw(st.integers(2, 3), label="ndim")
    n_conv = data.draw(st.integers(1, nd - 1), label="n_conv")
    axes = tuple(sorted(data.draw(st.permutations(range(nd)))[:n_conv]))
    if data.draw(st.booleans()):
        axes = tuple(a - nd for a in axes)  # negative axes
    xs, ks = [], []
    for a in range(nd):
        if a % nd in [b % nd for b in axes]:
            xs.append(data.draw(st.integers(1, 5)))
            ks.append(data.draw(st.integers(1, 5)))
        else:  # broadcast: equal, or one of them 1
            m = data.draw(st.integers(1, 3))
            which = data.draw(st.sampled_from(["eq", "x1", "k1"]))
            xs.append(1 if which == "x1" else m)
            ks.append(1 if which == "k1" else m)
    mode = data.draw(st.sampled_from(["full", "same"]))
    boundary = data.draw(st.sampled_from(BOUNDARIES))
    x = data.draw(array_of("float64", tuple(xs)), label="x")
    k = data.draw(array_of("float64", tuple(ks)), label="k")
    expected = ref(x, k, mode, boundary=boundary, axes=axes)
    got = func(x, k, mode, boundary=boundary, axes=axes)
    assert_conv_close(got, expected, x, k)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_oracle_table_small_fixed(mode, boundary):
    """A fixed, readable case per mode x boundary (2D, even kernel, stride and dilation)."""
    rng = np.random.default_rng(7)
    x = rng.integers(-5, 6, (5, 6)).astype(np.float64)
    k = rng.integers(-3, 4, (2, 3)).astype(np.float64)
    kw = dict(boundary=boundary, stride=(1, 2), dilation=(2, 1))
    if boundary == "constant":
        kw["fill_value"] = 3.0
    for name, (func, ref) in FUNCS.items():
        got = func(x, k, mode, **kw)
        np.testing.assert_allclose(got, ref(x, k, mode, **kw), atol=1e-10, err_msg=name)


@pytest.mark.parametrize("method", ["auto", "direct"])
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_nan_and_inf_propagate_as_in_the_definition(name, method):
    func, ref = FUNCS[name]
    x = np.arange(1.0, 13.0)
    x[3] = np.nan
    x[9] = np.inf
    k = np.array([1.0, 0.0, 2.0, 0.5])  # a zero tap: 0 * nan is nan by the definition
    for mode in MODES:
        for boundary in BOUNDARIES:
            got = func(x, k, mode, boundary=boundary, method=method)
            exp = ref(x, k, mode, boundary=boundary)
            msg = f"{mode} {boundary}"
            np.testing.assert_array_equal(np.isnan(got), np.isnan(exp), err_msg=msg)
            np.testing.assert_array_equal(np.isinf(got), np.isinf(exp), err_msg=msg)
            fin = np.isfinite(exp)
            np.testing.assert_allclose(got[fin], exp[fin], atol=1e-9)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_nan_propagates_with_auto_on_a_long_signal(name):
    """Even where ``auto`` picks a fast method, NaN must stay local as in the definition."""
    func, ref = FUNCS[name]
    rng = np.random.default_rng(1)
    x = rng.standard_normal(3000)
    x[1500] = np.nan
    k = rng.standard_normal(257)
    got = func(x, k, "same")
    nan_expected = np.zeros(3000, bool)
    nan_expected[1500 - 128 : 1500 + 129] = True  # the windows that cover the NaN
    np.testing.assert_array_equal(np.isnan(got), nan_expected)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64", "uint16", "bool",
                                   "complex64", "complex128"])
@pytest.mark.parametrize("method", METHODS)
def test_dtype_rules(dtype, method):
    x = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    k = (np.array([[1, 0], [1, 1]])).astype(dtype)
    for func in (convolab.convolve, convolab.correlate):
        y = func(x, k, "same", method=method)
        assert y.dtype == result_dtype(x.dtype, k.dtype)


@pytest.mark.parametrize(
    ("xdt", "kdt", "expected"),
    [
        ("float32", "float32", "float32"),
        ("float32", "float64", "float64"),
        ("float64", "float32", "float64"),
        ("int32", "float32", "float64"),
        ("int64", "int64", "float64"),
        ("bool", "bool", "float64"),
        ("float32", "complex64", "complex64"),
        ("float64", "complex64", "complex128"),
    ],
)
def test_mixed_dtypes_follow_result_type(xdt, kdt, expected):
    x = np.ones((4, 4), xdt)
    k = np.ones((3, 3), kdt)
    for func in (convolab.convolve, convolab.correlate):
        assert func(x, k).dtype == np.dtype(expected)


def test_complex_correlate_conjugates_kernel():
    x = np.array([1.0, 2.0, 3.0])
    k = np.array([1j])
    # y[n] = x[n] * conj(1j) = -1j * x[n]
    np.testing.assert_allclose(convolab.correlate(x, k), -1j * x)
    np.testing.assert_allclose(convolab.convolve(x, k), 1j * x)


def test_output_is_a_new_array_and_inputs_untouched():
    x = np.arange(6.0)
    k = np.array([1.0, 2.0])
    x0, k0 = x.copy(), k.copy()
    y = convolab.convolve(x, k, "same", boundary="reflect")
    assert not np.shares_memory(y, x)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(k, k0)


def test_lists_and_scalars_accepted():
    np.testing.assert_array_equal(convolab.convolve([1, 2, 3], [1, 1]), [1.0, 3.0, 5.0, 3.0])
    np.testing.assert_array_equal(convolab.correlate([1, 2, 3], [1, 1], "valid"), [3.0, 5.0])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_non_contiguous_and_read_only_inputs(name, method):
    """Views with steps, reversed axes and Fortran order give the same as contiguous copies."""
    func, ref = FUNCS[name]
    rng = np.random.default_rng(12)
    base = rng.standard_normal((13, 17))
    kbase = rng.standard_normal((6, 5))
    views = [
        (base[::2, ::-3], kbase[::2, :]),
        (np.asfortranarray(base[:7, :9]), kbase.T),
        (base[:, 3:10].T, kbase[::-1, 1:4]),
    ]
    for x, k in views:
        x.flags.writeable = False  # a view of a read-only array stays read-only
        expected = ref(np.ascontiguousarray(x), np.ascontiguousarray(k), "same",
                       boundary="symmetric", stride=(1, 2))
        got = func(x, k, "same", boundary="symmetric", stride=(1, 2), method=method)
        assert_conv_close(got, expected, x, k)
