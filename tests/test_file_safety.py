"""What convolab writes: no input and no existing file is ever lost (docs/trust.md).

Every case hashes each file of the work folder before and after the command: a
refusal must exit with code 2 and one line ``convolab: error: ...``, change no
file and leave no new file (no output, no temporary or partial file); a command
that succeeds changes only the files it names.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cli_helpers import assert_one_line_error, run
from convolab import models, nn, outputs
from convolab.outputs import OutputRefused, Staged, atomic_open, check_target


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: sha256 of a file, the target of a link, or 'folder'."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(folder) / name
            key = str(p.relative_to(root))
            if p.is_symlink():
                seen[key] = "-> " + os.readlink(p)
            elif p.is_dir():
                seen[key] = "folder"
            else:
                seen[key] = hashlib.sha256(p.read_bytes()).hexdigest()
    return seen


def temporaries(root: Path) -> list[str]:
    return [str(p) for p in root.rglob(f"*{outputs.TEMP_SUFFIX}")]


def _png(path: Path, size=(12, 10), seed=0, mode="L") -> Path:
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def work(tmp_path) -> Path:
    """A folder of a user's files: images, signals, a model, a run, and their aliases."""
    d = tmp_path
    _png(d / "in.png")
    _png(d / "rgb.png", mode="RGB", seed=1)
    _png(d / "exists.png", seed=2)
    (d / "sig.csv").write_text("value\n1\n3\n2\n5\n4\n")
    (d / "sig.gif").write_text("1 3 2 5 4\n")  # a signal with a misleading name
    (d / "w.csv").write_text("0.8\n0.1\n0.1\n")
    (d / "exists.csv").write_text("keep me\n")
    (d / "exists.gif").write_bytes(b"GIF89a not really")
    (d / "exists.onnx").write_bytes(b"an older export")
    (d / "afile").write_text("a file, not a folder\n")
    (d / "sub").mkdir()
    os.symlink(d / "in.png", d / "link.png")
    os.link(d / "in.png", d / "hard.png")
    (d / "shots").mkdir()
    _png(d / "shots" / "a.png", seed=3)
    _png(d / "shots" / "b.png", seed=4)
    (d / "shots-out").mkdir()
    _png(d / "shots-out" / "a.png", seed=5)
    model = models.build("lenet5", [1, 28, 28], 10, seed=0)
    nn.save(model, d / "model.npz", metadata={"input_shape": [1, 28, 28], "model": "lenet5"})
    os.symlink(d / "model.npz", d / "model.csv")
    os.symlink(d / "model.npz", d / "model.onnx")
    (d / "figs").mkdir()
    _png(d / "figs" / "feature_maps.png", size=(28, 28), seed=6)
    (d / "notes").mkdir()
    (d / "notes" / "notes.txt").write_text("my notes\n")
    (d / "run").mkdir()
    (d / "run" / "model.npz").write_bytes((d / "model.npz").read_bytes())
    (d / "run" / "config.json").write_text("{}\n")
    (d / "run" / "README.md").write_text("why I ran this\n")
    return d


TRAIN = ["train", "detector1d", "--data", "shapes1d", "--samples", "64", "--epochs", "1", "-q"]
KBOX = ["-k", "box"]

