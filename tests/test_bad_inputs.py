"""A battery of bad inputs across every command and the public API.

For each case: exit code 2 and one line ``convolab: error: ...`` naming the
argument, the value or what was expected (CLI), or the documented exception
(API); no traceback; and, from SHA-256 hashes of every file in the work folder
taken before and after, no input or pre-existing file changed and no new,
temporary or partial file left behind.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_helpers import assert_one_line_error, run
from convolab import checks, data, image, kernels, models, nn, signal, train
from convolab.cli.io import read_signal

# ----------------------------------------------------------------------------- the work folder


def _zip_bomb(path: Path, members: int = 2, chunks: int = 1024, chunk: int = 1 << 20) -> None:
    """A valid .npz of ``members`` uint8 arrays of ``chunks * chunk`` zeros each (1 GiB), ~9 MB.

    Deflate with a full flush after each chunk restarts from an empty window, so
    one compressed chunk can be repeated: the archive is built in about a second.
    """
    zeros = bytes(chunk)
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": "|u1", "fortran_order": False, "shape": (chunks * chunk,)})
    header = head.getvalue()
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    packed = (c.compress(header) + c.flush(zlib.Z_FULL_FLUSH)
              + (c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)) * chunks + c.flush())
    crc = zlib.crc32(header)
    for _ in range(chunks):
        crc = zlib.crc32(zeros, crc)
    size = len(header) + chunks * chunk
    body, central = bytearray(), bytearray()
    for i in range(members):
        name = f"w{i}.npy".encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(packed), size,
                            len(name), 0) + name + packed
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                               len(packed), size, len(name), 0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, members, members, len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))


def _write_idx_folder(folder: Path, train_labels, test_labels) -> None:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for prefix, labels in (("train", train_labels), ("t10k", test_labels)):
        labels = np.asarray(labels, dtype=np.uint8)
        x = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
        data.write_idx(folder / f"{prefix}-images-idx3-ubyte", x)
        data.write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)


def _wide_model(path: Path) -> None:
    """A real model file whose description says its Linear layer is 10**8 x 10**8."""
    nn.save(nn.Sequential(nn.Linear(4, 2)), path)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    info = json.loads(arrays["__convolab__"].tobytes())
    info["architecture"]["config"]["layers"][0]["config"].update(
        in_features=10**8, out_features=10**8)
    arrays["__convolab__"] = np.frombuffer(json.dumps(info).encode(), np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _lying_npy(path: Path) -> None:
    """A .npy header declaring 10**12 float64 values over 16 bytes of data."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    path.write_bytes(b"\x93NUMPY\x01\x00" + head.getvalue()[8:] + bytes(16))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("template")
    rng = np.random.default_rng(0)
    image.save(ws / "g.png", rng.random((20, 24)))
    Image.new("1", (20000, 20000)).save(ws / "bomb.png")  # 4e8 pixels in a few kB
    (ws / "notimage.png").write_bytes(b"\x89PNG\r\n\x1a\n but not really")
    (ws / "s.csv").write_text("value\n1\n2\n3\n2\n1\n")
    (ws / "inf.csv").write_text("1\n2\n1e400\n4\n")
    (ws / "nan.csv").write_text("1\nnan\n3\n")
    (ws / "table.csv").write_text("1,2\n3,4\n")
    (ws / "words.csv").write_text("1\n2\nthree\n")
    (ws / "ragged.txt").write_text("1 2 3\n4 5\n")
    (ws / "kinf.csv").write_text("1,2\ninf,4\n")
    np.save(ws / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _lying_npy(ws / "lying.npy")
    (ws / "model.pkl").write_bytes(b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94.")
    np.savez(ws / "foreign.npz", w=np.zeros(3))
    model = models.build("lenet5", [1, 28, 28], 10, seed=0)
    meta = {"model": "lenet5", "data": "digits", "input_shape": [1, 28, 28],
            "classes": [str(k) for k in range(10)]}
    nn.save(model, ws / "model.npz", metadata=meta)
    (ws / "run").mkdir()
    nn.save(model, ws / "run" / "model.npz", metadata=meta)
    (ws / "run" / "config.json").write_text(json.dumps({"seed": 0}))
    (ws / "animals").mkdir()
    nn.save(model, ws / "animals" / "model.npz",
            metadata={**meta, "classes": ["cat", "dog"] + [f"c{k}" for k in range(8)]})
    (ws / "brokenrun").mkdir()
    nn.save(model, ws / "brokenrun" / "model.npz", metadata=meta)
    (ws / "brokenrun" / "config.json").write_text('{"seed": 0,,}')
    truncated = (ws / "model.npz").read_bytes()
    (ws / "truncated.npz").write_bytes(truncated[: len(truncated) // 2])
    _wide_model(ws / "wide.npz")
    _zip_bomb(ws / "zipbomb.npz")
    _write_idx_folder(ws / "digits", np.arange(40) % 10, np.arange(20) % 10)
    _write_idx_folder(ws / "badlabels", np.arange(40) % 10, [0, 1, 2, 12] + [0] * 16)
    _write_idx_folder(ws / "oneclass", np.zeros(40), np.zeros(20))
    stack = rng.integers(0, 65536, (3, 8, 9), dtype=np.uint16)
    import tifffile

    tifffile.imwrite(ws / "stack.tif", stack, photometric="minisblack")
    return ws


@pytest.fixture
def ws(template, tmp_path) -> Path:
    folder = tmp_path / "ws"
    shutil.copytree(template, folder)
    return folder


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file()
        else "folder" for p in sorted(root.rglob("*"))
    }  # fmt: skip


def _assert_nothing_changed(before: dict[str, str], root: Path, allowed_new: str = "") -> None:
    after = _snapshot(root)
    changed = [k for k in before if after.get(k) != before[k]]
    assert not changed, f"changed or removed: {changed}"
    new = [k for k in after if k not in before]
    partial = [k for k in new if k.endswith((".part", ".tmp")) or Path(k).name.startswith(".")]
    assert not partial, f"temporary files left: {partial}"
    unexpected = [k for k in new if not (allowed_new and k.startswith(allowed_new))]
    assert not unexpected, f"new files: {unexpected}"


# ----------------------------------------------------------------------------- the CLI

# (argv with {ws} for the work folder, fragments the one-line message must hold[, new path])
CLI_CASES = {
    # kernels
    "kernels-sigma-1e6": (["kernels", "gaussian:sigma=1e6"], ["8000001 x 8000001", "TiB"]),
    "kernels-unknown": (["kernels", "gausian"], ["unknown kernel 'gausian'", "gaussian"]),
    "kernels-negative-sigma": (["kernels", "gaussian:sigma=-1"], ["`sigma`", "-1"]),
    "kernels-nan-sigma": (["kernels", "gaussian:sigma=nan"], ["`sigma`", "nan"]),
    "kernels-box-0": (["kernels", "box:size=0"], ["`size`", "0"]),
    "kernels-bad-spec": (["kernels", "box:size"], ["param=value", "'size'"]),
    # filter
    "filter-sigma-1e6": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "-k", "gaussian:sigma=1e6"],
                         ["--kernel gaussian:sigma=1e6", "8000001 x 8000001"]),
    "filter-huge-box": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "-k", "box:size=100000"],
                        ["box kernel", "100000 x 100000"]),
    "filter-valid-larger": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "-k", "box:size=30",
                             "--mode", "valid"], ["larger than the image", "30 x 30", "20 x 24"]),
    "filter-fill-nan": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "-k", "box", "--boundary",
                         "constant", "--fill-value", "nan"], ["--fill-value", "'nan'", "finite"]),
    "filter-fill-1e400": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "-k", "box",
                           "--fill-value", "1e400"], ["--fill-value", "'1e400'", "finite"]),
    "filter-onto-input": (["filter", "{ws}/g.png", "-o", "{ws}/g.png", "-k", "box", "--force"],
                          ["is the input"]),
    "filter-missing": (["filter", "{ws}/missing.png", "-o", "{ws}/o.png", "-k", "box"],
                       ["missing.png", "does not exist"]),
    "filter-not-image": (["filter", "{ws}/notimage.png", "-o", "{ws}/o.png", "-k", "box"],
                         ["notimage.png"]),
    "filter-bomb": (["filter", "{ws}/bomb.png", "-o", "{ws}/o.png", "-k", "box"],
                    ["bomb.png", "decompression-bomb"]),
    "filter-ragged-kernel": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "--kernel-file",
                              "{ws}/ragged.txt"], ["ragged.txt"]),
    "filter-inf-kernel": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "--kernel-file",
                           "{ws}/kinf.csv"], ["kinf.csv", "infinite"]),
    "filter-pickle-kernel": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "--kernel-file",
                              "{ws}/obj.npy"], ["obj.npy", "pickle"]),
    "filter-lying-kernel": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "--kernel-file",
                             "{ws}/lying.npy"], ["lying.npy", "declares", "(1000000000000,)"]),
    "filter-bad-mode": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "-k", "box", "--mode",
                         "middle"], ["mode", "'middle'"]),
    "filter-bad-boundary": (["filter", "{ws}/g.png", "-o", "{ws}/o.png", "-k", "box",
                             "--boundary", "mirror"], ["boundary", "'mirror'"]),
    "filter-bad-extension": (["filter", "{ws}/g.png", "-o", "{ws}/o.xyz", "-k", "box"],
                             ["o.xyz", "extension"]),
    "filter-no-kernel": (["filter", "{ws}/g.png", "-o", "{ws}/o.png"], ["--kernel"]),
    "filter-stack-to-png": (["filter", "{ws}/stack.tif", "-o", "{ws}/o.png", "-k", "box"],
                            ["stack.tif", "3 pages", ".tif"]),
    # signal
    "smooth-1e400": (["signal", "smooth", "{ws}/inf.csv"], ["inf.csv", "sample 2 is inf"]),
    "smooth-nan": (["signal", "smooth", "{ws}/nan.csv"], ["nan.csv", "sample 1", "--nan"]),
    "smooth-table": (["signal", "smooth", "{ws}/table.csv"], ["table.csv", "one column"]),
    "smooth-words": (["signal", "smooth", "{ws}/words.csv"], ["line 3", "'three'"]),
    "smooth-even-width": (["signal", "smooth", "{ws}/s.csv", "--width", "4"], ["width", "4"]),
    "smooth-fill-inf": (["signal", "smooth", "{ws}/s.csv", "--fill-value", "inf"],
                        ["--fill-value", "'inf'"]),
    "smooth-sigma-nan": (["signal", "smooth", "{ws}/s.csv", "--kind", "gaussian", "--sigma",
                          "nan"], ["--sigma", "'nan'"]),
    "smooth-pickle": (["signal", "smooth", "{ws}/obj.npy"], ["obj.npy", "pickle"]),
    "smooth-lying-npy": (["signal", "smooth", "{ws}/lying.npy"], ["lying.npy", "declares"]),
    "smooth-onto-input": (["signal", "smooth", "{ws}/s.csv", "-o", "{ws}/s.csv", "--force"],
                          ["is the input"]),
    "shift-neither": (["signal", "shift", "{ws}/s.csv"], ["--by", "--weights"]),
    "shift-unclosed": (["signal", "shift", "{ws}/s.csv", "--weights", "[0.5,0.5"],
                       ["--weights", "'[0.5,0.5'", "unbalanced brackets"]),
    "shift-1e400": (["signal", "shift", "{ws}/s.csv", "--weights", "[1e400,0,0]"],
                    ["--weights", "is inf"]),
    "detect-long-template": (["signal", "detect", "{ws}/s.csv", "--template", "[1,2,3,4,5,6,7]"],
                             ["--template (length 7) is longer than INPUT (length 5)"]),
    "detect-constant": (["signal", "detect", "{ws}/s.csv", "--template", "[1,1,1]"],
                        ["--template", "--raw"]),
    "detect-threshold": (["signal", "detect", "{ws}/s.csv", "--shape", "bump", "--width", "3",
                          "--threshold", "2"], ["--threshold", "[0, 1)", "2"]),
    "detect-gain": (["signal", "detect", "{ws}/s.csv", "--shape", "bump", "--width", "3",
                     "--gain", "0"], ["--gain", "positive", "0"]),
    # explain
    "explain-unclosed": (["explain", "[1,2,3", "[1]"], ["X", "'[1,2,3'", "unbalanced"]),
    "explain-ragged": (["explain", "[[1,2],[3]]", "[1]"], ["X", "different lengths (2, 1)"]),
    "explain-valid-larger": (["explain", "[1,2]", "[1,2,3]", "--mode", "valid"],
                             ["larger than `x`", "valid"]),
    "explain-stride": (["explain", "[1,2]", "[1]", "--stride", "x"], ["--stride", "'x'"]),
    "explain-fill-nan": (["explain", "[1,2]", "[1]", "--fill-value", "nan"], ["--fill-value"]),
    "explain-1e400": (["explain", "[1,1e400]", "[1]"], ["X", "is inf"]),
    "explain-words": (["explain", "[1,two]", "[1]"], ["X", "'two'", "not a number"]),
    # train
    "train-unknown-data": (["train", "lenet5", "--data", "cifar", "--out", "{ws}/r"],
                           ["unknown data set 'cifar'"]),
    "train-unknown-model": (["train", "lenet6", "--data", "{ws}/digits", "--out", "{ws}/r"],
                            ["unknown model 'lenet6'", "lenet5"]),
    "train-test-labels": (["train", "mlp", "--data", "{ws}/badlabels", "--out", "{ws}/r"],
                          ["--data", "test labels", "label 12 at index 3", "0..9"]),
    "train-one-class": (["train", "mlp", "--data", "{ws}/oneclass", "--out", "{ws}/r"],
                        ["--data", "1 class", "at least 2"]),
    "train-over-a-run": (["train", "mlp", "--data", "{ws}/digits", "--out", "{ws}/run"],
                         ["--out", "already holds a run", "--resume"]),
    "train-diverges": (["train", "mlp", "--data", "{ws}/digits", "--out", "{ws}/r", "--lr",
                        "1e30", "--batch-size", "4", "--epochs", "2", "--val-fraction", "0",
                        "--quiet"], ["training stopped", "loss became", "learning rate"], "r"),
    # eval
    "eval-labels": (["eval", "{ws}/run", "--data", "{ws}/badlabels"],
                    ["--data", "label 12 at index 3", "0..9"]),
    "eval-other-classes": (["eval", "{ws}/animals", "--data", "{ws}/digits"],
                           ["--data", "its classes (0, 1, 2, ...)", "(cat, dog, c0, ...)"]),
    "eval-broken-json": (["eval", "{ws}/brokenrun"], ["config.json", "not valid JSON", "line 1"]),
    "eval-pickle": (["eval", "{ws}/model.pkl"], ["model.pkl", "not a convolab model file"]),
    # predict
    "predict-bomb": (["predict", "{ws}/model.npz", "{ws}/bomb.png"], ["bomb.png",
                                                                      "decompression-bomb"]),
    "predict-not-image": (["predict", "{ws}/model.npz", "{ws}/notimage.png"], ["notimage.png"]),
    "predict-zip-bomb": (["predict", "{ws}/zipbomb.npz", "{ws}/g.png"],
                         ["zipbomb.npz", "compression bomb", "1.0 GiB"]),
    "predict-wide-layer": (["predict", "{ws}/wide.npz", "{ws}/g.png"],
                           ["wide.npz", "in_features=100000000", "refused before allocating"]),
    "predict-pickle": (["predict", "{ws}/model.pkl", "{ws}/g.png"],
                       ["model.pkl", "not a convolab model file"]),
    "predict-foreign": (["predict", "{ws}/foreign.npz", "{ws}/g.png"],
                        ["foreign.npz", "no convolab model description"]),
    # inspect, show, export
    "inspect-pickle": (["inspect", "{ws}/model.pkl"], ["not a convolab model file"]),
    "inspect-truncated": (["inspect", "{ws}/truncated.npz"], ["truncated.npz", "truncated"]),
    "inspect-shape": (["inspect", "{ws}/model.npz", "--input-shape", "1,x"],
                      ["--input-shape", "'1,x'"]),
    "inspect-unknown": (["inspect", "lenet6"], ["'lenet6'", "lenet5"]),
    "show-not-image": (["show", "{ws}/model.npz", "--image", "{ws}/notimage.png", "-o",
                        "{ws}/figs"], ["notimage.png"]),
    "show-lying-npy": (["show", "{ws}/model.npz", "--image", "{ws}/lying.npy", "-o",
                        "{ws}/figs"], ["--image", "lying.npy", "declares"]),
    "export-opset": (["export", "{ws}/model.npz", "{ws}/m.onnx", "--opset", "99"],
                     ["--opset 99", "expected 17 to"]),
    "export-old-opset": (["export", "{ws}/model.npz", "{ws}/m.onnx", "--opset", "12"],
                         ["--opset", "12"]),
    "export-pickle": (["export", "{ws}/model.pkl", "{ws}/m.onnx"], ["not a convolab model file"]),
    "export-shape": (["export", "{ws}/model.npz", "{ws}/m.onnx", "--input-shape", "0,28"],
                     ["--input-shape", "'0,28'"]),
    # demo
    "demo-out-is-a-file": (["demo", "--out", "{ws}/g.png"], ["g.png"]),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_bad_input(case, ws, capsys):
    argv, fragments, *allowed = CLI_CASES[case]
    if case.startswith("export") and "pickle" not in case:
        pytest.importorskip("onnx")
    before = _snapshot(ws)
    code, _, err = run([a.replace("{ws}", str(ws)) for a in argv], capsys)
    assert_one_line_error(code, err, *fragments)
    assert "allow_pickle" not in err
    _assert_nothing_changed(before, ws, allowed[0] if allowed else "")


