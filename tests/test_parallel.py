"""The engine's threads: every task runs once, errors reach the caller, helpers take part."""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np
import pytest

from convolab._jit import spin as _spin
from convolab.runtime import threads as _parallel

HAVE_SPIN = _spin.spinner() is not None


@pytest.fixture(params=["pool", "spin"])
def two_workers(request, monkeypatch):
    """Two workers even on a one-core machine, and a fresh team afterwards."""
    monkeypatch.setenv("CONVOLAB_NUM_THREADS", "2")
    if request.param == "spin" and not HAVE_SPIN:
        pytest.skip("the spinning team needs Numba")
    monkeypatch.setenv("CONVOLAB_SPIN", "1" if request.param == "spin" else "0")
    yield
    if _parallel._TEAM is not None:
        _parallel._TEAM.stop()
    _parallel._TEAM = None


@pytest.fixture
def spinning(monkeypatch):
    """The spinning team opted in, with two workers; a fresh team afterwards."""
    if not HAVE_SPIN:
        pytest.skip("the spinning team needs Numba")
    monkeypatch.setenv("CONVOLAB_NUM_THREADS", "2")
    monkeypatch.setenv("CONVOLAB_SPIN", "1")
    yield
    if _parallel._TEAM is not None:
        _parallel._TEAM.stop()
    _parallel._TEAM = None


def _slow_tasks(n, seconds=0.003):
    """Tasks that sleep (releasing the GIL), so that a waiting helper gets some of them."""
    done = []

    def task(i):
        time.sleep(seconds)
        done.append((i, threading.get_ident()))

    return task, [(i,) for i in range(n)], done


def test_every_task_runs_once_over_many_rounds(two_workers):
    counts = np.zeros(64, np.int64)
    lock = threading.Lock()

    def task(a, b):
        with lock:
            counts[a:b] += 1

    for blocks in range(1, 65):
        _parallel.run_blocks(task, blocks, parallel=True)
    expected = np.array([64 - i for i in range(64)])  # block i is in the calls with blocks > i
    np.testing.assert_array_equal(counts, expected)


def test_helpers_take_part(two_workers):
    task, tasks, done = _slow_tasks(20)
    _parallel.run_tasks(task, tasks)
    assert sorted(i for i, _ in done) == list(range(20))
    assert len({t for _, t in done}) == 2  # the caller and one helper


def test_helpers_keep_nothing_of_a_finished_call(two_workers):
    """A helper let go of the last call only at the next one: the caller's result (which
    the call's function writes) stayed alive, so its memory could not be reused."""
    import weakref

    class Result:  # stands for the array the tasks write
        pass

    result = Result()
    task, tasks, done = _slow_tasks(20)
    _parallel.run_tasks(lambda i, r=result: task(i), tasks)
    assert len({t for _, t in done}) == 2  # a helper ran some of the tasks
    gone = weakref.ref(result)
    del result
    deadline = time.monotonic() + 2.0  # a helper lets go just after the caller returns
    while gone() is not None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert gone() is None


def test_an_error_in_any_task_reaches_the_caller(two_workers):
    def task(i):
        time.sleep(0.001)
        if i == 5:
            raise ZeroDivisionError(f"task {i}")

    for _ in range(3):  # wherever it runs, and the team still works afterwards
        with pytest.raises(ZeroDivisionError, match="task 5"):
            _parallel.run_tasks(task, [(i,) for i in range(10)])
    out = []
    _parallel.run_tasks(lambda i: out.append(i), [(i,) for i in range(10)])
    assert sorted(out) == list(range(10))


def test_nested_calls_run_inside_the_task(two_workers):
    seen = []
    lock = threading.Lock()

    def inner(i, j):
        with lock:
            seen.append((i, j))

    def outer(i):
        time.sleep(0.001)
        _parallel.run_tasks(inner, [(i, j) for j in range(3)])

    _parallel.run_tasks(outer, [(i,) for i in range(6)])
    assert sorted(seen) == [(i, j) for i in range(6) for j in range(3)]


