"""What every figure shares: the figure itself (shown inline in notebooks), its options
(``figsize``, ``dpi``, ``path``), saving, and the checks of the arrays drawn."""

from __future__ import annotations

import io
import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from convolab.analysis.observe import as_array
from convolab.outputs import save_figure

__all__ = ["DIVERGING", "bare", "finish", "new_figure", "real_array",
           "symmetric_limit"]  # fmt: skip

#: The colour map of signed values (kernels, weights): blue negative, red positive.
DIVERGING = "RdBu_r"


class _NotebookFigure(Figure):
    """A Figure that Jupyter shows inline (as a PNG) without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi, facecolor="white")
        return buffer.getvalue()


def new_figure(
    figsize: Any, dpi: Any, default: tuple[float, float], constrained: bool = True
) -> Figure:
    size = default if figsize is None else figsize
    if (
        not isinstance(size, Sequence)
        or len(size) != 2
        or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in size)
    ):
        raise ValueError(f"`figsize` must be (width, height) in inches, both > 0; got {figsize!r}")
    if not isinstance(dpi, numbers.Real) or isinstance(dpi, bool) or not dpi > 0:
        raise ValueError(f"`dpi` must be a positive number; got {dpi!r}")
    return _NotebookFigure(
        figsize=(float(size[0]), float(size[1])),
        dpi=float(dpi),
        layout="constrained" if constrained else None,
    )


def finish(fig: Figure, path: str | os.PathLike | None, title: str | None = None) -> Figure:
    """Give ``fig`` its ``title`` (above every axis) and save it to ``path``; return it."""
    if title:
        fig.suptitle(title)
    if path is None:
        return fig
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a file path; got {type(path).__name__}")
    save_figure(fig, path, dpi=fig.dpi, facecolor="white")
    return fig


def real_array(name: str, value: Any, ndims: tuple[int, ...]) -> np.ndarray:
    arr = as_array(value)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a real numeric array; got dtype {arr.dtype}")
    if arr.ndim not in ndims:
        allowed = " or ".join(f"{d}D" for d in ndims)
        raise ValueError(f"`{name}` must be {allowed}; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite; it contains NaN or inf")
    return arr.astype(np.float64)


def symmetric_limit(arrays: Sequence[np.ndarray]) -> float:
    vmax = max(float(np.abs(a).max()) for a in arrays)
    return vmax if vmax > 0 else 1.0


def bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
