"""The activations ELU ... PReLU: against PyTorch (values and gradients, float64), finite
differences, the ONNX export (onnxruntime) and the PyTorch bridge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from convolab import nn
from convolab.nn import functional as F
from test_nn_tensor import check_gradients
from torch_oracle import assert_matches_torch

# (our function, torch.nn.functional name, keyword options)
CASES = [
    (F.elu, "elu", {}),
    (F.elu, "elu", {"alpha": 0.3}),
    (F.selu, "selu", {}),
    (F.celu, "celu", {"alpha": 1.7}),
    (F.gelu, "gelu", {}),
    (F.gelu, "gelu", {"approximate": "tanh"}),
    (F.silu, "silu", {}),
    (F.softplus, "softplus", {}),
    (F.softplus, "softplus", {"beta": 2.0, "threshold": 3.0}),
    (F.hardtanh, "hardtanh", {}),
    (F.hardtanh, "hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    (F.hardsigmoid, "hardsigmoid", {}),
    (F.hardswish, "hardswish", {}),
]
IDS = [f"{name}-{'-'.join(map(str, kw.values()))}" for _, name, kw in CASES]

# values with the kinks (0, +-3, +-1, thresholds) among them
VALUES = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
    elements=st.one_of(
        st.floats(-8, 8, allow_nan=False),
        st.sampled_from([0.0, -3.0, 3.0, -1.0, 1.0, -0.5, 2.0, 1.5, 25.0, -25.0]),
    ),
)


@pytest.mark.parametrize(("ours", "name", "kw"), CASES, ids=IDS)
@settings(max_examples=15)
@given(x=VALUES)
def test_activation_matches_torch(torch, ours, name, kw, x):
    theirs = getattr(torch.nn.functional, name)
    # PyTorch takes CELU's 1 / alpha and hardsigmoid's 1 / 6 in single precision
    rtol = 1e-7 if name in ("celu", "hardsigmoid") else 1e-9
    assert_matches_torch(torch, lambda t: ours(t, **kw), lambda t: theirs(t, **kw), [x], rtol=rtol)


@pytest.mark.parametrize(("ours", "name", "kw"), CASES, ids=IDS)
def test_activation_gradient_finite_differences(ours, name, kw):
    x = np.linspace(-5.3, 5.1, 23)  # away from the kinks, where the derivative exists
    check_gradients(lambda t: ours(t, **kw), x)


@settings(max_examples=20)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
    shared=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_prelu_matches_torch(torch, shape, shared, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    channels = shape[1] if len(shape) >= 2 else 1  # PyTorch: a 1-D input is one channel
    a = rng.standard_normal(1 if shared else channels)
    assert_matches_torch(torch, F.prelu, torch.nn.functional.prelu, [x, a])


def test_prelu_layer_learns_its_slope():
    layer = nn.PReLU(2, init=0.5, dtype="float64")
    x = np.array([[-2.0, -4.0], [1.0, -1.0]])
    y = layer(x)
    np.testing.assert_allclose(y.data, [[-1.0, -2.0], [1.0, -0.5]])
    y.sum().backward()
    np.testing.assert_allclose(layer.weight.grad, [-2.0, -5.0])
    x3 = np.array([-2.0, 3.0, -0.5]).reshape(1, 3, 1)
    check_gradients(F.prelu, x3, np.array([0.2, 0.1, 3.0]))


def test_bad_options():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu([1.0], approximate="erf")
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="weight"):
        F.prelu(np.ones((2, 3)), np.ones(2))
    with pytest.raises(TypeError, match="alpha"):
        F.elu([1.0], alpha="big")


LAYERS = [
    nn.ELU(0.7), nn.SELU(), nn.CELU(1.3), nn.GELU(), nn.GELU("tanh"), nn.SiLU(),
    nn.Softplus(), nn.Softplus(beta=2.0, threshold=1.0), nn.Hardtanh(-2.0, 0.5), nn.Hardsigmoid(),
    nn.Hardswish(), nn.PReLU(3, dtype="float64"),
]  # fmt: skip


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_layers_cross_the_torch_bridge(torch, layer):
    from convolab.nn.torch_bridge import from_torch, to_torch

    x = np.random.default_rng(0).standard_normal((2, 3, 4)) * 4
    twin = to_torch(layer)
    assert type(twin).__name__ == type(layer).__name__
    np.testing.assert_allclose(twin(torch.tensor(x)).detach().numpy(), layer(x).data, atol=1e-12)
    back = from_torch(twin)
    assert repr(back) == repr(layer)
    np.testing.assert_allclose(back(x).data, layer(x).data)


@pytest.mark.parametrize("opset", [17, 20])
def test_layers_export_to_onnx(opset):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = nn.Sequential(*LAYERS[:-1], nn.PReLU(3))  # float32, what onnxruntime runs
    model[-1].weight.data[:] = [0.1, -0.2, 0.3]
    x = (np.random.default_rng(1).standard_normal((2, 3, 5)) * 4).astype(np.float32)
    x[0, 0, :3] = [0.0, 3.0, -3.0]
    proto = nn.onnx.export_onnx(model, None, (3, 5), opset=opset)
    ops = {n.op_type for n in proto.graph.node}
    assert {"Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "PRelu", "Clip"} <= ops
    assert ("Gelu" in ops) == (opset >= 20)
    session = ort.InferenceSession(proto.SerializeToString())
    np.testing.assert_allclose(session.run(None, {"input": x})[0], model(x).data, atol=2e-6)


def test_celu_exports_in_float64_as_elu():
    pytest.importorskip("onnx")
    reference = pytest.importorskip("onnx.reference")
    layer = nn.Sequential(nn.Conv1d(1, 1, 1, bias=False, dtype="float64"), nn.CELU(0.5))
    layer[0].weight.data[:] = 1.0
    proto = nn.onnx.export_onnx(layer, None, (1, 7))
    assert "Celu" not in {n.op_type for n in proto.graph.node}
    x = np.linspace(-3, 3, 14).reshape(2, 1, 7)
    (y,) = reference.ReferenceEvaluator(proto).run(None, {"input": x})
    np.testing.assert_allclose(y, layer(x).data, atol=1e-12)


def test_layers_save_and_load(tmp_path):
    model = nn.Sequential(*LAYERS)
    model[-1].weight.data[:] = [0.1, 0.2, 0.3]
    nn.save(model, tmp_path / "acts.npz")
    again = nn.load(tmp_path / "acts.npz")
    assert repr(again) == repr(model)
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    np.testing.assert_array_equal(again(x).data, model(x).data)


@pytest.mark.parametrize(("x_shape", "a_shape"), [((3, 4, 5), (5,)), ((3, 4, 5), (3, 4, 5)),
                                                  ((2, 3, 4, 5), (4, 1))])  # fmt: skip
def test_prelu_with_broadcast_slopes(x_shape, a_shape, tmp_path):
    rng = np.random.default_rng(9)
    x, a = rng.standard_normal(x_shape), rng.standard_normal(a_shape)
    y = F.prelu(x, a)
    np.testing.assert_allclose(y.data, np.where(x > 0, x, np.broadcast_to(a, x_shape) * x))
    check_gradients(F.prelu, x, a)
    layer = nn.PReLU(shape=a_shape, dtype="float64")
    assert layer.weight.shape == a_shape
    nn.save(nn.Sequential(layer), tmp_path / "p.npz")
    assert repr(nn.load(tmp_path / "p.npz")[0]) == repr(layer) == f"PReLU(shape={a_shape})"
    with pytest.raises(ValueError, match="broadcasts"):
        F.prelu(x, np.ones((7,)))
