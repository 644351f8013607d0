"""Transposed convolution and padding pairs: against PyTorch (values and gradients, float64),
finite differences, the adjoint identity, and the ONNX / PyTorch exchange."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import convolab
from convolab import nn
from convolab.conv.geometry import layer_pads, output_length, transposed_length
from convolab.nn import functional as F
from test_nn_tensor import check_gradients
from torch_oracle import assert_matches_torch


@st.composite
def transposed_cases(draw):
    """A random transposed convolution that PyTorch accepts: shapes and every option."""
    m = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(m))
    s = tuple(draw(st.integers(1, 3)) for _ in range(m))
    d = tuple(draw(st.integers(1, 2)) for _ in range(m))
    n = tuple(draw(st.integers(1, 4)) for _ in range(m))
    p = tuple(draw(st.integers(0, dd * (kk - 1))) for kk, dd in zip(k, d))
    op = tuple(draw(st.integers(0, max(ss, dd) - 1)) for ss, dd in zip(s, d))
    for nn_, kk, ss, dd, pp, oo in zip(n, k, s, d, p, op):
        assume(transposed_length(nn_, pp, pp, dd * (kk - 1) + 1, ss, oo) >= 1)
    seed = draw(st.integers(0, 2**16))
    return m, groups, (2, c_in) + n, (c_in, c_out // groups) + k, s, p, op, d, seed


@settings(max_examples=40)
@given(transposed_cases(), st.booleans())
def test_conv_transpose_matches_torch(torch, case, with_bias):
    m, groups, xs, ws, s, p, op, d, seed = case
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[1] * groups)
    ours = getattr(F, f"conv_transpose{m}d")
    theirs = getattr(torch.nn.functional, f"conv_transpose{m}d")
    arrays = (x, w, b) if with_bias else (x, w)
    assert_matches_torch(
        torch,
        lambda *t: ours(*t, stride=s, padding=p, output_padding=op, groups=groups, dilation=d),
        lambda *t: theirs(*t, stride=s, padding=p, output_padding=op, groups=groups, dilation=d),
        arrays,
    )
    # the engine op alone gives the same values
    y = convolab.conv_transpose_nd(
        x, w, b if with_bias else None, stride=s, padding=p, output_padding=op, dilation=d,
        groups=groups,
    )  # fmt: skip
    again = ours(x, w, b if with_bias else None, s, p, op, groups, d)
    np.testing.assert_allclose(y, again.data, atol=1e-12)


@st.composite
def conv_cases_with_pairs(draw):
    """A convolution with per-side padding ((before, after), ...)."""
    m = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(m))
    s = tuple(draw(st.integers(1, 3)) for _ in range(m))
    d = tuple(draw(st.integers(1, 2)) for _ in range(m))
    pads = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(m))
    n = tuple(
        max(draw(st.integers(1, 5)), dd * (kk - 1) + 1 - lo - hi)
        for kk, dd, (lo, hi) in zip(k, d, pads)
    )
    return m, groups, (2, c_in) + n, (c_out, c_in // groups) + k, s, pads, d, draw(st.integers())


@settings(max_examples=25)
@given(transposed_cases(), st.booleans())
def test_one_sample_without_batch_axis_matches_torch(torch, case, transposed):
    """PyTorch's layer ops take ``(C_in, *S)`` too and answer ``(C_out, *S_out)``."""
    m, groups, xs, ws, s, p, op, d, seed = case
    rng = np.random.default_rng(seed)
    x, b = rng.standard_normal(xs[1:]), rng.standard_normal(ws[1] * groups)
    options = {"stride": s, "dilation": d, "groups": groups}
    if transposed:
        name, w = f"conv_transpose{m}d", rng.standard_normal(ws)
        options.update(padding=p, output_padding=op)
    else:  # the same shapes read as a convolution from C_in to C_out channels, unpadded
        name, w = f"conv{m}d", rng.standard_normal((ws[1] * groups, ws[0] // groups) + ws[2:])
        assume(all(n >= dd * (kk - 1) + 1 for n, kk, dd in zip(xs[2:], ws[2:], d)))
    assert_matches_torch(
        torch,
        lambda *t: getattr(F, name)(*t, **options),
        lambda *t: getattr(torch.nn.functional, name)(*t, **options),
        (x, w, b),
    )
    engine = convolab.conv_transpose_nd if transposed else convolab.conv_nd
    y = getattr(torch.nn.functional, name)(*map(torch.tensor, (x, w, b)), **options).numpy()
    np.testing.assert_allclose(engine(x, w, b, **options), y, atol=1e-10)


@settings(max_examples=30)
@given(conv_cases_with_pairs())
def test_conv_with_per_side_padding_matches_torch_on_padded_input(torch, case):
    m, groups, xs, ws, s, pads, d, seed = case
    rng = np.random.default_rng(seed % 2**32)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    tf = torch.nn.functional
    flat = [q for lo_hi in reversed(pads) for q in lo_hi]  # torch's F.pad: last axis first
    assert_matches_torch(
        torch,
        lambda a, b: getattr(F, f"conv{m}d")(a, b, None, s, pads, d, groups),
        lambda a, b: getattr(tf, f"conv{m}d")(tf.pad(a, flat), b, None, s, 0, d, groups),
        (x, w),
    )


def test_conv_transpose_finite_differences():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 4, 3, 2)), rng.standard_normal((4, 1, 3, 2)), rng.random(2)
    check_gradients(
        lambda a, k, c: F.conv_transpose2d(a, k, c, (2, 3), ((1, 0), (0, 2)), (1, 0), 2, (1, 2)),
        x, w, b,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "d"),
    [(7, 3, 2, 1, 1), (8, 3, 2, 1, 1), (5, 2, 3, 0, 2), (6, 4, 1, 2, 1), (9, 3, 3, 4, 2)],
)
def test_conv_transpose_is_the_adjoint_of_conv(n, k, s, p, d):
    """<conv(x), y> == <x, conv_transpose(y)>: the definition of the transposed op."""
    rng = np.random.default_rng(n + k)
    x = rng.standard_normal((2, 4, n))
    w = rng.standard_normal((6, 2, k))  # groups=2
    y_shape = convolab.conv_nd(x, w, stride=s, padding=p, dilation=d, groups=2).shape
    y = rng.standard_normal(y_shape)
    extra = (n + 2 * p - d * (k - 1) - 1) % s
    extra = extra if extra < max(s, d) else 0
    xt = convolab.conv_transpose_nd(
        y, w, stride=s, padding=p, output_padding=extra, dilation=d, groups=2
    )
    xt = np.pad(xt, ((0, 0), (0, 0), (0, n - xt.shape[2])))
    lhs = np.vdot(convolab.conv_nd(x, w, stride=s, padding=p, dilation=d, groups=2), y)
    assert lhs == pytest.approx(np.vdot(x, xt), rel=1e-12)


