"""`convolab train`'s defaults: augmentation and schedule as docs/training.md states them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import assert_one_line_error, run
from convolab import data
from convolab.cli.train import train as train_command

DOCS = Path(__file__).resolve().parents[1] / "docs" / "training.md"


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory):
    """One split of 200 random 28x28 images in MNIST format (the command splits it)."""
    folder = tmp_path_factory.mktemp("digits")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (200, 28, 28), np.uint8)
    data.write_idx(folder / "train-images-idx3-ubyte", images)
    data.write_idx(folder / "train-labels-idx1-ubyte", np.arange(200, dtype=np.uint8) % 10)
    return folder


def _config(run_dir: Path) -> dict:
    return json.loads((run_dir / "config.json").read_text())


def test_documented_defaults_are_the_commands_defaults():
    """Every ``[--option VALUE]`` of the synopsis in docs/training.md is the option's default."""
    text = DOCS.read_text()
    synopsis = text[text.index("convolab train MODEL") : text.index("convolab eval")]
    documented = dict(re.findall(r"\[(--[a-z-]+) ([^\]|]+?)\]", synopsis))
    defaults = {f"--{p.name.replace('_', '-')}": p.default for p in train_command.params}
    assert {"--epochs", "--batch-size", "--lr-schedule", "--val-fraction"} <= set(documented)
    for option, value in documented.items():
        if value.isupper():  # a placeholder (LR, N, P), not a value
            continue
        default = defaults[option]
        same = float(value) == default if isinstance(default, float) else str(default) == value
        assert same, (option, value, default)
    for flag in ("augment", "standardize"):  # on or off by the data (documented below it)
        assert f"[--{flag}|--no-{flag}]" in synopsis and defaults[f"--{flag}"] is None


def test_small_image_sets_are_augmented_by_default(digits_dir, tmp_path, capsys):
    base = ["train", "lenet5", "--data", digits_dir, "--epochs", "2", "-q"]
    assert run([*base, "--out", tmp_path / "auto"], capsys)[0] == 0
    config = _config(tmp_path / "auto")
    assert config["augment"] == repr(data.RandomAffine()) and config["lr_schedule"] == "constant"
    assert config["standardize"] is not None  # images: standardized inside the model
    epochs = json.loads((tmp_path / "auto" / "metrics.json").read_text())["epochs"]
    assert [e["lr"] for e in epochs] == [1e-3, 1e-3]
    assert run([*base, "--out", tmp_path / "off", "--no-augment", "--lr-schedule", "cosine"],
               capsys)[0] == 0  # fmt: skip
    assert _config(tmp_path / "off")["augment"] is None
    off = json.loads((tmp_path / "off" / "metrics.json").read_text())["epochs"]
    assert [e["lr"] for e in off] == pytest.approx([1e-3, 5e-4])  # cosine over 2 epochs
    assert run([*base, "--out", tmp_path / "raw", "--no-standardize"], capsys)[0] == 0
    assert _config(tmp_path / "raw")["standardize"] is None
    assert run([*base, "--out", tmp_path / "shift", "--shift", "1"], capsys)[0] == 0
    assert _config(tmp_path / "shift")["augment"] == "RandomShift(1)"


def test_large_sets_and_signals_are_not_augmented_by_default(tmp_path, capsys):
    args = ["train", "detector1d", "--data", "shapes1d", "--samples", "64", "--epochs", "1", "-q"]
    assert run([*args, "--out", tmp_path / "sig"], capsys)[0] == 0
    assert _config(tmp_path / "sig")["augment"] is None
    assert _config(tmp_path / "sig")["standardize"] is None  # signals: left as they are
    assert data.default_augmentation((1, 28, 28), 60_000) is None  # Fashion-MNIST's 54,000


def test_augment_conflicts_are_one_line_errors(digits_dir, tmp_path, capsys):
    code, _, err = run(["train", "lenet5", "--data", digits_dir, "--shift", "2", "--augment",
                        "--out", tmp_path / "a"], capsys)  # fmt: skip
    assert_one_line_error(code, err, "--shift 2 and --augment")
    code, _, err = run(["train", "detector1d", "--data", "shapes1d", "--samples", "64",
                        "--augment", "--out", tmp_path / "b"], capsys)  # fmt: skip
    assert_one_line_error(code, err, "--augment warps images", "(1, 128)", "--shift")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_default_command_on_mnist_5k_reaches_the_documented_accuracy(mnist_5k, tmp_path, capsys):
    """The documented small-data claim, one seed: defaults apart from ``--epochs``.

    docs/training.md reports the mean over seeds and splits (>= 97.5% on the 500
    held-out digits); one run's 500 digits move by about a point, hence 97% here.
    """
    run_dir = tmp_path / "m5k"
    code, _, err = run(["train", "lenet5", "--data", mnist_5k, "--epochs", "30", "-q",
                        "--out", run_dir], capsys)  # fmt: skip
    assert code == 0, err
    config = _config(run_dir)
    assert config["augment"] == repr(data.RandomAffine()) and config["test_samples"] == 500
    test = json.loads((run_dir / "metrics.json").read_text())["test"]
    assert test["n"] == 500 and test["accuracy"] >= 0.97
