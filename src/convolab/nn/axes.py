"""Axis arguments and broadcasting, as the tensor operations take and undo them."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["dim_or_axis", "is_basic_index", "norm_axes", "unbroadcast"]


def dim_or_axis(dim: Any, axis: Any) -> Any:
    """``dim`` or its alias ``axis`` (PyTorch's and NumPy's names), not both."""
    if dim is not None and axis is not None:
        raise TypeError(f"give `dim` or its alias `axis`, not both; got dim={dim}, axis={axis}")
    return axis if dim is None else dim


def norm_axes(axes: Any, ndim: int) -> tuple[int, ...]:
    """Normalize an int / tuple of ints (negative allowed) to a sorted-as-given tuple."""
    if axes is None:
        return tuple(range(ndim))
    items = axes if isinstance(axes, tuple | list) else (axes,)
    out = []
    for a in items:
        if not isinstance(a, numbers.Integral):
            raise TypeError(f"`dim` must be an int or a tuple of ints; got {axes!r}")
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"`dim` {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"`dim` repeats an axis: {axes!r}")
    return tuple(out)


def is_basic_index(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, slice | numbers.Integral) or i is None or i is Ellipsis for i in items)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach it."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