def test_conv_input_gradient_is_conv_transpose_nd(monkeypatch):
    """The convolution's backward runs the public transposed op, not a copy of it."""
    import convolab.nn.functional.conv as conv_module

    calls = []
    real = conv_module.conv_transpose_nd
    monkeypatch.setattr(
        conv_module, "conv_transpose_nd", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    x = nn.Tensor(np.ones((1, 1, 5, 5)), requires_grad=True)
    F.conv2d(x, np.ones((1, 1, 3, 3)), stride=2).sum().backward()
    assert calls == [1]


@pytest.mark.parametrize(("n", "k", "s"), [(5, 3, 1), (5, 4, 1), (6, 3, 2), (7, 2, 3), (1, 3, 2)])
def test_same_upper_and_lower_follow_onnx(n, k, s):
    """ONNX: ceil(n / s) outputs; the odd padding sample at the end (upper) or start (lower)."""
    total = max((-(-n // s) - 1) * s + k - n, 0)
    upper = layer_pads("same_upper", (n,), (k,), (s,))[0]
    lower = layer_pads("same_lower", (n,), (k,), (s,))[0]
    assert upper == (total // 2, total - total // 2)
    assert lower == (total - total // 2, total // 2)
    assert output_length(n, *upper, k, s) == -(-n // s)
    x = np.arange(1.0, n + 1)[None, None]
    y = convolab.conv_nd(x, np.ones((1, 1, k)), stride=s, padding="same_lower")
    xp = np.pad(x, ((0, 0), (0, 0), lower))
    assert y.shape[-1] == -(-n // s)
    expected = [xp[0, 0, i * s : i * s + k].sum() for i in range(y.shape[-1])]
    np.testing.assert_allclose(y[0, 0], expected)


def test_transposed_length_inverts_output_length():
    for n, k, s, lo, hi, d in [(5, 3, 2, 1, 1, 1), (4, 2, 3, 0, 1, 2), (1, 1, 1, 0, 0, 1)]:
        e = d * (k - 1) + 1
        for op in range(max(s, d)):
            length = transposed_length(n, lo, hi, e, s, op)
            if op < s:
                assert output_length(length, lo, hi, e, s) == n


@pytest.mark.parametrize(
    ("padding", "match"),
    [(-1, "padding"), (((1, 2),), "padding"), (((1, -2), 0), "padding"), ("SAME", "same_upper")],
)
def test_bad_padding_is_refused(padding, match):
    with pytest.raises(ValueError, match=match):
        convolab.conv_nd(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), padding=padding)


def test_conv_transpose_bad_arguments():
    x, w = np.ones((1, 2, 4)), np.ones((2, 3, 3))
    with pytest.raises(ValueError, match="output_padding"):
        convolab.conv_transpose_nd(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="x` needs 2 channels"):
        convolab.conv_transpose_nd(np.ones((1, 3, 4)), w)
    with pytest.raises(ValueError, match="crops the whole output"):
        convolab.conv_transpose_nd(np.ones((1, 2, 1)), np.ones((2, 1, 1)), padding=1)
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose2d(2, 2, 3, stride=1, output_padding=1)


def test_conv_transpose_layer_matches_torch_and_round_trips(torch):
    ours = nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=(1, 0), output_padding=1,
                              groups=2, dilation=(1, 2), dtype="float64")  # fmt: skip
    theirs = nn.torch_bridge.to_torch(ours)
    assert isinstance(theirs, torch.nn.ConvTranspose2d)
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 5))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-12)
    back = nn.torch_bridge.from_torch(theirs)
    assert repr(back) == repr(ours)
    np.testing.assert_array_equal(back(x).data, ours(x).data)


def test_conv_transpose_and_pairs_export_to_onnx():
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=((0, 1), (2, 1))),
        nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1, dilation=2),
        nn.Conv2d(3, 2, 4, stride=2, padding="same_lower"),
    )
    x = np.random.default_rng(1).random((3, 2, 7, 6), dtype=np.float32)
    proto = nn.onnx.export_onnx(model, None, (2, 7, 6))
    assert [n.op_type for n in proto.graph.node][:3] == ["Conv", "ConvTranspose", "Conv"]
    session = ort.InferenceSession(proto.SerializeToString())
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, atol=1e-5)


