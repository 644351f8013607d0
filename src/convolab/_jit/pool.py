"""Max pooling as one compiled pass: the maximum and where it is, then a scatter back.

The NumPy form of :class:`convolab.nn.functional.pool._MaxPool` makes one strided pass per
window tap forward, and backward one comparison pass per tap to find which tap held
the maximum: for LeNet-5's 2x2 pools 2.3 ms of a 12 ms training step. This loop
reads each window once, keeps the index of its maximum, and backward adds each
gradient at that index: 0.3 ms on the same step (two threads, split by plane). It
needs Numba (``pip install convolab[fast]``), like the engine's compiled loops;
without it the NumPy form runs.

Each plane (one sample, one channel) is flattened after padding, so output ``q``'s
window reads ``x[base_q + off_t]`` with ``base_q = sum_a q_a s_a st_a`` and ``off_t =
sum_a t_a d_a st_a`` (``st`` the plane's row strides), for any number of axes. The
first maximum in row-major tap order wins, and a NaN counts as the maximum (the first
NaN), as in the NumPy form and in PyTorch.
"""

from __future__ import annotations

import functools
from math import prod
from typing import Any

import numpy as np

from convolab._jit import LazyLoops
from convolab.conv.geometry import row_strides
from convolab.runtime.threads import run_blocks
from convolab.runtime.workspace import recycled

__all__ = ["available", "max_pool_backward", "max_pool_forward"]

#: window taps from which the planes are split between threads. A helper woken for the call
#: starts 0.1-0.4 ms later: LeNet-5's second pool (204,800 taps, 0.17 ms on one thread) took
#: a median 0.22-0.42 ms on two against 0.20-0.36 on one (calls 0.5 ms apart); the first
#: (602,112 taps) 0.52-0.57 against 0.68-0.87
_PARALLEL_MIN = 1 << 19
#: input-gradient values from which the backward scatter is split between threads: it runs at
#: ~2.5 values per ns on one thread (LeNet-5's second pool, 204,800 values: 80 us), about
#: what waking a sleeping helper costs, so a call below ~0.2 ms stays on one thread
_BACKWARD_PARALLEL_MIN = 1 << 19


def _build() -> Any:
    from numba import literally, njit

    @njit(nogil=True, cache=True, error_model="numpy")
    def has_nan(x):  # pragma: no cover - compiled
        count = 0
        for i in range(x.shape[0]):
            count += x[i] != x[i]  # an integer sum: vectorized
        return count > 0

    # The indices are unsigned: with signed ones Numba wraps negative indices around, a
    # test per read that kept LLVM from compiling the selects below as selects (3-4x slower:
    # 9 ns an output). Selects, not branches: a random maximum position mispredicts half of
    # the branches. ``nan_rule`` is a compile-time constant (two compiled versions): as a
    # run-time test it costs as much as the rule.
    @njit(nogil=True, cache=True, error_model="numpy")
    def plane_max(x, base, offs, yp, ap, nan_rule):  # pragma: no cover - compiled
        literally(nan_rule)
        for q in range(base.shape[0]):
            b = np.uint64(base[q])
            i_best = b + np.uint64(offs[0])
            best = x[i_best]
            for t in range(1, offs.shape[0]):
                i = b + np.uint64(offs[t])
                v = x[i]
                if nan_rule:
                    take = (v > best) | ((v != v) & (best == best))  # the first NaN wins
                else:
                    take = v > best
                best = v if take else best
                i_best = i if take else i_best
            yp[q] = best
            ap[q] = np.int64(i_best)

    @njit(nogil=True, cache=True, error_model="numpy")
    def forward(xp, base, offs, y, arg, p0, p1):  # pragma: no cover - compiled
        for p in range(p0, p1):
            # the NaN rule costs 3x in the loop: only planes that hold a NaN pay it
            if has_nan(xp[p]):
                plane_max(xp[p], base, offs, y[p], arg[p], True)
            else:
                plane_max(xp[p], base, offs, y[p], arg[p], False)

    @njit(nogil=True, cache=True, error_model="numpy")
    def backward(g, arg, gx, p0, p1):  # pragma: no cover - compiled
        for p in range(p0, p1):
            gp = gx[p]
            gp[:] = 0
            ap = arg[p]
            src = g[p]
            for q in range(ap.shape[0]):
                gp[np.uint64(ap[q])] += src[q]

    return forward, backward


