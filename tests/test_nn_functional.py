"""nn.functional: forward against plain-loop oracles, backward against finite differences,
and both against PyTorch where it is installed."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convolab.nn import Tensor
from convolab.nn import functional as F
from test_nn_tensor import check_gradients

rng = np.random.default_rng(7)


def r(*shape):
    return rng.standard_normal(shape)


# --------------------------------------------------------------------------- loop oracles


def conv_loop(x, w, b, stride, pads, dilation, groups):
    """Cross-correlation by its definition, one output value at a time."""
    n_batch, c_in = x.shape[:2]
    c_out, c_in_g = w.shape[:2]
    m = x.ndim - 2
    ksize = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    out = [
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, (lo, hi), k, s, d in zip(x.shape[2:], pads, ksize, stride, dilation)
    ]
    y = np.zeros((n_batch, c_out, *out))
    per_group = c_out // groups
    for n in range(n_batch):
        for o in range(c_out):
            g = o // per_group
            for pos in itertools.product(*(range(q) for q in out)):
                acc = 0.0 if b is None else b[o]
                for c in range(c_in_g):
                    for t in itertools.product(*(range(k) for k in ksize)):
                        idx = tuple(pos[i] * stride[i] + t[i] * dilation[i] for i in range(m))
                        acc += w[(o, c) + t] * xp[(n, g * c_in_g + c) + idx]
                y[(n, o) + pos] = acc
    return y


def pool_loop(x, k, s, p, d, kind, count_include_pad=True):
    """Max or average over each window, one output value at a time."""
    m = len(k)
    lead = x.shape[:-m]
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0),) * len(lead) + tuple((q, q) for q in p), constant_values=fill)
    out = [
        (n + 2 * q - dd * (kk - 1) - 1) // ss + 1
        for n, q, dd, kk, ss in zip(x.shape[-m:], p, d, k, s)
    ]
    y = np.zeros(lead + tuple(out))
    for li in itertools.product(*(range(q) for q in lead)):
        for pos in itertools.product(*(range(q) for q in out)):
            vals, real = [], 0
            for t in itertools.product(*(range(q) for q in k)):
                idx = tuple(pos[i] * s[i] + t[i] * d[i] for i in range(m))
                vals.append(xp[li + idx])
                inside = all(p[i] <= idx[i] < p[i] + x.shape[len(lead) + i] for i in range(m))
                real += inside
            if kind == "max":
                y[li + pos] = max(vals)
            else:
                y[li + pos] = sum(vals) / (len(vals) if count_include_pad else real)
    return y


# --------------------------------------------------------------------------- convolution

CONV2D_CASES = [
    # x shape, w shape, stride, padding, dilation, groups
    ((2, 3, 6, 7), (4, 3, 3, 3), 1, 1, 1, 1),
    ((1, 4, 7, 8), (6, 2, 3, 2), (2, 3), (1, 0), (1, 2), 2),
    ((2, 2, 5, 5), (2, 1, 2, 2), 2, 0, 1, 2),  # depthwise, floor drops a row
    ((1, 2, 8, 6), (3, 2, 2, 3), (3, 2), (1, 2), (2, 1), 1),
    ((2, 2, 6, 6), (2, 2, 4, 2), 1, "same", (1, 2), 1),  # even kernel, asymmetric 'same'
    ((1, 3, 5, 6), (3, 3, 3, 3), 1, "valid", 1, 1),
    ((1, 1, 4, 4), (2, 1, 2, 2), 1, 3, 1, 1),  # padding larger than the kernel
]


def _pads(padding, ksize, dilation, m):
    dil = (dilation,) * m if isinstance(dilation, int) else dilation
    if padding == "valid":
        return ((0, 0),) * m
    if padding == "same":
        tot = [d * (k - 1) for d, k in zip(dil, ksize)]
        return tuple((t // 2, t - t // 2) for t in tot)
    pad = (padding,) * m if isinstance(padding, int) else padding
    return tuple((q, q) for q in pad)


def _tup(v, m):
    return (v,) * m if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize(("xs", "ws", "stride", "padding", "dilation", "groups"), CONV2D_CASES)
def test_conv2d_forward_matches_loops(xs, ws, stride, padding, dilation, groups):
    x, w, b = r(*xs), r(*ws), r(ws[0])
    y = F.conv2d(x, w, b, stride, padding, dilation, groups).data
    ref = conv_loop(
        x, w, b, _tup(stride, 2), _pads(padding, ws[2:], dilation, 2), _tup(dilation, 2), groups
    )
    np.testing.assert_allclose(y, ref, atol=1e-12)


@pytest.mark.parametrize(("xs", "ws", "stride", "padding", "dilation", "groups"), CONV2D_CASES)
def test_conv2d_gradients_finite_differences(xs, ws, stride, padding, dilation, groups):
    check_gradients(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
        r(*xs),
        r(*ws),
        r(ws[0]),
    )


@pytest.mark.parametrize(
    ("xs", "ws", "stride", "padding", "dilation", "groups"),
    [
        ((2, 2, 9), (4, 1, 3), 2, 1, 2, 2),
        ((1, 3, 7), (2, 3, 4), 3, 2, 1, 1),
        ((2, 2, 6), (2, 2, 2), 1, "same", 3, 1),
    ],
)
def test_conv1d_forward_and_gradients(xs, ws, stride, padding, dilation, groups):
    x, w, b = r(*xs), r(*ws), r(ws[0])
    ref = conv_loop(x, w, b, (stride,), _pads(padding, ws[2:], dilation, 1), (dilation,), groups)
    np.testing.assert_allclose(
        F.conv1d(x, w, b, stride, padding, dilation, groups).data, ref, atol=1e-12
    )
    check_gradients(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups), x, w, b)


def test_conv3d_forward_and_gradients():
    x, w = r(1, 2, 4, 5, 4), r(2, 2, 2, 3, 2)
    ref = conv_loop(x, w, None, (2, 1, 1), ((1, 1), (0, 0), (1, 1)), (1, 1, 2), 1)
    y = F.conv3d(x, w, None, (2, 1, 1), (1, 0, 1), (1, 1, 2))
    np.testing.assert_allclose(y.data, ref, atol=1e-12)
    check_gradients(lambda x, w: F.conv3d(x, w, None, (2, 1, 1), (1, 0, 1), (1, 1, 2)), x, w)


def test_conv2d_float32_stays_float32():
    x = Tensor(r(2, 3, 5, 5).astype(np.float32), requires_grad=True)
    w = Tensor(r(4, 3, 3, 3).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1, stride=2)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == np.float32


def test_conv_only_weight_or_only_input_gradient():
    x, w = r(1, 2, 5, 5), r(3, 2, 3, 3)
    wt = Tensor(w, requires_grad=True)
    F.conv2d(Tensor(x), wt).sum().backward()
    # dL/dw[o, c, u, v] = sum over outputs of x[c, i+u, j+v]: the window sums above, per tap
    ref = np.zeros((3, 2, 3, 3))
    for u in range(3):
        for v in range(3):
            ref[:, :, u, v] = x[0, :, u : u + 3, v : v + 3].sum(axis=(1, 2))
    np.testing.assert_allclose(wt.grad, ref)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(x=(3, 5), w=(4, 3, 3, 3)), "`input` must have shape"),
        (dict(x=(1, 3, 5, 5), w=(4, 3, 3)), "`weight` must have shape"),
        (dict(x=(1, 3, 5, 5), w=(4, 3, 3, 3), stride=0), "`stride` must be >= 1"),
        (dict(x=(1, 3, 5, 5), w=(4, 3, 3, 3), padding="full"), "'valid', 'same', 'same_upper'"),
        (dict(x=(1, 3, 5, 5), w=(4, 3, 3, 3), padding="same", stride=2), "stride 1"),
        (dict(x=(1, 4, 5, 5), w=(4, 2, 3, 3), groups=3), "groups"),
    ],
)
def test_conv2d_bad_arguments(kwargs, match):
    x, w = np.zeros(kwargs.pop("x")), np.zeros(kwargs.pop("w"))
    with pytest.raises(ValueError, match=match):
        F.conv2d(x, w, **kwargs)


# --------------------------------------------------------------------------- pooling

POOL_CASES = [
    # x shape, kernel, stride, padding, dilation
    ((2, 3, 6, 7), 2, None, 0, 1),
    ((1, 2, 7, 7), 3, 2, 1, 1),  # overlapping windows with padding
    ((1, 2, 7, 8), (3, 2), (1, 2), (1, 1), (2, 1)),
    ((2, 5, 5), 3, 1, 0, 1),  # unbatched (C, H, W)
    ((1, 2, 8, 7), 3, 3, 1, 1),  # tiling windows with padding
]


@pytest.mark.parametrize(("xs", "k", "s", "p", "d"), POOL_CASES)
def test_max_pool2d_forward_and_gradients(xs, k, s, p, d):
    x = rng.permutation(np.prod(xs)).reshape(xs).astype(float) / 10  # distinct values
    kk, ss = _tup(k, 2), _tup(k if s is None else s, 2)
    ref = pool_loop(x, kk, ss, _tup(p, 2), _tup(d, 2), "max")
    np.testing.assert_array_equal(F.max_pool2d(x, k, s, p, d).data, ref)
    check_gradients(lambda t: F.max_pool2d(t, k, s, p, d), x)


def test_max_pool_ties_go_to_one_element():
    x = np.ones((1, 1, 4, 4))
    t = Tensor(x, requires_grad=True)
    F.max_pool2d(t, 3, 1).sum().backward()
    # each of the 4 windows sends its gradient to its first element (row-major)
    expected = np.zeros((4, 4))
    expected[0, 0] = expected[0, 1] = expected[1, 0] = expected[1, 1] = 1
    np.testing.assert_array_equal(t.grad[0, 0], expected)
    assert t.grad.sum() == 4
    t = Tensor(np.ones((1, 1, 4, 5)), requires_grad=True)
    F.max_pool2d(t, 2).sum().backward()  # tiling windows: first element of each, last column unused
    expected = np.zeros((4, 5))
    expected[::2, 0:4:2] = 1
    np.testing.assert_array_equal(t.grad[0, 0], expected)


def test_max_pool_nan_is_the_maximum():
    x = np.array([[[[1.0, np.nan, 5.0, 2.0], [0.0, 3.0, 1.0, 4.0]]]])
    t = Tensor(x, requires_grad=True)
    y = F.max_pool2d(t, 2)
    assert np.isnan(y.data[0, 0, 0, 0]) and y.data[0, 0, 0, 1] == 5.0
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(t.grad[0, 0], [[0, 1, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize(("xs", "k", "s", "p", "_d"), POOL_CASES)
@pytest.mark.parametrize("include", [True, False])
def test_avg_pool2d_forward_and_gradients(xs, k, s, p, _d, include):
    x = r(*xs)
    kk, ss = _tup(k, 2), _tup(k if s is None else s, 2)
    ref = pool_loop(x, kk, ss, _tup(p, 2), (1, 1), "avg", include)
    y = F.avg_pool2d(x, k, s, p, count_include_pad=include)
    np.testing.assert_allclose(y.data, ref, atol=1e-12)
    check_gradients(lambda t: F.avg_pool2d(t, k, s, p, count_include_pad=include), x)


def test_pool1d_forward_and_gradients():
    x = rng.permutation(2 * 3 * 11).reshape(2, 3, 11).astype(float)
    np.testing.assert_array_equal(
        F.max_pool1d(x, 3, 2, 1).data, pool_loop(x, (3,), (2,), (1,), (1,), "max")
    )
    np.testing.assert_allclose(
        F.avg_pool1d(x, 4, 3).data, pool_loop(x, (4,), (3,), (0,), (1,), "avg")
    )
    check_gradients(lambda t: F.max_pool1d(t, 3, 2, 1, dilation=2), x)
    check_gradients(lambda t: F.avg_pool1d(t, 4, 3, 2, count_include_pad=False), x)


def test_avg_pool_divisor_override():
    x = np.ones((1, 1, 4, 4))
    np.testing.assert_array_equal(
        F.avg_pool2d(x, 2, divisor_override=2).data, 2 * np.ones((1, 1, 2, 2))
    )


@pytest.mark.parametrize(
    ("shape", "out"), [((2, 3, 7, 5), (3, 2)), ((1, 2, 4, 4), 1), ((1, 1, 5, 6), (None, 4))]
)
def test_adaptive_avg_pool2d(shape, out):
    x = r(*shape)
    y = F.adaptive_avg_pool2d(x, out).data
    oh, ow = (out, out) if isinstance(out, int) else out
    oh = shape[2] if oh is None else oh
    ow = shape[3] if ow is None else ow
    h, w = shape[2:]
    ref = np.zeros(shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
            w0, w1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(y, ref, atol=1e-12)
    check_gradients(lambda t: F.adaptive_avg_pool2d(t, out), x)


def test_global_avg_pool_and_adaptive_1d():
    x = r(2, 3, 4, 5)
    np.testing.assert_allclose(F.global_avg_pool2d(x).data[..., 0, 0], x.mean(axis=(2, 3)))
    x1 = r(2, 3, 10)
    np.testing.assert_allclose(
        F.adaptive_avg_pool1d(x1, 5).data, x1.reshape(2, 3, 5, 2).mean(axis=-1)
    )
    check_gradients(lambda t: F.adaptive_avg_pool1d(t, 3), x1)


def test_pool_bad_arguments():
    with pytest.raises(ValueError, match="smaller than the .dilated. window"):
        F.max_pool2d(np.zeros((1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.avg_pool2d(np.zeros((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match="`input` must have shape"):
        F.max_pool2d(np.zeros((4, 4)), 2)
    with pytest.raises(TypeError, match="kernel_size"):
        F.max_pool2d(np.zeros((1, 1, 4, 4)), 2.5, ceil_mode=True)


# --------------------------------------------------------------------------- activations


def test_activations_values_and_gradients():
    x = r(3, 4)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the ReLU kink
    np.testing.assert_array_equal(F.relu(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(F.leaky_relu(x, 0.2).data, np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh(x).data, np.tanh(x))
    np.testing.assert_allclose(F.softplus(x).data, np.log1p(np.exp(x)))
    for fn in (F.relu, lambda t: F.leaky_relu(t, 0.2), F.sigmoid, F.tanh, F.softplus):
        check_gradients(fn, x)


def test_sigmoid_and_softplus_do_not_overflow():
    x = np.array([-1000.0, 0.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(F.sigmoid(x).data, [0.0, 0.5, 1.0])
        np.testing.assert_allclose(F.softplus(x).data, [0.0, math.log(2), 1000.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax(dim):
    x = r(3, 4)
    e = np.exp(x)
    ref = e / e.sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(F.softmax(x, dim).data, ref)
    np.testing.assert_allclose(F.log_softmax(x, axis=dim).data, np.log(ref))
    check_gradients(lambda t: F.softmax(t, dim), x)
    check_gradients(lambda t: F.log_softmax(t, dim), x)


def test_softmax_large_logits_and_missing_dim():
    y = F.softmax(np.array([[1000.0, 1000.0, -1000.0]]), dim=1).data
    np.testing.assert_allclose(y, [[0.5, 0.5, 0.0]])
    with pytest.raises(TypeError, match="`dim`"):
        F.softmax(np.zeros(3))


# --------------------------------------------------------------------------- dense, dropout


def test_linear_and_flatten():
    x, w, b = r(2, 3, 4), r(5, 4), r(5)
    np.testing.assert_allclose(F.linear(x, w, b).data, np.einsum("abi,oi->abo", x, w) + b)
    check_gradients(lambda x, w, b: F.linear(x, w, b), x, w, b)
    check_gradients(lambda x, w: F.linear(x, w), r(3, 4), w)
    check_gradients(lambda x: F.flatten(x, 1), x)
    with pytest.raises(ValueError, match="`input` must have shape"):
        F.linear(r(2, 3), w)


def test_dropout_scaling_statistics_and_gradient():
    x = np.ones((200, 100))
    y = F.dropout(x, 0.3, generator=np.random.default_rng(1)).data
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(kept.mean() - 0.7) < 0.01
    t = Tensor(x, requires_grad=True)
    out = F.dropout(t, 0.3, generator=np.random.default_rng(1))
    out.sum().backward()
    np.testing.assert_allclose(t.grad, out.data)  # gradient = mask / (1 - p)
    assert F.dropout(t, 0.3, training=False) is t
    np.testing.assert_array_equal(F.dropout(x, 1.0).data, 0)
    with pytest.raises(ValueError, match="`p`"):
        F.dropout(x, 1.5)


# --------------------------------------------------------------------------- batch norm


# rows of 16 values or more take the compiled passes when Numba is installed
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 4, 3), (4, 3, 17), (3, 2, 5, 4)])
def test_batch_norm_training_forward_stats_and_gradients(shape):
    x = r(*shape) * 2 + 1
    w, b = r(shape[1]), r(shape[1])
    axes = (0,) + tuple(range(2, len(shape)))
    rm, rv = np.zeros(shape[1]), np.ones(shape[1])
    y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-5).data
    cshape = (1, -1) + (1,) * (len(shape) - 2)
    mu, var = x.mean(axis=axes), x.var(axis=axes)
    ref = (x - mu.reshape(cshape)) / np.sqrt(var.reshape(cshape) + 1e-5) * w.reshape(cshape)
    np.testing.assert_allclose(y, ref + b.reshape(cshape), atol=1e-12)
    np.testing.assert_allclose(rm, 0.3 * mu)
    np.testing.assert_allclose(rv, 0.7 + 0.3 * x.var(axis=axes, ddof=1))
    check_gradients(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), x, w, b)
    check_gradients(lambda t: F.batch_norm(t, None, None, training=True), x)


@pytest.mark.parametrize("shape", [(4, 3, 2, 2), (2, 3, 4, 5)])
def test_batch_norm_eval_uses_running_stats(shape):
    x, w, b = r(*shape), r(3), r(3)
    rm, rv = r(3), np.abs(r(3)) + 0.5
    y = F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3).data
    c = (1, 3, 1, 1)
    ref = (x - rm.reshape(c)) / np.sqrt(rv.reshape(c) + 1e-3) * w.reshape(c) + b.reshape(c)
    np.testing.assert_allclose(y, ref)
    check_gradients(lambda t, w, b: F.batch_norm(t, rm, rv, w, b, False, 0.1, 1e-3), x, w, b)
    with pytest.raises(ValueError, match="running_mean"):
        F.batch_norm(x, None, rv, training=False)
    with pytest.raises(ValueError, match="more than one value"):
        F.batch_norm(r(1, 3), None, None, training=True)


# --------------------------------------------------------------------------- losses


def _ce_loop(x, t, weight, ignore_index, reduction, eps):
    """PyTorch's cross-entropy with class indices, written per sample."""
    n, c = x.shape
    w = np.ones(c) if weight is None else weight
    losses, denom, smooth_total = [], 0.0, 0.0
    for i in range(n):
        if t[i] == ignore_index:
            losses.append(0.0)
            continue
        lse = math.log(sum(math.exp(v) for v in x[i]))
        logp = [v - lse for v in x[i]]
        nll = -w[t[i]] * logp[t[i]]
        smooth = -sum(w[j] * logp[j] for j in range(c))
        losses.append((1 - eps) * nll + eps / c * smooth)
        denom += w[t[i]]
        smooth_total += smooth
    if reduction == "none":
        return np.array(losses)
    if reduction == "sum":
        return sum(losses)
    return sum(losses) / denom


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_loop_and_gradients(reduction, eps, weighted):
    x = r(6, 4)
    t = np.array([0, 3, 1, -100, 2, 3])
    weight = np.array([1.0, 2.0, 0.5, 1.5]) if weighted else None
    y = F.cross_entropy(x, t, weight, reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(y.data, _ce_loop(x, t, weight, -100, reduction, eps), atol=1e-12)
    check_gradients(
        lambda z: F.cross_entropy(z, t, weight, reduction=reduction, label_smoothing=eps), x
    )


def test_cross_entropy_spatial_and_probability_targets():
    x = r(2, 3, 4)  # (N, C, d)
    t = rng.integers(0, 3, (2, 4))
    flat = F.cross_entropy(x.transpose(0, 2, 1).reshape(-1, 3), t.reshape(-1)).data
    np.testing.assert_allclose(F.cross_entropy(x, t).data, flat)
    q = np.abs(r(5, 3))
    q /= q.sum(axis=1, keepdims=True)
    z = r(5, 3)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(F.cross_entropy(z, q).data, -(q * logp).sum(axis=1).mean())
    check_gradients(lambda a: F.cross_entropy(a, q, label_smoothing=0.1), z)


def test_softmax_cross_entropy_gradient_is_p_minus_onehot():
    x = r(4, 5)
    t = np.array([1, 0, 4, 2])
    z = Tensor(x, requires_grad=True)
    F.cross_entropy(z, t).backward()
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    p[np.arange(4), t] -= 1
    np.testing.assert_allclose(z.grad, p / 4)


def test_nll_and_loss_errors():
    logp = np.log(np.array([[0.2, 0.8], [0.6, 0.4]]))
    np.testing.assert_allclose(
        F.nll_loss(logp, np.array([1, 0])).data, -(np.log(0.8) + np.log(0.6)) / 2
    )
    with pytest.raises(ValueError, match="class index 2"):
        F.nll_loss(logp, np.array([2, 0]))
    with pytest.raises(ValueError, match="`target` of class indices must have shape"):
        F.cross_entropy(logp, np.array([1]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(logp, np.array([1.0, 0.0])[:, None][:, 0].astype(np.float32).reshape(2))
    with pytest.raises(ValueError, match="`reduction`"):
        F.cross_entropy(logp, np.array([1, 0]), reduction="avg")


@pytest.mark.parametrize("pos_weight", [None, np.array([1.0, 3.0, 0.5])])
def test_bce_with_logits(pos_weight):
    x = r(4, 3) * 5
    t = rng.random((4, 3))
    w = rng.random((4, 3))
    s = 1 / (1 + np.exp(-x))
    pw = 1.0 if pos_weight is None else pos_weight
    ref = -w * (pw * t * np.log(s) + (1 - t) * np.log(1 - s))
    y = F.binary_cross_entropy_with_logits(x, t, w, reduction="none", pos_weight=pos_weight)
    np.testing.assert_allclose(y.data, ref, rtol=1e-9)
    check_gradients(lambda z: F.binary_cross_entropy_with_logits(z, t, w, pos_weight=pos_weight), x)
    big = F.binary_cross_entropy_with_logits(np.array([800.0, -800.0]), np.array([0.0, 1.0]))
    np.testing.assert_allclose(big.data, 800.0)  # stable: no inf


def test_mse_loss():
    x, t = r(3, 2), r(3, 2)
    np.testing.assert_allclose(F.mse_loss(x, t).data, ((x - t) ** 2).mean())
    np.testing.assert_allclose(F.mse_loss(x, t, reduction="sum").data, ((x - t) ** 2).sum())
    check_gradients(lambda a, b: F.mse_loss(a, b), x, t)


# --------------------------------------------------------------------------- PyTorch oracle


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize(("xs", "ws", "stride", "padding", "dilation", "groups"), CONV2D_CASES)
def test_conv2d_matches_torch_forward_backward(torch, xs, ws, stride, padding, dilation, groups):
    x, w, b = r(*xs), r(*ws), r(ws[0])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    g = r(*ty.shape)
    ty.backward(torch.tensor(g))
    X, W, B = (Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(X, W, B, stride, padding, dilation, groups)
    y.backward(g)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
    for ours, theirs in ((X, tx), (W, tw), (B, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-12)


def test_pools_and_losses_match_torch(torch):
    tf = torch.nn.functional
    x = r(2, 3, 7, 6)
    x[0, 0, :3, :3] = 1.0  # ties
    for ours, theirs in (
        (lambda t: F.max_pool2d(t, 3, 2, 1), lambda t: tf.max_pool2d(t, 3, 2, 1)),
        (lambda t: F.max_pool2d(t, 2, 1, 0, 2), lambda t: tf.max_pool2d(t, 2, 1, 0, 2)),
        (
            lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False),
            lambda t: tf.avg_pool2d(t, 3, 2, 1, count_include_pad=False),
        ),
        (lambda t: F.adaptive_avg_pool2d(t, (3, 4)), lambda t: tf.adaptive_avg_pool2d(t, (3, 4))),
    ):
        tx = torch.tensor(x, requires_grad=True)
        ty = theirs(tx)
        g = r(*ty.shape)
        ty.backward(torch.tensor(g))
        X = Tensor(x, requires_grad=True)
        y = ours(X)
        y.backward(g)
        np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(X.grad, tx.grad.numpy(), atol=1e-12)

    z, t = r(6, 4), np.array([0, 3, 1, -100, 2, 3])
    w = np.array([1.0, 2.0, 0.5, 1.5])
    tz = torch.tensor(z, requires_grad=True)
    tl = tf.cross_entropy(tz, torch.tensor(t), torch.tensor(w), label_smoothing=0.15)
    tl.backward()
    Z = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(Z, t, w, label_smoothing=0.15)
    loss.backward()
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-12)
    np.testing.assert_allclose(Z.grad, tz.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3, 4, 2), (5, 3, 4, 6)])
def test_batch_norm_matches_torch(torch, shape):
    x, w, b = r(*shape), r(3), r(3)
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, True, 0.2, 1e-5)
    g = r(*x.shape)
    ty.backward(torch.tensor(g))
    X, W, B = (Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.batch_norm(X, rm, rv, W, B, True, 0.2, 1e-5)
    y.backward(g)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(rm, trm.numpy())
    np.testing.assert_allclose(rv, trv.numpy())
    for ours, theirs in ((X, tx), (W, tw), (B, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_compiled_passes_match_numpy_form(monkeypatch, dtype, affine):
    """The two-pass compiled batch norm against the NumPy form, forward and backward,
    with a large offset (the centred sums must not cancel) and a NaN that must spread
    through its channel only."""
    from convolab._jit import norm as _norm_compiled

    rng = np.random.default_rng(5)
    x = (rng.standard_normal((16, 4, 6, 7)) * 0.5 + 300).astype(dtype)
    x[3, 2, 1, 1] = np.nan
    g = rng.standard_normal(x.shape).astype(dtype)
    w, b = (rng.standard_normal(4).astype(dtype) for _ in range(2))

    def run():
        X = Tensor(x.copy(), requires_grad=True)
        params = [Tensor(w.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True)]
        rm, rv = np.zeros(4), np.ones(4)
        y = F.batch_norm(X, rm, rv, *(params if affine else []), training=True)
        y.backward(g)
        grads = [p.grad for p in params] if affine else []
        return y.data, X.grad, rm, rv, grads

    compiled = run()
    monkeypatch.setattr(_norm_compiled, "MIN_ROW", 10**9)  # the NumPy form
    reference = run()
    tol = 2e-3 if dtype == "float32" else 1e-9
    for got, want in zip(compiled[:4], reference[:4], strict=True):
        assert np.array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert np.isnan(compiled[0][:, 2]).all() and not np.isnan(compiled[0][:, [0, 1, 3]]).any()
    for got, want in zip(compiled[4], reference[4], strict=True):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_backward_compiled_pass_gives_the_numpy_bits(monkeypatch, dtype):
    from convolab._jit import activation as _act_compiled

    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 5, 30, 31)).astype(dtype)
    x[0, 0, 0, :4] = [np.nan, 0.0, -0.0, np.inf]
    g = rng.standard_normal(x.shape).astype(dtype)
    g[0, 0, 1, :3] = [np.nan, np.inf, -np.inf]
    g[0, 0, 1, 3:6] = -1.0

    def grad():
        t = Tensor(x, requires_grad=True)
        with np.errstate(invalid="ignore"):  # inf * 0 where the unit is off
            F.relu(t).backward(g)
        return t.grad

    got = grad()
    monkeypatch.setattr(_act_compiled.LOOPS, "_value", False)  # the NumPy form
    want = grad()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


# --------------------------------------------------------------------------- random shapes


@st.composite
def conv_configs(draw):
    m = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(m))
    d = tuple(draw(st.integers(1, 2)) for _ in range(m))
    s = tuple(draw(st.integers(1, 3)) for _ in range(m))
    p = tuple(draw(st.integers(0, 2)) for _ in range(m))
    size = tuple(
        draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 7)) for ki, di, pi in zip(k, d, p)
    )
    n = draw(st.integers(1, 2))
    return m, (n, c_in) + size, (c_out, c_in // groups) + k, s, p, d, groups


@given(conv_configs(), st.integers(0, 2**32 - 1))
def test_conv_random_configs_loops_and_finite_differences(config, seed):
    m, xs, ws, s, p, d, groups = config
    local = np.random.default_rng(seed)
    x, w, b = local.standard_normal(xs), local.standard_normal(ws), local.standard_normal(ws[0])
    fn = F.conv1d if m == 1 else F.conv2d
    ref = conv_loop(x, w, b, s, tuple((q, q) for q in p), d, groups)
    np.testing.assert_allclose(fn(x, w, b, s, p, d, groups).data, ref, atol=1e-12)
    check_gradients(lambda x, w, b: fn(x, w, b, s, p, d, groups), x, w, b, seed=seed % 1000)


@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 1),
    st.integers(1, 2),
    st.integers(0, 2**32 - 1),
)
def test_pools_random_configs(k, s, extra, p, d, seed):
    p = min(p, k // 2)
    n = d * (k - 1) + 1 - 2 * p + extra
    local = np.random.default_rng(seed)
    x = local.permutation(2 * 3 * n * (n + 1)).reshape(2, 3, n, n + 1) / 7.0
    ref = pool_loop(x, (k, k), (s, s), (p, p), (d, d), "max")
    np.testing.assert_array_equal(F.max_pool2d(x, k, s, p, d).data, ref)
    check_gradients(lambda t: F.max_pool2d(t, k, s, p, d), x)
    ref = pool_loop(x, (k, k), (s, s), (p, p), (1, 1), "avg")
    np.testing.assert_allclose(F.avg_pool2d(x, k, s, p).data, ref, atol=1e-12)
    check_gradients(lambda t: F.avg_pool2d(t, k, s, p), x)


def test_more_losses_match_torch(torch):
    tf = torch.nn.functional
    cases = []
    z = r(4, 3, 5)  # (N, C, d) with per-class weights and ignored positions
    t = rng.integers(0, 3, (4, 5))
    t[0, 1] = -100
    w = np.array([0.5, 2.0, 1.0])
    cases.append(
        (
            lambda a: F.cross_entropy(a, t, w, label_smoothing=0.1),
            lambda a: tf.cross_entropy(a, torch.tensor(t), torch.tensor(w), label_smoothing=0.1),
            z,
        )
    )
    q = rng.random((4, 3))
    q /= q.sum(axis=1, keepdims=True)
    cases.append(
        (
            lambda a: F.cross_entropy(a, q, label_smoothing=0.2),
            lambda a: tf.cross_entropy(a, torch.tensor(q), label_smoothing=0.2),
            r(4, 3),
        )
    )
    logp = r(6, 4)
    tt = np.array([0, 1, 2, 3, 1, -100])
    cases.append(
        (
            lambda a: F.nll_loss(a, tt, w[[0, 1, 2, 2]], reduction="sum"),
            lambda a: tf.nll_loss(
                a, torch.tensor(tt), torch.tensor(w[[0, 1, 2, 2]]), reduction="sum"
            ),
            logp,
        )
    )
    y = rng.random((5, 3))
    pw = np.array([2.0, 0.5, 1.0])
    cases.append(
        (
            lambda a: F.binary_cross_entropy_with_logits(a, y, pos_weight=pw),
            lambda a: tf.binary_cross_entropy_with_logits(
                a, torch.tensor(y), pos_weight=torch.tensor(pw)
            ),
            r(5, 3) * 4,
        )
    )
    for ours, theirs, x in cases:
        tx = torch.tensor(x, requires_grad=True)
        tl = theirs(tx)
        tl.backward()
        X = Tensor(x, requires_grad=True)
        loss = ours(X)
        loss.backward()
        np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-12)
        np.testing.assert_allclose(X.grad, tx.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("dims", [1, 2])
def test_avg_pool_without_padding_count_keeps_float32(dims):
    """count_include_pad=False divides by the number of real samples, in float32."""
    shape = (1, 2) + (5,) * dims
    x = Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    pool = F.avg_pool1d if dims == 1 else F.avg_pool2d
    y = pool(x, 2, 2, 1, count_include_pad=False)
    assert y.data.dtype == np.float32
    # first window holds only x[..., 0] (the rest is padding): its average is x[..., 0] itself
    np.testing.assert_array_equal(y.data[(0, 0) + (0,) * dims], x.data[(0, 0) + (0,) * dims])
