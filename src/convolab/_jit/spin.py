"""A native spin-wait, so that the engine's threads can hand work over in microseconds.

A thread blocked on a lock or an event sleeps in the kernel; waking it costs a
scheduler round trip, about 90 us on a virtual machine whose idle cores halt
(measured on the 2-core machine of ``benchmarks/RESULTS.md``), against a few
microseconds of work handed over. OpenMP runtimes (and so PyTorch) let idle
threads spin for a while before they sleep; this module gives the engine's opt-in
spinning team (:mod:`convolab.runtime.threads`, ``CONVOLAB_SPIN=1``) the same:
:func:`spinner`'s function polls one ``int64`` cell until it reaches a value or a
number of polls has passed, without the GIL, with an atomic (acquire) load and the
processor's spin hint between polls (``pause`` on x86-64, ``yield`` on AArch64,
none elsewhere). Publication goes through release stores (:func:`store`), so it
does not rely on the GIL to order memory.

It needs Numba; :func:`spinner` returns ``None`` without it, and the team is not
used.
"""

from __future__ import annotations

import platform
import time
from typing import Any

import numpy as np

from convolab._jit import LazyLoops

__all__ = ["polls_per_second", "spinner", "store", "store_then_wait"]

_HZ: float | None = None  # polls per second


def _pause_intrinsic() -> tuple[str, list[int]] | None:
    """The LLVM intrinsic (and arguments) that tells this processor a thread is spinning."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64", "i686", "x86"):
        return "llvm.x86.sse2.pause", []
    if machine in ("aarch64", "arm64"):
        return "llvm.aarch64.hint", [1]  # YIELD
    return None  # other processors: a plain poll loop


def _build() -> Any:
    try:
        from llvmlite import ir
        from numba import njit, types
        from numba.extending import intrinsic
    except Exception:  # not installed, or a Numba that does not load with this NumPy
        return False
    hint = _pause_intrinsic()

    @intrinsic
    def load_acquire(typingctx, arr, index):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            return builder.load_atomic(builder.gep(ary.data, [args[1]]), "acquire", 8)

        return types.int64(arr, index), codegen

    @intrinsic
    def pause(typingctx):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            if hint is not None:
                name, consts = hint
                i32 = ir.IntType(32)
                fnty = ir.FunctionType(ir.VoidType(), [i32] * len(consts))
                fn = builder.module.declare_intrinsic(name, fnty=fnty)
                builder.call(fn, [ir.Constant(i32, c) for c in consts])
            return context.get_dummy_value()

        return types.void(), codegen

    @intrinsic
    def store_release(typingctx, arr, index, value):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            builder.store_atomic(args[2], builder.gep(ary.data, [args[1]]), "release", 8)
            return context.get_dummy_value()

        return types.void(arr, index, value), codegen

    @njit(nogil=True, cache=True)
    def wait_at_least(cells, index, value, max_polls):  # pragma: no cover - compiled
        for _ in range(max_polls):
            if load_acquire(cells, index) >= value:
                return True
            pause()
        return load_acquire(cells, index) >= value

    @njit(nogil=True, cache=True)
    def store_then_wait(cells, at, stored, index, value, max_polls):  # pragma: no cover
        store_release(cells, at, stored)
        return wait_at_least(cells, index, value, max_polls)

    @njit(nogil=True, cache=True)
    def store(cells, at, stored):  # pragma: no cover - compiled
        store_release(cells, at, stored)

    try:  # compiled (or loaded) now, not in a helper thread
        wait_at_least(np.zeros(1, np.int64), 0, 0, 0)
        store_then_wait(np.zeros(1, np.int64), 0, 0, 0, 0, 0)
        store(np.zeros(1, np.int64), 0, 0)
    except Exception:  # a Numba or LLVM without these intrinsics: the pool's blocking waits
        return False
    return wait_at_least, store_then_wait, store


LOOPS = LazyLoops(_build)


def spinner() -> Any:
    """``wait_at_least(cells, index, value, max_polls) -> bool``, or ``None`` without it.

    The function releases the GIL and polls ``cells[index]`` (an ``int64`` array)
    until it is ``>= value`` (``True``) or it has polled ``max_polls`` times
    (``False``). Loads the spin-wait where it is not loaded yet.

    >>> import numpy as np
    >>> wait = spinner()
    >>> wait is None or wait(np.array([3], np.int64), 0, 2, 1000)
    True
    """
    loops = LOOPS.load()
    return loops[0] if loops else None


def store_then_wait() -> Any:
    """``store_then_wait(cells, at, stored, index, value, max_polls) -> bool``, or ``None``.

    Releases the GIL, then stores ``cells[at] = stored`` (a release store) and
    waits as :func:`spinner`'s function does. A thread that signals "done" this
    way holds no GIL when the waiting thread sees the signal, so that thread takes
    the GIL at once instead of sleeping until it is free.

    >>> import numpy as np
    >>> f, cells = store_then_wait(), np.zeros(2, np.int64)
    >>> f is None or f(cells, 1, 5, 1, 5, 1000)
    True
    >>> int(cells[1]) if f is not None else 5
    5
    """
    loops = LOOPS.load()
    return loops[1] if loops else None


def store() -> Any:
    """``store(cells, at, value)``: a release store, which publishes every write before it
    to a thread that sees the value with an acquire load; ``None`` without the spin-wait.

    >>> import numpy as np
    >>> f, cells = store(), np.zeros(1, np.int64)
    >>> _ = f is None or f(cells, 0, 7)
    >>> int(cells[0]) if f is not None else 7
    7
    """
    loops = LOOPS.load()
    return loops[2] if loops else None


def polls_per_second() -> float:
    """How many polls of an unchanging cell take one second, measured once (needs :func:`spinner`).

    >>> spinner() is None or polls_per_second() > 1e5
    True
    """
    global _HZ
    if _HZ is None:
        wait = spinner()
        if wait is None:
            raise RuntimeError("the spin-wait needs Numba")
        cells = np.zeros(1, np.int64)
        polls = 1 << 16
        t0 = time.perf_counter()
        while True:
            wait(cells, 0, 1, polls)
            elapsed = time.perf_counter() - t0
            if elapsed > 0.005:
                break
            polls *= 4
            t0 = time.perf_counter()
        _HZ = polls / elapsed
    return _HZ
