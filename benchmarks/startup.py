"""Start-up time of the ``convolab`` command, as whole processes (issue 17, item 2).

Each case runs ``--repeat`` times as a fresh Python process started the way the console
script starts it (``from convolab.cli import main; main()``), and the wall time from
start to exit is recorded: the interpreter, every import, the work and the shutdown. The
table gives the median and the best run, the target, and the heavy libraries the process
imported (read from ``sys.modules`` at exit).

* ``python -c pass`` and ``python -c "import convolab"``: the floors under every command;
* ``convolab --help`` and ``convolab kernels``: target <= 0.4 s;
* ``convolab signal smooth`` on a 10-sample CSV file: target <= 0.6 s.

Run: ``python benchmarks/startup.py [--repeat 9]``. The machine may be shared: the figures are
noisy, the median is the one to quote.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]

#: Libraries whose import alone costs a large part of the budget.
HEAVY = ("scipy", "matplotlib", "numba", "torch", "onnx", "onnxruntime", "PIL", "tqdm", "dask")

_REPORT = (
    "import atexit, sys\n"
    "def _report():\n"
    f"    heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
    "    sys.stderr.write('\\nHEAVY ' + ','.join(heavy) + '\\n')\n"
    "atexit.register(_report)\n"
)
_CLI = _REPORT + "from convolab.cli import main\nmain()\n"


def _cases(signal_file: Path) -> list[tuple[str, list[str], float | None]]:
    python = [sys.executable, "-c"]
    return [
        ("python -c pass", [*python, _REPORT], None),
        ("python -c 'import convolab'", [*python, _REPORT + "import convolab\n"], 0.3),
        ("convolab --help", [*python, _CLI, "--help"], 0.4),
        ("convolab kernels", [*python, _CLI, "kernels"], 0.4),
        ("convolab signal smooth (10 samples)", [*python, _CLI, "signal", "smooth",
                                                  str(signal_file)], 0.6),
    ]


def _run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{cmd[3:]} failed with exit code {done.returncode}:\n{done.stderr}")
    heavy = done.stderr.rsplit("HEAVY ", 1)[-1].strip()
    return seconds, heavy or "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="runs per case (default 9)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        signal_file = Path(tmp) / "signal.csv"
        signal_file.write_text("value\n" + "\n".join(str(v) for v in range(10)) + "\n")
        cases = _cases(signal_file)
        for _, cmd, _ in cases:  # one run each first: the OS file cache, bytecode caches
            _run(cmd)
        times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        heavy: dict[str, str] = {}
        for _ in range(args.repeat):  # interleaved: a burst of load hits every case alike
            for name, cmd, _ in cases:
                seconds, heavy[name] = _run(cmd)
                times[name].append(seconds)
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {args.repeat} runs each")
    print("| process | median (s) | best (s) | target (s) | heavy imports |")
    print("|---|---|---|---|---|")
    for name, _, target in cases:
        runs = times[name]
        goal = f"<= {target}" if target is not None else "-"
        print(f"| {name} | {statistics.median(runs):.3f} | {min(runs):.3f} | {goal} | "
              f"{heavy[name]} |")


if __name__ == "__main__":
    main()
