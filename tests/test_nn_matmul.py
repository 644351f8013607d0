"""The layers ONNX's ``MatMul``, ``Gemm`` and training-mode ``BatchNormalization`` need:
``MatMul`` (NumPy's matmul by a learned operand of any rank), ``Permute`` and batch norm's
biased running variance; values and gradients against PyTorch in float64, the statistics
against their plain definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convolab import nn
from convolab.nn import functional as F

onnx = pytest.importorskip("onnx")


@st.composite
def matmul_operands(draw):
    """Shapes of ``x``, ``weight`` and ``bias`` that numpy.matmul (and a bias) accept."""
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))

    def operand(tail):
        dims = [b if draw(st.booleans()) else 1 for b in batch]
        return tuple(dims[draw(st.integers(0, len(dims))) :]) + tail

    x = (k,) if draw(st.booleans()) and not batch else operand((n, k))
    w = (k,) if draw(st.booleans()) else operand((k, m))
    out = np.matmul(np.zeros(x), np.zeros(w)).shape
    bias = None
    if draw(st.booleans()):
        bias = tuple(d if draw(st.booleans()) else 1 for d in out[draw(st.integers(0, len(out))) :])
    return x, w, bias


@settings(max_examples=40, deadline=None)
@given(shapes=matmul_operands(), seed=st.integers(0, 2**16))
def test_matmul_layer_matches_torch_values_and_gradients(shapes, seed):
    torch = pytest.importorskip("torch")
    x_shape, w_shape, b_shape = shapes
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = None if b_shape is None else rng.standard_normal(b_shape)
    layer = nn.MatMul(w_shape, b_shape, dtype="float64")
    layer.weight.data[...] = w
    if b is not None:
        layer.bias.data[...] = b
    xt = nn.Tensor(x.copy(), requires_grad=True)
    y = layer(xt)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    ty = torch.matmul(tx, tw) + (0 if tb is None else tb)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    if b is not None:
        np.testing.assert_allclose(layer.bias.grad, tb.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_matmul_layer_gradient_by_finite_differences():
    rng = np.random.default_rng(3)
    layer = nn.MatMul((2, 4, 3), (1, 3), dtype="float64")
    x = rng.standard_normal((5, 1, 2, 4))
    g = rng.standard_normal((5, 2, 2, 3))
    (layer(x) * g).sum().backward()
    w, eps = layer.weight.data, 1e-6
    i = (1, 2, 0)
    w[i] += eps
    up = float((layer(x).data * g).sum())
    w[i] -= 2 * eps
    down = float((layer(x).data * g).sum())
    w[i] += eps
    assert layer.weight.grad[i] == pytest.approx((up - down) / (2 * eps), rel=1e-6)


def test_matmul_and_permute_refuse_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="weight_shape"):
        nn.MatMul(())
    with pytest.raises(ValueError, match="bias_shape"):
        nn.MatMul((3, 2), (0,))
    with pytest.raises(ValueError, match="last axis has 3 values"):
        nn.MatMul((3, 2))(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="permutation"):
        nn.Permute((0, 0))
    with pytest.raises(ValueError, match="3 axes"):
        nn.Permute((2, 0, 1))(np.zeros((2, 3)))


def test_permute_values_and_gradient():
    x = np.arange(24.0).reshape(2, 3, 4)
    t = nn.Tensor(x, requires_grad=True)
    y = nn.Permute((2, 0, -2))(t)
    np.testing.assert_array_equal(y.data, x.transpose(2, 0, 1))
    g = np.arange(24.0).reshape(4, 2, 3)
    (y * g).sum().backward()
    np.testing.assert_array_equal(t.grad, g.transpose(1, 2, 0))


def test_new_layers_save_and_load(tmp_path):
    model = nn.Sequential(nn.Permute((0, 2, 1)), nn.MatMul((2, 4, 3), (3,)))
    nn.save(model, tmp_path / "m.npz")
    again = nn.load(tmp_path / "m.npz")
    assert repr(again) == repr(model)
    x = np.random.default_rng(0).random((2, 4, 3), dtype=np.float32)
    np.testing.assert_array_equal(again(x).data, model(x).data)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batch_norm_biased_running_variance_as_onnx_defines_it(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 5, 6)).astype(dtype)
    mean0, var0 = rng.standard_normal(3), rng.random(3) + 0.5
    layer = nn.BatchNorm2d(3, momentum=0.25, unbiased_running_var=False, dtype=dtype)
    layer.running_mean[...], layer.running_var[...] = mean0, var0
    y = layer(x)
    x64 = x.astype(np.float64)
    batch_mean, batch_var = x64.mean(axis=(0, 2, 3)), x64.var(axis=(0, 2, 3))  # ddof=0
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(layer.running_mean, 0.75 * mean0 + 0.25 * batch_mean, rtol=tol)
    np.testing.assert_allclose(layer.running_var, 0.75 * var0 + 0.25 * batch_var, rtol=tol)
    want = (x64 - batch_mean[:, None, None]) / np.sqrt(batch_var[:, None, None] + 1e-5)
    np.testing.assert_allclose(y.data, want, rtol=tol, atol=tol)
    unbiased = nn.BatchNorm2d(3, momentum=0.25, dtype=dtype)  # PyTorch's rule stays the default
    unbiased.running_var[...] = var0
    unbiased(x)
    m = x.size // 3
    np.testing.assert_allclose(unbiased.running_var, 0.75 * var0 + 0.25 * batch_var * m / (m - 1),
                               rtol=tol)  # fmt: skip
    assert "unbiased_running_var=False" in repr(layer) and "unbiased" not in repr(unbiased)
    short = x64[:, :, :2, 0]  # rows too short for the compiled passes: the NumPy path
    rm, rv = mean0.copy(), var0.copy()
    F.batch_norm(short, rm, rv, training=True, momentum=0.25, unbiased_running_var=False)
    np.testing.assert_allclose(rv, 0.75 * var0 + 0.25 * short.var(axis=(0, 2)), rtol=1e-12)


def _model(nodes, initializers, in_shape, out_shape):
    h = onnx.helper
    graph = h.make_graph(
        nodes, "g", [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, in_shape)],
        [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, out_shape)],
        initializer=[onnx.numpy_helper.from_array(v, k) for k, v in initializers.items()],
    )  # fmt: skip
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])


def test_from_onnx_reads_gemm_options_and_batched_matmul_plus_add():
    h = onnx.helper
    rng = np.random.default_rng(2)
    b = rng.standard_normal((5, 4)).astype(np.float32)
    c = rng.standard_normal((3, 1)).astype(np.float32)  # one bias per row
    gemm = _model([h.make_node("Gemm", ["x", "b", "c"], ["y"], transA=1, transB=1, alpha=0.5,
                               beta=2.0)], {"b": b, "c": c}, [4, 3], [3, 5])  # fmt: skip
    layers = nn.from_onnx(gemm)
    assert [type(m).__name__ for m in layers[0]] == ["Permute", "MatMul"]
    x = rng.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(layers(x).data, 0.5 * x.T @ b.T + 2.0 * c, rtol=1e-5)
    w = rng.standard_normal((2, 3, 2)).astype(np.float32)
    bias = rng.standard_normal((2, 1, 2)).astype(np.float32)
    chain = _model([h.make_node("MatMul", ["x", "w"], ["p"]), h.make_node("Add", ["bias", "p"],
                    ["y"])], {"w": w, "bias": bias}, [2, 4, 3], [2, 4, 2])  # fmt: skip
    layers = nn.from_onnx(chain)
    assert len(layers) == 1 and type(layers[0]).__name__ == "MatMul"
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(layers(x).data, x @ w + bias, rtol=1e-5)
    wrong = _model([h.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                   {"w": np.ones((2, 3), np.float32)}, [4, 5], [4, 3])  # fmt: skip
    with pytest.raises(ValueError, match=r"'mm' \(MatMul\).*cannot multiply"):
        nn.from_onnx(wrong)


def test_from_onnx_leaves_a_training_mode_batch_norm_in_training():
    h = onnx.helper
    rng = np.random.default_rng(1)
    stats = {"s": np.ones(2, np.float32), "b": np.zeros(2, np.float32),
             "m": np.zeros(2, np.float32), "v": np.ones(2, np.float32)}  # fmt: skip
    node = h.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], training_mode=1,
                       momentum=0.8)  # fmt: skip
    layers = nn.from_onnx(_model([node], stats, [3, 2, 4], [3, 2, 4]))
    (norm,) = layers
    assert norm.training and not layers.training and norm.momentum == pytest.approx(0.2)
    np.testing.assert_array_equal(norm.running_mean, 0)  # following shapes moved nothing
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    y = layers(x).data
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0, atol=1e-6)  # the batch's statistics
    np.testing.assert_allclose(norm.running_var, 0.8 + 0.2 * x.var(axis=(0, 2)), rtol=1e-5)
