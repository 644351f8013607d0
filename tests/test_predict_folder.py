"""Folder classification in one process and on a Dask cluster; the CSV table and its errors."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from PIL import Image, ImageDraw

from convolab import data, models, nn
from convolab.scale.folder import (
    FolderPrediction,
    exit_status,
    list_images,
    predict_folder,
    write_predictions_csv,
)

GOOD = ["bar.png", "cross.jpg", "disc.png", "light_bg.png", "ring.bmp", "rgba.png", "zz.png"]
BAD = ["blank.png", "corrupt.png", "notes.txt", "truncated.png"]


def _drawing(kind: int, size: int = 48) -> Image.Image:
    im = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(im)
    if kind == 0:
        d.rectangle([20, 6, 27, 40], fill=255)
    elif kind == 1:
        d.line([8, 8, 40, 40], fill=255, width=5)
        d.line([8, 40, 40, 8], fill=255, width=5)
    elif kind == 2:
        d.ellipse([10, 10, 38, 38], fill=230)
    else:
        d.ellipse([8, 12, 40, 36], outline=255, width=4)
    return im


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    _drawing(0).save(root / "bar.png")
    _drawing(1).convert("RGB").save(root / "cross.jpg", quality=95)
    _drawing(2).save(root / "disc.png")
    Image.eval(_drawing(3), lambda v: 255 - v).save(root / "light_bg.png")  # dark ink on white
    _drawing(3).save(root / "ring.bmp")
    rgba = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).rectangle([10, 5, 16, 25], fill=(0, 0, 0, 255))
    rgba.save(root / "rgba.png")
    _drawing(1, size=80).save(root / "zz.png")
    Image.new("L", (28, 28), 255).save(root / "blank.png")
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    full = (root / "bar.png").read_bytes()
    (root / "truncated.png").write_bytes(full[: len(full) // 2])
    (root / "notes.txt").write_text("not an image\n")
    (root / ".hidden.png").write_bytes(full)
    (root / "sub").mkdir()
    _drawing(2).save(root / "sub" / "inner.png")
    return root


@pytest.fixture(scope="module")
def model():
    return models.lenet5("modern", seed=3).eval()


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _oracle(model: nn.Module, path) -> np.ndarray:
    """Class probabilities computed here step by step: preprocess, forward, softmax."""
    x = data.to_mnist(data.load_image(path))[None]
    logits = model(x).data.astype(np.float64)[0]
    e = np.exp(logits - logits.max())
    return e / e.sum()


def test_single_process_rows(folder, model):
    rows = predict_folder(model, folder, batch_size=4)
    names = [os.path.basename(r.path) for r in rows]
    assert names == sorted(GOOD + BAD)  # every file, hidden ones and sub-folders excepted
    assert all(r.path == str(folder / n) for r, n in zip(rows, names))
    for r in rows:
        if os.path.basename(r.path) in BAD:
            assert r.label is None and r.probabilities is None and r.error
            continue
        assert r.error is None
        want = _oracle(model, r.path)
        np.testing.assert_allclose(r.probabilities, want, rtol=0, atol=1e-6)
        assert r.label == int(np.argmax(want))
    assert len({r.label for r in rows if r.label is not None}) >= 1
    assert exit_status(rows) == 1


def test_unreadable_files_have_messages(folder, model):
    rows = {os.path.basename(r.path): r for r in predict_folder(model, folder)}
    assert "corrupt.png" in rows["corrupt.png"].error
    assert "truncated or corrupt image" in rows["truncated.png"].error
    assert "not an image" in rows["notes.txt"].error
    assert "blank" in rows["blank.png"].error
    assert exit_status([rows[n] for n in GOOD]) == 0


def test_dask_equals_single_process(folder, model, client):
    local = predict_folder(model, folder, batch_size=3)
    on_cluster = predict_folder(model, folder, client=client, batch_size=3)
    assert on_cluster == local
    # A scheduler address gives a client of our own, closed afterwards.
    by_address = predict_folder(model, folder, client=client.scheduler.address, batch_size=5)
    assert by_address == predict_folder(model, folder, batch_size=5)
    assert client.status == "running"


def test_both_workers_take_batches(folder, model, client):
    predict_folder(model, folder, client=client, batch_size=1)
    seen = client.run(lambda dask_worker: len(dask_worker.state.log))
    assert len(seen) == 2 and all(n > 0 for n in seen.values())


def test_model_file_and_run_folder(folder, model, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    nn.save(model, run / "model.npz", metadata={"input_shape": [1, 28, 28]})
    from_dir = predict_folder(run, folder)
    assert from_dir == predict_folder(run / "model.npz", folder)
    assert from_dir == predict_folder(model, folder)
    nn.save(models.cnn1d(), tmp_path / "cnn.npz", metadata={"input_shape": [1, 40]})
    with pytest.raises(ValueError, match=r"square 1-channel images.*\(1, 40\)"):
        predict_folder(tmp_path / "cnn.npz", folder)
    with pytest.raises(FileNotFoundError, match="has no model.npz"):
        predict_folder(tmp_path, folder)


def test_recursive_and_training_mode(folder, model):
    model.train()
    try:
        rows = predict_folder(model, folder, recursive=True)
        assert model.training
    finally:
        model.eval()
    assert os.path.join("sub", "inner.png") in {os.path.relpath(r.path, folder) for r in rows}
    flat = predict_folder(model, folder)
    rows = [r for r in rows if "inner" not in r.path]
    assert [(r.path, r.label, r.error) for r in rows] == [
        (r.path, r.label, r.error) for r in flat
    ]
    for a, b in zip(rows, flat):  # another batch: equal up to float32 rounding
        if a.probabilities is not None:
            np.testing.assert_allclose(a.probabilities, b.probabilities, rtol=1e-5)


def test_argument_errors(folder, model, tmp_path):
    with pytest.raises(ValueError, match="holds no files"):
        predict_folder(model, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        predict_folder(model, tmp_path / "missing")
    with pytest.raises(ValueError, match="`batch_size` must be a positive int; got 0"):
        predict_folder(model, folder, batch_size=0)
    with pytest.raises(TypeError, match="`client` must be None"):
        predict_folder(model, folder, client=3)
    with pytest.raises(TypeError, match="`model_or_path` must be"):
        predict_folder(42, folder)


def test_list_images(folder):
    assert [p.name for p in list_images(folder)] == sorted(GOOD + BAD)
    with pytest.raises(NotADirectoryError):
        list_images(folder / "bar.png")


# ----------------------------------------------------------------------------- CSV


def test_csv_table(folder, model, tmp_path):
    rows = predict_folder(model, folder)
    out = tmp_path / "predictions.csv"
    out.write_text("old contents")
    classes = [f"digit{k}" for k in range(10)]
    assert write_predictions_csv(rows, out, classes) == len(BAD)
    with open(out, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert table[0] == ["path", "class", *(f"p_{c}" for c in classes), "error"]
    assert len(table) == 1 + len(rows)
    for line, r in zip(table[1:], rows):
        assert line[0] == r.path
        if r.error:
            assert line[1:-1] == [""] * 11 and line[-1] == r.error
        else:
            assert line[1] == classes[r.label] and line[-1] == ""
            np.testing.assert_allclose([float(v) for v in line[2:-1]], r.probabilities, rtol=1e-5)
    assert sorted(os.listdir(tmp_path)) == ["predictions.csv"]  # no temporary left behind


def test_csv_default_names_and_errors(tmp_path):
    rows = [
        FolderPrediction("a, b.png", 2, (0.1, 0.2, 0.7), None),
        FolderPrediction("c.png", None, None, 'cannot read "c.png"'),
    ]
    out = tmp_path / "p.csv"
    assert write_predictions_csv(rows, out, precision=2) == 1
    assert out.read_text().splitlines() == [
        "path,class,p_0,p_1,p_2,error",
        '"a, b.png",2,0.1,0.2,0.7,',
        'c.png,,,,,"cannot read ""c.png"""',
    ]
    with pytest.raises(ValueError, match="`class_names` has 2 names but the rows hold 3"):
        write_predictions_csv(rows, out, ["x", "y"])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_predictions_csv(rows, tmp_path / "nowhere" / "p.csv")
    assert write_predictions_csv(rows[1:], out) == 1
    assert out.read_text().splitlines()[0] == "path,class,error"


