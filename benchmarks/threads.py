"""How the engine's helper threads should wait: a pool, a spinning team or Numba's own threads.

Three ways to share a call's tasks between the cores, compared in one process with
interleaved rounds (so that the load of a shared machine hits them alike):

* ``pool``: a ``concurrent.futures`` thread pool, woken per call (the default);
* ``spin``: the opt-in spinning team (``CONVOLAB_SPIN=1``), whose helpers poll for the
  next call for 2 ms before they sleep;
* ``prange``: Numba's own threading layer (``parallel=True``), for the loops it can
  express (here the 1D short-kernel loop over two halves), to show its hand-over cost.

Workloads: one LeNet-5 (modern) training step (batch 128, Adam; ``benchmarks/step.py``),
the LeNet-5 layers' forward + backward (``benchmarks/layers.py``) and the 1D k=3 case of
``benchmarks/conv.py`` (10**6 float64 samples, ``same``). Printed: median and best
milliseconds per call for each way.

Run: ``python benchmarks/threads.py [--rounds 7] [--calls 20]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

import convolab
from convolab import models, nn
from convolab.nn import functional as F
from convolab.runtime import load_compiled

__all__ = ["main"]


def _step(batch: int = 128) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    model = models.lenet5("modern")
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(model(nn.Tensor(x)), y).backward()
        opt.step()

    return step


def _layer(xs: tuple[int, ...], ws: tuple[int, ...], pad: int) -> Callable[[], None]:
    rng = np.random.default_rng(1)
    x = nn.Tensor(rng.standard_normal(xs, dtype=np.float32), requires_grad=True)
    w = nn.Tensor(rng.standard_normal(ws, dtype=np.float32), requires_grad=True)

    def run() -> None:
        x.grad = w.grad = None
        F.conv2d(x, w, padding=pad).sum().backward()

    return run


def _conv1d() -> Callable[[], None]:
    x = np.random.default_rng(2).random(1_000_000)
    k = np.array([1.0, 2.0, 3.0])
    return lambda: convolab.correlate(x, k, mode="same")


def _prange_conv1d() -> Callable[[], None] | None:
    """The 1D loop's k=3 body under ``prange`` over two halves (Numba's threading layer)."""
    try:
        from numba import njit, prange
    except ImportError:
        return None

    @njit(parallel=True, nogil=True, cache=True, error_model="numpy")
    def k3(x, k, y):  # pragma: no cover - compiled
        n = y.shape[0]
        half = (n + 1) // 2
        for part in prange(2):
            a0, a1 = part * half, min(n, (part + 1) * half)
            k0, k1, k2 = k[0], k[1], k[2]
            for i in range(a0, a1):
                y[i] = x[i] * k0 + x[i + 1] * k1 + x[i + 2] * k2

    xp = np.random.default_rng(2).random(1_000_002)
    k = np.array([1.0, 2.0, 3.0])
    y = np.empty(1_000_000)
    k3(xp, k, y)
    return lambda: k3(xp, k, y)


WORKLOADS = {
    "LeNet-5 step": _step,
    "C1 5x5 1->6 fwd+bwd": lambda: _layer((128, 1, 28, 28), (6, 1, 5, 5), 2),
    "C3 5x5 6->16 fwd+bwd": lambda: _layer((128, 6, 14, 14), (16, 6, 5, 5), 0),
    "1D n=1e6 k=3": _conv1d,
}


def _time(fn: Callable[[], None], calls: int) -> list[float]:
    out = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per round and way")
    args = parser.parse_args(argv)
    load_compiled()
    ways = ["pool", "spin"]
    results: dict[tuple[str, str], list[float]] = {}
    for name, make in WORKLOADS.items():
        fn = make()
        fn()
        variants = {w: fn for w in ways}
        if name.startswith("1D"):
            pr = _prange_conv1d()
            if pr is not None:
                variants["prange"] = pr
        for _ in range(args.rounds):
            for way, f in variants.items():
                os.environ["CONVOLAB_SPIN"] = "1" if way == "spin" else "0"
                f()  # the first call after switching is not timed
                results.setdefault((name, way), []).extend(_time(f, args.calls))
    os.environ["CONVOLAB_SPIN"] = "0"
    print(f"# {platform.machine()}, {os.cpu_count()} cores; load {os.getloadavg()}; "
          f"{args.rounds} interleaved rounds x {args.calls} calls\n")  # fmt: skip
    print("| workload | way | median ms | best ms |")
    print("|---|---|---|---|")
    for (name, way), ts in results.items():
        print(f"| {name} | {way} | {statistics.median(ts):.2f} | {min(ts):.2f} |")


if __name__ == "__main__":
    main()
