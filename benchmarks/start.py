"""Cold start: ``import convolab`` and the engine's first call, each in fresh processes.

* ``import``: wall time of ``python -c "import convolab"`` (against ``import numpy``,
  which it includes), whole processes;
* ``first call``: in a fresh process, the first :func:`convolab.correlate` call on a
  workload, then the best of five warm calls; the difference is what a first call
  costs (target: at most 100 ms).

Each figure is the median over ``--runs`` processes. Workloads: 1D n = 10**6 float64
with 3 taps, and a 2048 x 2048 float32 image with the 3x3 Laplacian (``same``).

Run: ``python benchmarks/start.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

__all__ = ["main"]

CHILD = """
import time
t0 = time.perf_counter()
import numpy as np
import convolab
t1 = time.perf_counter()
if {two_d}:
    x = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    k = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
else:
    x = np.random.default_rng(0).standard_normal(1_000_000)
    k = np.array([1.0, 2.0, 3.0])
a = time.perf_counter(); convolab.correlate(x, k, "same"); first = time.perf_counter() - a
warm = []
for _ in range(5):
    a = time.perf_counter(); convolab.correlate(x, k, "same"); warm.append(time.perf_counter() - a)
print(t1 - t0, first, min(warm))
"""


def _wall(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per figure (median)")
    args = parser.parse_args(argv)
    print(f"# cold start; {os.cpu_count()} cores; load {os.getloadavg()}; "
          f"median of {args.runs} processes\n")  # fmt: skip
    imports = {"numpy": [], "convolab": []}
    for _ in range(args.runs):
        for name in imports:
            imports[name].append(_wall(f"import {name}"))
    for name, ts in imports.items():
        print(f"- `python -c \"import {name}\"`: {statistics.median(ts) * 1e3:.0f} ms "
              f"(min {min(ts) * 1e3:.0f})")  # fmt: skip
    print("\n| workload | import (in process) ms | first call ms | warm ms | first - warm ms |")
    print("|---|---|---|---|---|")
    for label, two_d in (("1D n=1e6 k=3 float64", False), ("2048² 3x3 Laplacian", True)):
        rows = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", CHILD.format(two_d=two_d)],
                                 capture_output=True, text=True, check=True)  # fmt: skip
            rows.append([float(v) for v in out.stdout.split()])
        imp, first, warm = (statistics.median(col) * 1e3 for col in zip(*rows))
        extra = statistics.median((r[1] - r[2]) * 1e3 for r in rows)
        print(f"| {label} | {imp:.0f} | {first:.1f} | {warm:.2f} | {extra:.1f} |")


if __name__ == "__main__":
    main()
