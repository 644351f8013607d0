"""Choosing an algorithm: a cost model that can say why.

Each method's time is estimated from what it does, counted the way it runs:

* **direct** -- passes over the output in cache-sized tiles: one to copy the
  padded slab, then one per tap of weight ``+-1`` and ``g + 2`` for a group of
  ``g`` taps sharing another weight (taps of weight 0 are skipped); in 1D,
  :func:`numpy.correlate` (``a + b K`` per output) for short kernels or the
  Toeplitz product (``L + K - 1`` multiply-adds per output at BLAS speed);
* **separable** -- per term of the SVD, a banded matrix product for the
  vertical pass and the passes of the horizontal one (2D only; in more
  dimensions one 1D pass per axis per term);
* **fft** -- three real transforms of ``N log2 N`` each at the fast length
  ``N``, plus a few passes, or overlap-save blocks (a long 1D signal; an image
  in rounds of one block per worker);
* **gemm** -- one im2col copy per tap, then the matrix product.

Each method module of :mod:`convolab.conv.methods` estimates its own time
(``METHOD.estimate``) from the one cost profile, :mod:`convolab.conv.profile`:
pass costs, BLAS and FFT rates measured on the reference machine (2-core
x86-64, AVX-512; ``benchmarks/RESULTS.md``). They rank the methods; the
absolute estimates are only indicative. ``method="auto"`` takes
the cheapest, and :func:`plan` reports the ranking with the numbers, e.g. for
a 15x15 Gaussian on a 2048 x 2048 float32 image: ``"separable: rank-1 15x15
kernel as 1 x (15 + 15) taps (est. 7.57 ms) < fft (17.3 ms) < direct (164 ms)
< gemm (303 ms)"``. Plans are remembered for recent (problem, kernel) pairs.

**Loading a loop when it pays.** Under the default ``lazy`` policy the stencil method's
compiled loop is not loaded by a first call (loading costs ~0.8 s in a fresh process: a
hundred times a 2048² 3x3 filter), so another method serves. Each call that
the unloaded method would have served faster adds the difference between the call's time
and that method's estimate to what it has forgone; once that passes what loading costs
(:data:`~convolab.conv.profile.LOOP_LOAD_S`, or
:data:`~convolab.conv.profile.LOOP_LOAD_WARM_S` once another loop has loaded), the call
loads it (:func:`choose`). A program that filters once never waits for the loop; one that
filters many images spends at most about twice the best of the two choices made in
hindsight, and then runs at the loaded method's speed.
"""

from __future__ import annotations

import threading

import numpy as np

from convolab._jit import generation
from convolab.conv import methods, profile
from convolab.conv.methods import Problem

__all__ = ["Problem", "choose", "estimate", "plan", "took"]

_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()
_FORGONE: dict[str, float] = {}  # seconds each unloaded method would have saved so far


def estimate(problem: Problem, kernel: np.ndarray | None = None) -> dict[str, tuple[float, str]]:
    """Estimated seconds and a description for every method that applies.

    >>> p = Problem(1, (2048, 2048), (3, 3), (2048, 2048), ((1, 1), (1, 1)), (1, 1), (1, 1),
    ...             4, False, False, "constant", 0)
    >>> sorted(set(estimate(p, np.ones((1, 3, 3)))) - {"stencil"})  # stencil: once loaded
    ['direct', 'fft', 'gemm', 'separable']
    """
    est = {}
    for name in problem.candidates or methods.names():
        guess = methods.get(name).estimate(problem, kernel)
        if guess is not None:
            t, why = guess
            est[name] = (t * 1e-9, why)
    return est


def plan(problem: Problem, kernel: np.ndarray | None = None) -> tuple[str, str]:
    """Return ``(method, reason)``: the cheapest method by the cost model, and the ranking.

    ``kernel`` is the correlation kernel ``(1 or B, *K)``; its values refine the
    estimate (zero and repeated weights, SVD rank).

    >>> p = Problem(1, (10**6,), (1001,), (10**6,), ((500, 500),), (1,), (1,),
    ...             8, False, False, "constant", 0)
    >>> plan(p, np.ones((1, 1001)))[0]
    'fft'
    """
    best, reason, _ = _ranked(problem, kernel)
    return best, reason


def choose(problem: Problem, kernel: np.ndarray | None = None) -> tuple[str, dict[str, float]]:
    """The method a call runs, and the seconds each unloaded method is estimated to take
    on it (for :func:`took`).

    The method is :func:`plan`'s, after loading an unloaded method's compiled loop once
    the time it would have saved on earlier calls passes the time loading takes (see the
    module's text); :func:`plan` itself never loads anything.

    >>> p = Problem(1, (10**6,), (1001,), (10**6,), ((500, 500),), (1,), (1,),
    ...             8, False, False, "constant", 0)
    >>> choose(p, np.ones((1, 1001)))[0]
    'fft'
    """
    best, _, faster = _ranked(problem, kernel)
    if not faster:
        return best, faster
    cost = profile.LOOP_LOAD_S if generation() == 0 else profile.LOOP_LOAD_WARM_S
    with _CACHE_LOCK:
        due = [name for name in faster if _FORGONE.get(name, 0.0) >= cost]
        for name in due:
            _FORGONE[name] = 0.0
    if any([methods.get(name).load() for name in due]):  # type: ignore[misc]
        best, _, faster = _ranked(problem, kernel)
    return best, faster


def took(faster: dict[str, float], seconds: float) -> None:
    """Count what a call that took ``seconds`` would have saved on each unloaded method
    (``faster``: their estimated seconds, from :func:`choose`).

    >>> took({}, 0.01)
    """
    with _CACHE_LOCK:
        for name, estimate in faster.items():
            _FORGONE[name] = _FORGONE.get(name, 0.0) + max(0.0, seconds - estimate)


def _ranked(
    problem: Problem, kernel: np.ndarray | None
) -> tuple[str, str, dict[str, float]]:
    """:func:`plan`'s answer, and the estimated seconds of each unloaded method that would
    be faster than the chosen one."""
    key = None
    if kernel is None or kernel.size <= profile.PLAN_CACHE_MAX_TAPS:
        raw = None if kernel is None else (kernel.dtype.str, kernel.shape, kernel.tobytes())
        key = (problem, raw, generation())  # a loop loaded since may offer a new method
        if key in _CACHE:
            return _CACHE[key]
    est = estimate(problem, kernel)
    order = sorted(est, key=lambda m: est[m][0])
    best = order[0]
    t, why = est[best]
    head = f"{best}: {why.removeprefix(best).strip() or why} (est. {t * 1e3:.3g} ms)"
    rest = " < ".join(f"{m} ({est[m][0] * 1e3:.3g} ms)" for m in order[1:])
    faster = {}
    for name in problem.candidates or methods.names():
        unloaded = methods.get(name).unloaded
        ns = None if unloaded is None else unloaded(problem, kernel)
        if ns is not None and ns * 1e-9 < t:
            faster[name] = ns * 1e-9
    result = best, f"{head} < {rest}" if rest else head, faster
    if key is not None:
        with _CACHE_LOCK:
            if len(_CACHE) >= profile.PLAN_CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))  # the oldest
            _CACHE[key] = result
    return result
