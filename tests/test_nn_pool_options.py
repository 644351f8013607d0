"""Pooling in 1, 2 and 3 dimensions with every option (ceil_mode, count_include_pad, dilation,
per-side padding, return_indices, unpooling, Lp): against PyTorch (values and gradients,
float64), a plain-loop definition where PyTorch has no twin, and finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convolab import nn
from convolab.conv.geometry import pool_length
from convolab.nn import functional as F
from test_nn_tensor import check_gradients
from torch_oracle import assert_matches_torch


@st.composite
def pool_cases(draw, dilation=True):
    m = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(m))
    s = tuple(draw(st.integers(1, 3)) for _ in range(m))
    d = tuple(draw(st.integers(1, 2)) if dilation else 1 for _ in range(m))
    p = tuple(draw(st.integers(0, kk // 2)) for kk in k)  # PyTorch's limit
    n = tuple(draw(st.integers(1, 6)) for _ in range(m))
    ceil = draw(st.booleans())
    for nn_, kk, ss, dd, pp in zip(n, k, s, d, p):
        # every window holds a real sample (PyTorch's indices are undefined otherwise)
        assume(pool_length(nn_, pp, pp, dd * (kk - 1) + 1, ss, ceil) >= 1)
        assume(pp + dd * (kk - 1) < nn_ + pp or kk == 1)
    return m, k, s, p, d, n, ceil, draw(st.integers(0, 2**16))


def _values(rng, shape):
    return np.round(rng.standard_normal(shape), 1)  # ties are likely


@settings(max_examples=40)
@given(pool_cases())
def test_max_pool_matches_torch_with_indices(torch, case):
    m, k, s, p, d, n, ceil, seed = case
    x = _values(np.random.default_rng(seed), (2, 3) + n)
    tf = getattr(torch.nn.functional, f"max_pool{m}d")
    ours = getattr(F, f"max_pool{m}d")
    with torch.no_grad():
        ty, ti = tf(torch.tensor(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    assume(np.isfinite(ty.numpy()).all())  # no window made of padding alone
    assert_matches_torch(
        torch, lambda t: ours(t, k, s, p, d, ceil), lambda t: tf(t, k, s, p, d, ceil_mode=ceil), [x]
    )
    y, i = ours(x, k, s, p, d, ceil, return_indices=True)
    np.testing.assert_array_equal(i.data, ti.numpy())
    # unpooling puts each maximum back where it came from
    unpool = getattr(F, f"max_unpool{m}d")
    tu = getattr(torch.nn.functional, f"max_unpool{m}d")
    default = [(o - 1) * ss - 2 * pp + kk for o, ss, pp, kk in zip(y.shape[2:], s, p, k)]
    if int(np.prod(default)) > i.data.max():  # the default output size holds every index
        assert_matches_torch(
            torch, lambda t: unpool(t, i, k, s, p), lambda t: tu(t, ti, k, s, p), [y.data]
        )


@settings(max_examples=40)
@given(pool_cases(dilation=False), st.booleans(), st.sampled_from([None, 3]))
def test_avg_pool_matches_torch(torch, case, include, divisor):
    m, k, s, p, _, n, ceil, seed = case
    x = _values(np.random.default_rng(seed), (2, 3) + n)
    tf = getattr(torch.nn.functional, f"avg_pool{m}d")
    ours = getattr(F, f"avg_pool{m}d")
    extra = {} if m == 1 else {"divisor_override": divisor}
    assert_matches_torch(
        torch,
        lambda t: ours(t, k, s, p, ceil, include, **extra),
        lambda t: tf(t, k, s, p, ceil, include, **extra),
        [x],
    )


def _avg_pool_loop(x, k, s, pads, d, ceil, include):
    """Average pooling by its definition: the taps inside the (padded) input, one window at
    a time (what ONNX's AveragePool with dilations computes)."""
    m = len(k)
    n = x.shape[2:]
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    out = [pool_length(nn_, b, a, e, ss, ceil) for nn_, (b, a), e, ss in zip(n, pads, eff, s)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for pos in itertools.product(*(range(o) for o in out)):
        total, count = 0.0, 0
        for t in itertools.product(*(range(kk) for kk in k)):
            idx = [pos[i] * s[i] + t[i] * d[i] - pads[i][0] for i in range(m)]
            inside = all(0 <= idx[i] < n[i] for i in range(m))
            in_pad = all(-pads[i][0] <= idx[i] < n[i] + pads[i][1] for i in range(m))
            if inside:
                total = total + x[(slice(None), slice(None)) + tuple(idx)]
            count += inside if not include else in_pad
        y[(slice(None), slice(None)) + pos] = total / count
    return y


@settings(max_examples=30)
@given(pool_cases(), st.booleans(), st.data())
def test_avg_pool_with_dilation_and_per_side_padding_matches_the_definition(case, include, data):
    m, k, s, _, d, n, ceil, seed = case
    pads = tuple(
        (data.draw(st.integers(0, dd * (kk - 1))), data.draw(st.integers(0, dd * (kk - 1))))
        for kk, dd in zip(k, d)
    )
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d)]
    for nn_, (b, a), e, ss in zip(n, pads, eff, s):
        assume(pool_length(nn_, b, a, e, ss, ceil) >= 1)
    x = np.random.default_rng(seed).standard_normal((1, 2) + n)
    ref = _avg_pool_loop(x, k, s, pads, d, ceil, include)
    assume(np.isfinite(ref).all())  # a window of padding alone has no average
    y = getattr(F, f"avg_pool{m}d")(x, k, s, pads, ceil, include, dilation=d)
    np.testing.assert_allclose(y.data, ref, atol=1e-12)
    check_gradients(
        lambda t: getattr(F, f"avg_pool{m}d")(t, k, s, pads, ceil, include, dilation=d), x
    )