# ----------------------------------------------------------------------------- the API


def _lenet_input() -> np.ndarray:
    return np.zeros((1, 1, 28, 28), np.float32)


API_CASES = {
    "gaussian-1e6": (lambda ws: kernels.gaussian(1e6), ValueError, "8000001 x 8000001"),
    "box-huge": (lambda ws: kernels.box((10**6, 10**6)), ValueError, "1000000 x 1000000"),
    "correlate-huge-full": (
        lambda ws: __import__("convolab").correlate(
            np.broadcast_to(np.float64(1), (10**6, 10**6)), np.ones((3, 3)), "full"),
        ValueError, "the padded input"),
    "filter-valid-larger": (lambda ws: image.filter(np.ones((4, 5)), np.ones((6, 6)), "valid"),
                            ValueError, "larger than the image"),
    "detect-long-template": (lambda ws: signal.detect([1.0, 2.0, 1.0], [0, 1, 2, 1, 0]),
                             ValueError, "`template` (length 5) is longer than `x` (length 3)"),
    "detect-gain": (lambda ws: signal.detect(np.arange(9.0), [0, 1, 0], gain=-1), ValueError,
                    "`gain`"),
    "read-signal-1e400": (lambda ws: read_signal(ws / "inf.csv"), ValueError, "sample 2 is inf"),
    "read-npy-lying": (lambda ws: checks.read_npy(ws / "lying.npy"), ValueError, "declares"),
    "read-json-broken": (lambda ws: checks.read_json(ws / "brokenrun" / "config.json"),
                         ValueError, "config.json' is not valid JSON"),
    "dataset-negative-label": (lambda ws: data.ArrayDataset(np.zeros((3, 2)), [0, -1, 1]),
                               ValueError, "label -1 at index 1 is negative"),
    "dataset-label-beyond-classes": (
        lambda ws: data.ArrayDataset(np.zeros((3, 2)), [0, 2, 1], classes=["a", "b"]),
        ValueError, "label 2 at index 1 is outside 0..1"),
    "fit-labels": (lambda ws: train.fit(nn.Sequential(nn.Linear(2, 3)),
                                        (np.zeros((4, 2), np.float32), np.array([0, 1, 5, 2])),
                                        epochs=1),
                   ValueError, "label 5 at index 2 is outside 0..2"),
    "evaluate-labels": (lambda ws: train.evaluate(nn.Sequential(nn.Linear(2, 3)),
                                                  (np.zeros((4, 2), np.float32), [0, 1, 2, 3])),
                        ValueError, "label 3 at index 3 is outside 0..2"),
    "fit-diverges": (lambda ws: train.fit(nn.Sequential(nn.Linear(2, 2)),
                                          (np.full((4, 2), np.nan, np.float32), [0, 1, 0, 1]),
                                          epochs=1, progress=False),
                     train.TrainingDiverged, "loss became nan at epoch 1, batch 1"),
    "load-pickle": (lambda ws: nn.load(ws / "model.pkl"), nn.ModelFileError,
                    "not a convolab model file"),
    "load-foreign": (lambda ws: nn.load(ws / "foreign.npz"), nn.ModelFileError,
                     "no convolab model description"),
    "load-wide": (lambda ws: nn.load(ws / "wide.npz"), nn.ModelFileError,
                  "refused before allocating"),
    "load-truncated": (lambda ws: nn.load(ws / "truncated.npz"), nn.ModelFileError, "truncated"),
    "save-unknown-extension": (lambda ws: nn.save(nn.Sequential(nn.Linear(2, 2)), ws / "m.pt"),
                               ValueError, "'.pt'"),
    "image-bomb": (lambda ws: image.load(ws / "bomb.png"), ValueError, "decompression-bomb"),
    "load-image-bomb": (lambda ws: data.load_image(ws / "bomb.png"), ValueError,
                        "decompression-bomb"),
    "kernel-file-inf": (lambda ws: kernels.load_file(ws / "kinf.csv"), ValueError, "infinite"),
    "image-save-32-png": (lambda ws: image.save(ws / "o.png", np.zeros((2, 2)), bits=32),
                          ValueError, "only TIFF"),
}


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_api_bad_input(case, ws):
    call, error, fragment = API_CASES[case]
    before = _snapshot(ws)
    with pytest.raises(error) as caught:
        call(ws)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and "allow_pickle" not in message
    _assert_nothing_changed(before, ws)


