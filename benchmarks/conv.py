"""Convolution engine benchmark: convolab ``auto`` against NumPy, SciPy and OpenCV.

Times, in one process, the workloads of docs/architecture.md section 6:

* 2048 x 2048 float32, ``same``: 3x3 Laplacian, 5x5 Gaussian, 7x7 random,
  15x15 Gaussian, 15x15 random, 63x63 random, each with the ``constant`` (zero)
  and the ``reflect`` boundary; 2048 x 2048 float64, 3x3 Laplacian;
* n = 10**6 float64, ``same``: kernels of 3, 31 and 1001 random taps;

for :func:`convolab.correlate` (``method="auto"``) and :func:`scipy.ndimage.correlate`,
:func:`scipy.signal.correlate` (its own ``auto``), :func:`scipy.signal.fftconvolve`,
:func:`scipy.signal.oaconvolve`, :func:`numpy.convolve` (1D) and OpenCV ``filter2D``
(2D, on 2 threads). Each competitor computes the same correlation (convolving with the
flipped kernel where it only convolves; the SciPy functions that only know a zero
boundary get the input padded by :func:`numpy.pad` for ``reflect``), and its result is
checked against convolab's. Timings are the best of ``--repeat`` rounds; within a round every
function runs in turn (three times back to back when it takes under 0.1 s:
its steady state, as ``timeit`` measures), so a burst of load from other
processes hits them all alike and the ratios stay meaningful on a busy
machine. A short pause follows
each OpenCV call, so that the worker threads it leaves spinning do not slow
down the next function (a pause before every call would not be neutral:
after 50 ms of sleep even numpy.convolve runs 2.3x slower, caches cold).

Also measured: the memory ``same`` filtering of a 2048 x 2048 float32 image
allocates (peak traced by :mod:`tracemalloc`, in units of the image, the
result included), and the two lower bounds per workload: the arithmetic of
the direct sum at 180 GFLOP/s and the bytes of input and output at 10 GB/s.

With ``--steady``, each workload also runs in fresh processes, one per library
(convolab, the fastest NumPy/SciPy function of the table, OpenCV): one warm-up call
(its time is the process's first call), then three timed calls; the ratio of the
best of those three must hold the best-of-rounds ratio (within 10% or 0.1), so that
a program calling the engine a few times sees the speed the table promises.

Prints a Markdown report (machine, table, checks); with ``--strict`` it exits 1
when a check fails (timings on a shared machine are noisy, so not by default).

Usage: ``python benchmarks/conv.py [--repeat N] [--quick] [--strict] [--steady]``
"""

from __future__ import annotations

import argparse
import datetime
import gc
import math
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import scipy
import scipy.ndimage as ndi
import scipy.signal as sig

import convolab
from convolab.runtime import load_compiled

try:
    import cv2
except ImportError:  # the bench extra is not installed
    cv2 = None

__all__ = ["main"]

GFLOPS = 180e9  # float32 GEMM peak of the reference machine (docs/architecture.md section 6)
BANDWIDTH = 10e9  # a simple NumPy pass over memory, bytes/s
SLOW_S = 2.0  # a function slower than this runs once
PAUSE_S = 0.02  # idle time after each OpenCV call
INNER = 3  # back-to-back calls per round of a function faster than FAST_S, at least ...
ROUND_S = 5e-3  # ... and enough of them to last this long (timeit's autorange, scaled down),
MAX_INNER = 50  # ... at most this many
FAST_S = 0.1


def gaussian(size: int, sigma: float) -> np.ndarray:
    """Normalized 2D Gaussian, ``size x size``."""
    t = np.arange(size) - size // 2
    g = np.exp(-(t**2) / (2 * sigma**2))
    g /= g.sum()
    return np.outer(g, g)


