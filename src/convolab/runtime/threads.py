"""The engine's threads: NumPy ufuncs, BLAS and the compiled loops release the GIL, so
tiles run in parallel.

By default the helper threads are a small team (:class:`_Team`) woken per call through
a condition; they block (no polling) between calls. ``CONVOLAB_SPIN=1`` opts in to a
spinning team instead (:class:`_SpinningTeam`): its helpers poll for the next call for
:data:`SPIN_SECONDS` before they sleep, which hands work over in microseconds instead
of a scheduler wake-up, at the price of a core kept busy after each call (see
``benchmarks/RESULTS.md`` for what each choice measured).

Tiles that call BLAS (the banded matrix products of the separable and 1D
Toeplitz paths) run with BLAS limited to one thread while the helpers are busy
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
from typing import Any

import numpy as np

from convolab.runtime import env_flag

__all__ = [
    "blas_single_thread",
    "busy_cores",
    "matmul",
    "n_workers",
    "run_blocks",
    "run_tasks",
    "spin_enabled",
]

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


class _Call:
    """One call of :func:`run_tasks` as a team sees it: the function, a shared iterator of
    tasks, the helpers' errors; ``closed`` once the caller has run out of tasks (no helper
    joins after that)."""

    __slots__ = ("seq", "fn", "queue", "errors", "closed", "running", "joined")

    def __init__(self, fn: Callable[..., None], queue: Any) -> None:
        self.seq = 0  # the team's number for the call, given when it is posted
        self.fn, self.queue = fn, queue
        self.errors: list[BaseException] = []
        self.closed = False
        self.running = 0  # helpers working on the call (the default team)
        self.joined: list[int] = []  # helpers that joined it (the spinning team)

    def work(self) -> None:
        """A helper's share: tasks until none is left, its error kept for the caller."""
        try:
            for task in self.queue:
                self.fn(*task)
        except BaseException as exc:  # re-raised in the calling thread
            self.errors.append(exc)


class _Teamwork:
    """What both teams do for the calling thread: post the call, take tasks with the
    helpers, close it, wait for them and re-raise a helper's error."""

    busy: threading.Lock

    def _post(self, call: _Call) -> None:
        raise NotImplementedError

    def _close(self, call: _Call) -> None:
        raise NotImplementedError

    def run(self, fn: Callable[..., None], tasks: list[tuple]) -> bool:
        """Run the tasks with the team; ``False`` when it is in use (a nested call)."""
        if not self.busy.acquire(blocking=False):
            return False
        try:
            call = _Call(fn, iter(tasks))
            self._post(call)
            try:
                for task in call.queue:
                    fn(*task)
            finally:
                self._close(call)
            if call.errors:
                raise call.errors[0]
            return True
        finally:
            self.busy.release()


class _Team(_Teamwork):
    """Helper threads that sleep on a condition between calls (the default).

    The calling thread posts a call (the function and a shared iterator of tasks)
    and wakes the helpers, then takes tasks itself; a helper that wakes while the
    call is open joins it and takes tasks from the same iterator. When the
    iterator is empty the caller closes the call (a helper waking later leaves it
    alone) and waits for the helpers that joined. Compared with a
    ``concurrent.futures`` pool, a call makes no future, work item or event: one
    condition wakes the helpers and another tells the caller that the last one is
    done.
    """

    def __init__(self, helpers: int) -> None:
        self.helpers = helpers
        self.lock = threading.Lock()
        self.posted = threading.Condition(self.lock)  # a new call, for the helpers
        self.finished = threading.Condition(self.lock)  # a helper left, for the caller
        self.call: _Call | None = None
        self.seq = 0
        self.stopped = False
        self.busy = threading.Lock()
        for h in range(helpers):
            threading.Thread(target=self._helper, daemon=True, name=f"convolab_{h}").start()

    def _helper(self) -> None:
        seen = 0
        while True:
            with self.lock:
                while self.seq == seen and not self.stopped:
                    self.posted.wait()
                if self.stopped:
                    return
                seen, call = self.seq, self.call
                if call is None or call.closed:
                    continue
                call.running += 1
            try:
                call.work()
            finally:
                with self.lock:
                    call.running -= 1
                    if call.closed and not call.running:
                        self.finished.notify()
                # a call holds its function's arrays (often the caller's result): let them go
                call = None

    def _post(self, call: _Call) -> None:
        with self.lock:
            self.seq = call.seq = self.seq + 1
            self.call = call
            self.posted.notify_all()

    def _close(self, call: _Call) -> None:
        with self.lock:
            call.closed = True
            self.call = None
            while call.running:
                self.finished.wait()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.posted.notify_all()


_DEFAULT_TEAM: _Team | None = None


def _default_team(workers: int) -> _Team:
    """The default team of ``workers - 1`` helpers (made again when the count changes)."""
    global _DEFAULT_TEAM
    if _DEFAULT_TEAM is None or _DEFAULT_TEAM.helpers != workers - 1:
        if _DEFAULT_TEAM is not None:
            _DEFAULT_TEAM.stop()
        _DEFAULT_TEAM = _Team(workers - 1)
    return _DEFAULT_TEAM


#: how long an idle helper of the spinning team polls for the next call before it
#: sleeps, and how long the calling thread polls for the helpers to finish before it
#: sleeps (seconds)
SPIN_SECONDS = 2e-3
_GO = 0  # the spinning team's cell for the round number; helper h reports in 8 (h + 1)