def test_zip_bomb_is_refused_from_its_declared_sizes(ws):
    """2 GiB of zeros in ~9 MB: refused before decompressing, in bounded memory and time."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(nn.ModelFileError, match="compression bomb"):
            nn.load(ws / "zipbomb.npz")
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300 << 20, f"peak {peak / 2**20:.0f} MiB"
    assert seconds < 2.0  # only the zip directory is read; decompressing takes far longer


def test_the_battery_is_large_enough():
    assert len(CLI_CASES) + len(API_CASES) + 1 >= 60
    commands = {argv[0] for argv, *_ in CLI_CASES.values()}
    assert commands >= {"kernels", "filter", "signal", "explain", "train", "eval", "predict",
                        "inspect", "show", "export", "demo"}


def test_every_case_docs_trust_names_is_in_the_battery():
    text = (Path(__file__).parent.parent / "docs" / "trust.md").read_text()
    section = text.split("## Inputs: what convolab refuses", 1)[1].split("\n## ", 1)[0]
    named = set()
    for row in section.splitlines():
        if row.startswith("| ") and not row.startswith(("| rule", "|---")):
            named |= {c.strip("` ") for c in row.rstrip(" |").rsplit("|", 1)[1].split(",")}
    named = {n for n in named if "." not in n}  # the others name a page or a test file
    assert named and named <= set(CLI_CASES) | set(API_CASES), named - set(CLI_CASES) - set(
        API_CASES)
