"""`convolab inspect` and `convolab show`: tables that match the model, figures, one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_helpers import assert_one_line_error, run
from convolab import analysis, models, nn

_ROW = re.compile(r"^(\S+) \((\w+)\)\s+(\([\d, ]*\))\s+([\d,]+)\s+(\S+)\s+([\d,]+)$")


def table_rows(out):
    rows = []
    for line in out.splitlines():
        m = _ROW.match(line)
        if m:
            name, kind, shape, params, rf, flops = m.groups()
            rows.append((name, kind, eval(shape), int(params.replace(",", "")), rf,
                         int(flops.replace(",", ""))))  # fmt: skip
    return rows


def real_shapes_and_params(model, shape):
    """Each child's output shape and parameter count, by running the children one by one."""
    x = np.zeros((1, *shape), np.float32)
    out = []
    with nn.no_grad():
        for name, child in model.named_children():
            x = child(x)
            out.append((name, type(child).__name__, tuple(x.shape[1:]),
                        sum(p.data.size for p in child.parameters())))  # fmt: skip
    return out


@pytest.mark.parametrize(
    "name, shape", [("lenet5", (1, 28, 28)), ("lenet5-classic", (1, 28, 28)), ("cnn1d", (1, 40))]
)
def test_inspect_agrees_with_the_model(name, shape, capsys):
    code, out, err = run(["inspect", name], capsys)
    assert code == 0, err
    rows = table_rows(out)
    model = models.build(name, shape)
    assert [r[:4] for r in rows] == real_shapes_and_params(model, shape)
    total = int(re.search(r"Total params: ([\d,]+)", out).group(1).replace(",", ""))
    assert total == analysis.param_count(model) == sum(r[3] for r in rows)
    flops = int(re.search(r"FLOPs per sample: ([\d,]+)", out).group(1).replace(",", ""))
    assert flops == sum(r[5] for r in rows)
    if name.startswith("lenet5"):
        assert total == 61706  # 156 + 2,416 + 48,120 + 10,164 + 850 (see test_analysis)
        assert rows[6][4] == "32x32"  # C5 sees LeNet's whole padded 32x32 input


def test_inspect_saved_model_uses_its_input_shape(tmp_path, capsys):
    model = models.cnn1d(channels=3, length=24)
    nn.save(model, tmp_path / "m.npz", metadata={"model": "cnn1d", "input_shape": [1, 24]})
    code, out, err = run(["inspect", tmp_path / "m.npz"], capsys)
    assert code == 0, err
    assert "Input shape: (1, 24)" in out
    assert [r[2] for r in table_rows(out)][-1] == (10,)
    # a run folder holding model.npz works the same
    (tmp_path / "run").mkdir()
    nn.save(model, tmp_path / "run" / "model.npz", metadata={"input_shape": [1, 24]})
    code, out2, _ = run(["inspect", tmp_path / "run"], capsys)
    assert code == 0 and table_rows(out2) == table_rows(out)


def test_inspect_without_an_input_shape_lists_the_parameters(tmp_path, capsys):
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 5))
    nn.save(model, tmp_path / "bare.npz")  # a hand-built model records no input shape
    code, out, err = run(["inspect", tmp_path / "bare.npz"], capsys)
    assert code == 0, err
    rows = re.findall(r"^(\S+) \((\w+)\)\s+([\d,]+)$", out, re.M)
    assert [(n, k, int(p)) for n, k, p in rows] == [
        (n, type(m).__name__, sum(p.data.size for p in m.parameters()))
        for n, m in model.named_children()
    ]
    assert f"Total params: {3 * 9 + 3 + 12 * 5 + 5}" in out
    assert "FLOPs" in out and "FLOPs per sample" not in out and "--input-shape" in out
    code, out, err = run(["inspect", tmp_path / "bare.npz", "--input-shape", "1,4,4"], capsys)
    assert code == 0, err
    assert [r[2] for r in table_rows(out)] == [(3, 2, 2), (3, 2, 2), (12,), (5,)]
    code, _, err = run(["show", tmp_path / "bare.npz", "--image", tmp_path / "x.npy", "-o",
                        tmp_path / "o"], capsys)  # fmt: skip
    assert_one_line_error(code, err, "--input-shape")


def test_docs_inspect_example_without_a_shape_is_what_the_command_prints(tmp_path, capsys,
                                                                          monkeypatch):
    page = (Path(__file__).resolve().parents[1] / "docs" / "inspect.md").read_text()
    block = page.split("    $ convolab inspect mine.npz\n")[1].split("\n\n")[0]
    shown = "\n".join(line[4:] for line in block.splitlines())
    monkeypatch.chdir(tmp_path)
    nn.save(nn.Sequential(nn.Linear(50, 10), nn.ReLU(), nn.Linear(10, 2)), "mine.npz")
    code, out, err = run(["inspect", "mine.npz"], capsys)
    assert code == 0, err
    assert out.rstrip("\n") == shown


