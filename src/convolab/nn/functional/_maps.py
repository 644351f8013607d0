"""Linear maps applied along the trailing axes, one matrix per axis: resampling
(:func:`~convolab.nn.functional.interpolate`) and adaptive average pooling are both
``y = W_1 ... W_m x``, whose gradient is ``W_m^T ... W_1^T dy``."""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab.nn.tensor import Function


class PerAxisMap(Function):
    """``matrices[i]`` (dense or SciPy sparse, shape ``(out_i, n_i)``) applied to trailing
    axis ``i``; the backward pass applies their transposes."""

    def forward(self, x: np.ndarray, *, matrices: list[Any]) -> np.ndarray:
        self.matrices = matrices
        for axis, w in zip(range(-len(matrices), 0), matrices, strict=True):
            x = along(w, x, axis)
        return np.ascontiguousarray(x)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None]:
        for axis, w in zip(range(-len(self.matrices), 0), self.matrices, strict=True):
            grad = along(w.T, grad, axis)
        return (np.ascontiguousarray(grad),)


def along(w: Any, x: np.ndarray, axis: int) -> np.ndarray:
    """``w @ x`` along ``axis`` of ``x``: a dense ``w`` as one batched product over the
    last axis, a sparse one on the axis moved to the front."""
    if isinstance(w, np.ndarray):
        w = w.astype(x.dtype, copy=False)
        return np.moveaxis(np.moveaxis(x, axis, -1) @ w.T, -1, axis)
    work = np.float32 if x.dtype == np.float16 else x.dtype  # SciPy's sparse has no float16
    moved = np.moveaxis(x, axis, 0)
    y = np.asarray(w.astype(work) @ moved.reshape(moved.shape[0], -1).astype(work, copy=False))
    y = y.astype(x.dtype, copy=False).reshape((w.shape[0],) + moved.shape[1:])
    return np.moveaxis(y, 0, axis)