def test_max_pool_gradient_finite_differences_with_ceil_and_pairs():
    x = np.random.default_rng(5).standard_normal((1, 2, 5, 6))
    check_gradients(lambda t: F.max_pool2d(t, (2, 3), 2, ((0, 1), (1, 0)), (2, 1), True), x)
    check_gradients(lambda t: F.max_pool3d(t[:, :, None], (1, 2, 2), ceil_mode=True), x)


def test_same_upper_pooling_gives_ceil_n_over_s():
    x = np.arange(7.0).reshape(1, 1, 7)
    y = F.max_pool1d(x, 2, 2, "same_upper")
    np.testing.assert_array_equal(y.data, [[[1.0, 3.0, 5.0, 6.0]]])
    y = F.avg_pool1d(x, 3, 2, "same_lower", count_include_pad=False)
    np.testing.assert_allclose(y.data, [[[0.5, 2.0, 4.0, 5.5]]])  # pads (1, 1)


def test_lp_pool_matches_torch(torch):
    x = np.abs(np.random.default_rng(6).standard_normal((2, 3, 5, 7))) + 0.1
    for p in (1.0, 2.0, 3.0):
        assert_matches_torch(
            torch,
            lambda t, p=p: F.lp_pool2d(t, p, (2, 3), 2),
            lambda t, p=p: torch.nn.functional.lp_pool2d(t, p, (2, 3), 2),
            [x],
        )
    # ceil_mode: the partial window sums what it holds (ONNX's LpPool; PyTorch rescales
    # a partial window's mean by the full window size instead)
    y = F.lp_pool2d(x, 2, (2, 3), 2, ceil_mode=True).data
    np.testing.assert_allclose(y[:, :, -1, -1], np.sqrt((x[:, :, 4:, 4:] ** 2).sum(axis=(2, 3))))
    assert_matches_torch(
        torch, lambda t: F.lp_pool1d(t, 2, 3), lambda t: torch.nn.functional.lp_pool1d(t, 2, 3),
        [x[:, :, 0]],
    )  # fmt: skip


def test_global_pools():
    x = np.random.default_rng(8).standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(F.global_max_pool(x).data, x.max(axis=(2, 3), keepdims=True))
    np.testing.assert_allclose(F.global_avg_pool(x).data, x.mean(axis=(2, 3), keepdims=True))
    check_gradients(F.global_max_pool, x)
    check_gradients(F.global_avg_pool, x[:, :, 0])


def test_pool_argument_errors():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match="smaller than the"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.avg_pool2d(x, 5)
    with pytest.raises(ValueError, match="indices"):
        F.max_unpool2d(x, np.zeros((1, 1, 4, 4), dtype=np.int64) + 99, 2)
    with pytest.raises(ValueError, match="norm_type"):
        F.lp_pool2d(x, 0, 2)


@pytest.mark.parametrize(
    "layer",
    [
        nn.MaxPool3d(2, 1, 1, ceil_mode=True),
        nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True),
        nn.AvgPool3d(2, ceil_mode=True, count_include_pad=False),
        nn.AvgPool2d(3, 2, 1, ceil_mode=True, divisor_override=4),
        nn.AvgPool1d(3, 2, 1, ceil_mode=True),
        nn.LPPool2d(2, 2),
    ],
    ids=repr,
)
def test_pool_layers_cross_the_torch_bridge(torch, layer):
    from convolab.nn.torch_bridge import from_torch, to_torch

    m = getattr(layer, "_dims", 2)
    x = np.abs(np.random.default_rng(0).standard_normal((2, 3) + (7, 6, 5)[:m]))
    twin = to_torch(layer)
    np.testing.assert_allclose(twin(torch.tensor(x)).numpy(), layer(x).data, atol=1e-12)
    back = from_torch(twin)
    assert repr(back) == repr(layer)


def test_pool_layers_export_to_onnx():
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = nn.Sequential(
        nn.MaxPool2d(3, 2, ((0, 1), (1, 1)), ceil_mode=True),
        nn.AvgPool2d(2, 1, 1, ceil_mode=True, count_include_pad=False),
        nn.LPPool2d(2, 2),
        nn.GlobalMaxPool(),
    )
    x = np.random.default_rng(3).random((2, 3, 11, 9), dtype=np.float32)
    proto = nn.onnx.export_onnx(model, None, (3, 11, 9))
    session = ort.InferenceSession(proto.SerializeToString())
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, atol=1e-5)
    with pytest.raises(ValueError, match="return_indices"):
        nn.onnx.export_onnx(nn.MaxPool2d(2, return_indices=True), None, (1, 4, 4))
