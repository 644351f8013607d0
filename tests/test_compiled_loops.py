"""The compiled loops of the layer engine (Numba): the register-blocked and dot-product
correlations of ``conv_gemm`` and the one-pass max pooling, against the loop oracle and the
NumPy forms they stand in for. Skipped without Numba."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convolab import nn
from convolab._jit import blocked as _compiled
from convolab._jit import pool as _pool_compiled
from convolab.conv.methods import gemm
from convolab.conv.methods.gemm import conv_gemm
from convolab.nn import functional as F
from oracle import conv_nd_ref

needs_compiled = pytest.mark.skipif(
    not _compiled.available(), reason="the compiled loops need Numba"
)

# LeNet-5's convolutions in a training step: (name, x shape, w shape, padding)
LENET = [
    ("C1 forward", (128, 1, 28, 28), (6, 1, 5, 5), 2),
    ("C3 forward", (128, 6, 14, 14), (16, 6, 5, 5), 0),
    ("C3 input gradient", (128, 16, 10, 10), (6, 16, 5, 5), 4),
    ("C3 weight gradient", (6, 128, 14, 14), (16, 128, 10, 10), 0),
    ("C1 weight gradient", (1, 128, 28, 28), (6, 128, 28, 28), 2),
]


def test_generated_kernels_are_in_sync():
    """blocked_kernels.py is generated: it must be what tools/ writes today."""
    script = Path(__file__).resolve().parents[1] / "tools" / "generate_blocked_kernels.py"
    out = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "up to date" in out.stdout


@needs_compiled
@pytest.mark.parametrize("name, xs, ws, p", LENET, ids=[c[0] for c in LENET])
def test_lenet_layers_run_on_the_compiled_loops(name, xs, ws, p):
    """The planner sends LeNet-5's small layers to the compiled loops (float32)."""
    out = tuple(n + 2 * p - k + 1 for n, k in zip(xs[2:], ws[2:], strict=True))
    chosen = gemm._choose_strategy(xs, ws, ((p, p),) * 2, (1, 1), (1, 1), out, 1,
                                   np.dtype(np.float32))  # fmt: skip
    assert chosen == ("dot" if "weight" in name else "blocked")


