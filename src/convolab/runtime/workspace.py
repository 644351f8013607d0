"""Scratch arrays reused across calls, and the memory of freed arrays reused: bounded,
and released on request.

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

Arrays a layer returns (its output, a gradient) and the engine's results outlive the call,
so they cannot be scratch; but a training step makes the same few-megabyte arrays again at
every step (and a program filtering image after image the same result array), and glibc
gives the top of its heap back to the system after each step, so each of them costs a page
fault per 4 KiB page again (LeNet-5, batch 128: ~3,000 faults a step).
:func:`recycled` serves such arrays from blocks of memory that earlier arrays of the same
size left when they died (the block goes back to a free list when the array and every view
of it are gone), without changing the allocator of the process. The free blocks kept are
bounded by the same :func:`limit_bytes` (for the whole process), plus the one block last
freed that did not fit under that bound (at most an eighth of the machine's memory): a
program filtering image after image of one size gets each result without fresh pages (a
4096² RGB float32 blur: 201 MB, 49,000 page faults, 11 ms of a 46 ms call). All of it is
freed by :func:`release`; ``CONVOLAB_WORKSPACE_MB=0`` keeps nothing.
"""

from __future__ import annotations

import os
import threading
import weakref
from math import prod
from typing import Any

import numpy as np

try:
    import ctypes
except ImportError:  # pragma: no cover - a Python built without ctypes: no recycling
    ctypes = None  # type: ignore[assignment]

__all__ = ["held_bytes", "limit_bytes", "recycled", "recycled_bytes", "release", "scratch", "zeros"]

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


#: arrays from this size on are recycled (below it, glibc reuses freed memory by itself)
RECYCLE_MIN_BYTES = 1 << 18
_PAGE = 4096


class _Recycler:
    """Blocks of memory that died arrays left, by size, for :func:`recycled`."""

    def __init__(self) -> None:
        # re-entrant: an allocation under the lock can run the garbage collector, whose
        # freed arrays give their blocks back from the same thread
        self.lock = threading.RLock()
        self.free: dict[int, list[np.ndarray]] = {}  # blocks by size, last freed last
        self.free_bytes = 0
        self.large: np.ndarray | None = None  # the last block freed that did not fit
        self.live: dict[int, tuple[weakref.ref, np.ndarray]] = {}  # blocks in use, by ref id
        self.types: dict[int, Any] = {}  # ctypes array type by size

    def take(self, size: int) -> np.ndarray:
        with self.lock:
            blocks = self.free.get(size)
            if blocks:
                self.free_bytes -= size
                return blocks.pop()
            if self.large is not None and self.large.nbytes == size:
                block, self.large = self.large, None
                return block
        return np.empty(size, dtype=np.uint8)

    def lend(self, block: np.ndarray) -> Any:
        """An object exporting ``block``'s memory whose death gives ``block`` back."""
        size = block.nbytes
        kind = self.types.get(size)
        if kind is None:
            if len(self.types) >= 256:  # many sizes seen: start the cache again
                self.types.clear()
            kind = self.types[size] = ctypes.c_char * size
        owner = kind.from_buffer(block)
        ref = weakref.ref(owner, self.give_back)
        self.live[id(ref)] = (ref, block)
        return owner

    def give_back(self, ref: weakref.ref) -> None:
        _, block = self.live.pop(id(ref))
        size, limit, new_list = block.nbytes, limit_bytes(), []  # nothing made under the lock
        with self.lock:
            if self.free_bytes + size <= limit:
                self.free.setdefault(size, new_list).append(block)
                self.free_bytes += size
            elif limit > 0 and size <= max(limit, _large_bound()):
                self.large = block  # the one before it, if any, is freed

    def clear(self) -> int:
        with self.lock:
            freed, self.free, self.free_bytes = self.free_bytes, {}, 0
            if self.large is not None:
                freed, self.large = freed + self.large.nbytes, None
        return freed

    def held(self) -> int:
        return self.free_bytes + (0 if self.large is None else self.large.nbytes)


def _large_bound() -> int:
    """The largest freed block kept above :func:`limit_bytes`: an eighth of the memory."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 8
    except (AttributeError, OSError, ValueError):  # not a POSIX system
        return 0


_RECYCLER = _Recycler()


def _new_lock_in_child() -> None:  # a fork can copy the lock while another thread holds it
    _RECYCLER.lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def recycled(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialized array of ``shape`` and ``dtype`` that the caller may keep, in memory
    that an earlier array of the same size left (no fresh pages, so no page faults).

    Small arrays (below :data:`RECYCLE_MIN_BYTES`) and arrays of Python objects are plain
    ``np.empty`` arrays. The memory goes back to a free list when the array and every view
    of it are gone; the free list keeps at most :func:`limit_bytes` for the whole process.

    >>> a = recycled((512, 256), np.float32)
    >>> a.shape, a.dtype.name, a.flags.c_contiguous, a.flags.writeable
    ((512, 256), 'float32', True, True)
    """
    dtype = np.dtype(dtype)
    count = prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes < RECYCLE_MIN_BYTES or ctypes is None or dtype.hasobject:
        return np.empty(shape, dtype=dtype)
    block = _RECYCLER.take(-(-nbytes // _PAGE) * _PAGE)
    return np.frombuffer(_RECYCLER.lend(block), dtype=dtype, count=count).reshape(shape)


def held_bytes() -> int:
    """Bytes of scratch memory all threads keep now.

    >>> held_bytes() >= 0
    True
    """
    with _EVERY_LOCK:
        return sum(b.nbytes() for b in _EVERY)


def recycled_bytes() -> int:
    """Bytes of freed arrays' memory kept now for :func:`recycled`.

    >>> recycled_bytes() >= 0
    True
    """
    return _RECYCLER.held()


def release() -> int:
    """Free every thread's buffers (views handed out stay valid) and the memory kept for
    :func:`recycled`; returns the bytes freed.

    >>> _ = scratch((1000,), np.float64, "doctest")
    >>> release() > 0, held_bytes()
    (True, 0)
    """
    with _EVERY_LOCK:
        every = list(_EVERY)
    freed = _RECYCLER.clear()
    for bufs in every:
        freed += bufs.nbytes()
        bufs.by_slot = {}
    return freed