def test_models_record_their_input_shape_in_the_file(tmp_path, capsys):
    nn.save(models.cnn1d(length=40), tmp_path / "plain.npz")  # no metadata given
    assert nn.read_model_info(tmp_path / "plain.npz")["metadata"]["input_shape"] == [1, 40]
    assert nn.load(tmp_path / "plain.npz").input_shape == (1, 40)
    code, out, err = run(["inspect", tmp_path / "plain.npz"], capsys)
    assert code == 0, err
    assert "Input shape: (1, 40)" in out and "FLOPs per sample" in out
    assert table_rows(out)[-1][2] == (10,)


def test_inspect_errors(tmp_path, capsys):
    nn.save(models.cnn1d(length=40), tmp_path / "bare.npz")
    code, _, err = run(["inspect", tmp_path / "bare.npz", "--input-shape", "1,3"], capsys)
    assert_one_line_error(code, err, "(1, 3)")
    code, _, err = run(["inspect", "lenet6"], capsys)
    assert_one_line_error(code, err, "lenet6", "lenet5, lenet5-bn, lenet5-classic")
    code, _, err = run(["inspect", "lenet5", "--input-shape", "a,b"], capsys)
    assert_one_line_error(code, err, "--input-shape", "'a,b'")
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    code, _, err = run(["inspect", tmp_path / "junk.npz"], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _png_ok(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        pixels = np.asarray(im.convert("L"), dtype=float)
    assert pixels.std() > 5.0


def test_show_writes_figures(tmp_path, capsys):
    digit = np.full((60, 40), 255, np.uint8)
    digit[10:50, 17:23] = 0  # a dark "1" on white paper
    Image.fromarray(digit).save(tmp_path / "one.png")
    code, out, err = run(
        ["show", "lenet5", "--image", tmp_path / "one.png", "-o", tmp_path / "figs", "--dpi", 40],
        capsys,
    )
    assert code == 0, err
    paths = out.split()
    names = sorted(p.rsplit("/", 1)[-1] for p in paths)
    assert names == ["feature_maps.png", "filters_0.png", "filters_3.png", "filters_6.png",
                     "filters_vs_classic.png", "receptive_field.png"]  # fmt: skip
    for p in paths:
        _png_ok(p)


def test_show_npy_signal_for_a_1d_model(tmp_path, capsys):
    nn.save(models.cnn1d(channels=4, length=40), tmp_path / "m.npz",
            metadata={"input_shape": [1, 40]})  # fmt: skip
    np.save(tmp_path / "s.npy", np.sin(np.arange(40) / 4.0))
    code, out, err = run(
        ["show", tmp_path / "m.npz", "--image", tmp_path / "s.npy", "-o", tmp_path / "o"], capsys
    )
    assert code == 0, err
    assert len(out.split()) == 6  # feature maps, receptive fields, 3 conv layers, vs classic
    for p in out.split():
        _png_ok(p)


def test_show_takes_a_batch_of_one_npy(tmp_path, capsys):
    np.save(tmp_path / "b.npy", np.sin(np.arange(40) / 4.0)[None, None])  # (1, 1, 40)
    code, out, err = run(["show", "cnn1d", "--image", tmp_path / "b.npy", "-o", tmp_path / "o"],
                         capsys)  # fmt: skip
    assert code == 0, err
    np.save(tmp_path / "two.npy", np.zeros((2, 1, 40)))
    code, _, err = run(["show", "cnn1d", "--image", tmp_path / "two.npy", "-o", tmp_path / "p"],
                       capsys)  # fmt: skip
    assert_one_line_error(code, err, "(2, 1, 40)", "(1, 40)")


def test_show_errors(tmp_path, capsys):
    code, _, err = run(["show", "lenet5", "--image", tmp_path / "none.png", "-o", tmp_path],
                       capsys)  # fmt: skip
    assert_one_line_error(code, err, "none.png")
    np.save(tmp_path / "bad.npy", np.zeros(7))
    code, _, err = run(["show", "cnn1d", "--image", tmp_path / "bad.npy", "-o", tmp_path], capsys)
    assert_one_line_error(code, err, "(7,)", "(1, 40)")
    (tmp_path / "text.png").write_text("not an image")
    code, _, err = run(["show", "lenet5", "--image", tmp_path / "text.png", "-o", tmp_path],
                       capsys)  # fmt: skip
    assert_one_line_error(code, err, "text.png")
    np.save(tmp_path / "x.npy", np.zeros((1, 28, 28)))
    code, _, err = run(["show", "mlp", "--image", tmp_path / "x.npy", "-o", tmp_path], capsys)
    assert_one_line_error(code, err, "no convolution")
    code, _, err = run(["show", "lenet5", "-o", tmp_path], capsys)
    assert_one_line_error(code, err, "--image")
