"""Kernels: a grid of weights, and learned kernels beside the nearest classic ones."""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from convolab import analysis
from convolab.analysis.observe import (
    positive_int,
)
from convolab.viz.figure import DIVERGING, bare, finish, new_figure, real_array, symmetric_limit

__all__ = ["plot_filters_vs_classic", "plot_kernels"]


def _kernel_grid(obj: Any) -> tuple[list[list[np.ndarray]], list[list[str]], bool]:
    """Rows of 2D kernels, their labels, and whether rows/columns are output/input channels."""
    if isinstance(obj, Mapping):
        items = [(str(n), real_array(f"kernels[{n!r}]", v, (1, 2))) for n, v in obj.items()]
        if not items:
            raise ValueError("`kernels_or_layer` must not be empty")
        return [[np.atleast_2d(v) for _, v in items]], [[n for n, _ in items]], False
    if isinstance(obj, list | tuple) and obj:
        try:
            obj = np.asarray(obj, dtype=np.float64)  # a nested list is one array
        except (TypeError, ValueError):
            pass
    if isinstance(obj, list | tuple) and obj:  # kernels of different shapes
        arrays = [real_array(f"kernels[{i}]", v, (1, 2)) for i, v in enumerate(obj)]
        return [[np.atleast_2d(a) for a in arrays]], [[str(i) for i in range(len(arrays))]], False
    weight = getattr(obj, "weight", None)
    if weight is not None and not isinstance(obj, np.ndarray):
        w = real_array("kernels_or_layer.weight", weight, (3, 4, 5))
        if w.ndim == 3:  # Conv1d: (C_out, C_in, k) as 1 x k images
            w = w[:, :, None, :]
        elif w.ndim == 5:
            raise ValueError(f"3D kernels cannot be drawn as a grid; got weight {w.shape}")
    else:
        w = real_array("kernels_or_layer", obj, (1, 2, 3, 4))
        if w.ndim <= 2:
            return [[np.atleast_2d(w)]], [[""]], False
        if w.ndim == 3:
            return [[a for a in w]], [[str(i) for i in range(len(w))]], False
    c_out, c_in = w.shape[:2]
    if c_in == 1:
        return [[w[o, 0] for o in range(c_out)]], [[f"{o}" for o in range(c_out)]], False
    return (
        [[w[o, i] for i in range(c_in)] for o in range(c_out)],
        [[f"{o},{i}" for i in range(c_in)] for o in range(c_out)],
        True,
    )


def _mosaic(grid: list[list[np.ndarray]]) -> tuple[np.ndarray, int, int]:
    """The kernels of ``grid`` tiled into one array, one NaN pixel between neighbours."""
    kh = max(k.shape[0] for row in grid for k in row)
    kw = max(k.shape[1] for row in grid for k in row)
    cols = max(len(row) for row in grid)
    out = np.full((len(grid) * (kh + 1) - 1, cols * (kw + 1) - 1), np.nan)
    for r, row in enumerate(grid):
        for c, k in enumerate(row):
            out[r * (kh + 1):r * (kh + 1) + k.shape[0], c * (kw + 1):c * (kw + 1) + k.shape[1]] = k
    return out, kh, kw


def _ticks(n: int, step: int) -> tuple[list[float], list[str]]:
    every = max(1, math.ceil(n / 16))
    idx = list(range(0, n, every))
    return [i * step + (step - 2) / 2 for i in idx], [str(i) for i in idx]


