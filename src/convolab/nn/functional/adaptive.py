"""Adaptive average pooling: a fixed number of bins per axis, whatever the input size."""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab.nn.functional._checks import _check_ndim, _ntuple
from convolab.nn.functional._maps import PerAxisMap
from convolab.nn.tensor import Tensor, _as_tensor

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "global_avg_pool2d",
]


# --------------------------------------------------------------------------- adaptive


def _adaptive_matrix(n: int, out: int, dtype: np.dtype) -> np.ndarray:
    """Averaging matrix ``A`` (out, n): bin ``i`` covers ``[floor(i n/out), ceil((i+1) n/out))``."""
    i = np.arange(out)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive(m: int, input: Any, output_size: Any) -> Tensor:  # noqa: A002
    x = _as_tensor(input)
    spatial = ("L",) if m == 1 else ("H", "W")
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C, {', '.join(spatial)}) or (C, ...)")
    if isinstance(output_size, tuple | list):
        output_size = tuple(x.shape[-m + i] if o is None else o for i, o in enumerate(output_size))
    out = _ntuple(output_size, m, "output_size")
    dtype = np.result_type(x.dtype, np.float32)
    matrices = [_adaptive_matrix(n, o, dtype) for n, o in zip(x.shape[-m:], out, strict=True)]
    return PerAxisMap.apply(x if x.dtype == dtype else x.astype(dtype), matrices=matrices)


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    """1D adaptive average pooling to ``output_size`` bins; see :func:`adaptive_avg_pool2d`.

    >>> import numpy as np
    >>> adaptive_avg_pool1d(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).data
    array([[[2., 4.]]])
    """
    return _adaptive(1, input, output_size)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    r"""Average over ``output_size`` bins per spatial axis, whatever the input size.

    .. math:: y[\dots, i] = \frac{1}{e_i - b_i} \sum_{j=b_i}^{e_i - 1} x[\dots, j],\quad
              b_i = \lfloor i n / o \rfloor,\; e_i = \lceil (i+1) n / o \rceil

    per axis (PyTorch's bins), computed as ``A_h x A_w^T`` with averaging matrices.
    ``output_size=1`` is global average pooling.

    Parameters
    ----------
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    output_size : int or pair (``None`` keeps that axis)

    Returns
    -------
    Tensor, shape ``(N, C, *output_size)``

    Examples
    --------
    >>> import numpy as np
    >>> adaptive_avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 1).data
    array([[[[7.5]]]])
    """
    return _adaptive(2, input, output_size)


def global_avg_pool2d(input: Any) -> Tensor:  # noqa: A002
    """Mean over H and W, keeping them as axes of length 1: ``(N, C, H, W) -> (N, C, 1, 1)``.

    >>> import numpy as np
    >>> global_avg_pool2d(np.ones((2, 3, 4, 4))).shape
    (2, 3, 1, 1)
    """
    return _adaptive(2, input, 1)
