"""The compiled loop for a short kernel over a long 1D signal.

:func:`numpy.correlate` runs that case in one pass over memory on one core, as
fast as a copy (10**6 float64 samples, 3 taps: 0.55 ms against 0.55 ms for
``x.copy()``). Nothing built from NumPy calls beats it: blocks of in-place
ufuncs take 1.2-2.3 ms, and two threads cannot share it because
``numpy.correlate`` has no ``out=`` (each thread's result must be copied). The
second core adds memory bandwidth (two threads copy the same 8 MB in 0.33 ms),
so the loop writes its share of the output in place from each thread: 0.50-0.54
ms through :func:`convolab.correlate` against 0.59-0.61 ms for
:func:`numpy.correlate` (waking the second thread costs about 0.08 ms). It
needs `Numba <https://numba.pydata.org>`_ (``pip install convolab[fast]``);
without it the engine keeps :func:`numpy.correlate`.

.. math:: y[a] = \\sum_{j=0}^{K-1} k[j]\\, x[a + j], \\qquad a_0 \\le a < a_1

The outputs go in blocks of :data:`_BLOCK`: a block accumulates tap after tap
in a local buffer (which the compiler knows aliases nothing, so each pass over
the block is vectorized), then is stored; three taps, the commonest short
kernel (differences, the articles' shifts), get a single-pass loop. On one
core, 10**6 float64 samples: 0.55 / 0.85 / 1.48 ms for 3 / 5 / 11 taps against
0.55 / 0.93 / 2.02 ms for :func:`numpy.correlate` (blocks of 1024 or 2048 were
10-20% slower). The loops keep IEEE semantics (no fast-math: NaN and inf
propagate as in NumPy). They compile once per dtype (about 0.4 s) and are
cached on disk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab._jit import LazyLoops

__all__ = ["available", "correlate_valid_into", "ready"]

_BLOCK = 256  # outputs per block


def _build() -> Any:
    try:
        from numba import njit
    except Exception:  # not installed, or a Numba that does not load with this NumPy
        return False

    @njit(nogil=True, cache=True, error_model="numpy")
    def correlate_valid(x, k, y, a0, a1):  # pragma: no cover - compiled
        if k.shape[0] == 3:  # the commonest short kernel: one pass, taps in registers
            k0, k1, k2 = k[0], k[1], k[2]
            x0, x1, x2, out = x[a0:a1], x[a0 + 1 : a1 + 1], x[a0 + 2 : a1 + 2], y[a0:a1]
            for i in range(a1 - a0):
                out[i] = x0[i] * k0 + x1[i] * k1 + x2[i] * k2
            return
        acc = np.empty(_BLOCK, dtype=y.dtype)
        for b0 in range(a0, a1, _BLOCK):
            m = min(_BLOCK, a1 - b0)
            w = k[0]
            xs = x[b0 : b0 + m]
            for i in range(m):
                acc[i] = xs[i] * w
            for j in range(1, k.shape[0]):
                w = k[j]
                xs = x[b0 + j : b0 + j + m]
                for i in range(m):
                    acc[i] += xs[i] * w
            out = y[b0 : b0 + m]
            for i in range(m):
                out[i] = acc[i]

    for dtype in (np.float64, np.float32):  # loaded from the cache now, not on first call
        correlate_valid(np.zeros(4, dtype), np.zeros(3, dtype), np.zeros(2, dtype), 0, 2)
    return correlate_valid


LOOPS = LazyLoops(_build, optional=True)  # numpy.correlate is nearly as fast


def available() -> bool:
    """Whether the compiled loop can serve here (Numba installed, not switched off).

    Cheap: it neither imports Numba nor loads the loop (see :func:`ready`).

    >>> isinstance(available(), bool)
    True
    """
    return LOOPS.possible()


def ready() -> bool:
    """Whether the loop serves now: loaded already (or, under ``CONVOLAB_JIT=eager``, loaded
    by this first ask; see :mod:`convolab._jit`).

    >>> isinstance(ready(), bool)
    True
    """
    return LOOPS.get() is not None


def correlate_valid_into(
    x: np.ndarray, k: np.ndarray, y: np.ndarray, a0: int, a1: int
) -> None:
    """Write ``y[a] = sum_j k[j] x[a + j]`` for ``a0 <= a < a1`` (no conjugation).

    ``x``, ``k`` and ``y`` are 1D, C-contiguous, of one real floating dtype, and
    ``x`` holds at least ``a1 + len(k) - 1`` samples. Releases the GIL. Loads the
    loop first where it is not loaded yet.

    >>> x = np.arange(6.0)
    >>> y = np.zeros(4)
    >>> if available():
    ...     correlate_valid_into(x, np.array([1.0, 10.0, 100.0]), y, 1, 4)
    ... else:
    ...     y[1:] = np.correlate(x, [1.0, 10.0, 100.0], "valid")[1:]
    >>> y
    array([  0., 321., 432., 543.])
    """
    kernel = LOOPS.load()
    if kernel is None:
        raise RuntimeError("the compiled 1D loop needs Numba: pip install convolab[fast]")
    kernel(x, k, y, a0, a1)