def workloads(quick: bool) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """``(name, x, k, boundary)`` for every workload, in the order of the table."""
    rng = np.random.default_rng(0)
    side = 512 if quick else 2048
    n = 10**5 if quick else 10**6
    img = rng.standard_normal((side, side)).astype(np.float32)
    sig1 = rng.standard_normal(n)
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32)
    kernels = [
        ("3x3 Laplacian", lap),
        ("5x5 Gaussian", gaussian(5, 1.0).astype(np.float32)),
        ("7x7 random", rng.standard_normal((7, 7)).astype(np.float32)),
        ("15x15 Gaussian", gaussian(15, 3.0).astype(np.float32)),
        ("15x15 random", rng.standard_normal((15, 15)).astype(np.float32)),
        ("63x63 random", rng.standard_normal((63, 63)).astype(np.float32)),
    ]
    cases = [
        (f"{side}² {name} {boundary}", img, k, boundary)
        for name, k in kernels
        for boundary in ("constant", "reflect")
    ]
    cases.append((f"{side}² float64 3x3 Laplacian constant", img.astype(np.float64),
                  lap.astype(np.float64), "constant"))  # fmt: skip
    return cases + [
        (f"1D n={n:.0e} k=3", sig1, rng.standard_normal(3), "constant"),
        (f"1D n={n:.0e} k=31", sig1, rng.standard_normal(31), "constant"),
        (f"1D n={n:.0e} k=1001", sig1, rng.standard_normal(1001), "constant"),
    ]


#: convolab boundary -> (scipy.ndimage mode, OpenCV border)
BORDERS = {"constant": ("constant", "BORDER_CONSTANT"), "reflect": ("mirror", "BORDER_REFLECT_101")}


