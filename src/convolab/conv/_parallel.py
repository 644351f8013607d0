"""A small shared thread pool: NumPy ufuncs and BLAS release the GIL, so tiles run in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["n_workers", "run_tasks"]

_POOL: ThreadPoolExecutor | None = None


def n_workers() -> int:
    """Threads to use: ``CONVOLAB_NUM_THREADS`` if set, else the number of usable cores."""
    env = os.environ.get("CONVOLAB_NUM_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(fn: Callable[..., None], tasks: Iterable[tuple], parallel: bool = True) -> None:
    """Call ``fn(*task)`` for every task, on the shared pool when ``parallel`` and worthwhile."""
    global _POOL
    tasks = list(tasks)
    workers = n_workers()
    if not parallel or workers == 1 or len(tasks) < 2:
        for task in tasks:
            fn(*task)
        return
    if _POOL is None or _POOL._max_workers != workers:  # noqa: SLF001
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="convolab")
    for future in [_POOL.submit(fn, *task) for task in tasks]:
        future.result()
