"""Batch normalization in two compiled passes each way, instead of six NumPy passes.

Per channel ``c`` of ``x`` viewed as ``(N, C, L)`` (``M = N L`` values), training mode:

.. math::

    \\mu_c = \\frac{1}{M} \\sum x, \\quad \\sigma^2_c = \\frac{1}{M} \\sum (x - \\mu_c)^2,
    \\quad y = a_c x + b_c, \\quad a_c = \\frac{w_c}{\\sqrt{\\sigma^2_c + \\epsilon}},
    \\quad b_c = \\beta_c - a_c \\mu_c

and backward, with ``g`` the output gradient, ``S_c = sum g`` and
``P_c = sum g (x - mu_c)``: ``dw = P invstd``, ``db = S`` and

.. math:: dx = a_c \\Big(g - \\frac{S_c}{M} - (x - \\mu_c) \\frac{P_c\\,
          \\mathrm{invstd}_c^2}{M}\\Big) = \\alpha_c g + \\beta_c x + \\gamma_c

one pass for the sums, one for the affine map; the normalized input is never
stored (backward recomputes ``x - mu`` from ``x``). The NumPy form of
:class:`convolab.nn.functional.norm._BatchNorm` makes six passes forward and five back
and keeps ``x_hat``: on LeNet-5's C1 maps (128 x 6 x 28 x 28) 1.1 ms each way
of a 13 ms training step.

Sums run over each row of ``L`` values in the input's precision with the additions
reassociated (so the compiler vectorizes them into several partial sums, much
like NumPy's pairwise sums), and across rows in float64. Rows split between the
engine's threads by sample for the affine passes and by channel for the sums. It
needs Numba (``pip install convolab[fast]``); without it the NumPy form runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab._jit import LazyLoops
from convolab.runtime.threads import run_blocks

__all__ = ["available", "channel_moments", "channel_sums", "rows_affine", "rows_affine2"]

_PARALLEL_MIN = 1 << 19  # values from which the work is split between threads
MIN_ROW = 16  # shorter rows (dense layers' features) stay with NumPy


def _build() -> Any:
    from numba import njit

    opts = dict(nogil=True, cache=True, error_model="numpy", fastmath={"reassoc", "contract"})

    @njit(**opts)
    def moments(x, mean, var, c0, c1):  # pragma: no cover - compiled
        n, length = x.shape[0], x.shape[2]
        cast = np.empty(1, x.dtype)
        for c in range(c0, c1):
            s = 0.0
            for i in range(n):
                row = x[i, c]
                r = row[0] * 0
                for j in range(length):
                    r += row[j]
                s += r
            mu = s / (n * length)
            v = 0.0
            cast[0] = mu
            m = cast[0]
            for i in range(n):
                row = x[i, c]
                r = row[0] * 0
                for j in range(length):
                    d = row[j] - m
                    r += d * d
                v += r
            mean[c] = mu
            var[c] = v / (n * length)

    @njit(**opts)
    def sums(g, x, mean, s_out, p_out, c0, c1):  # pragma: no cover - compiled
        n, length = x.shape[0], x.shape[2]
        for c in range(c0, c1):
            m = mean[c]
            s = 0.0
            p = 0.0
            for i in range(n):
                gr, xr = g[i, c], x[i, c]
                rs = gr[0] * 0
                rp = gr[0] * 0
                for j in range(length):
                    rs += gr[j]
                    rp += gr[j] * (xr[j] - m)
                s += rs
                p += rp
            s_out[c] = s
            p_out[c] = p

    @njit(nogil=True, cache=True, error_model="numpy")
    def affine(x, m, a, b, y, i0, i1):  # pragma: no cover - compiled
        for i in range(i0, i1):
            for c in range(x.shape[1]):
                mc, ac, bc = m[c], a[c], b[c]
                xr, yr = x[i, c], y[i, c]
                for j in range(x.shape[2]):
                    yr[j] = (xr[j] - mc) * ac + bc

    @njit(nogil=True, cache=True, error_model="numpy")
    def affine2(g, x, m, alpha, beta, gamma, y, i0, i1):  # pragma: no cover - compiled
        for i in range(i0, i1):
            for c in range(x.shape[1]):
                mc, al, be, ga = m[c], alpha[c], beta[c], gamma[c]
                gr, xr, yr = g[i, c], x[i, c], y[i, c]
                for j in range(x.shape[2]):
                    yr[j] = gr[j] * al + (xr[j] - mc) * be + ga

    return moments, sums, affine, affine2


LOOPS = LazyLoops(_build)


def available(x: np.ndarray) -> bool:
    """Whether the compiled passes serve ``x``: float32/float64, rows of at least
    :data:`MIN_ROW` values, and Numba installed.

    >>> isinstance(available(np.zeros((2, 3, 4, 4), np.float32)), bool)
    True
    """
    if x.dtype not in (np.float32, np.float64) or x.ndim < 3 or x[0, 0].size < MIN_ROW:
        return False
    return LOOPS.get() is not None


def _rows(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)


def channel_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and (biased) variance of ``x`` (``(N, C, ...)``), in float64.

    >>> x = np.arange(32.0).reshape(2, 1, 16)
    >>> mean, var = channel_moments(x) if available(x) else (x.mean((0, 2)), x.var((0, 2)))
    >>> float(mean[0]), float(var[0])
    (15.5, 85.25)
    """
    x3 = _rows(x)
    mean, var = np.empty(x3.shape[1]), np.empty(x3.shape[1])
    run_blocks(lambda c0, c1: LOOPS.load()[0](x3, mean, var, c0, c1), x3.shape[1],
               parallel=x3.size >= _PARALLEL_MIN, per_worker=1)  # fmt: skip
    return mean, var