def test_sleeping_helpers_are_woken(spinning, monkeypatch):
    """With no time to spin, helpers sleep between calls and must still be woken."""
    monkeypatch.setattr(_parallel, "SPIN_SECONDS", 0.0)
    _parallel._TEAM = None
    team = _parallel._team(2)
    assert team.budget == 0
    for _ in range(5):
        task, tasks, done = _slow_tasks(8)
        _parallel.run_tasks(task, tasks)
        assert sorted(i for i, _ in done) == list(range(8))
    assert len({t for _, t in done}) == 2


def test_stopped_helpers_exit(spinning):
    team = _parallel._team(2)
    helpers = [t for t in threading.enumerate() if t.name.startswith("convolab-")]
    team.stop()
    for t in helpers:
        t.join(timeout=5)
    assert not any(t.is_alive() for t in helpers)
    _parallel._TEAM = None


def test_no_thread_polls_unless_opted_in(monkeypatch):
    """By default the helpers are a pool that blocks between calls: no spinning team."""
    monkeypatch.setenv("CONVOLAB_NUM_THREADS", "2")
    monkeypatch.delenv("CONVOLAB_SPIN", raising=False)
    _parallel._TEAM = None
    task, tasks, done = _slow_tasks(8)
    _parallel.run_tasks(task, tasks)
    assert sorted(i for i, _ in done) == list(range(8))
    assert _parallel._TEAM is None
    monkeypatch.setenv("CONVOLAB_SPIN", "yes")
    with pytest.raises(ValueError, match="CONVOLAB_SPIN='yes': expected 0 or 1"):
        _parallel.run_tasks(task, tasks)


def test_thread_pool_without_the_spin_wait(two_workers, monkeypatch):
    monkeypatch.setattr(_spin, "spinner", lambda: None)
    _parallel._TEAM = None
    task, tasks, done = _slow_tasks(20)
    _parallel.run_tasks(task, tasks)
    assert _parallel._TEAM is None
    assert sorted(i for i, _ in done) == list(range(20))
    assert len({t for _, t in done}) == 2


@pytest.mark.skipif(not HAVE_SPIN, reason="needs Numba")
def test_spin_wait_sees_a_store_from_another_thread():
    wait = _spin.spinner()
    cells = np.zeros(8, np.int64)
    assert not wait(cells, 3, 1, 10_000)  # times out
    hz = _spin.polls_per_second()
    timer = threading.Timer(0.01, lambda: cells.__setitem__(3, 7))
    timer.start()
    t0 = time.perf_counter()
    assert wait(cells, 3, 7, int(5 * hz))
    assert time.perf_counter() - t0 < 4
    timer.join()


def _cpu_seconds(native_id: int) -> float:
    """CPU time (user + system) of one thread of this process, from /proc (Linux)."""
    with open(f"/proc/self/task/{native_id}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_the_default_helpers_sleep_between_calls(monkeypatch):
    """Idle helpers of the default team use no CPU (a polling helper would use a core)."""
    monkeypatch.setenv("CONVOLAB_NUM_THREADS", "2")
    monkeypatch.delenv("CONVOLAB_SPIN", raising=False)
    task, tasks, done = _slow_tasks(8)
    _parallel.run_tasks(task, tasks)
    helpers = [t for t in threading.enumerate() if t.name.startswith("convolab_")]
    assert helpers and len({t for _, t in done}) == 2
    before = [_cpu_seconds(t.native_id) for t in helpers]
    time.sleep(0.5)
    after = [_cpu_seconds(t.native_id) for t in helpers]
    assert max(b - a for a, b in zip(before, after)) < 0.1


def test_the_default_team_follows_the_thread_count(monkeypatch):
    monkeypatch.delenv("CONVOLAB_SPIN", raising=False)
    for workers in (3, 2, 3):
        monkeypatch.setenv("CONVOLAB_NUM_THREADS", str(workers))
        task, tasks, done = _slow_tasks(24, seconds=0.005)
        _parallel.run_tasks(task, tasks)
        assert sorted(i for i, _ in done) == list(range(24))
        assert 2 <= len({t for _, t in done}) <= workers
        assert _parallel._DEFAULT_TEAM.helpers == workers - 1
    old = [t for t in threading.enumerate() if t.name.startswith("convolab_")]
    _parallel._DEFAULT_TEAM.stop()
    _parallel._DEFAULT_TEAM = None
    for t in old:
        t.join(timeout=5)
    assert not any(t.is_alive() for t in old)
