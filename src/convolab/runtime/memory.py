"""The C allocator's setting for training loops: opt-in, never a default.

A training step frees and allocates the same few-megabyte arrays every step. By
default glibc serves large ones from fresh pages and returns the top of its heap to
the system after each step, so every step pays a page fault per 4 KiB of the arrays
it makes again: on LeNet-5 (batch 128) 2,800 faults, 3 of 14.5 ms (measured on the
2-core machine of ``benchmarks/RESULTS.md``). ``mallopt(M_MMAP_THRESHOLD, 64 MiB)``
(which also stops glibc from moving that threshold by itself) drops the faults to 2
per step; the process then keeps up to what one step needs after training.

That is a setting of the whole process (every library in it allocates through the
same heap), so convolab never makes it by itself: call :func:`keep_freed_memory`
in a process you own, or set ``CONVOLAB_KEEP_MEMORY=1`` to let
:func:`convolab.train.fit` call it. The layers' large outputs and gradients no longer
need it: they reuse their own freed memory (:func:`convolab.runtime.workspace.recycled`),
which leaves the allocator alone.
"""

from __future__ import annotations

import sys

from convolab.runtime import env_flag

__all__ = ["keep_freed_memory", "opted_in"]

_KEPT: bool | None = None  # whether keep_freed_memory() took effect (None: not tried)
_MMAP_THRESHOLD = -3  # glibc's mallopt parameter M_MMAP_THRESHOLD
_KEPT_BYTES = 64 << 20


def opted_in() -> bool:
    """Whether ``CONVOLAB_KEEP_MEMORY=1`` asks training to keep freed memory.

    >>> isinstance(opted_in(), bool)
    True
    """
    return env_flag("CONVOLAB_KEEP_MEMORY")


def keep_freed_memory() -> bool:
    """Ask glibc to reuse freed memory for arrays below 64 MiB, for the whole process.

    Returns whether the setting took effect (``False`` off glibc). See the module's
    text for what it changes and why it is not a default.

    >>> isinstance(keep_freed_memory(), bool)
    True
    """
    global _KEPT
    if _KEPT is None:
        _KEPT = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL("libc.so.6")
                _KEPT = bool(libc.mallopt(_MMAP_THRESHOLD, _KEPT_BYTES))
            except (OSError, AttributeError):  # not glibc
                pass
    return _KEPT
