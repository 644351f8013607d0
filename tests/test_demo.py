"""`convolab demo`: every figure written and shown, numbers in the summary true."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from convolab.cli import main
from convolab.cli.demo import run_demo


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    return out, run_demo(out, quick=True)


@pytest.mark.slow
def test_demo_writes_every_figure_and_shows_it(demo_run):
    out, result = demo_run
    summary = (out / "summary.md").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) == 11
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", summary)
    assert sorted(shown) == pngs  # each figure appears once in the summary
    for name in pngs:
        with Image.open(out / name) as im:
            im.verify()
    assert (out / "lenet5-ocr" / "model.npz").is_file()


@pytest.mark.slow
def test_demo_summary_reports_the_measured_numbers(demo_run):
    out, result = demo_run
    summary = (out / "summary.md").read_text()
    assert f"test accuracy {result['lenet_accuracy']:.2%}" in summary
    assert result["lenet_accuracy"] > 0.5  # 2 quick epochs: well above chance (10%)
    assert result["detector_accuracy"] > 0.95
    # The articles' worked examples, as the summary prints them.
    assert "| `[1, 0, 0]` | `[0, 0, 0, 0, 3, 4, 5, 4, 3, 0]` |" in summary
    assert "| `[0, 0, 1]` | `[0, 0, 3, 4, 5, 4, 3, 0, 0, 0]` |" in summary
    assert "A plain threshold fires at [150]" in summary
    assert "finds the shape at t = [35, 255]" in summary


@pytest.mark.slow
def test_demo_refuses_a_folder_of_other_files(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(folder), "--quick"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "is not empty" in err and err.count("\n") == 1
    assert (folder / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_warm_up_runs_section_5s_training_step_in_a_second_process():
    import subprocess
    import sys

    from convolab.cli import demo

    run = subprocess.run([sys.executable, "-c", demo._WARM_UP], capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_section_five_waits_for_the_warm_up_and_no_longer(tmp_path):
    import subprocess
    import sys
    import time

    from convolab.cli.demo import _wait

    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    _wait(quick, 30.0)
    assert quick.returncode == 0  # waited until it ended
    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        t0 = time.perf_counter()
        _wait(slow, 0.2)  # gives up without raising
        assert time.perf_counter() - t0 < 5 and slow.poll() is None
    finally:
        slow.kill()
        slow.wait()


def test_section_five_trains_after_the_wait(tmp_path, monkeypatch):
    from convolab import train
    from convolab.cli import demo

    order = []
    monkeypatch.setattr(train, "fit", lambda *a, **k: order.append("fit") or _stop())
    with pytest.raises(_Stop):
        demo._lenet(tmp_path, 0, True, False, compiled=lambda: order.append("wait"))
    assert order == ["wait", "fit"]


class _Stop(Exception):
    pass


def _stop():
    raise _Stop
