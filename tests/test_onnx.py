"""ONNX export checked in onnxruntime: the runtime's outputs must equal convolab's."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from convolab import models, nn  # noqa: E402
from convolab.cli import main  # noqa: E402
from convolab.nn.onnx import export_onnx, supported_layers  # noqa: E402

TOL = 1e-5


def _randomize_batch_norm(model: nn.Module, rng: np.random.Generator) -> nn.Module:
    """Non-trivial running statistics and affine weights, so that eval mode matters."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            c = m.num_features
            m.running_mean[:] = rng.normal(0.0, 1.0, c)
            m.running_var[:] = rng.uniform(0.3, 3.0, c)
            if m.weight is not None:
                m.weight.data[:] = rng.normal(1.0, 0.5, c)
                m.bias.data[:] = rng.normal(0.0, 0.5, c)
    return model


def _bn_dropout_model() -> nn.Module:
    nn.init.manual_seed(3)
    return nn.Sequential(
        nn.Conv2d(2, 6, 3, padding=1),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Dropout(0.4),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 4 * 4, 16),
        nn.BatchNorm1d(16),
        nn.Dropout(0.5),
        nn.Tanh(),
        nn.Linear(16, 5),
    )


def _mixed_model() -> nn.Module:
    """Every other layer type and option: strides, dilation, groups, even 'same', pads."""
    nn.init.manual_seed(4)
    return nn.Sequential(
        nn.Conv2d(2, 4, 2, padding="same"),  # even kernel: the extra zero goes right/bottom
        nn.Conv2d(4, 4, 3, stride=2, padding=(1, 2), dilation=(1, 2), groups=2),
        nn.LeakyReLU(0.1),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
        nn.MaxPool2d(3, stride=1, padding=1, dilation=1),
        nn.AdaptiveAvgPool2d((3, 2)),
        nn.Sequential(nn.Identity(), nn.Sigmoid()),
        nn.Flatten(1, 2),  # (N, 12, 2): a Reshape keeping the batch axis dynamic
        nn.Linear(2, 3),  # on a 3-D input: MatMul + Add
        nn.Softmax(dim=1),
    )


def _mixed_1d_model() -> nn.Module:
    nn.init.manual_seed(5)
    return nn.Sequential(
        nn.Conv1d(3, 4, 4, padding="same", dilation=2),
        nn.BatchNorm1d(4),
        nn.MaxPool1d(3, stride=2, padding=1),
        nn.AvgPool1d(2),
        nn.AdaptiveAvgPool1d(3),
        nn.Flatten(),
        nn.Linear(12, 4, bias=False),
        nn.LogSoftmax(dim=1),
    )


CASES = {
    "lenet5-classic": (lambda: models.lenet5("classic", seed=1), (1, 28, 28)),
    "lenet5-modern": (lambda: models.lenet5("modern", seed=2), (1, 28, 28)),
    "lenet5-bn": (lambda: models.lenet5("modern", seed=6, batch_norm=True), (1, 28, 28)),
    "standardized": (
        lambda: nn.Sequential(nn.Standardize([0.3, -0.1], [0.5, 2.0]), nn.Conv2d(2, 3, 3)),
        (2, 6, 7),
    ),
    "cnn1d": (lambda: models.cnn1d(seed=3), (1, 40)),
    "detector1d": (lambda: models.detector1d(kernel_size=12, length=64, seed=4), (1, 64)),
    "mlp": (lambda: models.mlp(in_features=40, hidden=(16, 8), seed=5), (1, 40)),
    "batchnorm-dropout": (_bn_dropout_model, (2, 8, 8)),
    "mixed-2d": (_mixed_model, (2, 9, 11)),
    "mixed-1d": (_mixed_1d_model, (3, 30)),
}


def _run(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name", list(CASES))
def test_onnxruntime_equals_convolab(name, tmp_path):
    build, shape = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    model = _randomize_batch_norm(build(), rng)
    model.train()  # export must still write the evaluation-mode graph
    path = tmp_path / f"{name}.onnx"
    proto = export_onnx(model, path, shape)
    assert model.training and all(m.training for m in model.modules())  # mode restored
    assert proto.opset_import[0].version >= 17
    model.eval()
    for batch in (1, 7):  # the batch axis is dynamic
        x = rng.standard_normal((batch, *shape)).astype(np.float32)
        got = _run(path, x)
        want = model(x).data
        assert got.dtype == np.float32
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL)


def test_graph_is_checked_and_batch_symbolic(tmp_path):
    path = tmp_path / "m.onnx"
    export_onnx(models.lenet5(), path, (1, 28, 28), opset=18)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 18
    (inp,) = proto.graph.input
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [1, 28, 28]
    out_dims = proto.graph.output[0].type.tensor_type.shape.dim
    assert out_dims[0].dim_param == "batch" and out_dims[1].dim_value == 10
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 3 and ops.count("MaxPool") == 2 and ops.count("Gemm") == 2
    assert not [p for p in tmp_path.iterdir() if p.name != "m.onnx"]  # no temporary left