@needs_compiled
@pytest.mark.parametrize("strategy", ["blocked", "dot"])
@pytest.mark.parametrize("name, xs, ws, p", LENET, ids=[c[0] for c in LENET])
def test_compiled_loops_on_lenet_shapes_match_numpy(name, xs, ws, p, strategy):
    """Both loops on the full-size layers (several blocks per thread, two threads),
    float32, against the NumPy im2col layout; and float64 on a slice against the oracle."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    pads = ((p, p),) * 2
    ref = conv_gemm(x.astype(np.float64), w.astype(np.float64), pads, (1, 1), (1, 1),
                    strategy="taps")  # fmt: skip
    got = conv_gemm(x, w, pads, (1, 1), (1, 1), strategy=strategy)
    assert got.dtype == np.float32
    # float32 sums of up to 10^5 terms, in another order than the float64 reference
    np.testing.assert_allclose(got, ref, rtol=0, atol=3e-5 * np.abs(ref).max())
    xs64, ws64 = x[:2, :8].astype(np.float64), w[:5, :8].astype(np.float64)
    np.testing.assert_allclose(
        conv_gemm(xs64, ws64, pads, (1, 1), (1, 1), strategy=strategy),
        conv_nd_ref(xs64, ws64, padding=p), rtol=0, atol=1e-10,
    )  # fmt: skip


@st.composite
def layer_cases(draw):
    nsp = draw(st.integers(1, 3), label="spatial dims")
    groups = draw(st.integers(1, 2), label="groups")
    cin = groups * draw(st.integers(1, 4))
    cout = groups * draw(st.integers(1, 9))  # past one block of output channels
    ks = tuple(draw(st.integers(1, 5 if nsp < 3 else 3)) for _ in range(nsp))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nsp))
    pads = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(nsp))
    lows = [max(1, d * (k - 1) + 1 - b - a) for k, d, (b, a) in zip(ks, dil, pads, strict=True)]
    sp = tuple(draw(st.integers(lo, lo + (12 if nsp < 3 else 3))) for lo in lows)
    n = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, cin, *sp)).astype(dtype)
    w = rng.standard_normal((cout, cin // groups, *ks)).astype(dtype)
    bias = rng.standard_normal(cout).astype(dtype) if draw(st.booleans(), label="bias") else None
    return x, w, pads, dil, groups, bias


@needs_compiled
@settings(max_examples=60, deadline=None)
@given(case=layer_cases(), strategy=st.sampled_from(["blocked", "dot"]))
def test_compiled_loops_match_the_oracle(case, strategy):
    """Any shape, padding, dilation, groups, bias and both float dtypes, against the loop
    oracle (the blocked loop starts its sums with the bias)."""
    x, w, pads, dil, groups, bias = case
    one = (1,) * (x.ndim - 2)
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0), *pads])
    expected = conv_nd_ref(xp, w, bias, dilation=dil, groups=groups)
    got = conv_gemm(x, w, pads, one, dil, groups, strategy=strategy, bias=bias)
    assert got.shape == expected.shape and got.dtype == x.dtype
    tol = 1e-10 if x.dtype == np.float64 else 2e-5 * np.sqrt(w[0].size)
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol)


@needs_compiled
@pytest.mark.parametrize("strategy", ["blocked", "dot"])
def test_compiled_loops_propagate_nan_and_inf(strategy):
    """No fast-math: a NaN or an infinity reaches exactly the outputs whose window holds it
    (the dot loop's kernels have zeros between their rows, and 0 * inf is NaN: it hands
    non-finite inputs to the im2col layout)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 12, 11))
    w = rng.standard_normal((5, 3, 3, 3))
    x[0, 1, 4, 5] = np.nan
    x[1, 2, 7, 2] = np.inf
    pads = ((1, 1), (1, 1))
    ref = conv_gemm(x, w, pads, (1, 1), (1, 1), strategy="taps")
    got = conv_gemm(x, w, pads, (1, 1), (1, 1), strategy=strategy)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))
    finite = np.isfinite(ref)
    assert (~finite).sum() >= 9 * 5  # both windows reached every output channel
    np.testing.assert_allclose(got[finite], ref[finite], rtol=0, atol=1e-12)


@needs_compiled
@pytest.mark.parametrize("strategy", ["blocked", "dot"])
def test_compiled_loops_take_read_only_arrays(strategy):
    """Unpadded read-only inputs reach the kernels as they are: they must still run."""
    rng = np.random.default_rng(2)
    cases = [((2, 3, 16), (4, 3, 1)), ((2, 3, 8, 8), (5, 3, 1, 1)), ((1, 8, 6, 6), (6, 8, 6, 6))]
    for xs, ws in cases:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        x.flags.writeable = w.flags.writeable = False
        m = len(xs) - 2
        got = conv_gemm(x, w, ((0, 0),) * m, (1,) * m, (1,) * m, strategy=strategy)
        np.testing.assert_allclose(got, conv_nd_ref(x, w), rtol=0, atol=1e-10)


@st.composite
def framed_cases(draw):
    """An array of 1-3 axes after a leading one, the offsets, the larger shape to place it
    in and the length of the destination's rows (at least that shape's size)."""
    m = draw(st.integers(1, 3))
    n = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    front = [draw(st.integers(0, 4)) for _ in n]
    p = [f + k + draw(st.integers(0, 4)) for f, k in zip(front, n, strict=True)]
    length = int(np.prod(p)) + draw(st.integers(0, 9))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return (m, *n), tuple(p), tuple(front), length, dtype


@needs_compiled
@settings(max_examples=80, deadline=None)
@given(case=framed_cases())
def test_pad_into_places_the_array_in_zeros(case):
    """The compiled padded copy against its definition (slice assignment into zeros),
    over a destination full of garbage, NaN in the input."""
    xs, p, front, length, dtype = case
    x = np.random.default_rng(0).standard_normal(xs).astype(dtype)
    x.flat[0] = np.nan
    dest = np.full((xs[0], length), np.inf, dtype)
    _compiled.pad_into(x, dest, front, p)
    want = np.zeros((xs[0], length), dtype)
    box = (slice(None),) + tuple(slice(f, f + k) for f, k in zip(front, xs[1:], strict=True))
    want[:, : int(np.prod(p))].reshape(xs[0], *p)[box] = x
    np.testing.assert_array_equal(dest, want)


