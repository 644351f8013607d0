"""A native spin-wait, so that the engine's threads hand work over in microseconds.

A thread blocked on a lock or an event sleeps in the kernel; waking it costs a
scheduler round trip, about 90 us on a virtual machine whose idle cores halt
(measured on the 2-core machine of ``benchmarks/RESULTS.md``), against a few
microseconds of work handed over. A LeNet-5 training step makes about ten
parallel calls, so those wake-ups were a tenth of it. OpenMP runtimes (and so
PyTorch) let idle threads spin for a while before they sleep; this module gives
the engine's pool (:mod:`convolab.conv._parallel`) the same: :func:`wait_at_least`
polls one ``int64`` cell until it reaches a value or a number of CPU cycles has
passed, without the GIL, with an atomic (acquire) load and the ``pause``
instruction between polls.

It needs Numba and an x86-64 processor (``pause`` and the time-stamp counter);
:func:`spinner` returns ``None`` elsewhere, and the pool keeps its blocking
waits.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

import numpy as np

__all__ = ["cycles_per_second", "spinner"]

_SPIN: Any = None  # (wait_at_least, cycles) compiled; False where unavailable
_HZ: float | None = None


def _build() -> Any:
    if os.environ.get("CONVOLAB_NO_NUMBA") or platform.machine().lower() not in (
        "x86_64",
        "amd64",
    ):
        return False
    try:
        from llvmlite import ir
        from numba import njit, types
        from numba.extending import intrinsic
    except Exception:  # not installed, or a Numba that does not load with this NumPy
        return False

    @intrinsic
    def load_acquire(typingctx, arr, index):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            return builder.load_atomic(builder.gep(ary.data, [args[1]]), "acquire", 8)

        return types.int64(arr, index), codegen

    @intrinsic
    def pause(typingctx):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            fn = builder.module.declare_intrinsic(
                "llvm.x86.sse2.pause", fnty=ir.FunctionType(ir.VoidType(), [])
            )
            builder.call(fn, [])
            return context.get_dummy_value()

        return types.void(), codegen

    @intrinsic
    def read_cycles(typingctx):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            fn = builder.module.declare_intrinsic(
                "llvm.readcyclecounter", fnty=ir.FunctionType(ir.IntType(64), [])
            )
            return builder.call(fn, [])

        return types.int64(), codegen

    @intrinsic
    def store_release(typingctx, arr, index, value):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            builder.store_atomic(args[2], builder.gep(ary.data, [args[1]]), "release", 8)
            return context.get_dummy_value()

        return types.void(arr, index, value), codegen

    @njit(nogil=True, cache=True)
    def wait_at_least(cells, index, value, max_cycles):  # pragma: no cover - compiled
        start = read_cycles()
        while load_acquire(cells, index) < value:
            pause()
            if read_cycles() - start > max_cycles:
                return False
        return True

    @njit(nogil=True, cache=True)
    def store_then_wait(cells, at, stored, index, value, max_cycles):  # pragma: no cover
        store_release(cells, at, stored)
        return wait_at_least(cells, index, value, max_cycles)

    @njit(nogil=True, cache=True)
    def cycles():  # pragma: no cover - compiled
        return read_cycles()

    try:  # compiled (or loaded) now, not in a helper thread
        wait_at_least(np.zeros(1, np.int64), 0, 0, 0)
        store_then_wait(np.zeros(1, np.int64), 0, 0, 0, 0, 0)
        cycles()
    except Exception:  # a Numba or LLVM without these intrinsics: the pool's blocking waits
        return False
    return wait_at_least, cycles, store_then_wait


def spinner() -> Any:
    """``wait_at_least(cells, index, value, max_cycles) -> bool``, or ``None`` without it.

    The function releases the GIL and polls ``cells[index]`` (an ``int64`` array)
    until it is ``>= value`` (``True``) or ``max_cycles`` time-stamp-counter
    cycles have passed (``False``).

    >>> import numpy as np
    >>> wait = spinner()
    >>> wait is None or wait(np.array([3], np.int64), 0, 2, 1000)
    True
    """
    global _SPIN
    if _SPIN is None:
        _SPIN = _build()
    return _SPIN[0] if _SPIN else None


def store_then_wait() -> Any:
    """``store_then_wait(cells, at, stored, index, value, max_cycles) -> bool``, or ``None``.

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
    return _SPIN[2] if spinner() is not None else None


def cycles_per_second() -> float:
    """The time-stamp counter's rate, measured once over 20 ms (needs :func:`spinner`).

    >>> spinner() is None or cycles_per_second() > 1e8
    True
    """
    global _HZ
    if _HZ is None:
        if spinner() is None:
            raise RuntimeError("the spin-wait needs Numba on an x86-64 processor")
        cycles = _SPIN[1]
        cycles()  # compiled before timing
        t0, c0 = time.perf_counter(), cycles()
        time.sleep(0.02)
        t1, c1 = time.perf_counter(), cycles()
        _HZ = (c1 - c0) / (t1 - t0)
    return _HZ