def spin_enabled() -> bool:
    """Whether ``CONVOLAB_SPIN=1`` opts in to the spinning team (default ``0``: helpers that sleep).

    >>> isinstance(spin_enabled(), bool)
    True
    """
    return env_flag("CONVOLAB_SPIN")


class _SpinningTeam(_Teamwork):
    """Helper threads that poll for work without the GIL (see :mod:`convolab._jit.spin`).

    The calling thread publishes a round (the function and a shared iterator of
    tasks) under a lock and raises ``cells[0]`` to the round's number with a release
    store; helpers polling that cell join the round (under the same lock, only while
    it is open) and take tasks from the
    iterator like the caller. When the iterator is empty the caller closes the
    round and waits for the helpers that joined, each of which raises its own cell
    (one cache line apart) when it is done. Each wait polls for
    :data:`SPIN_SECONDS`, then sleeps, so an idle process does not keep a core busy.

    A thread that asks for the GIL while another holds it sleeps, and waking it
    costs a scheduler round trip (tens of microseconds on a virtual machine, against
    a few of Python). So a helper reports "done" from compiled code after releasing
    the GIL, as it goes back to polling: the caller, which sees it, then takes the
    GIL at once. (A helper joining a round still waits for the GIL while the caller
    starts its first task: about 35-75 us here, half of it lost, since the caller
    takes the tasks the late helper would have taken.)
    """

    def __init__(self, helpers: int, spin: Any, hz: float) -> None:
        self.helpers = helpers
        self.wait, self.store_then_wait, self.store = spin
        self.budget = int(SPIN_SECONDS * hz)
        self.cells = np.zeros(8 * (helpers + 1), np.int64)
        self.round: _Call | None = None
        self.seq = 0
        self.sleeping = 0
        self.stopped = False
        self.posted = threading.Condition()
        self.join_lock = threading.Lock()
        self.busy = threading.Lock()
        for h in range(helpers):
            threading.Thread(target=self._helper, args=(h,), daemon=True,
                             name=f"convolab-{h}").start()  # fmt: skip

    def _helper(self, h: int) -> None:
        cells, done_at, seen, done = self.cells, 8 * (h + 1), 0, 0
        while True:
            if not self.store_then_wait(cells, done_at, done, _GO, seen + 1, self.budget):
                with self.posted:
                    self.sleeping += 1
                    while cells[_GO] <= seen:
                        self.posted.wait()
                    self.sleeping -= 1
            with self.join_lock:  # the lock orders the round's writes before these reads
                if self.stopped:
                    return
                r = self.round
                seen = r.seq
                joined = not r.closed
                if joined:
                    r.joined.append(h)
            if not joined:
                continue
            r.work()
            done, r = r.seq, None  # reported by store_then_wait; the round's arrays let go

    def _post(self, r: _Call) -> None:
        self.seq = r.seq = self.seq + 1
        with self.join_lock:
            self.round = r
        self.store(self.cells, _GO, r.seq)
        if self.sleeping:
            with self.posted:
                self.posted.notify_all()

    def _close(self, r: _Call) -> None:
        with self.join_lock:
            r.closed = True
        for h in r.joined:
            while not self.wait(self.cells, 8 * (h + 1), r.seq, self.budget):
                time.sleep(1e-4)
        r.fn = r.queue = None  # the closed round stays posted: not its arrays

    def stop(self) -> None:
        with self.join_lock:
            self.stopped = True
        with self.posted:
            self.seq += 1
            self.store(self.cells, _GO, self.seq)
            self.posted.notify_all()


_TEAM: _SpinningTeam | None = None


def _team(workers: int) -> _SpinningTeam | None:
    """The spinning team of ``workers - 1`` helpers; ``None`` unless opted in
    (:func:`spin_enabled`) with a spin-wait available."""
    global _TEAM
    if not spin_enabled():
        return None
    if _TEAM is not None and _TEAM.helpers == workers - 1:
        return _TEAM
    from convolab._jit import spin  # only when opted in: a compiled loop

    if spin.spinner() is None:
        return None
    if _TEAM is not None:
        _TEAM.stop()
    waits = (spin.spinner(), spin.store_then_wait(), spin.store())
    _TEAM = _SpinningTeam(workers - 1, waits, spin.polls_per_second())
    return _TEAM


def _forget_threads() -> None:  # in a forked child the threads are gone
    global _TEAM, _DEFAULT_TEAM
    _TEAM = _DEFAULT_TEAM = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads)


def run_tasks(
    fn: Callable[..., None], tasks: Iterable[tuple], parallel: bool = True, blas: bool = False
) -> None:
    """Call ``fn(*task)`` for every task, sharing them with helper threads when ``parallel``.

    The calling thread works too: it and up to ``n_workers() - 1`` helpers take
    tasks from one queue until it is empty. A helper that has not started by
    then is not waited for, so on a machine whose other cores are busy the call
    costs about what a plain loop costs. The helpers sleep between calls and are
    woken per call (see :class:`_Team`); with ``CONVOLAB_SPIN=1`` (and Numba) they
    poll for work for a couple of milliseconds before they sleep (see
    :class:`_SpinningTeam`).
    ``blas=True`` says the tasks call BLAS: it is then limited to one thread (see
    :func:`blas_single_thread`).

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
        team = _team(n_workers()) or _default_team(n_workers())
        if not team.run(fn, tasks):  # called from inside a task: run here
            for task in tasks:
                fn(*task)


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