# (argv, fragments of the one-line message). {d} is the work folder.
REFUSALS = {
    # filter: an input by any spelling, even with --force
    "filter-self": (["filter", "{d}/in.png", "-o", "{d}/in.png", *KBOX, "-f"], "is the input"),
    "filter-symlink": (["filter", "{d}/in.png", "-o", "{d}/link.png", *KBOX, "-f"],
                       "is the input"),
    "filter-dotdot": (["filter", "{d}/in.png", "-o", "{d}/sub/../in.png", *KBOX, "--force"],
                      "is the input"),
    "filter-hardlink": (["filter", "{d}/in.png", "-o", "{d}/hard.png", *KBOX, "-f"],
                        "is the input"),
    "filter-folder-onto-itself": (["filter", "{d}/shots", "-o", "{d}/shots", *KBOX, "-f"],
                                  "is the input"),
    # filter: existing files, formats, folders
    "filter-exists": (["filter", "{d}/in.png", "-o", "{d}/exists.png", *KBOX],
                      "exists.png' exists; use --force"),
    "filter-folder-exists": (["filter", "{d}/shots", "-o", "{d}/shots-out", *KBOX],
                             "a.png' exists; use --force"),
    "filter-many-to-one-name": (["filter", "{d}/in.png", "{d}/rgb.png", "-o", "{d}/multi.png",
                                 *KBOX], "names an image file", "multi/"),
    "filter-many-to-a-file": (["filter", "{d}/in.png", "{d}/rgb.png", "-o", "{d}/exists.png",
                               *KBOX, "-f"], "must be a folder"),
    "filter-unknown-format": (["filter", "{d}/in.png", "-o", "{d}/out.xyz", *KBOX],
                              "cannot tell the image format", "'.xyz'"),
    "filter-folder-is-a-file": (["filter", "{d}/in.png", "-o", "{d}/afile/o.png", *KBOX],
                                "is not a folder"),
    # signal
    "signal-self": (["signal", "smooth", "{d}/sig.csv", "-o", "{d}/sig.csv", "-f"],
                    "is the input"),
    "signal-dotdot": (["signal", "smooth", "{d}/sig.csv", "-o", "{d}/sub/../sig.csv", "-f"],
                      "is the input"),
    "signal-weights-file": (["signal", "shift", "{d}/sig.csv", "--weights", "{d}/w.csv", "-o",
                             "{d}/w.csv", "--force"], "is the input"),
    "signal-template-file": (["signal", "detect", "{d}/sig.csv", "--template", "{d}/w.csv",
                              "-o", "{d}/w.csv", "-f"], "is the input"),
    "signal-exists": (["signal", "smooth", "{d}/sig.csv", "-o", "{d}/exists.csv"],
                      "exists; use --force"),
    "signal-xlsx": (["signal", "smooth", "{d}/sig.csv", "-o", "{d}/out.xlsx"],
                    "cannot write '.xlsx' files", ".csv, .txt or .npy"),
    "signal-plot-exists": (["signal", "smooth", "{d}/sig.csv", "--plot", "{d}/exists.png"],
                           "exists; use --force"),
    "signal-plot-docx": (["signal", "smooth", "{d}/sig.csv", "--plot", "{d}/x.docx"],
                         "--plot", "cannot write '.docx'"),
    # explain
    "explain-gif-as-png": (["explain", "[1,2,3]", "[1]", "--gif", "{d}/x.png"],
                           "--gif", "cannot write '.png' files; use .gif"),
    "explain-gif-exists": (["explain", "[1,2,3]", "[1]", "--gif", "{d}/exists.gif"],
                           "exists; use --force"),
    "explain-gif-is-x": (["explain", "{d}/sig.gif", "[1]", "--gif", "{d}/sig.gif", "-f"],
                         "is the input"),
    # export
    "export-txt": (["export", "{d}/model.npz", "{d}/x.txt"], "cannot write '.txt'", ".onnx"),
    "export-exists": (["export", "{d}/model.npz", "{d}/exists.onnx"], "exists; use --force"),
    "export-over-model": (["export", "{d}/model.onnx", "{d}/model.onnx", "-f"], "is the input"),
    "export-no-folder": (["export", "{d}/model.npz", "{d}/nope/m.onnx"], "does not exist"),
    # predict on a folder
    "predict-exists": (["predict", "{d}/model.npz", "{d}/shots", "-o", "{d}/exists.csv"],
                       "exists; use --force"),
    "predict-txt": (["predict", "{d}/model.npz", "{d}/shots", "-o", "{d}/out.txt"],
                    "cannot write '.txt'", ".csv"),
    "predict-inside": (["predict", "{d}/model.npz", "{d}/shots", "-o", "{d}/shots/p.csv"],
                       "inside the folder"),
    "predict-over-model": (["predict", "{d}/model.csv", "{d}/shots", "-o", "{d}/model.csv",
                            "-f"], "is the input"),
    # show
    "show-exists": (["show", "lenet5", "--image", "{d}/in.png", "-o", "{d}/figs"],
                    "feature_maps.png' exists; use --force"),
    "show-over-image": (["show", "lenet5", "--image", "{d}/figs/feature_maps.png", "-o",
                         "{d}/figs", "-f"], "is the input"),
    "show-into-a-file": (["show", "lenet5", "--image", "{d}/in.png", "-o", "{d}/afile"],
                         "is a file"),
    # train
    "train-foreign-folder": ([*TRAIN, "--out", "{d}/notes"], "not a convolab run", "notes.txt"),
    "train-foreign-folder-force": ([*TRAIN, "--out", "{d}/notes", "-f"], "not a convolab run"),
    "train-data-folder": ([*TRAIN[:3], "{d}/shots", *TRAIN[4:], "--out", "{d}/shots"],
                          "not a convolab run"),
    "train-run-exists": ([*TRAIN, "--out", "{d}/run"], "already holds a run", "--resume",
                         "--force"),
    "train-resume-nothing": ([*TRAIN, "--out", "{d}/run", "--resume"], "no checkpoint.npz"),
    "train-into-a-file": ([*TRAIN, "--out", "{d}/afile"], "is a file"),
    # demo
    "demo-foreign-folder": (["demo", "--out", "{d}/notes", "--quick"], "is not empty"),
    "demo-into-a-file": (["demo", "--out", "{d}/afile", "--quick"], "is a file"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_change_nothing(work, capsys, case):
    argv, *fragments = REFUSALS[case]
    before = snapshot(work)
    code, _, err = run([a.format(d=work) for a in argv], capsys)
    assert_one_line_error(code, err, *fragments)
    assert snapshot(work) == before  # no input or existing file changed, nothing new
    assert temporaries(work) == []


# -------------------------------------------------------- --force replaces only what it names

FORCED = {
    "filter": (["filter", "{d}/in.png", "-o", "{d}/exists.png", *KBOX, "-f"], ["exists.png"]),
    "filter-folder": (["filter", "{d}/shots", "-o", "{d}/shots-out", *KBOX, "--force"],
                      ["shots-out/a.png", "shots-out/b.png"]),
    "signal": (["signal", "smooth", "{d}/sig.csv", "-o", "{d}/exists.csv", "-f"], ["exists.csv"]),
    "explain": (["explain", "[1,2,3]", "[1,0]", "--gif", "{d}/exists.gif", "-f"], ["exists.gif"]),
    "predict": (["predict", "{d}/model.npz", "{d}/shots", "-o", "{d}/exists.csv", "-f"],
                ["exists.csv"]),
    "train": ([*TRAIN, "--out", "{d}/run", "--force"],
              ["run/model.npz", "run/config.json", "run/checkpoint.npz", "run/metrics.json",
               "run/training.png"]),
}


@pytest.mark.parametrize("case", sorted(FORCED))
def test_force_replaces_only_the_named_outputs(work, capsys, case):
    argv, changed = FORCED[case]
    before = snapshot(work)
    code, _, err = run([a.format(d=work) for a in argv], capsys)
    assert code == 0, err
    after = snapshot(work)
    assert {k for k in after if after[k] != before.get(k)} == set(changed)
    assert set(before) <= set(after) and temporaries(work) == []


def test_force_export_replaces_the_onnx_file(work, capsys):
    pytest.importorskip("onnx")
    before = snapshot(work)
    code, _, err = run(["export", work / "model.npz", work / "exists.onnx", "-f", "--no-check"],
                       capsys)  # fmt: skip
    assert code == 0, err
    after = snapshot(work)
    assert {k for k in after if after[k] != before.get(k)} == {"exists.onnx"}
    import onnx

    onnx.checker.check_model(onnx.load(work / "exists.onnx"))


def test_force_show_replaces_the_figures(work, capsys):
    before = snapshot(work)
    code, out, err = run(["show", "lenet5", "--image", work / "in.png", "-o", work / "figs",
                          "--force", "--dpi", "20", "--max-maps", "2"], capsys)  # fmt: skip
    assert code == 0, err
    after = snapshot(work)
    changed = {k for k in after if after[k] != before.get(k)}
    assert "figs/feature_maps.png" in changed and all(k.startswith("figs/") for k in changed)
    assert sorted(out.split()) == sorted(str(work / k) for k in changed)


# ---------------------------------------------------------------- formats follow the name


def test_signal_writes_the_format_its_extension_names(work, capsys):
    for name in ("y.csv", "y.txt", "y.npy", "p.svg", "p.pdf"):
        assert not (work / name).exists()
    argv = ["signal", "smooth", work / "sig.csv"]
    assert run([*argv, "-o", work / "y.npy", "--plot", work / "p.svg"], capsys)[0] == 0
    assert run([*argv, "-o", work / "y.csv", "--plot", work / "p.pdf"], capsys)[0] == 0
    assert run([*argv, "-o", work / "y.txt"], capsys)[0] == 0
    y = np.load(work / "y.npy")
    assert (work / "y.csv").read_text().splitlines()[0] == "smoothed"
    np.testing.assert_array_equal(np.loadtxt(work / "y.csv", skiprows=1), y)
    np.testing.assert_array_equal(np.loadtxt(work / "y.txt"), y)
    assert (work / "p.svg").read_bytes().lstrip().startswith(b"<?xml")
    assert (work / "p.pdf").read_bytes().startswith(b"%PDF")


def test_explain_gif_and_filter_outputs_are_what_they_say(work, capsys):
    code, _, err = run(["explain", "[0,0,3,4,5]", "[1,0,0]", "--gif", work / "s.gif"], capsys)
    assert code == 0, err
    with Image.open(work / "s.gif") as im:
        assert im.format == "GIF" and im.n_frames == 7
    for ext, fmt in ((".png", "PNG"), (".jpg", "JPEG"), (".bmp", "BMP"), (".tif", "TIFF")):
        code, out, err = run(["filter", work / "in.png", "-o", work / f"o{ext}", *KBOX], capsys)
        assert code == 0, err
        assert out == f"wrote {work / f'o{ext}'}\n"
        with Image.open(work / f"o{ext}") as im:
            assert im.format == fmt


def test_filter_says_what_it_wrote(work, capsys):
    code, out, err = run(["filter", work / "shots", "-o", work / "new", *KBOX], capsys)
    assert code == 0 and out == f"wrote 2 images to {work / 'new'}{os.sep}\n"
    assert err == ""  # no progress bar in a log or a pipe
    assert sorted(p.name for p in (work / "new").iterdir()) == ["a.png", "b.png"]
    code, out, _ = run(["filter", work / "in.png", "-o", work / "q.png", *KBOX, "-q"], capsys)
    assert code == 0 and out == ""


# ------------------------------------------------------- folders: all outputs, or none


def test_a_bad_image_in_a_folder_writes_nothing_and_names_every_bad_file(work, capsys):
    shots = work / "shots"
    (shots / "c.png").write_text("not an image")
    full = (shots / "a.png").read_bytes()
    (shots / "d.png").write_bytes(full[: len(full) // 2])
    before = snapshot(work)
    code, _, err = run(["filter", shots, "-o", work / "new", *KBOX, "-q"], capsys)
    assert_one_line_error(code, err, "2 of 4 inputs", "c.png", "d.png", "nothing was written")
    assert snapshot(work) == before and not (work / "new").exists()


_BAD = {
    "text": lambda good: b"no pixels here",
    "empty": lambda good: b"",
    "truncated": lambda good: good[: len(good) // 2],
    "header only": lambda good: good[:16],
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 5),
    bad=st.sets(st.integers(0, 4), max_size=3),
    kind=st.sampled_from(sorted(_BAD)),
    out_exists=st.booleans(),
)
def test_folder_outputs_are_complete_or_absent(n, bad, kind, out_exists):
    bad = {b for b in bad if b < n}
    import contextlib
    import io

    from convolab.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src, out = root / "in", root / "out"
        src.mkdir()
        if out_exists:
            out.mkdir()
        names = [f"img{i}.png" for i in range(n)]
        for i, name in enumerate(names):
            _png(src / name, size=(6 + i, 5), seed=i)
            if i in bad:
                (src / name).write_bytes(_BAD[kind]((src / name).read_bytes()))
        before = snapshot(root)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            with pytest.raises(SystemExit) as done:
                main(["filter", str(src), "-o", str(out), "-k", "box", "-q"])
        written = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if bad:
            assert done.value.code == 2
            assert written == [] and out.exists() == out_exists
            assert snapshot(root) == before
            assert all(names[b] in err.getvalue() for b in bad), err.getvalue()
            assert err.getvalue().count("\n") == 1
        else:
            assert done.value.code == 0, err.getvalue()
            assert written == names
        assert temporaries(root) == []


# ------------------------------------------------------------------ the writer itself


def test_check_target_catches_every_spelling_of_an_input(tmp_path):
    src = _png(tmp_path / "in.png")
    (tmp_path / "d").mkdir()
    os.symlink(src, tmp_path / "ln.png")
    os.link(src, tmp_path / "hard.png")
    spellings = [src, tmp_path / "d" / ".." / "in.png", tmp_path / "ln.png",
                 tmp_path / "hard.png", Path(os.path.relpath(src))]  # fmt: skip
    for target in spellings:
        with pytest.raises(OutputRefused, match="is the input"):
            check_target(target, reads=[src], force=True)
    assert check_target(tmp_path / "new.png", reads=[src], force=False) == tmp_path / "new.png"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["keep.bin"]


def test_staged_writes_all_files_or_none(tmp_path):
    out = tmp_path / "a" / "b"
    with pytest.raises(ValueError), Staged() as stage:
        stage.folder(out)
        with stage.open(out / "1.txt") as f:
            f.write(b"1")
        with stage.open(out / "2.txt") as f:
            raise ValueError("the second file fails")
    assert os.listdir(tmp_path) == []
    with Staged() as stage:
        stage.folder(out)
        for i in range(3):
            with stage.open(out / f"{i}.txt", "w", encoding="utf-8") as f:
                f.write(str(i))
        assert os.listdir(out) != [] and all(n.endswith(".part") for n in os.listdir(out))
    assert sorted(os.listdir(out)) == ["0.txt", "1.txt", "2.txt"]


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield 0o640
    os.umask(old)


def test_every_writer_honours_the_umask(tmp_path, umask_027, capsys):
    from matplotlib.figure import Figure

    from convolab import data, explain, image, viz
    from convolab.scale import FolderPrediction, write_predictions_csv
    from convolab.train import History, plot_history

    model = models.detector1d(8, length=16)
    written = [
        image.save(tmp_path / "i.png", np.zeros((3, 3))),
        outputs.write_json(tmp_path / "m.json", {"a": 1}),
        outputs.save_figure(Figure(figsize=(1, 1)), tmp_path / "f.svg"),
        data.write_idx(tmp_path / "x-idx1-ubyte", np.arange(3, dtype=np.uint8)),
        plot_history(History(epochs=[{"epoch": 1, "loss": 1.0, "accuracy": 0.5}]),
                     tmp_path / "h.png"),
    ]
    nn.save(model, tmp_path / "model.npz")
    explain.explain_animation([1, 2, 3], [1, 0], tmp_path / "e.gif")
    write_predictions_csv([FolderPrediction("a.png", 0, (1.0,), None)], tmp_path / "p.csv")
    viz.plot_convolution([1.0, 2.0, 3.0], [1.0], path=tmp_path / "v.png")
    written += [tmp_path / n for n in ("model.npz", "e.gif", "p.csv", "v.png")]
    (tmp_path / "s.csv").write_text("1\n2\n3\n")
    assert run(["signal", "smooth", tmp_path / "s.csv", "-o", tmp_path / "y.csv", "--plot",
                tmp_path / "y.png"], capsys)[0] == 0  # fmt: skip
    assert run(["explain", "[1,2,3]", "[1]", "--gif", tmp_path / "c.gif"], capsys)[0] == 0
    written += [tmp_path / n for n in ("y.csv", "y.png", "c.gif")]
    modes = {p.name: oct(stat.S_IMODE(os.stat(p).st_mode)) for p in written}
    assert set(modes.values()) == {oct(umask_027)}, modes


def test_library_savers_refuse_a_name_of_another_format(tmp_path):
    from convolab import explain, image, viz

    with pytest.raises(ValueError, match="cannot tell the image format"):
        image.save(tmp_path / "a.xyz", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"cannot write '\.png' files; use \.gif"):
        explain.explain_animation([1, 2], [1], tmp_path / "a.png")
    with pytest.raises(ValueError, match=r"cannot write '\.docx'"):
        viz.plot_convolution([1.0, 2.0], [1.0], path=tmp_path / "f.docx")
    assert os.listdir(tmp_path) == []