def channel_sums(g: np.ndarray, x: np.ndarray, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sum g, sum g (x - mean))`` per channel, in float64.

    >>> x = np.arange(32.0).reshape(2, 1, 16)
    >>> g = np.ones_like(x)
    >>> s, p = channel_sums(g, x, np.array([15.5])) if available(x) else ([32.0], [0.0])
    >>> float(s[0]), float(p[0])
    (32.0, 0.0)
    """
    g3, x3 = _rows(g), _rows(x)
    s, p = np.empty(x3.shape[1]), np.empty(x3.shape[1])
    m = np.ascontiguousarray(mean, dtype=x3.dtype)
    run_blocks(lambda c0, c1: LOOPS.load()[1](g3, x3, m, s, p, c0, c1), x3.shape[1],
               parallel=x3.size >= _PARALLEL_MIN, per_worker=1)  # fmt: skip
    return s, p


def rows_affine(x: np.ndarray, m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``y = a[c] (x - m[c]) + b[c]`` per channel, a new array of ``x``'s shape and dtype.

    >>> x = np.ones((2, 2, 16), np.float32)
    >>> m, a, b = np.array([0.0, 1.0]), np.array([2.0, 3.0]), np.array([0.5, 0.0])
    >>> y = rows_affine(x, m, a, b) if available(x) else (x - m[:, None]) * a[:, None] + b[:, None]
    >>> y[0, :, 0].tolist()
    [2.5, 0.0]
    """
    x3 = _rows(x)
    y = np.empty_like(x3)
    m, a, b = (v.astype(x.dtype) for v in (m, a, b))
    run_blocks(lambda i0, i1: LOOPS.load()[2](x3, m, a, b, y, i0, i1), x3.shape[0],
               parallel=x3.size >= _PARALLEL_MIN)  # fmt: skip
    return y.reshape(x.shape)


def rows_affine2(
    g: np.ndarray,
    x: np.ndarray,
    m: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    gamma: np.ndarray,
) -> np.ndarray:
    """``y = alpha[c] g + beta[c] (x - m[c]) + gamma[c]`` per channel (a new array).

    >>> x = np.ones((1, 1, 16))
    >>> m, al, be, ga = np.array([0.0]), np.array([1.0]), np.array([3.0]), np.array([-1.0])
    >>> y = rows_affine2(2 * x, x, m, al, be, ga) if available(x) else 2 * x + 3 * x - 1
    >>> float(y[0, 0, 0])
    4.0
    """
    g3, x3 = _rows(g), _rows(x.astype(g.dtype, copy=False))
    y = np.empty_like(x3)
    m, al, be, ga = (v.astype(x3.dtype) for v in (m, alpha, beta, gamma))
    run_blocks(lambda i0, i1: LOOPS.load()[3](g3, x3, m, al, be, ga, y, i0, i1), x3.shape[0],
               parallel=x3.size >= _PARALLEL_MIN)  # fmt: skip
    return y.reshape(x.shape)
