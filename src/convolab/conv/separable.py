"""Separable method: a kernel as a sum of outer products, run as 1D passes.

A 2D kernel of rank ``r`` is ``k = sum_j s_j u_j v_j^T`` (its SVD), so

.. math:: x \\star k = \\sum_{j=1}^{r} s_j\\, (x \\star_0 u_j) \\star_1 v_j

``r`` pairs of 1D passes (``k_h + k_w`` multiply-adds per output each) instead
of ``k_h k_w``. Gaussian, box and Sobel kernels have rank 1; the rank is the
number of singular values above ``1e-6`` times the largest. In N dimensions
the kernel is unfolded along its first axis and the remaining factor is
separated again, recursively. Every 1D pass is the direct method on a kernel
with a single non-trivial axis.
"""

from __future__ import annotations

import numpy as np

from convolab.conv.direct import correlate_direct
from convolab.conv.padding import pad

__all__ = ["correlate_separable", "separate"]

RANK_TOL = 1e-6


def separate(k: np.ndarray, tol: float = RANK_TOL) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split ``k`` into ``[(u_j, rest_j)]`` with ``k = sum_j outer(u_j, rest_j)``.

    ``u_j`` is 1D along the first axis, ``rest_j`` has the remaining axes. The
    number of terms is the numerical rank of ``k`` unfolded as ``(K_0, K_1 K_2 ...)``.

    >>> terms = separate(np.outer([1., 2., 1.], [1., 0., -1.]))
    >>> len(terms)
    1
    >>> np.allclose(np.outer(*terms[0]), np.outer([1., 2., 1.], [1., 0., -1.]))
    True
    """
    rows = k.shape[0]
    mat = k.reshape(rows, -1)
    u, s, vt = np.linalg.svd(mat, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return []
    rank = int(np.count_nonzero(s > tol * s[0]))
    return [(u[:, j] * s[j], vt[j].reshape(k.shape[1:])) for j in range(rank)]


def kernel_rank(k: np.ndarray, tol: float = RANK_TOL) -> int:
    """Numerical rank of ``k`` unfolded along its first axis."""
    return len(separate(k, tol))


def _pass(
    x: np.ndarray, k1: np.ndarray, axis: int, m: int, stride: tuple[int, ...], dilation
) -> np.ndarray:
    """Valid 1D correlation of ``x`` (``(B, *S)``) along spatial ``axis`` with ``k1``."""
    shape = [1] * m
    shape[axis] = k1.size
    s = [1] * m
    s[axis] = stride[axis]
    d = [1] * m
    d[axis] = dilation[axis]
    return correlate_direct(
        x, k1.reshape(1, *shape), ((0, 0),) * m, "constant", 0, tuple(s), tuple(d)
    )


def _correlate_valid(x: np.ndarray, k: np.ndarray, axis0: int, stride, dilation) -> np.ndarray:
    """Valid correlation over spatial axes ``axis0..`` of ``x`` by recursive separation."""
    m = x.ndim - 1
    if k.ndim == 1:
        return _pass(x, k, axis0, m, stride, dilation)
    terms = separate(k)
    if not terms:
        terms = [(np.zeros(k.shape[0], k.dtype), np.zeros(k.shape[1:], k.dtype))]
    y = None
    for u, rest in terms:
        part = _correlate_valid(_pass(x, u, axis0, m, stride, dilation), rest, axis0 + 1,
                                stride, dilation)
        y = part if y is None else np.add(y, part, out=y)
    return y


def correlate_separable(
    x: np.ndarray,
    k: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
    fill_value: complex,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """Correlate every row of ``x`` (``(B, *S)``) with ``k`` (``(1 or B, *K)``) by 1D passes.

    >>> x = np.arange(16.).reshape(1, 4, 4)
    >>> k = np.ones((1, 3, 3))
    >>> correlate_separable(x, k, ((0, 0), (0, 0)), "constant", 0, (1, 1), (1, 1))
    array([[[45., 54.],
            [81., 90.]]])
    """
    xp = pad(x, pads, boundary, fill_value)
    if k.shape[0] == 1:
        return _correlate_valid(xp, k[0], 0, stride, dilation)
    return np.concatenate(
        [_correlate_valid(xp[b : b + 1], k[b], 0, stride, dilation) for b in range(k.shape[0])]
    )
