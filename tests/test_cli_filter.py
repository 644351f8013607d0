"""`convolab kernels` and `convolab filter`: results, file safety and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from cli_helpers import assert_one_line_error, run
from convolab import image, kernels

RNG = np.random.default_rng(33)



def filt(args, capsys):
    """`convolab filter ARGS...`."""
    return run(["filter", *args], capsys)



def _png(path, array):
    Image.fromarray(array).save(path)
    return path


@pytest.fixture
def gray_png(tmp_path):
    return _png(tmp_path / "in.png", RNG.integers(0, 256, size=(20, 24), dtype=np.uint8))


# --------------------------------------------------------------------------- kernels


def test_kernels_lists_every_name(capsys):
    code, out, err = run(["kernels"], capsys)
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    listed = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert listed == kernels.names()
    params = dict(zip(listed, (line.split("parameters: ")[1] for line in lines[1::2])))
    assert params["gaussian"] == "sigma=1.0, size=None, truncate=4.0"
    assert params["laplacian"] == "neighbours=4" and params["sharpen"] == "none"
    for name, text in params.items():  # each listed default builds the kernel
        given = {} if text == "none" else dict(p.split("=") for p in text.split(", "))
        spec = ",".join(f"{k}={v}" for k, v in given.items() if v != "None")
        np.testing.assert_array_equal(kernels.from_spec(f"{name}:{spec}" if spec else name),
                                      kernels.get(name))


def test_kernels_prints_a_matrix_and_its_sum(capsys):
    code, out, _ = run(["kernels", "laplacian:neighbours=8"], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "laplacian:neighbours=8 (3x3):"
    rows = [line.replace("[", " ").replace("]", " ").split() for line in lines[1:4]]
    np.testing.assert_array_equal(np.array(rows, dtype=float), kernels.laplacian(8))
    assert lines[-1] == "sum = 0"
    code, out, _ = run(["kernels", "gaussian:sigma=1"], capsys)
    assert out.strip().splitlines()[-1] == "sum = 1"


def test_kernels_unknown_name(capsys):
    code, _, err = run(["kernels", "gausian"], capsys)
    assert_one_line_error(code, err, "unknown kernel 'gausian'", "did you mean 'gaussian'")


# --------------------------------------------------------------------------- filter results


def test_filter_edge_image_matches_ndimage(tmp_path, gray_png, capsys):
    out = tmp_path / "edges.png"
    code, _, err = filt([gray_png, "-o", out, "-k", "laplacian:neighbours=8", "--scale", "abs"],
                       capsys)
    assert code == 0, err
    x = np.asarray(Image.open(gray_png), dtype=float) / 255
    response = np.abs(ndimage.correlate(x, kernels.laplacian(8), mode="mirror"))
    expected = np.round(response / response.max() * 255)
    # the image is filtered in float32: a value at exactly .5 of a gray level may round down
    np.testing.assert_allclose(np.asarray(Image.open(out)), expected, atol=1)


def test_convolve_flag_flips_the_kernel(tmp_path, gray_png, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert filt([gray_png, "-o", a, "-k", "shift:dy=1,dx=2", "--boundary", "wrap"], capsys)[0] == 0
    assert filt([gray_png, "-o", b, "-k", "shift:dy=1,dx=2", "--boundary", "wrap", "--convolve"],
               capsys)[0] == 0
    x = np.asarray(Image.open(gray_png))
    np.testing.assert_array_equal(np.asarray(Image.open(a)), np.roll(x, (1, 2), axis=(0, 1)))
    np.testing.assert_array_equal(np.asarray(Image.open(b)), np.roll(x, (-1, -2), axis=(0, 1)))


def test_kernel_file_and_modes(tmp_path, gray_png, capsys):
    kfile = tmp_path / "k.csv"
    kfile.write_text("1,0,-1\n1,0,-1\n")
    out = tmp_path / "valid.png"
    code, _, err = filt([gray_png, "-o", out, "--kernel-file", kfile, "--mode", "valid",
                        "--scale", "minmax"], capsys)
    assert code == 0, err
    assert Image.open(out).size == (24 - 2, 20 - 1)


def test_rgba_alpha_is_kept_and_aligned(tmp_path, capsys):
    rgba = RNG.integers(0, 256, size=(12, 14, 4), dtype=np.uint8)
    src = _png(tmp_path / "rgba.png", rgba)
    same, valid = tmp_path / "same.png", tmp_path / "valid.png"
    assert filt([src, "-o", same, "-k", "box:size=3"], capsys)[0] == 0
    got = np.asarray(Image.open(same))
    np.testing.assert_array_equal(got[..., 3], rgba[..., 3])
    box = ndimage.uniform_filter(rgba[..., :3] / 255.0, size=(3, 3, 1), mode="mirror")
    np.testing.assert_array_equal(got[..., :3], np.round(box * 255))
    assert filt([src, "-o", valid, "-k", "box:size=3x5", "--mode", "valid"], capsys)[0] == 0
    got = np.asarray(Image.open(valid))
    assert got.shape == (10, 10, 4)
    np.testing.assert_array_equal(got[..., 3], rgba[1:-1, 2:-2, 3])


def test_chunks_give_the_same_image(tmp_path, gray_png, capsys):
    a, b = tmp_path / "mem.png", tmp_path / "dask.png"
    args = ["-k", "gaussian:sigma=2", "--boundary", "symmetric"]
    assert filt([gray_png, "-o", a, *args], capsys)[0] == 0
    code, _, err = filt([gray_png, "-o", b, *args, "--chunks", "8"], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))


def test_folder_and_several_inputs_go_to_an_output_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # the bar shows on a terminal
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        _png(src / f"img{i}.png", RNG.integers(0, 256, size=(8, 9), dtype=np.uint8))
    (src / "notes.txt").write_text("not an image, ignored in a folder")
    code, _, err = filt([src, "-o", tmp_path / "out", "-k", "sharpen"], capsys)
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["img0.png", "img1.png",
                                                                    "img2.png"]
    assert "3/3" in err  # the progress bar
    code, _, err = filt([src / "img0.png", src / "img1.png", "-o", tmp_path / "two", "-k", "box",
                        "-q"], capsys)
    assert code == 0 and err == ""
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["img0.png", "img1.png"]


def test_force_replaces_an_existing_output(tmp_path, gray_png, capsys):
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    code, _, err = filt([gray_png, "-o", out, "-k", "box"], capsys)
    assert_one_line_error(code, err, "out.png' exists; use --force")
    assert out.read_bytes() == b"old"
    assert filt([gray_png, "-o", out, "-k", "box", "--force"], capsys)[0] == 0
    assert image.load(out).shape == (20, 24)


# --------------------------------------------------------------------------- errors


def _no_new_files(folder, before):
    assert sorted(p.name for p in folder.iterdir()) == before


def test_missing_input(tmp_path, capsys):
    code, _, err = filt([tmp_path / "nope.png", "-o", tmp_path / "o.png", "-k", "box"], capsys)
    assert_one_line_error(code, err, "nope.png' does not exist")
    _no_new_files(tmp_path, [])


def test_not_an_image(tmp_path, capsys):
    fake = tmp_path / "fake.png"
    fake.write_text("I am text")
    code, _, err = filt([fake, "-o", tmp_path / "o.png", "-k", "box"], capsys)
    assert_one_line_error(code, err, "fake.png' is not an image")
    _no_new_files(tmp_path, ["fake.png"])


def test_truncated_image(tmp_path, capsys):
    good = _png(tmp_path / "good.png", RNG.integers(0, 256, size=(64, 64), dtype=np.uint8))
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:300])
    code, _, err = filt([cut, "-o", tmp_path / "o.png", "-k", "box"], capsys)
    assert_one_line_error(code, err, "cut.png' is a truncated or corrupt image")
    _no_new_files(tmp_path, ["cut.png", "good.png"])


def test_unwritable_output(tmp_path, gray_png, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    code, _, err = filt([gray_png, "-o", blocker / "o.png", "-k", "box"], capsys)
    assert_one_line_error(code, err, "cannot write", "is not a folder")
    code, _, err = filt([gray_png, "-o", tmp_path / "no" / "o.png", "-k", "box"], capsys)
    assert_one_line_error(code, err, "does not exist")
    _no_new_files(tmp_path, ["afile", "in.png"])


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not stop root")
def test_read_only_output_folder(tmp_path, gray_png, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = filt([gray_png, "-o", ro / "o.png", "-k", "box"], capsys)
        assert_one_line_error(code, err, "cannot write")
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("ragged.txt", "1 2 3\n4 5\n", "line 2: 2 values, but line 1 has 3"),
        ("text.csv", "1,a\n", "'a' is not a number"),
        ("empty.txt", "", "is empty"),
    ],
)
def test_bad_kernel_file(tmp_path, gray_png, capsys, name, content, fragment):
    kfile = tmp_path / name
    kfile.write_text(content)
    code, _, err = filt([gray_png, "-o", tmp_path / "o.png", "--kernel-file", kfile], capsys)
    assert_one_line_error(code, err, name, fragment)
    assert not (tmp_path / "o.png").exists()


def test_missing_kernel_file(tmp_path, gray_png, capsys):
    code, _, err = filt([gray_png, "-o", tmp_path / "o.png", "--kernel-file",
                        tmp_path / "k.txt"], capsys)
    assert_one_line_error(code, err, "k.txt' does not exist")


def test_input_is_never_overwritten(tmp_path, gray_png, capsys):
    before = gray_png.read_bytes()
    code, _, err = filt([gray_png, "-o", gray_png, "-k", "box", "--force"], capsys)
    assert_one_line_error(code, err, "is the input")
    code, _, err = filt([gray_png, "-o", tmp_path, "-k", "box", "--force"], capsys)
    assert_one_line_error(code, err, "is the input")
    assert gray_png.read_bytes() == before
    _no_new_files(tmp_path, ["in.png"])


def test_two_inputs_with_one_output_name(tmp_path, capsys):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        _png(tmp_path / sub / "x.png", np.zeros((4, 4), dtype=np.uint8))
    code, _, err = filt([tmp_path / "a" / "x.png", tmp_path / "b" / "x.png", "-o",
                        tmp_path / "out", "-k", "box"], capsys)
    assert_one_line_error(code, err, "would both be written")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ([], "give exactly one of --kernel"),
        (["-k", "box", "--kernel-file", "k.txt"], "give exactly one of --kernel"),
        (["-k", "bux"], "unknown kernel 'bux'"),
        (["-k", "gaussian:sigma=-1"], "`sigma` must be a positive number"),
        (["-k", "box", "--mode", "ful"], "`mode` must be one of"),
        (["-k", "box", "--boundary", "nearest"], "did you mean 'edge'"),
        (["-k", "box", "--scale", "log"], "`--scale` must be one of"),
        (["-k", "box", "--color", "cmyk"], "`--color` must be one of"),
        (["-k", "box", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --chunks"),
        (["-k", "box", "--chunks", "0"], "0"),
        (["-k", "box", "--bits", "16", "--color", "rgb"], "only gray PNG and TIFF"),
    ],
)
def test_bad_options(tmp_path, gray_png, capsys, extra, fragment):
    code, _, err = filt([gray_png, "-o", tmp_path / "o.png", *extra], capsys)
    assert_one_line_error(code, err, fragment)
    assert not (tmp_path / "o.png").exists()


def test_sixteen_bit_gray_output(tmp_path, gray_png, capsys):
    out = tmp_path / "o16.png"
    assert filt([gray_png, "-o", out, "-k", "identity", "--bits", "16"], capsys)[0] == 0
    with Image.open(out) as im:
        data = np.asarray(im).astype(np.int64)
    x = np.asarray(Image.open(gray_png)).astype(np.int64)
    np.testing.assert_array_equal(data, x * 257)  # v / 255 * 65535


def test_real_subprocess(tmp_path, gray_png):
    cmd = [sys.executable, "-m", "convolab.cli", "filter"]
    ok = subprocess.run([*cmd, str(gray_png), "-o", str(tmp_path / "o.png"), "-k", "sobel"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([*cmd, str(tmp_path / "missing.png"), "-o", str(tmp_path / "p.png"),
                          "-k", "sobel"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr
    assert "missing.png' does not exist" in bad.stderr
    assert not (tmp_path / "p.png").exists()


def test_chunks_on_a_scheduler(tmp_path, gray_png, capsys):
    distributed = pytest.importorskip("distributed")
    a, b = tmp_path / "mem.png", tmp_path / "cluster.png"
    args = ["-k", "sobel:axis=y", "--scale", "minmax"]
    assert filt([gray_png, "-o", a, *args], capsys)[0] == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        code, _, err = filt([gray_png, "-o", b, *args, "--chunks", "8", "--scheduler",
                             cluster.scheduler_address], capsys)
    assert code == 0, err
    np.testing.assert_array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))


def test_folder_without_images_and_file_as_output_folder(tmp_path, gray_png, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no images here")
    code, _, err = filt([empty, "-o", tmp_path / "out", "-k", "box"], capsys)
    assert_one_line_error(code, err, "holds no image files")
    blocker = tmp_path / "blocker.png"
    blocker.write_bytes(b"x")
    other = _png(tmp_path / "other.png", np.zeros((3, 3), dtype=np.uint8))
    code, _, err = filt([gray_png, other, "-o", blocker, "-k", "box", "--force"], capsys)
    assert_one_line_error(code, err, "blocker.png' must be a folder for several inputs")
    assert blocker.read_bytes() == b"x"
