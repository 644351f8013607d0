"""``nn.functional.interpolate`` and ``nn.Upsample`` against PyTorch (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convolab import nn
from convolab.nn import functional as F
from torch_oracle import assert_matches_torch


@st.composite
def resize_cases(draw):
    mode = draw(st.sampled_from(["nearest", "linear", "bilinear", "trilinear"]))
    m = {"linear": 1, "bilinear": 2, "trilinear": 3}.get(mode) or draw(st.integers(1, 3))
    spatial = tuple(draw(st.integers(1, 6)) for _ in range(m))
    options = {"mode": mode}
    if mode != "nearest":
        options["align_corners"] = draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        options["size"] = tuple(draw(st.integers(1, 9)) for _ in range(m))
    else:
        factor = st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0])
        options["scale_factor"] = tuple(draw(factor) for _ in range(m))
        if min(int(n * f) for n, f in zip(spatial, options["scale_factor"])) < 1:
            options["scale_factor"] = (2.0,) * m
        options["recompute_scale_factor"] = draw(st.sampled_from([None, True]))
    return (draw(st.integers(1, 2)), 2) + spatial, options


@settings(max_examples=120, deadline=None)
@given(resize_cases(), st.integers(0, 2**16))
def test_interpolate_matches_torch(torch, case, seed):
    shape, options = case
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_matches_torch(
        torch,
        lambda t: F.interpolate(t, **options),
        lambda t: torch.nn.functional.interpolate(t, **options),
        [x],
    )


def test_linear_is_the_two_point_blend():
    x = np.array([[[0.0, 10.0, 20.0]]])
    # align_corners: output j reads position j * (3 - 1) / (5 - 1) = j / 2
    got = F.interpolate(x, size=5, mode="linear", align_corners=True).data
    np.testing.assert_allclose(got, [[[0.0, 5.0, 10.0, 15.0, 20.0]]])


@pytest.mark.parametrize(
    ("shape", "options", "match"),
    [
        ((1, 1, 4), {"size": 2, "scale_factor": 2}, "exactly one of"),
        ((1, 1, 4), {}, "exactly one of"),
        ((1, 1, 4), {"size": 2, "mode": "bilinear"}, "2 spatial axes"),
        ((1, 1, 4), {"size": 2, "mode": "cubic"}, "`mode` must be one of"),
        ((1, 1, 4), {"size": 2, "align_corners": True}, "linear modes only"),
        ((1, 1, 4), {"size": 0}, "`size` must be a positive int"),
        ((1, 1, 4, 4), {"scale_factor": (2.0,)}, "`scale_factor` must be a positive number or 2"),
        ((1, 1, 4), {"scale_factor": 0.1}, "leaves no sample"),
        ((4,), {"size": 2}, "1 to 3 spatial axes"),
    ],
)
def test_bad_interpolate_arguments(shape, options, match):
    with pytest.raises(ValueError, match=match):
        F.interpolate(np.zeros(shape), **options)


@pytest.mark.parametrize(
    "options",
    [
        {"scale_factor": 2},
        {"size": (3, 5), "mode": "bilinear", "align_corners": True},
        {"scale_factor": (1.5, 2), "mode": "bilinear"},
        {"size": 7},
    ],
)
def test_upsample_matches_torch_and_crosses_over(torch, options):
    from convolab.nn.torch_bridge import from_torch, to_torch

    ours, theirs = nn.Upsample(**options), torch.nn.Upsample(**options)
    assert repr(ours) == repr(theirs)
    assert repr(from_torch(theirs)) == repr(ours) and repr(to_torch(ours)) == repr(theirs)
    x = np.random.default_rng(12).standard_normal((2, 3, 4, 6))
    if options.get("size") == 7:
        x = x[:, :, 0]  # nearest, one spatial axis
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).numpy(), atol=1e-12)


@pytest.mark.parametrize(
    ("options", "shape"),
    [
        ({"scale_factor": 2}, (2, 4, 6)),
        ({"scale_factor": (1.5, 2.0), "mode": "bilinear"}, (2, 4, 6)),
        ({"size": (7, 9), "mode": "bilinear", "align_corners": True}, (2, 4, 6)),
        ({"scale_factor": 0.5, "mode": "linear"}, (2, 3)),  # one output sample
        ({"size": 3}, (2, 3, 3, 5)),
    ],
)
def test_upsample_exports_runs_and_reads_back(options, shape):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = nn.Sequential(nn.Upsample(**options), nn.ReLU())
    x = np.random.default_rng(13).standard_normal((2, *shape)).astype(np.float32)
    proto = nn.onnx.export_onnx(model, None, shape)
    session = ort.InferenceSession(proto.SerializeToString())
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, atol=1e-5)
    again = nn.from_onnx(proto)
    assert isinstance(again[0], nn.Upsample) and again[0].mode == model[0].mode
    np.testing.assert_allclose(again(x).data, model(x).data, atol=1e-6)


def test_upsample_export_refuses_what_onnx_runtime_would_sample_otherwise():
    pytest.importorskip("onnx")
    # 7 -> 31 nearest: ONNX Runtime's float32 j / (31 / 7) floors differently from PyTorch's
    with pytest.raises(ValueError, match=r"cannot export .*Upsample.*would not give PyTorch's"):
        nn.onnx.export_onnx(nn.Upsample(size=31), None, (1, 7))


def test_upsample_checks_its_options_when_built():
    with pytest.raises(ValueError, match="exactly one of `size` and `scale_factor`"):
        nn.Upsample()
    with pytest.raises(ValueError, match="linear modes only"):
        nn.Upsample(scale_factor=2, align_corners=True)
    assert nn.Upsample(scale_factor=2).kind == "upsample"


def test_linear_modes_blend_integers_as_floats_and_half_precision_works():
    # an integer input is blended in floating point (weights such as 0.25 must not truncate)
    got = F.interpolate(np.arange(4).reshape(1, 1, 4), scale_factor=2, mode="linear").data
    np.testing.assert_allclose(got, [[[0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]]])
    assert F.interpolate(np.arange(4).reshape(1, 1, 4), scale_factor=2).dtype == np.int64
    half = F.interpolate(np.array([[[0.0, 4.0]]], np.float16), size=4, mode="linear")
    assert half.dtype == np.float16
    np.testing.assert_allclose(half.data, [[[0.0, 1.0, 3.0, 4.0]]])
