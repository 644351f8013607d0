"""nn.from_onnx: round trips through export_onnx, a LeNet-5 written by PyTorch's own ONNX
exporter, Dropout's mask, and clear errors for what it cannot read."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

from convolab import models, nn
from convolab.nn import functional as F

onnx = pytest.importorskip("onnx")


def _random_stats(model):
    rng = np.random.default_rng(4)
    for m in model.modules():
        if getattr(m, "running_mean", None) is not None:
            m.running_mean[...] = rng.standard_normal(m.running_mean.shape)
            m.running_var[...] = rng.random(m.running_var.shape) + 0.5
    return model.eval()


ROUND_TRIPS = {
    "lenet5-classic-bn-standardized": (
        lambda: models.lenet5("classic", batch_norm=True, standardize=(0.13, 0.31)),
        (1, 28, 28),
    ),
    "lenet5-modern": (lambda: models.lenet5("modern"), (1, 28, 28)),
    "new layers 2d": (
        lambda: nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=((0, 1), 1)), nn.BatchNorm2d(4), nn.ELU(0.5),
            nn.MaxPool2d(2, ceil_mode=True), nn.ConvTranspose2d(4, 3, 2, stride=2, groups=1),
            nn.Hardswish(), nn.AvgPool2d(3, 1, 1, count_include_pad=False), nn.PReLU(3),
            nn.Conv2d(3, 3, 2, stride=2, padding="same_upper", groups=3), nn.GELU(),
            nn.LPPool2d(2, 2), nn.Flatten(), nn.Linear(3 * 2 * 2, 5), nn.SELU(),
            nn.Hardtanh(-0.5, 0.5), nn.Softplus(), nn.CELU(0.7), nn.Hardsigmoid(),
            nn.LogSoftmax(dim=1),
        ),  # fmt: skip
        (2, 9, 8),
    ),
    "1d and 3d": (
        lambda: nn.Sequential(
            nn.Conv1d(3, 4, 3, dilation=2), nn.LeakyReLU(0.2), nn.AvgPool1d(2, ceil_mode=True),
            nn.ConvTranspose1d(4, 2, 3, stride=2, output_padding=1), nn.Sigmoid(),
            nn.GlobalMaxPool(), nn.Flatten(), nn.Linear(2, 2), nn.Softmax(dim=1),
        ),  # fmt: skip
        (3, 12),
    ),
    "matmul and permute": (
        lambda: nn.Sequential(
            nn.Permute((0, 2, 1)), nn.MatMul((4, 3), (5, 1)), nn.Tanh(), nn.MatMul((3,)),
            nn.Linear(5, 2),
        ),  # fmt: skip
        (4, 5),
    ),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_from_onnx_of_export_onnx_equals_the_model(name, tmp_path):
    build, shape = ROUND_TRIPS[name]
    model = _random_stats(build())
    path = tmp_path / "m.onnx"
    nn.onnx.export_onnx(model, path, shape, opset=20)
    again = nn.from_onnx(path)
    assert isinstance(again, nn.Sequential) and not again.training
    x = np.random.default_rng(0).standard_normal((3, *shape)).astype(np.float32)
    np.testing.assert_allclose(again(x).data, model(x).data, rtol=1e-5, atol=1e-6)


def test_lenet5_exported_by_pytorch_loads_and_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    torch.manual_seed(0)
    lenet = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.Tanh(), tnn.AvgPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.Tanh(), tnn.AvgPool2d(2),
        tnn.Conv2d(16, 120, 5), tnn.Tanh(), tnn.Flatten(),
        tnn.Linear(120, 84), tnn.Tanh(), tnn.Linear(84, 10),
    ).eval()  # fmt: skip
    blob = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            lenet, torch.zeros(1, 1, 28, 28), blob, dynamo=False, input_names=["image"],
            output_names=["logits"], dynamic_axes={"image": {0: "batch"}},
        )  # fmt: skip
    ours = nn.from_onnx(onnx.load_from_string(blob.getvalue()))
    assert [type(m).__name__ for m in ours][:3] == ["Conv2d", "Tanh", "AvgPool2d"]
    x = np.random.default_rng(1).random((5, 1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        expected = lenet(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=1e-5, atol=1e-5)


def _graph(nodes, inputs, outputs, initializers=()):
    h = onnx.helper
    graph = h.make_graph(
        nodes,
        "g",
        [h.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [1, 2]) for n in inputs],
        [h.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [1, 2]) for n in outputs],
        initializer=[onnx.numpy_helper.from_array(np.ones(2, np.float32), n) for n in initializers],
    )
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])


def test_from_onnx_names_the_first_unsupported_node():
    h = onnx.helper
    model = _graph(
        [h.make_node("Relu", ["x"], ["a"]), h.make_node("Cos", ["a"], ["b"], name="the_cos"),
         h.make_node("Sin", ["b"], ["y"])],
        ["x"], ["y"],
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"'the_cos' \(Cos\).*no convolab layer for Cos"):
        nn.from_onnx(model)


def test_from_onnx_refuses_a_graph_that_is_not_a_chain(tmp_path):
    h = onnx.helper
    branch = _graph(
        [h.make_node("Relu", ["x"], ["a"]), h.make_node("Sigmoid", ["x"], ["b"], name="side")],
        ["x"], ["b"],
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"'side'.*do not continue the chain"):
        nn.from_onnx(branch)
    two_inputs = _graph([h.make_node("Add", ["x", "z"], ["y"])], ["x", "z"], ["y"])
    with pytest.raises(ValueError, match="2 inputs"):
        nn.from_onnx(two_inputs)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.from_onnx(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not an ONNX model"):
        nn.from_onnx(tmp_path / "junk.onnx")
    with pytest.raises(TypeError, match="onnx.ModelProto"):
        nn.from_onnx(42)


def test_dropout_returns_its_mask():
    x = np.arange(1.0, 1001.0)
    y, mask = F.dropout(x, 0.3, generator=np.random.default_rng(0), return_mask=True)
    assert mask.dtype == bool and 0.6 < mask.mean() < 0.8
    np.testing.assert_allclose(y.data, np.where(mask, x / 0.7, 0.0))
    same, _ = F.dropout(x, 0.3, generator=np.random.default_rng(0), return_mask=True)
    np.testing.assert_array_equal(same.data, y.data)
    y, mask = F.dropout(x, 0.3, training=False, return_mask=True)
    assert mask.all() and y.data is not None and np.array_equal(y.data, x)


def test_unflatten_layer_and_its_torch_twin():
    x = np.arange(24.0).reshape(2, 12)
    layer = nn.Unflatten(1, (3, -1))
    np.testing.assert_array_equal(layer(x).data, x.reshape(2, 3, 4))
    t = nn.Tensor(x, requires_grad=True)
    (layer(t) * np.arange(24.0).reshape(2, 3, 4)).sum().backward()
    np.testing.assert_array_equal(t.grad, np.arange(24.0).reshape(2, 12))
    with pytest.raises(ValueError, match="unflattened_size"):
        nn.Unflatten(1, (-1, -1))
    torch = pytest.importorskip("torch")
    twin = nn.torch_bridge.to_torch(nn.Sequential(layer))
    assert isinstance(twin[0], torch.nn.Unflatten)
    assert repr(nn.torch_bridge.from_torch(twin)[0]) == repr(layer)
