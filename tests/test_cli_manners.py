"""The CLI's manners: help without arguments, suggestions, one --force, logs a user can follow."""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest

from cli_helpers import assert_one_line_error, run
from convolab.cli import cli
from convolab.cli.options import FORCE_HELP

WRITERS = ["demo", "explain", "export", "filter", "predict", "show", "train",
           "signal smooth", "signal shift", "signal detect"]  # fmt: skip


def _command(path: str) -> click.Command:
    ctx = click.Context(cli)
    command = cli
    for name in path.split():
        command = command.get_command(ctx, name)
    return command


def test_bare_convolab_prints_the_help(capsys):
    code, out, err = run([], capsys)
    assert code == 0 and err == ""
    assert out.startswith("Usage: convolab") and "filter" in out and "Commands:" in out


def test_bare_convolab_in_a_real_process():
    done = subprocess.run([sys.executable, "-m", "convolab.cli"], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0 and "Usage: convolab" in done.stdout and done.stderr == ""


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("fliter", "filter"), ("trian", "train"), ("inpsect", "inspect"), ("kernel", "kernels"),
     ("exprot", "export")],
)
def test_a_misspelled_command_suggests_the_nearest(capsys, typed, meant):
    code, _, err = run([typed, "x"], capsys)
    assert_one_line_error(code, err, f"unknown command '{typed}'", f"did you mean '{meant}'?")


def test_an_unlike_command_gets_no_guess(capsys):
    code, _, err = run(["xyzzy"], capsys)
    assert_one_line_error(code, err, "unknown command 'xyzzy'")
    assert "did you mean" not in err


@pytest.mark.parametrize("path", WRITERS)
def test_force_is_the_same_flag_in_every_command_that_writes(path):
    options = {p.name: p for p in _command(path).params}
    assert "force" in options, path
    force = options["force"]
    assert force.opts == ["-f", "--force"] and force.is_flag and force.help == FORCE_HELP


def test_commands_that_do_not_write_have_no_force():
    for path in ("eval", "inspect", "kernels"):
        assert "force" not in {p.name for p in _command(path).params}, path


# ---------------------------------------------------------------------------- train logs


TRAIN = ["train", "detector1d", "--data", "shapes1d", "--samples", "64", "--epochs", "3"]
EPOCH = re.compile(r"^epoch (\d+)/3  loss \d+\.\d{4}  acc \d\.\d{4}  val_loss \d+\.\d{4}  "
                   r"val_acc \d\.\d{4}  \d+ samples/s$")  # fmt: skip


def test_train_prints_one_plain_line_per_epoch_in_a_pipe(tmp_path):
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *TRAIN, "--out",
                           str(tmp_path / "r")], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    epochs = [int(m.group(1)) for m in map(EPOCH.match, lines) if m]
    assert epochs == [1, 2, 3], done.stderr
    assert "\r" not in done.stderr  # no progress bar in a log
    assert len(lines) == 4 and lines[0].startswith("training detector1d on shapes1d")


def test_train_quiet_prints_no_epoch_lines(tmp_path, capsys):
    code, _, err = run([*TRAIN, "--out", tmp_path / "r", "-q"], capsys)
    assert code == 0 and err == ""


def test_train_shows_a_bar_on_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run([*TRAIN, "--out", tmp_path / "r"], capsys)
    assert code == 0
    assert "epoch 1/3:" in err and "sample/s" in err  # tqdm's bar
    assert sum(bool(EPOCH.match(line.split("\r")[-1])) for line in err.splitlines()) == 3