def test_without_numba_the_planner_keeps_numpy_layouts(monkeypatch):
    monkeypatch.setattr(_compiled, "available", lambda: False)
    for _, xs, ws, p in LENET:
        out = tuple(n + 2 * p - k + 1 for n, k in zip(xs[2:], ws[2:], strict=True))
        chosen = gemm._choose_strategy(xs, ws, ((p, p),) * 2, (1, 1), (1, 1), out, 1,
                                       np.dtype(np.float32))  # fmt: skip
        assert chosen not in ("blocked", "dot")
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match="Numba"):
        conv_gemm(x, w, ((0, 0),) * 2, (1, 1), (1, 1), strategy="blocked")


def test_compiled_loops_refuse_other_dtypes():
    x, w = np.ones((1, 1, 5, 5), np.complex128), np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match="float32 or float64"):
        conv_gemm(x, w, ((0, 0),) * 2, (1, 1), (1, 1), strategy="dot")


# ------------------------------------------------------------------------ max pooling


@pytest.fixture
def numpy_pool(monkeypatch):
    """Run max pooling in its NumPy form (the compiled loop switched off)."""
    monkeypatch.setattr(_pool_compiled.LOOPS, "_value", False)


def _pool_both(monkeypatch, fn, x, grad):
    """Forward output and input gradient with the compiled loop, then with NumPy."""
    results = []
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr(_pool_compiled.LOOPS, "_value", False)
        t = nn.Tensor(x.copy(), requires_grad=True)
        y = fn(t)
        with np.errstate(invalid="ignore"):  # the loss sums inf and -inf: NaN, unused
            (y * nn.Tensor(grad)).sum().backward()
        results.append((y.data, t.grad))
    return results


@pytest.mark.skipif(not _pool_compiled.available(np.dtype(np.float64)), reason="needs Numba")
@pytest.mark.parametrize(
    "m, k, s, p, d",
    [
        (2, (2, 2), (2, 2), (0, 0), (1, 1)),  # LeNet-5's pools
        (2, (3, 3), (2, 2), (1, 1), (1, 1)),  # overlapping windows, padding
        (2, (2, 3), (1, 2), (1, 1), (2, 1)),  # dilation, uneven
        (1, (3,), (2,), (1,), (2,)),
        (1, (2,), (2,), (0,), (1,)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_max_pool_equals_the_numpy_form(monkeypatch, m, k, s, p, d, dtype):
    """Values, ties (integers in a small range), NaN and the gradient's destination; the
    planes without a NaN take the loop without the NaN rule, infinities included."""
    rng = np.random.default_rng(11)
    x = rng.integers(0, 4, size=(3, 2, *([9] * m))).astype(dtype)  # many ties
    x[0, 1].flat[7] = np.nan
    x[1, 0].flat[[3, 4]] = np.inf  # a tie of infinities: the first wins
    x[2, 1].flat[::2] = -np.inf
    fn = {1: F.max_pool1d, 2: F.max_pool2d}[m]
    y_shape = fn(nn.Tensor(x), k, s, p, d).shape
    grad = rng.standard_normal(y_shape).astype(dtype)
    (y1, g1), (y2, g2) = _pool_both(monkeypatch, lambda t: fn(t, k, s, p, d), x, grad)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(g1 != 0, g2 != 0)  # the same destinations
    # overlapping windows add several gradients into one element, in another order
    np.testing.assert_allclose(g1, g2, rtol=1e-6 if dtype == np.float32 else 1e-14)
    assert y1.dtype == g1.dtype == dtype and np.isnan(y1).any()


def test_max_pool_numpy_form_still_serves(numpy_pool):
    x = np.array([[[[1.0, 2.0], [4.0, 3.0]]]])
    t = nn.Tensor(x, requires_grad=True)
    F.max_pool2d(t, 2).sum().backward()
    np.testing.assert_array_equal(t.grad, [[[[0.0, 0.0], [1.0, 0.0]]]])
