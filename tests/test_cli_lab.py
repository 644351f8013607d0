"""``convolab lab``: the URL it prints, the loopback by default, a warning otherwise, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cli_helpers import assert_one_line_error, run

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

SRC = Path(__file__).resolve().parents[1] / "src"


def _start(*args):
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-c", "from convolab.cli import main; main()", "lab", "--no-browser",
         "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def _url(proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        found = re.search(r"http://\S+/", line)
        if found:
            return found.group(0)
    proc.kill()
    raise AssertionError(f"no URL printed; stderr: {proc.stderr.read()}")


def _interrupt(proc):
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=20)
    return code, proc.stdout.read(), proc.stderr.read()


@pytest.mark.slow
def test_lab_serves_on_the_loopback_and_stops_on_ctrl_c():
    proc = _start()
    url = _url(proc)
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url + "slide", timeout=10) as page:
        assert page.status == 200 and b"/static/slide.js" in page.read()
    code, out, err = _interrupt(proc)
    assert code == 0, err
    assert "stopped" in out and "Traceback" not in err
    port = int(url.rsplit(":", 1)[1].strip("/"))
    with socket.socket() as s:  # nothing listens any more
        assert s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_a_non_loopback_host_is_warned_about():
    proc = _start("--host", "0.0.0.0")
    url = _url(proc)
    assert url.startswith("http://0.0.0.0:")
    code, _, err = _interrupt(proc)
    assert code == 0
    assert "convolab: warning: --host 0.0.0.0 is not the loopback" in err


def test_a_busy_port_is_a_one_line_error(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code, _, err = run(["lab", "--no-browser", "--port", port], capsys)
    assert_one_line_error(code, err, f"--port {port}", "in use")


def test_a_missing_model_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(["lab", "--no-browser", "--model", tmp_path / "nope.npz"], capsys)
    assert code == 2 and "nope.npz" in err and "Traceback" not in err


def test_a_file_that_is_no_model_is_a_one_line_error(capsys, tmp_path):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"not a model")
    code, _, err = run(["lab", "--no-browser", "--port", "0", "--model", bad], capsys)
    assert_one_line_error(code, err, "is not a convolab model")


def test_help_lists_the_options(capsys):
    code, out, _ = run(["lab", "--help"], capsys)
    assert code == 0
    for option in ("--port", "--host", "--model", "--data", "--no-browser"):
        assert option in out
