"""CLI tests for `convolab signal ...` and `convolab explain ...`."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from cli_helpers import run

NOISY = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]



def _numbers(text):
    return np.array([float(v) for v in text.split()])


@pytest.fixture
def noisy_csv(tmp_path):
    p = tmp_path / "noisy.csv"
    p.write_text("value\n" + "\n".join(map(str, NOISY)) + "\n")
    return p


# ----------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("col.csv", "value\n10\n9\n10\n9\n10\n1\n10\n9\n10\n8\n"),
        ("row.csv", "a,b,c,d,e,f,g,h,i,j\n10,9,10,9,10,1,10,9,10,8\n"),
        ("row.txt", "10 9 10 9 10 1 10 9 10 8"),
        ("semi.txt", "# a comment\n10; 9; 10; 9; 10; 1; 10; 9; 10; 8\n\n"),
        ("tabs.tsv", "10\t9\t10\t9\t10\t1\t10\t9\t10\t8\n"),
    ],
)
def test_smooth_reads_columns_rows_and_headers(tmp_path, capsys, name, content):
    p = tmp_path / name
    p.write_text(content)
    code, out, err = run(["signal", "smooth", p, "--boundary", "symmetric"], capsys)
    assert code == 0 and err == ""
    want = ndimage.uniform_filter1d(np.array(NOISY, float), 3, mode="reflect")
    np.testing.assert_allclose(_numbers(out), want, rtol=1e-9)


def test_smooth_npy_and_outputs(tmp_path, capsys):
    src = tmp_path / "x.npy"
    x = np.random.default_rng(0).normal(size=50).astype(np.float32)
    np.save(src, x.reshape(1, -1))  # one row is fine too
    out_npy, out_csv, png = tmp_path / "y.npy", tmp_path / "y.csv", tmp_path / "y.png"
    code, out, _ = run(["signal", "smooth", src, "--kind", "gaussian", "--sigma", "2",
                        "-o", out_npy, "--plot", png], capsys)
    assert code == 0 and out == ""
    y = np.load(out_npy)
    assert y.dtype == np.float32
    want = ndimage.gaussian_filter1d(x.astype(float), 2.0, mode="mirror")
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 300
    code, _, _ = run(["signal", "smooth", src, "--kind", "gaussian", "--sigma", "2",
                      "-o", out_csv], capsys)
    assert code == 0
    lines = out_csv.read_text().splitlines()
    assert lines[0] == "smoothed"
    np.testing.assert_array_equal(np.array(lines[1:], dtype=np.float32), y)  # exact round trip
    assert sorted(os.listdir(tmp_path)) == ["x.npy", "y.csv", "y.npy", "y.png"]  # no temp left


def test_shift_and_soft_shift(noisy_csv, capsys):
    code, out, _ = run(["signal", "shift", noisy_csv, "--by", "3", "--circular"], capsys)
    assert code == 0
    np.testing.assert_array_equal(_numbers(out), np.roll(NOISY, 3))
    code, out, _ = run(["signal", "shift", noisy_csv, "--by", "-2", "--fill-value", "7"], capsys)
    np.testing.assert_array_equal(_numbers(out), NOISY[2:] + [7, 7])
    code, out, _ = run(["signal", "shift", noisy_csv, "--weights", "[0.8,0.1,0.1]",
                        "--circular"], capsys)
    assert code == 0
    y = _numbers(out)
    want = 0.8 * np.roll(NOISY, 1) + 0.1 * np.array(NOISY) + 0.1 * np.roll(NOISY, -1)
    np.testing.assert_allclose(y, want, rtol=1e-9)
    assert y.sum() == pytest.approx(sum(NOISY))


def test_detect_finds_the_shapes_not_the_spike(tmp_path, capsys):
    from convolab.signal import make_shape_signal

    s = make_shape_signal(400, positions=(60, 300), shape="bump", noise=0.1, spike_at=180,
                          spike_height=5.0, seed=4)
    src = tmp_path / "sig.npy"
    np.save(src, s.signal)
    out_csv = tmp_path / "pos.csv"
    code, out, err = run(["signal", "detect", src, "--shape", "bump", "-o", out_csv,
                          "--plot", tmp_path / "d.png"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1] == "positions 60 300"
    assert 0.5 < float(lines[0].split()[1]) < 1
    assert out_csv.read_text().split() == ["position", "60", "300"]
    tmpl = ",".join(str(v) for v in s.template)
    code, out, _ = run(["signal", "detect", src, "--template", f"[{tmpl}]"], capsys)
    assert code == 0 and out.splitlines()[1] == "positions 60 300"


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1\n2\nabc\n4\n", r"line 3, cell 1: 'abc' is not a number"),
        ("value\n1\n2,x\n", r"holds a table of 2 rows"),
        ("", r"holds no numbers"),
        ("header only\n", r"holds no numbers"),
        ("1,2,3\n4,5,6\n", r"holds a table of 2 rows and up to 3 columns; expected one column"),
        ("1\nnan\n3\n", r"sample 1 is nan \(1 non-finite value in all\); pass --nan propagate"),
        ("1\n\n2,\n", r"is not a number|table"),
    ],
)
def test_malformed_input_is_one_line_exit_2(tmp_path, capsys, content, message):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    code, out, err = run(["signal", "smooth", p], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("convolab: error: ")
    assert "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_nan_propagate_keeps_nan(tmp_path, capsys):
    p = tmp_path / "n.txt"
    p.write_text("1\n2\n3\nnan\n5\n6\n7\n")
    code, out, _ = run(["signal", "smooth", p, "--nan", "propagate"], capsys)
    assert code == 0
    y = _numbers(out)
    assert np.isnan(y[2:5]).all() and np.isfinite(y[[0, 1, 5, 6]]).all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["signal", "smooth", "{src}", "--width", "4"], r"`width` must be an odd positive"),
        (["signal", "smooth", "{src}", "--kind", "median"], r"Invalid value for '--kind'"),
        (["signal", "smooth", "{dir}/missing.csv"], r"does not exist"),
        (["signal", "shift", "{src}"], r"give exactly one of --by N or --weights LIST"),
        (["signal", "shift", "{src}", "--weights", "[0.5,x]"], r"'x' in '\[0.5,x\]' is not a"),
        (["signal", "shift", "{src}", "--weights", "0.5,0.5"], r"odd number of entries"),
        (["signal", "detect", "{src}"], r"give exactly one of --template LIST and --shape"),
        (["signal", "detect", "{src}", "--shape", "wave", "--threshold", "2"],
         r"--threshold must be a probability"),
        (["signal", "smooth", "{src}", "-o", "{src}", "--force"], r"is the input file"),
        (["signal", "smooth", "{src}", "-o", "{dir}/exists.csv"], r"exists; use --force"),
        (["signal", "smooth", "{src}", "-o", "{dir}/nope/y.csv"], r"does not exist"),
        (["explain", "[1,2,3]", "[[1]]"], r"`k` must have as many dimensions as `x`"),
        (["explain", "[1,2,a]", "[1]"], r"X: 'a' in '\[1,2,a\]' is not a number"),
        (["explain", "[1,2]", "[1,2,3]", "--mode", "valid"], r"mode 'valid' has no position"),
        (["explain", "[1,2]", "[1]", "--stride", "x"], r"--stride must be an integer"),
        (["explain", "[1,2]", "[1]", "--mode", "ful"], r"Invalid value for '--mode'"),
        (["explain", "[1,2]", "[1]", "--gif", "{dir}/exists.csv"], r"cannot write '.csv' files"),
        (["explain", "[[1,2],[3]]", "[1]"], r"rows of .* have different lengths"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, noisy_csv, argv, message):
    import re

    (tmp_path / "exists.csv").write_text("keep me\n")
    before = noisy_csv.read_text()
    argv = [a.format(src=noisy_csv, dir=tmp_path) for a in argv]
    code, out, err = run(argv, capsys)
    assert code == 2, (out, err)
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert re.search(message, err), err
    # nothing the user gave was touched
    assert noisy_csv.read_text() == before
    assert (tmp_path / "exists.csv").read_text() == "keep me\n"


def test_force_replaces_output(tmp_path, capsys, noisy_csv):
    out = tmp_path / "y.txt"
    out.write_text("old\n")
    code, _, _ = run(["signal", "smooth", noisy_csv, "-o", out, "--force"], capsys)
    assert code == 0 and out.read_text().splitlines()[0] != "old"


# ----------------------------------------------------------------------------- explain


def test_explain_issue_example(capsys, tmp_path):
    gif = tmp_path / "shift.gif"
    code, out, err = run(["explain", "[0,0,0,3,4,5,4,3,0,0]", "[1,0,0]", "--correlate",
                          "--mode", "same", "--gif", gif], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[4] == "(f ⋆ g)(t = 4) = (3 × 1) + (4 × 0) + (5 × 0) = 3"
    assert lines[-1] == "(f ⋆ g) = [0, 0, 0, 0, 3, 4, 5, 4, 3, 0]"
    with Image.open(gif) as im:
        assert im.n_frames == 10
    assert "10 frames" in err


def test_explain_2d_ascii_and_files(capsys, tmp_path):
    k = tmp_path / "k.npy"
    np.save(k, np.array([[1.0, 0.0], [0.0, -1.0]]))
    code, out, _ = run(["explain", "1 2 3; 4 5 6; 7 8 9", k, "--mode", "valid", "--ascii"],
                       capsys)
    assert code == 0
    # convolve: the flipped kernel [[-1, 0], [0, 1]] over each 2x2 patch -> 5-1 = 4 everywhere
    assert out.splitlines()[0] == (
        "(f * g)(t = (0, 0)) = sum(patch (.) g) = (1 x -1) + (2 x 0) + (4 x 0) + (5 x 1) = 4"
    )
    assert out.splitlines()[-1] == "(f * g) = [[4, 4], [4, 4]]"


def test_explain_stride_dilation_and_limit(capsys):
    code, out, _ = run(["explain", "1 2 3 4 5 6", "1 1", "--correlate", "--mode", "valid",
                        "--stride", "2", "--dilation", "2"], capsys)
    assert code == 0
    assert out.splitlines()[:2] == ["(f ⋆ g)(t = 0) = (1 × 1) + (3 × 1) = 4",
                                    "(f ⋆ g)(t = 1) = (3 × 1) + (5 × 1) = 8"]
    code, _, err = run(["explain", " ".join(["1"] * 50), "1 1 1", "--limit", "20"], capsys)
    assert code == 2 and "`limit`=20" in err


def test_explain_accepts_negative_literals(capsys):
    code, out, _ = run(["explain", "-1 2 3", "1 1"], capsys)
    assert code == 0
    assert out.splitlines()[-1] == "(f ∗ g) = [-1, 1, 5, 3]"  # np.convolve([-1,2,3], [1,1])
    np.testing.assert_array_equal(np.convolve([-1, 2, 3], [1, 1]), [-1, 1, 5, 3])


@pytest.mark.slow
def test_real_process_exit_code_and_single_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,4\n")
    proc = subprocess.run([sys.executable, "-m", "convolab.cli", "signal", "smooth", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "table" in proc.stderr
