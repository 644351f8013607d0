"""The command line starts light: what each process imports, never how long it takes.

``convolab --help`` lists the commands from the group's table without importing any of them,
and the commands import SciPy, Matplotlib, Pillow, tqdm, Numba, torch, ONNX or Dask only in
the function that needs them (docs/architecture.md §7). The times are in
benchmarks/startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import numpy as np
import pytest

from convolab.cli import cli
from convolab.cli.group import COMMANDS, listed

HEAVY = ("scipy", "matplotlib", "numba", "torch", "onnx", "onnxruntime", "PIL", "tqdm", "dask",
         "uvicorn", "starlette")  # fmt: skip
COMMAND_MODULES = sorted({entry.module for entry in COMMANDS.values()})

# Prints, as JSON at exit, the modules of interest the process imported.
_REPORT = (
    "import atexit, json, sys\n"
    "def _report():\n"
    f"    names = [m for m in sys.modules if m.split('.')[0] in {HEAVY!r}\n"
    "             or m.startswith('convolab.cli.')]\n"
    "    sys.stderr.write('\\nIMPORTED ' + json.dumps(sorted(names)) + '\\n')\n"
    "atexit.register(_report)\n"
)


def _imported(code: str, *args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    done = subprocess.run([sys.executable, "-c", _REPORT + code, *args], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert "IMPORTED " in done.stderr, done.stderr
    names = set(json.loads(done.stderr.rsplit("IMPORTED ", 1)[1]))
    return names, done


def _top_level(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_help_imports_no_command_and_no_heavy_library():
    names, done = _imported("from convolab.cli import main; main()", "--help")
    assert done.returncode == 0 and "Commands:" in done.stdout
    assert not _top_level(names) & set(HEAVY), sorted(names)
    assert names <= {"convolab.cli.errors", "convolab.cli.group"}, sorted(names)


def test_bare_command_and_python_dash_m_are_as_light():
    names, done = _imported("import runpy; runpy.run_module('convolab', run_name='__main__')")
    assert done.returncode == 0 and done.stdout.startswith("Usage: convolab")
    assert not _top_level(names) & set(HEAVY), sorted(names)


def test_kernels_imports_no_heavy_library():
    names, done = _imported("from convolab.cli import main; main()", "kernels")
    assert done.returncode == 0 and "gaussian" in done.stdout
    assert not _top_level(names) & set(HEAVY), sorted(names)
    assert "convolab.cli.filter" not in names


def test_signal_smooth_loads_neither_figures_nor_scipy_signal(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("value\n" + "\n".join(map(str, range(10))) + "\n")
    names, done = _imported("from convolab.cli import main; main()", "signal", "smooth",
                            str(path))  # fmt: skip
    padded = np.pad(np.arange(10.0), 1, mode="reflect")  # the default boundary, box of 3
    expected = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
    assert done.returncode == 0
    np.testing.assert_allclose([float(v) for v in done.stdout.split()], expected, rtol=1e-9)
    assert not _top_level(names) & {"matplotlib", "numba", "torch", "PIL", "tqdm", "onnx"}
    assert "scipy.signal" not in names and "scipy.stats" not in names, sorted(names)


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_command_modules_import_heavy_libraries_only_when_they_run(module):
    names, done = _imported(f"import {module}")
    assert done.returncode == 0, done.stderr
    # train's help names convolab.data's augmentation threshold: importing convolab.data loads
    # its image tools (SciPy, Pillow); the command needs them the moment it runs.
    allowed = {"scipy", "PIL"} if module == "convolab.cli.train" else set()
    assert not (_top_level(names) & set(HEAVY)) - allowed, sorted(names)
    others = {m for m in names if m in COMMAND_MODULES} - {module}
    assert not others, f"{module} imports the commands {sorted(others)}"


@pytest.mark.parametrize("width", [30, 50, 80, 200])
def test_the_table_lists_each_command_as_the_command_itself_would(width):
    ctx = click.Context(cli, terminal_width=width)
    limit = ctx.make_formatter().width - 6 - max(len(n) for n in COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        assert listed(name).get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_every_command_module_is_in_the_table():
    import pkgutil

    import convolab.cli as package

    helpers = {"errors", "group", "io", "options", "__main__"}
    modules = {f"convolab.cli.{m.name}" for m in pkgutil.iter_modules(package.__path__)
               if m.name not in helpers}  # fmt: skip
    assert modules == set(COMMAND_MODULES)