@pytest.mark.parametrize(
    ("stride", "padding", "output_padding", "dilation", "bias"),
    [
        (1, 0, 1, 2, True),  # output_padding >= stride: zeros past the full output, then bias
        (1, 0, 2, 3, False),
        (2, 0, 2, 3, True),
        (1, 1, 1, 2, True),  # folded into the crop at the end
        (2, 1, 1, 2, False),
        (3, 0, 2, 1, True),  # below the stride: ONNX's own output_padding
        ((1, 2), (0, 1), (2, 1), (3, 2), True),
    ],
)
def test_conv_transpose_output_padding_runs_in_onnxruntime(
    stride, padding, output_padding, dilation, bias
):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    layer = nn.ConvTranspose2d(
        4, 2, (2, 3), stride=stride, padding=padding, output_padding=output_padding,
        dilation=dilation, groups=2, bias=bias,
    )  # fmt: skip
    if bias:
        layer.bias.data[:] = [0.5, -2.0]
    x = np.random.default_rng(2).random((2, 4, 3, 4), dtype=np.float32)
    proto = nn.onnx.export_onnx(layer, None, (4, 3, 4))
    session = ort.InferenceSession(proto.SerializeToString())
    np.testing.assert_allclose(session.run(None, {"input": x})[0], layer(x).data, atol=1e-5)
    (again,) = nn.from_onnx(proto)  # one layer again, whatever the nodes
    assert type(again) is type(layer)
    np.testing.assert_allclose(again(x).data, layer(x).data, atol=1e-6)


def test_per_side_padding_has_no_torch_twin():
    with pytest.raises(ValueError, match="per-side"):
        pytest.importorskip("torch")
        nn.torch_bridge.to_torch(nn.Conv1d(1, 1, 3, padding=((0, 2),)))


def test_layers_save_and_load_with_pairs_and_transposed(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=((0, 1), 2)), nn.ConvTranspose2d(2, 1, 2, 2))
    nn.save(model, tmp_path / "m.npz")
    again = nn.load(tmp_path / "m.npz")
    assert repr(again) == repr(model)
    x = np.random.default_rng(2).random((1, 1, 5, 4), dtype=np.float32)
    np.testing.assert_array_equal(again(x).data, model(x).data)


def test_layers_take_one_sample_without_batch_axis():
    x = np.random.default_rng(3).standard_normal((3, 6, 5))
    for layer in (nn.Conv2d(3, 4, 3, padding=1), nn.ConvTranspose2d(3, 4, 2, stride=2)):
        batched = layer(x[None]).data
        np.testing.assert_array_equal(layer(x).data, batched[0])
    with pytest.raises(ValueError, match=r"`input` must have shape \(N, C_in, H, W\) or \(C_in"):
        nn.Conv2d(3, 4, 3)(x[0])


def test_a_pad_after_a_biased_conv_transpose_is_not_folded():
    """Zeros padded after a bias are not an ``output_padding`` (there the bias would land):
    the Pad stays a layer of its own."""
    onnx = pytest.importorskip("onnx")
    layer = nn.ConvTranspose1d(1, 1, 2)
    proto = nn.onnx.export_onnx(layer, None, (1, 3))
    graph = proto.graph
    widths = onnx.numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 1], np.int64), "widths")
    graph.initializer.append(widths)
    graph.node.append(onnx.helper.make_node("Pad", [graph.output[0].name, "widths"], ["padded"]))
    graph.output[0].name = "padded"
    read = nn.from_onnx(proto)
    assert [type(m) for m in read] == [nn.ConvTranspose1d, nn.ZeroPad1d]
    x = np.random.default_rng(3).random((2, 1, 3), dtype=np.float32)
    expected = np.concatenate([layer(x).data, np.zeros((2, 1, 1), np.float32)], axis=2)
    np.testing.assert_allclose(read(x).data, expected, atol=1e-6)
