"""A small shared thread pool: NumPy ufuncs and BLAS release the GIL, so tiles run in parallel.

Tiles that call BLAS (the banded matrix products of the separable and 1D
Toeplitz paths) run with BLAS limited to one thread while the pool is busy
(through :mod:`threadpoolctl`, when it is installed): a multi-threaded BLAS
inside each of several tile threads oversubscribes the cores, and OpenBLAS's
waiting threads spin, which made those paths 10-50x slower on a loaded
2-core machine.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = [
    "blas_single_thread",
    "busy_cores",
    "matmul",
    "n_workers",
    "run_blocks",
    "run_tasks",
]

_POOL: ThreadPoolExecutor | None = None
_BLAS: Any = None  # threadpoolctl controller for the loaded BLAS libraries, made once
_BUSY: tuple[float, int] = (-1.0, 0)  # (when read, busy cores)


def n_workers() -> int:
    """Threads to use: ``CONVOLAB_NUM_THREADS`` if set, else the number of usable cores.

    >>> n_workers() >= 1
    True
    """
    env = os.environ.get("CONVOLAB_NUM_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def busy_cores() -> int:
    """Cores other processes are using now: runnable tasks, ourselves excluded (Linux).

    From the instantaneous count of runnable tasks in ``/proc/loadavg`` (read at
    most every 20 ms), the way OpenMP's dynamic mode sizes its teams. 0 where
    the count is not available.

    >>> busy_cores() >= 0
    True
    """
    global _BUSY
    now = time.monotonic()
    if now - _BUSY[0] > 0.02:
        try:
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            running = 1
        _BUSY = (now, max(0, running - 1))
    return _BUSY[1]


def blas_single_thread() -> contextlib.AbstractContextManager:
    """Context in which BLAS uses one thread (a no-op without :mod:`threadpoolctl`).

    >>> with blas_single_thread():
    ...     pass
    """
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController().select(user_api="blas")
        except Exception:  # not installed, or no BLAS found: nothing to limit
            _BLAS = False
    if not _BLAS:
        return contextlib.nullcontext()
    return _BLAS.limit(limits=1)


#: products below this many multiply-adds run on one BLAS thread (see :func:`matmul`)
BLAS_THREADS_MIN = 1 << 25


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul``, on one BLAS thread when the product is small.

    A small product gains little from a second thread, and waking OpenBLAS's
    threads leaves them spinning for a while after the call, on the cores that the
    engine's own threads need next: in a LeNet-5 training step (products of at
    most 6M multiply-adds) the step took 12.5 ms with the dense layers' products
    on two threads and 11.5 ms on one.

    >>> matmul(np.eye(2), np.arange(4.0).reshape(2, 2))
    array([[0., 1.],
           [2., 3.]])
    """
    macs = math.prod(a.shape[:-1]) * a.shape[-1] * (b.shape[-1] if b.ndim > 1 else 1)
    if macs >= BLAS_THREADS_MIN:
        return np.matmul(a, b, out=out)
    with blas_single_thread():
        return np.matmul(a, b, out=out)


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None or _POOL._max_workers != workers:  # noqa: SLF001
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convolab")
    return _POOL


def run_tasks(
    fn: Callable[..., None], tasks: Iterable[tuple], parallel: bool = True, blas: bool = False
) -> None:
    """Call ``fn(*task)`` for every task, sharing them with the pool when ``parallel``.

    The calling thread works too: it and up to ``n_workers() - 1`` pool threads
    take tasks from one queue until it is empty. A helper that has not started
    by then is not waited for, so on a machine whose other cores are busy the
    call costs about what a plain loop costs instead of a scheduler wake-up per
    thread. ``blas=True`` says the tasks call BLAS: it is then limited to one
    thread (see :func:`blas_single_thread`).

    >>> out = []
    >>> run_tasks(lambda i: out.append(i * i), [(1,), (2,), (3,)])
    >>> sorted(out)
    [1, 4, 9]
    """
    tasks = list(tasks)
    workers = min(n_workers(), len(tasks))
    with blas_single_thread() if blas else contextlib.nullcontext():
        if not parallel or workers < 2:
            for task in tasks:
                fn(*task)
            return
        queue = iter(tasks)  # list iterators hand out each item once, across threads
        lock = threading.Lock()
        closed = False
        started: list[threading.Event] = []
        errors: list[BaseException] = []

        def helper(done: threading.Event) -> None:
            with lock:
                if closed:
                    return
                started.append(done)
            try:
                for task in queue:
                    fn(*task)
            except BaseException as exc:  # re-raised in the calling thread
                errors.append(exc)
            finally:
                done.set()

        pool = _pool(n_workers())
        for _ in range(workers - 1):
            pool.submit(helper, threading.Event())
        try:
            for task in queue:
                fn(*task)
        finally:
            with lock:
                closed = True
                running = list(started)
            for done in running:
                done.wait()
        if errors:
            raise errors[0]


def run_blocks(
    fn: Callable[[int, int], None],
    blocks: int,
    parallel: bool,
    per_worker: int = 4,
) -> None:
    """Call ``fn(j0, j1)`` on consecutive ranges covering ``range(blocks)``.

    With ``parallel``, the ranges are ``per_worker`` per core (or one per block) and
    shared through :func:`run_tasks`: a helper that starts late then leaves less
    imbalance behind. Otherwise one call covers everything.

    >>> seen = []
    >>> run_blocks(lambda a, b: seen.extend(range(a, b)), 10, parallel=True)
    >>> sorted(seen) == list(range(10))
    True
    """
    parts = min(blocks, per_worker * n_workers()) if parallel else 1
    bounds = [blocks * i // parts for i in range(parts + 1)]
    run_tasks(fn, zip(bounds[:-1], bounds[1:]), parallel=parts > 1)
