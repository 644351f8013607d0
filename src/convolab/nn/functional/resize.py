"""Resampling as a layer op: ``interpolate``, with the signature and modes of
``torch.nn.functional.interpolate`` (``nearest``, ``linear``, ``bilinear``, ``trilinear``).

Along each spatial axis, resampling is a linear map from ``n_in`` to ``n_out`` samples: a
sparse matrix ``W`` with one (nearest) or two (linear) weights per row, applied axis by axis
(:class:`~convolab.nn.functional._maps.PerAxisMap`; the gradient applies ``W^T``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from convolab.nn.functional._maps import PerAxisMap
from convolab.nn.tensor import Tensor, _as_tensor

__all__ = ["interpolate"]

#: The modes and the spatial axes each takes (``None``: any of 1 to 3).
_MODES = {"nearest": None, "linear": 1, "bilinear": 2, "trilinear": 3}


def interpolate(
    input: Any,  # noqa: A002 - PyTorch's argument name
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
) -> Tensor:
    r"""Resample the spatial axes of ``(N, C, *S)`` to a new size, as PyTorch does.

    Output sample ``j`` of an axis reads the input at
    :math:`s_j = j\,r` (``nearest``: sample :math:`\min(\lfloor s_j \rfloor, n - 1)`)
    or, for the linear modes, :math:`s_j = \max((j + \tfrac12) r - \tfrac12, 0)`
    (``align_corners=True``: :math:`s_j = j\,(n - 1)/(n_{out} - 1)`), blending the two
    samples around it, with :math:`r = 1/\text{scale\_factor}` when a scale factor is
    given (and not recomputed), else :math:`n / n_{out}`.

    Parameters
    ----------
    input : Tensor or array_like, shape ``(N, C, *S)``, 1 to 3 spatial axes
    size : int or tuple of int, optional
        The output's spatial size (give ``size`` or ``scale_factor``).
    scale_factor : float or tuple of float, optional
        Each axis becomes ``floor(n * scale_factor)`` long.
    mode : {'nearest', 'linear', 'bilinear', 'trilinear'}
        ``linear``, ``bilinear`` and ``trilinear`` take 1, 2 and 3 spatial axes.
    align_corners : bool, optional
        Linear modes only: map the corner samples onto each other (default False).
    recompute_scale_factor : bool, optional
        Map positions with ``n / n_out`` even when ``scale_factor`` is given.

    Returns
    -------
    Tensor, shape ``(N, C, *S_out)``

    Examples
    --------
    >>> import numpy as np
    >>> interpolate(np.array([[[1.0, 2.0, 3.0]]]), scale_factor=2).data
    array([[[1., 1., 2., 2., 3., 3.]]])
    >>> interpolate(np.array([[[0.0, 4.0]]]), size=4, mode="linear").data
    array([[[0., 1., 3., 4.]]])
    """
    x = _as_tensor(input)
    check_mode(mode, align_corners)
    m = x.ndim - 2
    wanted = _MODES[mode]
    if not 1 <= m <= 3 or (wanted is not None and m != wanted):
        axes = "1 to 3 spatial axes" if wanted is None else f"{wanted} spatial axes"
        raise ValueError(
            f"mode {mode!r} takes an input (N, C, ...) with {axes}; got shape {x.shape}"
        )
    if mode != "nearest" and x.dtype.kind not in "fc":  # blends need fractions
        x = x.astype(np.result_type(x.dtype, np.float32))
    sizes, ratios = output_sizes(x.shape[2:], size, scale_factor)
    if recompute_scale_factor:
        ratios = [None] * m
    matrices = [
        resample_matrix(n, out, ratio, mode, bool(align_corners))
        for n, out, ratio in zip(x.shape[2:], sizes, ratios, strict=True)
    ]
    return PerAxisMap.apply(x, matrices=matrices)


def check_mode(mode: Any, align_corners: Any) -> None:
    """``mode`` one of the modes; ``align_corners`` only with a linear one."""
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"`mode` must be one of {', '.join(map(repr, _MODES))}; got {mode!r}")
    if align_corners is not None and mode == "nearest":
        raise ValueError("`align_corners` goes with the linear modes only; got mode 'nearest'")


def output_sizes(
    spatial: tuple[int, ...], size: Any, scale_factor: Any
) -> tuple[list[int], list[float | None]]:
    """The output length of each axis and the scale factor that maps its positions (``None``:
    the ratio of the lengths)."""
    m = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ValueError("give exactly one of `size` and `scale_factor`")
    if size is not None:
        sizes = [size] * m if isinstance(size, numbers.Integral) else list(size)
        if len(sizes) != m or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ValueError(f"`size` must be a positive int or {m} of them; got {size!r}")
        return [int(s) for s in sizes], [None] * m
    factors = [scale_factor] * m if isinstance(scale_factor, numbers.Real) else list(scale_factor)
    if len(factors) != m or not all(
        isinstance(f, numbers.Real) and not isinstance(f, bool) and f > 0 for f in factors
    ):
        raise ValueError(
            f"`scale_factor` must be a positive number or {m} of them; got {scale_factor!r}"
        )
    sizes = [math.floor(n * float(f)) for n, f in zip(spatial, factors, strict=True)]
    if min(sizes) < 1:
        raise ValueError(f"`scale_factor` {scale_factor!r} leaves no sample of {spatial}")
    return sizes, [float(f) for f in factors]


def resample_matrix(n: int, out: int, factor: float | None, mode: str, align_corners: bool):
    """The ``(out, n)`` sparse matrix of one axis (PyTorch's index arithmetic)."""
    from scipy import sparse

    j = np.arange(out)
    if mode == "nearest":  # PyTorch computes these indices in float32
        if out == n:
            rows, cols, weights = j, j, np.ones(out)
        else:
            ratio = np.float32(1.0 / factor) if factor else np.float32(n) / np.float32(out)
            cols = np.minimum(np.floor(j.astype(np.float32) * ratio).astype(np.int64), n - 1)
            if out == 2 * n:
                cols = j >> 1
            rows, weights = j, np.ones(out)
    else:
        if out == n:
            src = j.astype(np.float64)
        elif align_corners:
            src = j * ((n - 1) / (out - 1) if out > 1 else 0.0)
        else:
            ratio = 1.0 / factor if factor else n / out
            src = np.maximum(ratio * (j + 0.5) - 0.5, 0.0)
        lo = np.minimum(np.floor(src).astype(np.int64), n - 1)
        frac = np.clip(src - lo, 0.0, 1.0)
        hi = lo + (lo < n - 1)
        rows, cols, weights = np.r_[j, j], np.r_[lo, hi], np.r_[1.0 - frac, frac]
    return sparse.csr_matrix((weights, (rows, cols)), shape=(out, n))