def test_dropout_is_identity_and_weights_are_copied(tmp_path):
    model = _bn_dropout_model()
    proto = export_onnx(model, None, (2, 8, 8))
    assert "Dropout" not in {n.op_type for n in proto.graph.node}
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    np.testing.assert_array_equal(weights["0_weight"], model[0].weight.data)
    np.testing.assert_array_equal(weights["1_running_var"], model[1].running_var)


def test_float64_model_exports_double(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3, dtype="float64"), nn.Tanh())
    path = tmp_path / "d.onnx"
    export_onnx(model, path, (4,))
    x = np.random.default_rng(0).standard_normal((2, 4))
    got = _run(path, x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, model(x).data, rtol=0, atol=1e-12)


class _Doubler(nn.Module):
    def forward(self, x):
        return x * 2


def test_unsupported_layer_is_named():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), _Doubler()))
    with pytest.raises(ValueError, match=r"layer '1\.1' \(_Doubler\).*supported layers: .*Conv2d"):
        export_onnx(model, None, (3,))
    with pytest.raises(ValueError, match="the model \\(_Doubler\\)"):
        export_onnx(_Doubler(), None, (3,))
    assert "Sequential" in supported_layers() and "_Doubler" not in supported_layers()


def test_layers_without_an_onnx_equivalent_are_refused():
    with pytest.raises(ValueError, match="track_running_stats=False"):
        export_onnx(nn.Sequential(nn.BatchNorm1d(3, track_running_stats=False)), None, (3,))
    with pytest.raises(ValueError, match="merges the batch axis"):
        export_onnx(nn.Sequential(nn.Flatten(0)), None, (3,))


@pytest.mark.parametrize(
    ("shape", "error", "match"),
    [
        ((1, 1, 28, 28), ValueError, "does not fit the model"),
        ((1, 8, 8), ValueError, "does not fit the model"),
        ("1,28,28", TypeError, "without the batch axis"),
        ((1, 0, 28), ValueError, "without the batch axis"),
        ((), ValueError, "without the batch axis"),
    ],
)
def test_bad_input_shape(shape, error, match):
    with pytest.raises(error, match=match):
        export_onnx(models.lenet5(), None, shape)


def test_bad_arguments():
    with pytest.raises(ValueError, match="`opset` must be an int >= 17; got 13"):
        export_onnx(models.lenet5(), None, (1, 28, 28), opset=13)
    with pytest.raises(TypeError, match="`model` must be a convolab.nn.Module"):
        export_onnx("lenet5", None, (1, 28, 28))
    with pytest.raises(ValueError, match="must differ"):
        export_onnx(models.lenet5(), None, (1, 28, 28), input_name="x", output_name="x")


# ----------------------------------------------------------------------------- CLI


def _cli(args) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return info.value.code


def test_cli_export(tmp_path, capsys):
    model = models.lenet5("classic", seed=7)
    model_file = tmp_path / "model.npz"
    nn.save(model, model_file, metadata={"input_shape": [1, 28, 28]})
    out = tmp_path / "lenet.onnx"
    assert _cli(["export", str(model_file), str(out)]) == 0
    assert "checked with onnxruntime" in capsys.readouterr().out
    x = np.random.default_rng(1).random((3, 1, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(_run(out, x), model.eval()(x).data, rtol=0, atol=TOL)
    assert _cli(["export", str(model_file), str(out)]) == 2  # exists
    assert "use --force" in capsys.readouterr().err
    assert _cli(["export", str(model_file), str(out), "--force", "--no-check"]) == 0


def test_cli_export_needs_a_shape_for_bare_model_files(tmp_path, capsys):
    model_file = tmp_path / "cnn.npz"
    nn.save(nn.Sequential(*models.cnn1d(seed=0)), model_file)  # the layers, no recorded shape
    out = tmp_path / "cnn.onnx"
    assert _cli(["export", str(model_file), str(out)]) == 2
    assert "--input-shape" in capsys.readouterr().err
    assert _cli(["export", str(model_file), str(out), "--input-shape", "1,28"]) == 2
    assert "does not fit the model" in capsys.readouterr().err
    assert not out.exists()
    assert _cli(["export", str(model_file), str(out), "--input-shape", "1,40"]) == 0
    # a model of convolab.models records its input shape in the file
    nn.save(models.cnn1d(seed=0), tmp_path / "described.npz")
    assert _cli(["export", str(tmp_path / "described.npz"), str(tmp_path / "d.onnx")]) == 0


def test_missing_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install convolab\[onnx\]"):
        export_onnx(models.mlp(), None, (784,))