# --------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "lenet.npz"
    nn.save(model, path)
    return path


def _cli(*args):
    from click.testing import CliRunner

    from convolab.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_folder_to_csv_in_one_process_and_on_dask(folder, model, model_file, client, tmp_path):
    single = tmp_path / "single.csv"
    result = _cli("predict", model_file, folder, "-o", single)
    assert result.exit_code == 1, result.output  # the folder holds unreadable files
    expected = tmp_path / "expected.csv"
    write_predictions_csv(predict_folder(model, folder), expected)
    assert single.read_text() == expected.read_text()
    with single.open() as f:
        rows = list(csv.DictReader(f))
    assert {os.path.basename(r["path"]) for r in rows} == set(GOOD) | set(BAD)
    assert all(r["error"] for r in rows if os.path.basename(r["path"]) in BAD)

    on_dask = tmp_path / "dask.csv"
    address = client.scheduler.address
    result = _cli("predict", model_file, folder, "-o", on_dask, f"--dask={address}")
    assert result.exit_code == 1, result.output
    assert on_dask.read_text() == single.read_text()


def test_cli_folder_errors(folder, model_file, tmp_path):
    result = _cli("predict", model_file, folder)
    assert result.exit_code == 2 and "--output" in result.output
    existing = tmp_path / "keep.csv"
    existing.write_text("mine\n")
    result = _cli("predict", model_file, folder, "-o", existing)
    assert result.exit_code == 2 and "--force" in result.output
    assert existing.read_text() == "mine\n"
    result = _cli("predict", model_file, folder / "bar.png", "-o", tmp_path / "x.csv")
    assert result.exit_code == 2 and "FOLDER" in result.output
    result = _cli("predict", model_file, folder, "-o", folder / "inside.csv")
    assert result.exit_code == 2 and not (folder / "inside.csv").exists()
