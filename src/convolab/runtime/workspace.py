"""Scratch arrays reused across calls: bounded per thread, and released on request.

The engine's layer paths (im2col columns, padded copies, laid-out kernels) need
scratch memory of the same few sizes call after call. A fresh array costs a page
fault and a kernel-side zeroing per 4 KiB page the first time it is written: for a
LeNet-5 step's 8 MiB of columns that is as long as filling them. So each thread
keeps one buffer per *slot* (``"cols"``, ``"pad"``, ``"kernels"`` ...) and hands out
views of it.

The memory kept is bounded: at most :func:`limit_bytes` per thread in all
(``CONVOLAB_WORKSPACE_MB``, default 64 MiB); a request that would pass the bound gets a
fresh array that is freed with its last view. :func:`release` frees every thread's
buffers (``convolab.train.fit`` calls it when training ends), and a thread's buffers go
with the thread.
"""

from __future__ import annotations

import os
import threading
import weakref
from math import prod

import numpy as np

__all__ = ["held_bytes", "limit_bytes", "release", "scratch", "zeros"]

_MIN_BYTES = 1 << 20  # buffers are made at least this large, so small requests share one


class _Buffers:
    """One thread's buffers by slot."""

    __slots__ = ("by_slot", "__weakref__")

    def __init__(self) -> None:
        self.by_slot: dict[str, np.ndarray] = {}

    def nbytes(self) -> int:
        return sum(b.nbytes for b in self.by_slot.values())


_LOCAL = threading.local()
_EVERY: weakref.WeakSet[_Buffers] = weakref.WeakSet()  # all threads' buffers, for release()
_EVERY_LOCK = threading.Lock()


def limit_bytes() -> int:
    """Bytes of scratch memory each thread may keep: ``CONVOLAB_WORKSPACE_MB`` MiB (default 64).

    >>> limit_bytes() >= 0
    True
    """
    value = os.environ.get("CONVOLAB_WORKSPACE_MB", "64")
    try:
        mib = float(value)
    except ValueError:
        raise ValueError(f"CONVOLAB_WORKSPACE_MB={value!r}: expected a number of MiB") from None
    if not mib >= 0:
        raise ValueError(f"CONVOLAB_WORKSPACE_MB={value!r}: expected a number of MiB >= 0")
    return int(mib * (1 << 20))


def _mine() -> _Buffers:
    bufs = getattr(_LOCAL, "bufs", None)
    if bufs is None:
        bufs = _LOCAL.bufs = _Buffers()
        with _EVERY_LOCK:
            _EVERY.add(bufs)
    return bufs


def scratch(shape: tuple[int, ...], dtype: np.dtype, slot: str = "cols") -> np.ndarray:
    """An uninitialized array of ``shape`` and ``dtype``: a view of this thread's ``slot``
    buffer, valid until the next request for the same slot in this thread.

    >>> a = scratch((2, 3), np.float32, "doctest")
    >>> a.shape, a.dtype.name
    ((2, 3), 'float32')
    """
    nbytes = prod(shape) * np.dtype(dtype).itemsize  # Python ints: np.prod costs 8 us
    bufs = _mine()
    buf = bufs.by_slot.get(slot)
    if buf is None or buf.nbytes < nbytes:
        size = max(nbytes, _MIN_BYTES)
        others = bufs.nbytes() - (buf.nbytes if buf is not None else 0)
        if others + size > limit_bytes():
            return np.empty(shape, dtype=dtype)
        buf = bufs.by_slot[slot] = np.empty(size, dtype=np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


def zeros(shape: tuple[int, ...], dtype: np.dtype, slot: str) -> np.ndarray:
    """:func:`scratch`, filled with zeros.

    >>> zeros((3,), np.float64, "doctest").tolist()
    [0.0, 0.0, 0.0]
    """
    a = scratch(shape, dtype, slot)
    a.fill(0)
    return a


def held_bytes() -> int:
    """Bytes of scratch memory all threads keep now.

    >>> held_bytes() >= 0
    True
    """
    with _EVERY_LOCK:
        return sum(b.nbytes() for b in _EVERY)


def release() -> int:
    """Free every thread's buffers (views handed out stay valid); returns the bytes freed.

    >>> _ = scratch((1000,), np.float64, "doctest")
    >>> release() > 0, held_bytes()
    (True, 0)
    """
    with _EVERY_LOCK:
        every = list(_EVERY)
    freed = 0
    for bufs in every:
        freed += bufs.nbytes()
        bufs.by_slot = {}
    return freed
