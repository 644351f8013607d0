"""``nn.functional.pad`` against PyTorch (values and gradients) and numpy.pad."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convolab import nn
from convolab.conv.boundary import REGISTRY
from convolab.nn import Tensor
from convolab.nn import functional as F
from torch_oracle import assert_matches_torch


@st.composite
def pad_cases(draw):
    """An input shape, a PyTorch ``pad`` tuple and a mode that PyTorch accepts."""
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    m = draw(st.integers(1, 3))
    lead = draw(st.integers(1, 2)) if mode != "constant" else draw(st.integers(0, 2))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(lead)) + tuple(
        draw(st.integers(1, 5)) for _ in range(m)
    )
    widths = []
    for n in reversed(shape[-m:]):  # PyTorch's order: the last axis first
        top = {"reflect": n - 1, "circular": n}.get(mode, 4)
        pair = [draw(st.integers(-n + 1 if mode != "constant" else -n, top)) for _ in range(2)]
        assume(n + sum(pair) >= (1 if mode != "constant" else 0))
        widths += pair
    value = draw(st.sampled_from([None, 1.5])) if mode == "constant" else None
    return shape, tuple(widths), mode, value


@settings(max_examples=80, deadline=None)
@given(pad_cases(), st.integers(0, 2**16))
def test_pad_matches_torch(torch, case, seed):
    shape, widths, mode, value = case
    if mode == "circular":  # PyTorch reads memory it never wrote for a crop wider than a pad
        assume(all(w >= 0 for w in widths))
    x = np.random.default_rng(seed).standard_normal(shape)
    options = {"mode": mode} if value is None else {"mode": mode, "value": value}
    assert_matches_torch(
        torch,
        lambda t: F.pad(t, widths, **options),
        lambda t: torch.nn.functional.pad(t, widths, **options),
        [x],
    )


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(list(REGISTRY)),
    st.integers(1, 6),
    st.integers(0, 12),
    st.integers(0, 12),
)
def test_every_torch_mode_pads_as_numpy_pad(boundary, n, before, after):
    rule = REGISTRY[boundary]
    assume(rule.torch_mode is not None)
    if rule.torch_mode == "reflect":
        assume(max(before, after) < n)
    if rule.torch_mode == "circular":
        assume(max(before, after) <= n)
    x = np.arange(1.0, n + 1).reshape(1, n)
    got = F.pad(x, (before, after), mode=rule.torch_mode).data
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (before, after)], mode=rule.numpy_mode))


def test_reflect_gradient_counts_every_copy():
    x = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    # y = [3, 2, 1, 2, 3, 2, 1]: x0 appears twice, x1 three times, x2 twice
    np.testing.assert_array_equal(x.grad, [[2.0, 3.0, 2.0]])


@pytest.mark.parametrize(
    ("shape", "widths", "options", "match"),
    [
        ((2, 3), (1,), {}, "even number"),
        ((2, 3), (1.5, 1), {}, "even number"),
        ((3,), (1, 1, 1, 1), {}, "pads 2 axes but the input has only 1"),
        ((1, 3), (1, 1), {"mode": "nearest"}, "`mode` must be one of"),
        ((1, 3), (1, 1), {"mode": "reflect", "value": 1.0}, "`value` goes with"),
        ((1, 3), (3, 0), {"mode": "reflect"}, "below the axis length"),
        ((1, 3), (4, 0), {"mode": "circular"}, "at most the axis length"),
        ((3,), (1, 1), {"mode": "replicate"}, "one or two more axes"),
        ((1, 1, 2, 3), (1, 1), {"mode": "replicate"}, "one or two more axes"),
        ((1, 3), (-2, -1), {"mode": "replicate"}, "leaves nothing"),
    ],
)
def test_bad_pad_arguments(shape, widths, options, match):
    with pytest.raises(ValueError, match=match):
        F.pad(np.zeros(shape), widths, **options)


def test_constant_crop_to_nothing_is_empty():
    assert F.pad(np.zeros((2, 3)), (-2, -1)).shape == (2, 0)


# --------------------------------------------------------------------------- padding_mode


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("dims", "shape", "options"),
    [
        (1, (2, 2, 7), {"padding": 2, "stride": 2}),
        (2, (2, 2, 5, 6), {"padding": "same", "dilation": 2}),
        (2, (2, 5, 6), {"padding": (1, 2), "groups": 2}),  # one sample, no batch axis
        (3, (1, 2, 4, 4, 5), {"padding": 1}),
    ],
)
def test_conv_padding_modes_match_torch(torch, mode, dims, shape, options):
    ours = getattr(nn, f"Conv{dims}d")(2, 4, 3, padding_mode=mode, dtype="float64", **options)
    theirs = getattr(torch.nn, f"Conv{dims}d")(2, 4, 3, padding_mode=mode, **options).double()
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), atol=1e-12)
    cot = rng.standard_normal(yo.shape)
    yo.backward(cot)
    yt.backward(torch.tensor(cot))
    for mine, torch_grad in [
        (xo.grad, xt.grad), (ours.weight.grad, theirs.weight.grad),
        (ours.bias.grad, theirs.bias.grad),
    ]:  # fmt: skip
        np.testing.assert_allclose(mine, torch_grad.numpy(), atol=1e-10)


def test_padding_mode_is_refused_where_pytorch_refuses():
    with pytest.raises(ValueError, match=r"`padding_mode` must be 'zeros' for ConvTranspose2d"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"one of 'zeros', .*'circular' for Conv1d; got 'edge'"):
        nn.Conv1d(2, 2, 3, padding_mode="edge")
    with pytest.raises(ValueError, match="below the axis length"):
        nn.Conv1d(1, 1, 3, padding=3, padding_mode="reflect")(np.zeros((1, 1, 3)))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_padding_modes_export_run_and_read_back(mode):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=(2, 1), padding_mode=mode), nn.ReLU())
    x = np.random.default_rng(6).random((2, 2, 5, 6), dtype=np.float32)
    proto = nn.onnx.export_onnx(model, None, (2, 5, 6), opset=19)
    assert [n.op_type for n in proto.graph.node][:3] == ["Pad", "Conv", "Relu"]
    session = ort.InferenceSession(proto.SerializeToString())
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, atol=1e-5)
    again = nn.from_onnx(proto)
    assert repr(again) == repr(model)
    np.testing.assert_allclose(again(x).data, model(x).data, atol=1e-6)


def test_circular_padding_needs_opset_19():
    pytest.importorskip("onnx")
    with pytest.raises(ValueError, match=r"cannot export .*'wrap' needs opset 19"):
        nn.onnx.export_onnx(nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular"), None, (1, 5))


# --------------------------------------------------------------------------- padding layers

FAMILIES = ["Zero", "Constant", "Reflection", "Replication", "Circular"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_padding_layers_match_torch_and_cross_over(torch, family, dims):
    from convolab.nn.torch_bridge import from_torch, to_torch

    padding = (2, 1, 0, 3, 1, 1)[: 2 * dims]
    args = (padding, 2.5) if family == "Constant" else (padding,)
    ours = getattr(nn, f"{family}Pad{dims}d")(*args)
    theirs = getattr(torch.nn, f"{family}Pad{dims}d")(*args)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(9).standard_normal((2, 3) + (4,) * dims)
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.data, yt.detach().numpy())
    cot = np.random.default_rng(10).standard_normal(yo.shape)
    yo.backward(cot)
    yt.backward(torch.tensor(cot))
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), atol=1e-12)
    assert repr(from_torch(theirs)) == repr(ours) and repr(to_torch(ours)) == repr(theirs)


@pytest.mark.parametrize("family", FAMILIES)
def test_padding_layers_export_run_and_read_back(family):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    args = ((1, 2, 0, 1), -1.5) if family == "Constant" else ((1, 2, 0, 1),)
    model = nn.Sequential(getattr(nn, f"{family}Pad2d")(*args), nn.ReLU(), nn.Conv2d(2, 2, 1))
    x = np.random.default_rng(11).random((2, 2, 4, 5), dtype=np.float32)
    proto = nn.onnx.export_onnx(model, None, (2, 4, 5), opset=19)
    session = ort.InferenceSession(proto.SerializeToString())
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, atol=1e-6)
    again = nn.from_onnx(proto)
    assert repr(again) == repr(model)
    # right before a convolution, the Pad becomes that layer's padding (and padding_mode)
    pair = nn.Sequential(model[0], model[2])
    folded = nn.from_onnx(nn.onnx.export_onnx(pair, None, (2, 4, 5), opset=19))
    expected = [nn.ConstantPad2d, nn.Conv2d] if family == "Constant" else [nn.Conv2d]
    assert [type(m) for m in folded] == expected
    np.testing.assert_allclose(folded(x).data, pair(x).data, atol=1e-6)


def test_padding_layers_declare_a_window_for_receptive_fields():
    from convolab import analysis

    plain = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3))
    padded = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.ReflectionPad2d(1), nn.Conv2d(1, 1, 3))
    fields = analysis.receptive_field(plain, (1, 9, 9))
    with_pad = analysis.receptive_field(padded, (1, 9, 9))
    assert nn.ReflectionPad2d(1).kind == "pad"
    assert with_pad[-1].size == fields[-1].size  # padding widens no field
    assert with_pad[-1].size == (5, 5)


def test_bad_padding_layer_arguments():
    with pytest.raises(ValueError, match=r"ZeroPad2d: `padding` must be an int or 4 ints"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(TypeError, match="`value` must be a number"):
        nn.ConstantPad1d(1, "x")