LOOPS = LazyLoops(_build)


def available(dtype: np.dtype) -> bool:
    """Whether the compiled loop serves ``dtype`` (float32 or float64, Numba installed).

    >>> isinstance(available(np.dtype(np.float32)), bool)
    True
    """
    return LOOPS.serves(dtype)


@functools.lru_cache(maxsize=64)
def _windows(
    plane: tuple[int, ...],
    k: tuple[int, ...],
    s: tuple[int, ...],
    d: tuple[int, ...],
    out: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Flat offsets in a plane of shape ``plane``: each output window's first sample
    (``base``) and each tap from there (``offs``)."""
    st = row_strides(plane)
    grids = np.meshgrid(*[np.arange(o) * si * a for o, si, a in zip(out, s, st)], indexing="ij")
    base = sum(grids).ravel().astype(np.int64)
    taps = np.meshgrid(*[np.arange(n) * di * a for n, di, a in zip(k, d, st)], indexing="ij")
    offs = sum(taps).ravel().astype(np.int64)
    return base, offs


def max_pool_forward(
    xp: np.ndarray,
    k: tuple[int, ...],
    s: tuple[int, ...],
    d: tuple[int, ...],
    out: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima of the padded ``xp`` (``(..., *S)``, ``len(k)`` pooled axes) and the
    flat index in its plane of each maximum.

    >>> if available(np.dtype(np.float64)):
    ...     y, arg = max_pool_forward(np.array([[1.0, 3.0, 2.0, 5.0]]), (2,), (2,), (1,), (2,))
    ... else:
    ...     y, arg = np.array([[3.0, 5.0]]), np.array([[1, 3]])
    >>> y, arg
    (array([[3., 5.]]), array([[1, 3]]))
    """
    m = len(k)
    lead, plane = xp.shape[:-m], xp.shape[-m:]
    base, offs = _windows(plane, k, s, d, out)
    x2 = np.ascontiguousarray(xp).reshape(-1, prod(plane))
    y = recycled((x2.shape[0], len(base)), xp.dtype)
    arg = recycled(y.shape, np.dtype(np.int64))
    forward = LOOPS.load()[0]
    run_blocks(lambda a, b: forward(x2, base, offs, y, arg, a, b), x2.shape[0],
               parallel=y.size * len(offs) >= _PARALLEL_MIN, per_worker=2)  # fmt: skip
    return y.reshape(*lead, *out), arg


def max_pool_backward(grad: np.ndarray, arg: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient on the padded input of ``shape``: each ``grad`` value added at its
    window's maximum (``arg`` from :func:`max_pool_forward`).

    >>> if available(np.dtype(np.float64)):
    ...     gx = max_pool_backward(np.array([[10.0, 20.0]]), np.array([[1, 3]]), (1, 4))
    ... else:
    ...     gx = np.array([[0.0, 10.0, 0.0, 20.0]])
    >>> gx
    array([[ 0., 10.,  0., 20.]])
    """
    g2 = np.ascontiguousarray(grad).reshape(arg.shape)
    gx = recycled((arg.shape[0], prod(shape) // arg.shape[0]), grad.dtype)
    backward = LOOPS.load()[1]
    run_blocks(lambda a, b: backward(g2, arg, gx, a, b), arg.shape[0],
               parallel=gx.size >= _BACKWARD_PARALLEL_MIN, per_worker=2)  # fmt: skip
    return gx.reshape(shape)
