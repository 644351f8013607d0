"""`convolab train / eval / predict` end to end, and their one-line errors."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from cli_helpers import assert_one_line_error, run
from convolab import data, nn
from convolab.cli import main


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory):
    """A folder of MNIST-format files (train and t10k) holding rendered digits."""
    folder = tmp_path_factory.mktemp("idx")
    for prefix, n, seed in (("train", 1500, 0), ("t10k", 200, 1)):
        ds = data.ocr_digits(n, seed=seed)
        data.write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                       np.round(ds.x[:, 0] * 255).astype(np.uint8))  # fmt: skip
        data.write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", ds.y.astype(np.uint8))
    return folder


@pytest.fixture(scope="module")
def trained(idx_dir, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "lenet"
    with pytest.raises(SystemExit) as exc:
        main(["train", "lenet5", "--data", str(idx_dir), "--epochs", "4", "--batch-size", "32",
              "--out", str(run_dir), "--quiet", "--seed", "1"])  # fmt: skip
    assert exc.value.code == 0
    return run_dir


def test_train_writes_the_run_folder(trained, idx_dir):
    names = sorted(p.name for p in trained.iterdir())
    assert names == ["checkpoint.npz", "config.json", "metrics.json", "model.npz", "training.png"]
    metrics = json.loads((trained / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2, 3, 4]
    assert metrics["test"]["n"] == 200
    config = json.loads((trained / "config.json").read_text())
    assert config["train_samples"] == 1350 and config["val_samples"] == 150
    with Image.open(trained / "training.png") as im:
        assert im.format == "PNG"
    # The model file alone is all a user needs: raw [0, 1] images in, logits out.
    model = nn.load(trained / "model.npz")
    test = data.idx_folder(idx_dir, "test")
    acc = float((model(test.x).data.argmax(1) == test.y).mean())
    assert acc == pytest.approx(metrics["test"]["accuracy"])
    assert acc > 0.5  # 4 epochs on 1,350 rendered digits: far above the 10% of chance


def test_eval_prints_the_same_scores(trained, idx_dir, capsys):
    code, out, _ = run(["eval", trained, "--json"], capsys)
    assert code == 0
    scores = json.loads(out)
    saved = json.loads((trained / "metrics.json").read_text())["test"]
    assert scores["accuracy"] == pytest.approx(saved["accuracy"])
    assert np.sum(scores["confusion"]) == 200
    code, out, _ = run(["eval", trained / "model.npz", "--data", idx_dir], capsys)
    assert code == 0 and "accuracy" in out and "confusion" in out


def test_label_smoothing_and_standardize_are_recorded(idx_dir, tmp_path, capsys):
    run_dir = tmp_path / "ls"
    args = ["train", "mlp", "--data", idx_dir, "--epochs", "1", "--out", run_dir, "-q"]
    assert run([*args, "--label-smoothing", "0.1", "--standardize"], capsys)[0] == 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["label_smoothing"] == 0.1
    (mean,), (std,) = config["standardize"]  # one channel, from the training split
    assert 0 < mean < 0.5 and 0 < std < 0.5
    model = nn.load(run_dir / "model.npz")
    assert isinstance(model[0], nn.Standardize) and model[0].mean == [mean]
    code, _, err = run([*args[:-2], tmp_path / "ls2", "-q", "--label-smoothing", "1.5"], capsys)
    assert code == 2 and "--label-smoothing" in err


def test_resume_continues(trained, idx_dir, tmp_path, capsys):
    run_dir = tmp_path / "r"
    base = ["train", "mlp", "--data", idx_dir, "--batch-size", "64", "--out", run_dir, "-q"]
    assert run([*base, "--epochs", "1"], capsys)[0] == 0
    first = json.loads((run_dir / "metrics.json").read_text())["epochs"][0]
    code, _, err = run([*base, "--epochs", "1"], capsys)
    assert_one_line_error(code, err, "already holds a run", "--resume")
    assert run([*base, "--epochs", "2", "--resume"], capsys)[0] == 0
    epochs = json.loads((run_dir / "metrics.json").read_text())["epochs"]
    assert [e["epoch"] for e in epochs] == [1, 2] and epochs[0] == first


def _digit_png(path: Path, digit: int, font: Path) -> None:
    """Dark ink on light paper, off-centre, larger than 28x28: nothing like an MNIST frame."""
    image = Image.new("L", (90, 120), 235)
    draw = ImageDraw.Draw(image)
    draw.text((20, 10), str(digit), fill=20, font=ImageFont.truetype(str(font), 80))
    image.save(path)


@pytest.mark.slow
def test_predict_reads_pngs(trained, tmp_path, capsys):
    fonts = data.find_fonts()
    if not fonts:
        pytest.skip("no TrueType fonts")
    font = next((f for f in fonts if f.name == "DejaVuSans.ttf"), fonts[0])
    paths = []
    for d in range(10):
        paths.append(tmp_path / f"digit{d}.png")
        _digit_png(paths[-1], d, font)
    code, out, err = run(["predict", trained, *paths, "--top", "2"], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 10
    guessed = [line.split(": ")[1].split()[0] for line in lines]
    assert sum(g == str(d) for d, g in enumerate(guessed)) >= 7, out


def test_errors_are_one_line(trained, idx_dir, tmp_path, capsys):
    code, _, err = run(["train", "alexnet", "--data", "mnist", "--out", tmp_path / "a"], capsys)
    assert_one_line_error(code, err, "unknown model 'alexnet'", "lenet5", "detector1d")
    code, _, err = run(["train", "lenet5", "--data", "cifar10", "--out", tmp_path / "a"], capsys)
    assert_one_line_error(code, err, "unknown data set 'cifar10'", "'fashion-mnist'", "'shapes1d'")
    (tmp_path / "empty").mkdir()
    code, _, err = run(["train", "lenet5", "--data", tmp_path / "empty", "--out", tmp_path / "b"],
                       capsys)  # fmt: skip
    assert_one_line_error(code, err, "no MNIST-format IDX files")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really")
    code, _, err = run(["predict", trained, bad], capsys)
    assert_one_line_error(code, err, "bad.png", "not an image")
    code, _, err = run(["predict", trained / "config.json", bad], capsys)
    assert_one_line_error(code, err, "config.json")
    # A model of another architecture / input shape for the data.
    shapes_run = tmp_path / "det"
    assert run(["train", "detector1d", "--data", "shapes1d", "--samples", "64", "--epochs", "1",
                "--out", shapes_run, "-q"], capsys)[0] == 0  # fmt: skip
    code, _, err = run(["eval", shapes_run, "--data", idx_dir], capsys)
    assert_one_line_error(code, err, "takes inputs of shape (1, 128)", "(1, 28, 28)")
    code, _, err = run(["predict", shapes_run, bad], capsys)
    assert_one_line_error(code, err, "1-channel images")
    code, _, err = run(["train", "lenet5", "--data", "mnist1d", "--out", tmp_path / "c"], capsys)
    assert_one_line_error(code, err, "needs (C, 28, 28) inputs")


def test_download_without_network_names_the_urls(tmp_path, monkeypatch, capsys):
    module = importlib.import_module("convolab.data.mnist")
    monkeypatch.setattr(module, "MNIST_MIRRORS", ("http://127.0.0.1:9/mnist/",))
    monkeypatch.setattr(module, "_TIMEOUT_S", 2.0)
    monkeypatch.setenv("CONVOLAB_DATA", str(tmp_path / "cache"))
    code, _, err = run(["train", "lenet5", "--data", "mnist", "--download", "--out",
                        tmp_path / "run"], capsys)  # fmt: skip
    assert_one_line_error(code, err, "http://127.0.0.1:9/mnist/train-images-idx3-ubyte.gz")
    assert not (tmp_path / "run").exists()
    code, _, err = run(["train", "lenet5", "--data", "mnist", "--out", tmp_path / "run"], capsys)
    assert_one_line_error(code, err, "not found", "--download")


def test_single_split_folder_is_split(tmp_path, capsys, mnist_5k):
    run_dir = tmp_path / "m5k"
    code, out, err = run(["train", "mlp", "--data", mnist_5k, "--epochs", "2", "--limit", "400",
                          "--out", run_dir, "-q", "--shift", "1", "--patience", "1"],
                         capsys)  # fmt: skip
    assert code == 0, err
    config = json.loads((run_dir / "config.json").read_text())
    assert config["test_samples"] == 400 and config["train_samples"] == 360
    assert config["shift"] == 1
    # The held-out part is the seeded split that `eval` reconstructs from config.json.
    code, out, _ = run(["eval", run_dir, "--json"], capsys)
    saved = json.loads((run_dir / "metrics.json").read_text())["test"]
    assert code == 0 and json.loads(out)["accuracy"] == pytest.approx(saved["accuracy"])
