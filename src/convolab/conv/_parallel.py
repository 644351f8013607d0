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
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["blas_single_thread", "n_workers", "run_tasks"]

_POOL: ThreadPoolExecutor | None = None
_BLAS: Any = None  # threadpoolctl controller for the loaded BLAS libraries, made once


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


def run_tasks(
    fn: Callable[..., None], tasks: Iterable[tuple], parallel: bool = True, blas: bool = False
) -> None:
    """Call ``fn(*task)`` for every task, on the shared pool when ``parallel`` and worthwhile.

    ``blas=True`` says the tasks call BLAS: it is then limited to one thread
    while they run in parallel.

    >>> out = []
    >>> run_tasks(lambda i: out.append(i * i), [(1,), (2,), (3,)])
    >>> sorted(out)
    [1, 4, 9]
    """
    global _POOL
    tasks = list(tasks)
    workers = n_workers()
    if not parallel or workers == 1 or len(tasks) < 2:
        with blas_single_thread() if blas else contextlib.nullcontext():
            for task in tasks:
                fn(*task)
        return
    if _POOL is None or _POOL._max_workers != workers:  # noqa: SLF001
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convolab")
    with blas_single_thread() if blas else contextlib.nullcontext():
        for future in [_POOL.submit(fn, *task) for task in tasks]:
            future.result()
