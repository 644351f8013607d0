"""Adam's update of one parameter as one compiled pass, instead of thirteen NumPy calls.

For each element, with ``c1 = lr / (1 - b1^t)`` and ``c2 = sqrt(1 - b2^t)``:

.. math::

    m \\leftarrow b_1 m + (1 - b_1) g, \\quad v \\leftarrow b_2 v + (1 - b_2) g^2,
    \\quad p \\leftarrow p - c_1 \\frac{m}{\\sqrt{v} / c_2 + \\epsilon}

in the parameter's own dtype, operation by operation as the NumPy form of
:class:`convolab.nn.optim.Adam` rounds them (no fused multiply-adds), so both
give the same bits. LeNet-5's ten parameters (61,706 values) took 0.25 ms per
step as NumPy calls, most of it the calls themselves. It needs Numba
(``pip install convolab[fast]``); without it the NumPy form runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab._jit import LazyLoops

__all__ = ["adam_update", "available"]


def _build() -> Any:
    from numba import njit

    @njit(nogil=True, cache=True, error_model="numpy")
    def adam(p, g, m, v, b1, one_b1, b2, one_b2, step, c2, eps):  # pragma: no cover
        for i in range(p.shape[0]):
            gi = g[i]
            mi = m[i] * b1
            mi += one_b1 * gi
            vi = v[i] * b2
            vi += one_b2 * (gi * gi)
            m[i] = mi
            v[i] = vi
            denom = np.sqrt(vi) / c2
            denom += eps
            p[i] -= step * (mi / denom)

    return adam


LOOPS = LazyLoops(_build)


def available(*arrays: np.ndarray) -> bool:
    """Whether the compiled pass serves these arrays: one float dtype, all contiguous.

    >>> isinstance(available(np.zeros(3, np.float32)), bool)
    True
    """
    dtype = arrays[0].dtype
    if dtype not in (np.float32, np.float64):
        return False
    if any(a.dtype != dtype or not a.flags.c_contiguous for a in arrays):
        return False
    return LOOPS.get() is not None


def adam_update(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    betas: tuple[float, float],
    step_size: float,
    c2: float,
    eps: float,
) -> None:
    """Update ``p``, ``m`` and ``v`` in place (see the module's formula; ``step_size = c1``).

    >>> p, g = np.array([1.0, -1.0]), np.array([3.0, -0.5])
    >>> m, v = np.zeros(2), np.zeros(2)
    >>> if available(p, g, m, v):
    ...     adam_update(p, g, m, v, (0.9, 0.999), 0.1 / (1 - 0.9), np.sqrt(1 - 0.999), 1e-8)
    ... else:
    ...     p -= 0.1 * np.sign(g)
    >>> np.round(p, 6)  # the first step moves each weight by lr
    array([ 0.9, -0.9])
    """
    t = p.dtype.type
    b1, b2 = betas
    adam = LOOPS.load()
    adam(p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1), t(b1), t(1 - b1),
         t(b2), t(1 - b2), t(step_size), t(c2), t(eps))  # fmt: skip