def competitors(
    x: np.ndarray, k: np.ndarray, boundary: str = "constant"
) -> dict[str, Callable[[], np.ndarray]]:
    """Functions computing ``correlate(x, k, 'same', boundary=boundary)`` (k odd-sized)."""
    flipped = np.ascontiguousarray(k[(slice(None, None, -1),) * k.ndim])
    ndi_mode, cv_border = BORDERS[boundary]
    if boundary == "constant":
        def zero(f, kk):
            return lambda: f(x, kk, "same")
    else:  # SciPy's signal functions know only zeros: pad, then 'valid'
        def zero(f, kk):
            return lambda: f(np.pad(x, [(m // 2, m // 2) for m in k.shape], "reflect"), kk,
                             "valid")  # fmt: skip
    funcs = {
        "convolab": lambda: convolab.correlate(x, k, "same", boundary=boundary),
        "ndimage": lambda: ndi.correlate(x, k, mode=ndi_mode, cval=0.0),
        "signal": zero(sig.correlate, k),
        "fftconvolve": zero(sig.fftconvolve, flipped),
        "oaconvolve": zero(sig.oaconvolve, flipped),
    }
    if x.ndim == 1:
        funcs["numpy"] = lambda: np.convolve(x, flipped, "same")
    elif cv2 is not None:
        border = getattr(cv2, cv_border)
        funcs["opencv"] = lambda: cv2.filter2D(x, -1, k, borderType=border)
    return funcs


SCIPY_NUMPY = ("ndimage", "signal", "fftconvolve", "oaconvolve", "numpy")


def time_round_robin(funcs: dict[str, Callable], repeat: int) -> dict[str, float]:
    """Best time (s) of each function over ``repeat`` rounds of every function in turn.

    In a round each function runs back to back ``INNER`` times, or as many times as
    last ``ROUND_S`` if that is more (up to ``MAX_INNER``; once if slower than
    ``FAST_S``): the best of those is its steady state, as :mod:`timeit` measures,
    with its own freed memory reused rather than pages just released by another
    library and its threads awake; the rounds interleave the functions so that
    load from other jobs hits all of them alike. (Three calls of a 0.5 ms function
    were too few: the 10**6-sample 3-tap row moved between 0.78 and 1.24x NumPy
    from run to run, 0.56-0.66 with ten; NumPy's own best did not change.)
    """
    best = {name: np.inf for name in funcs}
    for name, f in funcs.items():  # warm-up (plans, caches, thread pools)
        t0 = time.perf_counter()
        f()
        best[name] = time.perf_counter() - t0
    for _ in range(repeat - 1):
        for name, f in funcs.items():
            if best[name] > SLOW_S:
                continue
            gc.collect()
            calls = min(MAX_INNER, max(INNER, math.ceil(ROUND_S / best[name])))
            for _ in range(calls if best[name] < FAST_S else 1):
                t0 = time.perf_counter()
                f()
                best[name] = min(best[name], time.perf_counter() - t0)
            if name == "opencv":
                time.sleep(PAUSE_S)  # lets OpenCV's spinning worker threads go idle
    return best


STEADY_CALLS = 3  # timed calls after the one warm-up call, in a fresh process


def steady_child(name: str, lib: str, quick: bool) -> None:
    """In a fresh process: one warm-up call of ``lib`` on workload ``name``, then
    :data:`STEADY_CALLS` timed calls; prints the times (s), the warm-up's first."""
    x, k, b = next((x, k, b) for n, x, k, b in workloads(quick) if n == name)
    f = competitors(x, k, b)[lib]
    times = []
    for _ in range(1 + STEADY_CALLS):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    print(" ".join(f"{t:.6e}" for t in times))


def steady_times(name: str, lib: str, quick: bool) -> list[float]:
    """:func:`steady_child`'s times, from a fresh interpreter."""
    cmd = [sys.executable, __file__, "--steady-child", name, lib] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [float(v) for v in out.split()]


def traced_peak(f: Callable[[], np.ndarray]) -> int:
    """Peak bytes allocated (traced) while ``f`` runs, its result included."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        y = f()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del y
    return peak


def machine() -> str:
    """Date, CPU model, cores and library versions, one line each."""
    model = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "load average unknown"
    versions = (
        f"Python {platform.python_version()}, NumPy {np.__version__}, SciPy {scipy.__version__}, "
        f"OpenCV {cv2.__version__ if cv2 is not None else 'not installed'}"
    )
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"- {now}; {model}, {cores} cores; {load}\n- {versions}"


def fmt(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def print_steady(rows: list[tuple], quick: bool, failures: list[str]) -> None:
    """The ``--steady`` table: first call and the next three, each library in a fresh process."""
    policy = os.environ.get("CONVOLAB_JIT", "lazy")
    print(f"\nFirst calls (fresh process per library: the warm-up call, then the best of the next "
          f"{STEADY_CALLS}; ms; compiled loops: CONVOLAB_JIT={policy}):\n")  # fmt: skip
    print("| workload | convolab first | convolab next 3 | next 3 / best of rounds | vs "
          "| its next 3 | ratio next 3 | ratio best of rounds | OpenCV next 3 "
          "| ratio to OpenCV next 3 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, fastest, ratio, cv_ratio, best in rows:
        ours = steady_times(name, "convolab", quick)
        theirs = steady_times(name, fastest, quick)
        r = min(ours[1:]) / min(theirs[1:])
        cells = [name, fmt(ours[0]), " / ".join(fmt(t) for t in ours[1:])]
        cells += [f"{min(ours[1:]) / best:.2f}", fastest]
        cells += [" / ".join(fmt(t) for t in theirs[1:]), f"**{r:.2f}**", f"{ratio:.2f}"]
        if cv_ratio is not None:
            cv = steady_times(name, "opencv", quick)
            cells += [" / ".join(fmt(t) for t in cv[1:]), f"{min(ours[1:]) / min(cv[1:]):.2f}"]
        else:
            cells += ["", ""]
        print("| " + " | ".join(cells) + " |", flush=True)
        if r > max(ratio * 1.1, ratio + 0.1):
            failures.append(f"{name}: first calls {r:.2f}x {fastest}, steady {ratio:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds; best of them is kept")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a check fails")
    parser.add_argument("--only", default="", help="run the workloads whose name contains this")
    parser.add_argument("--steady", action="store_true",
                        help="also time the first calls of each workload in fresh processes")
    parser.add_argument("--steady-child", nargs=2, metavar=("WORKLOAD", "LIB"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args(argv)
    if args.steady_child:
        steady_child(*args.steady_child, args.quick)
        return 0

    # A warm process: every compiled loop loaded before timing. Under the default policy the
    # optional loops (the stencil method's among them) load only when asked, so that a first
    # call in a fresh process does not wait for Numba (--steady measures that case).
    loaded = load_compiled()
    print("## Convolution engine benchmark\n")
    print(machine())
    print(f"- compiled loops loaded before timing: {loaded}")
    print(f"- best of {args.repeat} rounds (functions slower than {SLOW_S:g} s: once)\n")
    head = (
        "| workload | convolab auto | method | ndimage | signal | fftconvolve | oaconvolve "
        "| numpy | OpenCV | best NumPy/SciPy | ratio | ratio to OpenCV | floors FLOP / mem |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    failures, notes, steady = [], [], []
    if cv2 is not None:
        cv2.setNumThreads(2)
    for name, x, k, boundary in workloads(args.quick):
        if args.only not in name:
            continue
        funcs = competitors(x, k, boundary)
        ref = funcs["convolab"]()
        for other, f in funcs.items():
            got = f()
            err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)
            tol = 1e-4 if x.dtype == np.float32 else 1e-9
            if err > tol:
                failures.append(f"{name}: {other} differs from convolab by {err:.2g} (relative)")
        times = time_round_robin(funcs, args.repeat)
        method, reason = convolab.choose_method(x, k, mode="same", boundary=boundary)
        fastest = min((m for m in SCIPY_NUMPY if m in times), key=times.get)
        ratio = times["convolab"] / times[fastest]
        cv = times.get("opencv")
        cv_ratio = times["convolab"] / cv if cv else None
        flop_floor = 2 * k.size * x.size / GFLOPS
        mem_floor = 2 * x.nbytes / BANDWIDTH
        cells = [name, fmt(times["convolab"]), method]
        cells += [fmt(times[m]) if m in times else "" for m in SCIPY_NUMPY[:4]]
        cells += [fmt(times["numpy"]) if "numpy" in times else ""]
        cells += [fmt(cv) if cv else ""]
        cells += [fastest, f"**{ratio:.2f}**", f"{cv_ratio:.2f}" if cv_ratio else ""]
        cells += [f"{fmt(flop_floor)} / {fmt(mem_floor)}"]
        print("| " + " | ".join(cells) + " |", flush=True)
        notes.append(f"- {name}: {reason}")
        if args.steady:
            steady.append((name, fastest, ratio, cv_ratio, times["convolab"]))
        if ratio > 1.0:
            failures.append(f"{name}: convolab {ratio:.2f}x the fastest NumPy/SciPy ({fastest})")
        if cv_ratio is not None and cv_ratio > 1.0:
            failures.append(f"{name}: convolab {cv_ratio:.2f}x OpenCV (target: <= 1.0)")

    print("\nTimes in ms. ratio = convolab / fastest NumPy-SciPy function (target <= 1.0);")
    print("floors: direct-sum FLOPs at 180 GFLOP/s / input+output bytes at 10 GB/s.\n")
    print("Planner's reasons:\n")
    print("\n".join(notes))

    if steady:
        print_steady(steady, args.quick, failures)

    print("\nMemory (tracemalloc peak during `same` filtering, result included, in images):\n")
    for name, x, k, boundary in workloads(args.quick):
        if x.ndim != 2 or args.only not in name:
            continue
        peak = traced_peak(
            lambda x=x, k=k, b=boundary: convolab.correlate(x, k, "same", boundary=b)
        )
        images = peak / x.nbytes
        print(f"- {name}: {peak / 2**20:.1f} MiB = {images:.2f} images")
        if images > 4.0:
            failures.append(f"{name}: peak {images:.2f} images (target <= 4)")

    print("\nChecks:", "all passed" if not failures else "")
    for f in failures:
        print(f"- FAIL {f}")
    return 1 if failures and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