def plot_kernels(
    kernels_or_layer: Any,
    *,
    ncols: int | None = None,
    annotate: bool | None = None,
    max_kernels: int = 256,
    cmap: str = DIVERGING,
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """A grid of kernels on one diverging colour scale centred at 0.

    Up to 16 kernels get a panel each (with a title, and their weights written
    in when small); more are tiled into one image, rows the output channels and
    columns the input channels of a conv weight.

    Parameters
    ----------
    kernels_or_layer : array_like, dict, list or layer
        A kernel ``(kH, kW)``; a stack ``(n, kH, kW)``; a conv weight
        ``(C_out, C_in, kH, kW)`` (one row per output channel, one column per
        input channel; a single row wrapped into a grid when ``C_in = 1``); a
        dict ``name -> kernel`` or a list of kernels; or a layer with a
        ``weight`` (``Conv2d``, or ``Conv1d`` whose kernels are drawn as
        ``1 x k`` strips).
    ncols : int, optional
        Columns when the kernels form a single list; default about ``sqrt(n)``.
    annotate : bool, optional
        Write each weight in its cell; default for up to 16 kernels of at most 5 x 5.
    max_kernels : int, default 256
        Draw at most this many kernels (the first output channels); the title says so.
    cmap : str, default 'RdBu_r'
        Colour map; the limits are ``+-max|w|`` over the kernels drawn, so 0 is its centre.
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        The kernel grid, one cell per weight, with a colour bar.

    Examples
    --------
    >>> from convolab import kernels
    >>> fig = plot_kernels({"sobel x": kernels.sobel(1), "laplacian": kernels.laplacian()})
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['sobel x', 'laplacian']
    """
    limit = positive_int("max_kernels", max_kernels)
    rows, labels, channels = _kernel_grid(kernels_or_layer)
    total = sum(len(r) for r in rows)
    if len(rows) == 1:
        flat, flat_labels = rows[0][:limit], labels[0][:limit]
        n = len(flat)
        if ncols is None:
            cols = n if n <= 6 else math.ceil(math.sqrt(n))
        else:
            cols = positive_int("ncols", ncols)
        nrows = math.ceil(n / cols)
        grid = [flat[r * cols:(r + 1) * cols] for r in range(nrows)]
        grid_labels = [flat_labels[r * cols:(r + 1) * cols] for r in range(nrows)]
    else:
        keep = max(1, limit // len(rows[0]))
        grid = [row[:limit] for row in rows[:keep]]
        grid_labels = [row[:limit] for row in labels[:keep]]
        cols = len(grid[0])
        nrows = len(grid)
    every = [k for row in grid for k in row]
    note = f" (first {len(every)} of {total} kernels)" if len(every) < total else ""
    vmax = symmetric_limit(every)
    if len(every) > 16:
        mosaic, kh, kw = _mosaic(grid)
        h_px, w_px = mosaic.shape
        scale = min(0.15, 11.0 / w_px, 14.0 / h_px)  # inches per kernel pixel
        fig = new_figure(figsize, dpi, (max(w_px * scale + 1.8, 4.0), max(h_px * scale + 1.0, 2.5)))
        ax = fig.subplots()
        im = ax.imshow(mosaic, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
        if channels:
            ax.set_xticks(*_ticks(cols, kw + 1))
            ax.set_yticks(*_ticks(nrows, kh + 1))
            ax.set_xlabel("input channel")
            ax.set_ylabel("output channel")
        else:
            bare(ax)
        ax.tick_params(labelsize=7, length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        fig.colorbar(im, ax=ax, shrink=0.6, fraction=0.04)
        if title or note:
            fig.suptitle((title or "kernels") + note)
        return finish(fig, path)
    if annotate is None:
        annotate = all(k.shape[0] <= 5 and k.shape[1] <= 5 for k in every)
    kh = max(k.shape[0] for k in every)
    kw = max(k.shape[1] for k in every)
    cell = max(1.5, 0.36 * max(kh, kw)) if annotate else 1.1
    default = (min(max(cols * cell + 1.2, 3.0), 16.0), min(max(nrows * cell + 0.6, 2.0), 16.0))
    fig = new_figure(figsize, dpi, default)
    axes = np.atleast_2d(fig.subplots(nrows, cols, squeeze=False))
    written = []
    im = None
    for r in range(nrows):
        for c in range(cols):
            ax = axes[r, c]
            bare(ax)
            if c >= len(grid[r]):
                ax.set_axis_off()
                continue
            kern = grid[r][c]
            im = ax.imshow(kern, cmap=cmap, vmin=-vmax, vmax=vmax)
            if grid_labels[r][c]:
                ax.set_title(grid_labels[r][c], fontsize=8)
            if annotate:
                for (i, j), v in np.ndenumerate(kern):
                    colour = "white" if abs(v) > 0.6 * vmax else "black"
                    written.append(ax.text(j, i, _weight_text(v, vmax), ha="center",
                                           va="center", color=colour))  # fmt: skip
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8)
    if title or note:
        fig.suptitle((title or "kernels") + note)
    if written:
        _fit_values(fig, axes[0, 0], (kh, kw), written)
    return finish(fig, path)


def _fit_values(fig: Figure, ax: Any, cells: tuple[int, int], texts: list[Any]) -> None:
    """The largest font (at most 9 pt) whose longest value fits a kernel cell; none under 4.5."""
    for t in texts:  # lay the panels out to measure them, the values aside (half the cost)
        t.set_visible(False)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    box = ax.get_window_extent()
    for t in texts:
        t.set_visible(True)
    cell_pt = min(box.width / cells[1], box.height / cells[0]) * 72 / fig.dpi
    longest = max(len(t.get_text()) for t in texts)
    size = min(9.0, 0.85 * cell_pt / (0.62 * longest), 0.55 * cell_pt)
    for t in texts:
        if size >= _MIN_FONT:
            t.set_fontsize(size)
        else:
            t.remove()


_MIN_FONT = 4.5  # points: smaller values are not written into kernel cells


def _weight_text(v: float, vmax: float) -> str:
    """A weight with the decimals its kernel's scale needs: ``0.16``, ``-8``, ``12.5``."""
    if float(v).is_integer() and abs(v) < 1e4:
        return str(int(v))
    decimals = max(0, 1 - math.floor(math.log10(vmax))) if vmax > 0 else 2
    text = f"{v:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _kernel_list(layer: Any, max_filters: int) -> list[tuple[str, np.ndarray]]:
    weight = getattr(layer, "weight", None)
    if weight is not None and not isinstance(layer, np.ndarray):
        w = real_array("layer.weight", weight, (3, 4))
        pairs = [
            (f"{o},{i}" if w.shape[1] > 1 else f"{o}", w[o, i])
            for o in range(w.shape[0])
            for i in range(w.shape[1])
        ]
    else:
        w = real_array("layer", layer, (2, 3, 4))
        if w.ndim == 2:
            pairs = [("0", w)]
        elif w.ndim == 3:
            pairs = [(str(i), a) for i, a in enumerate(w)]
        else:
            pairs = [
                (f"{o},{i}" if w.shape[1] > 1 else f"{o}", w[o, i])
                for o in range(w.shape[0])
                for i in range(w.shape[1])
            ]
    return pairs[:max_filters]


def plot_filters_vs_classic(
    layer: Any,
    *,
    max_filters: int = 12,
    pairs_per_row: int = 3,
    min_cosine: float = 0.7,
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Each learned kernel beside the most similar classic kernel, with the cosine similarity.

    The articles ask whether the kernels a CNN learns look like the hand-made
    ones of image processing. For each kernel ``w`` the classic kernel ``c``
    (of :func:`convolab.analysis.classic_bank`, fitted to ``w``'s shape)
    maximizing ``|cos(w, c)|`` is drawn beside it, negated when the cosine is
    negative; the panel title gives its name and ``|cos|``. Below ``min_cosine``
    no classic kernel is drawn: the panel says "no close match" and names the
    best candidate with its ``|cos|`` (a learned kernel is not a blurred box at
    cosine 0.3). Each pair has its own colour scale, symmetric about 0.

    Parameters
    ----------
    layer : layer or array_like
        A conv layer (its ``weight``: ``(C_out, C_in, kH, kW)``, or
        ``(C_out, C_in, k)`` for 1D), or the weights themselves (2D, 3D or 4D).
    max_filters : int, default 12
        Kernels drawn (output-major order).
    pairs_per_row : int, default 3
    min_cosine : float, default 0.7
        The smallest ``|cos|`` that counts as a match (0 draws every best candidate).
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        Learned and classic kernel side by side, per filter.

    Examples
    --------
    >>> from convolab import kernels
    >>> fig = plot_filters_vs_classic(kernels.sobel(0)[None] * 0.1)
    >>> fig.axes[1].get_title()
    'sobel(axis=0)\\ncos = 1.00'
    >>> unlike = plot_filters_vs_classic([[0.0, 1, 0], [0, 0, 0], [0, 0, 0.5]]).axes[1]
    >>> unlike.get_title(), unlike.texts[0].get_text()
    ('no close match', 'best: -scharr(axis=0)\\n|cos| = 0.49')
    """
    max_filters = positive_int("max_filters", max_filters)
    if isinstance(min_cosine, bool) or not isinstance(min_cosine, numbers.Real) or not (
        0 <= min_cosine <= 1
    ):
        raise ValueError(f"`min_cosine` must be a number in [0, 1]; got {min_cosine!r}")
    per_row = positive_int("pairs_per_row", pairs_per_row)
    items = _kernel_list(layer, max_filters)
    banks: dict[tuple[int, ...], dict[str, np.ndarray]] = {}
    n = len(items)
    per_row = min(per_row, n)
    nrows = math.ceil(n / per_row)
    fig = new_figure(figsize, dpi, (min(3.0 * per_row + 0.4, 16.0), min(1.7 * nrows + 0.6, 20.0)))
    axes = fig.subplots(nrows, 2 * per_row, squeeze=False)
    for ax in axes.ravel():
        bare(ax)
        ax.set_axis_off()
    for idx, (label, kern) in enumerate(items):
        bank = banks.setdefault(kern.shape, analysis.classic_bank(kern.shape))
        match = analysis.nearest_classic(kern, bank)
        sign = -1.0 if match.cosine < 0 else 1.0
        name = ("-" if sign < 0 else "") + match.name
        r, c = divmod(idx, per_row)
        close = abs(match.cosine) >= min_cosine
        for ax, img, text in (
            (axes[r, 2 * c], kern, f"learned {label}"),
            (axes[r, 2 * c + 1], sign * match.kernel if close else None,
             f"{name}\ncos = {abs(match.cosine):.2f}" if close else "no close match"),
        ):  # fmt: skip
            ax.set_axis_on()
            bare(ax)
            if img is None:
                ax.set_title(text, fontsize=7)
                ax.text(0.5, 0.5, f"best: {name}\n|cos| = {abs(match.cosine):.2f}",
                        ha="center", va="center", fontsize=6, color="0.35",
                        transform=ax.transAxes)  # fmt: skip
                for side in ax.spines.values():
                    side.set_linestyle(":")
                continue
            img2 = np.atleast_2d(img)
            lim = symmetric_limit([img2])
            ax.imshow(img2, cmap=DIVERGING, vmin=-lim, vmax=lim, aspect="equal")
            ax.set_title(text, fontsize=7)
    return finish(fig, path, title)
