"""ReLU's backward pass as one compiled pass: ``dx = g * [y > 0]``.

NumPy needs two (the mask, then the product), each over the whole map: on
LeNet-5's C1 maps (128 x 6 x 28 x 28) 0.42 ms of a 9 ms training step. The loop
multiplies by the 0/1 mask as the NumPy form does, so a NaN gradient stays NaN
where the unit is off, bit for bit the same. It needs Numba
(``pip install convolab[fast]``); without it the NumPy form runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab._jit import LazyLoops
from convolab.runtime.workspace import recycled

__all__ = ["available", "relu_backward"]

MIN_SIZE = 1 << 14  # smaller maps stay with NumPy (a compiled call costs a few us)


def _build() -> Any:
    from numba import njit

    @njit(nogil=True, cache=True, error_model="numpy")
    def relu_backward(g, y, dx):  # pragma: no cover - compiled
        for i in range(g.shape[0]):
            dx[i] = g[i] * (1 if y[i] > 0 else 0)

    return relu_backward


LOOPS = LazyLoops(_build)


def available(g: np.ndarray, y: np.ndarray) -> bool:
    """Whether the compiled pass serves ``g`` and ``y``: one float dtype, contiguous, large.

    >>> isinstance(available(np.zeros(3), np.zeros(3)), bool)
    True
    """
    if g.size < MIN_SIZE or g.dtype != y.dtype or g.dtype not in (np.float32, np.float64):
        return False
    if not (g.flags.c_contiguous and y.flags.c_contiguous):
        return False
    return LOOPS.get() is not None


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``g * (y > 0)`` in one pass (a new array of ``g``'s shape and dtype).

    >>> g, y = np.ones(4), np.array([1.0, 0.0, -2.0, 3.0])
    >>> relu_backward(g, y) if LOOPS.possible() else g * (y > 0)
    array([1., 0., 0., 1.])
    """
    dx = recycled(g.shape, g.dtype)
    LOOPS.load()(g.reshape(-1), y.reshape(-1), dx.reshape(-1))
    return dx
