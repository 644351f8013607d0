"""Figures of what the articles explain by drawing: signals, kernels, feature maps, training.

Every function builds a :class:`matplotlib.figure.Figure` without ``pyplot``
(no window, no global state, safe in scripts and servers: the Agg renderer),
returns it, and saves it when given ``path=`` (the format follows the file
suffix: ``.png``, ``.svg``, ``.pdf``, ...). The saved image is exactly
``figsize * dpi`` pixels.

- :func:`plot_convolution`: input, kernel and output on one axis, the kernel
  drawn where it sits for one output, as the articles draw the sliding window.
- :func:`plot_kernels`: a grid of kernels (or a layer's weights) with a
  diverging colour map centred at 0, so positive and negative weights read
  at a glance.
- :func:`plot_feature_maps`: what every convolution and pooling layer of a
  model produces for one image.
- :func:`plot_filters_vs_classic`: each learned kernel beside the most similar
  classic kernel (Sobel, Gaussian, Laplacian, ...) and the cosine similarity.
- :func:`plot_history`: loss and accuracy per epoch.
- :func:`plot_confusion`: a confusion matrix with counts.
- :func:`plot_receptive_field`, :func:`plot_mlp_cnn`, :func:`plot_information`,
  :func:`plot_equivariance`: the numbers of :mod:`convolab.analysis` as pictures.

>>> import numpy as np
>>> from convolab import viz
>>> fig = viz.plot_convolution([10, 9, 10, 9, 10, 1, 10, 9, 10, 8], np.ones(3) / 3)
>>> [ax.get_ylabel() for ax in fig.axes]
['input x', 'kernel k', 'output y']
"""

from __future__ import annotations

import io
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from convolab import analysis
from convolab.outputs import save_figure

__all__ = [
    "plot_confusion",
    "plot_convolution",
    "plot_equivariance",
    "plot_feature_maps",
    "plot_filters_vs_classic",
    "plot_history",
    "plot_information",
    "plot_kernels",
    "plot_mlp_cnn",
    "plot_receptive_field",
]

_DIVERGING = "RdBu_r"


# --------------------------------------------------------------------------- helpers


class _NotebookFigure(Figure):
    """A Figure that Jupyter shows inline (as a PNG) without pyplot."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi, facecolor="white")
        return buffer.getvalue()


def _figure(
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


def _finish(fig: Figure, path: str | os.PathLike | None) -> Figure:
    if path is None:
        return fig
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a file path; got {type(path).__name__}")
    save_figure(fig, path, dpi=fig.dpi, facecolor="white")
    return fig


def _real_array(name: str, value: Any, ndims: tuple[int, ...]) -> np.ndarray:
    arr = analysis._data(value)
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


def _symmetric_limit(arrays: Sequence[np.ndarray]) -> float:
    vmax = max(float(np.abs(a).max()) for a in arrays)
    return vmax if vmax > 0 else 1.0


def _bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


# --------------------------------------------------------------------------- convolution


def plot_convolution(
    x: Any,
    k: Any,
    y: Any = None,
    *,
    mode: str = "same",
    op: str = "correlate",
    at: int | Sequence[int] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    r"""Input, kernel and output aligned on one axis, the kernel drawn at one output.

    1D: three rows sharing the horizontal axis. The input as stems, the kernel's
    taps placed on the input samples they multiply for output ``at``, and the
    output, each value drawn at the centre of its window. 2D: input, kernel and
    output side by side, the window of output ``at`` outlined on the input.

    Parameters
    ----------
    x, k : array_like
        Signal and kernel, both 1D or both 2D.
    y : array_like, optional
        The output; computed with :func:`convolab.correlate` (or
        :func:`convolab.convolve` for ``op="convolve"``) in ``mode`` when absent.
        Its length tells how it aligns (``full``, ``same`` or ``valid``, centred
        as :func:`scipy.signal.correlate` does).
    mode : {'same', 'full', 'valid'}
    op : {'correlate', 'convolve'}
        With ``'convolve'`` the kernel is drawn flipped, as it is applied:
        ``y[n] = sum_i x[i] k[n - i]``; with ``'correlate'``,
        ``y[n] = sum_i x[n + i] k[i]``.
    at : int or pair, optional
        The output whose window is drawn; default the largest ``|y|``.
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional
        Save the figure there.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    The articles' noisy signal smoothed by a 3-tap mean:

    >>> fig = plot_convolution([10, 9, 10, 9, 10, 1, 10, 9, 10, 8], [1 / 3] * 3, at=5)
    >>> fig.axes[2].get_title()
    'y[5] = 7'
    """
    import convolab

    if op not in ("correlate", "convolve"):
        raise ValueError(f"`op` must be 'correlate' or 'convolve'; got {op!r}")
    if mode not in ("same", "full", "valid"):
        raise ValueError(f"`mode` must be one of 'full', 'same', 'valid'; got {mode!r}")
    xa = _real_array("x", x, (1, 2))
    ka = _real_array("k", k, (1, 2))
    if ka.ndim != xa.ndim:
        raise ValueError(f"`x` and `k` must have the same ndim; got {xa.shape} and {ka.shape}")
    if y is None:
        func = convolab.correlate if op == "correlate" else convolab.convolve
        ya = np.asarray(func(xa, ka, mode=mode), dtype=np.float64)
    else:
        ya = _real_array("y", y, (xa.ndim,))
    full = tuple(n + m - 1 for n, m in zip(xa.shape, ka.shape))
    offsets = []
    for ax, (n, m, f, ny) in enumerate(zip(xa.shape, ka.shape, full, ya.shape)):
        if ny not in (f, n, n - m + 1) or ny < 1:
            raise ValueError(
                f"`y` has {ny} samples on axis {ax}; expected {f} (full), {n} (same) or "
                f"{n - m + 1} (valid) for x of {n} and k of {m}"
            )
        offsets.append((f - ny) // 2 - (m - 1))  # window start of output t is t + offset
    if at is None:
        where = np.unravel_index(int(np.argmax(np.abs(ya))), ya.shape)
    else:
        where = (at,) if isinstance(at, numbers.Integral) else tuple(at)
        if len(where) != ya.ndim or not all(
            isinstance(v, numbers.Integral) and 0 <= v < n for v, n in zip(where, ya.shape)
        ):
            raise ValueError(f"`at` must index `y` of shape {ya.shape}; got {at!r}")
    where = tuple(int(v) for v in where)
    shown = ka[::-1, ::-1] if (op == "convolve" and ka.ndim == 2) else ka
    if op == "convolve" and ka.ndim == 1:
        shown = ka[::-1]
    klabel = "kernel k (flipped)" if op == "convolve" else "kernel k"
    value = float(ya[where])
    vtext = f"{value:.4g}"
    if xa.ndim == 1:
        fig = _figure(figsize, dpi, (7.0, 5.0))
        axes = fig.subplots(3, 1, sharex=True)
        n, m = xa.size, ka.size
        t = where[0]
        start = t + offsets[0]
        taps = np.arange(start, start + m)
        axes[0].stem(np.arange(n), xa, basefmt="k-")
        axes[0].axvspan(start - 0.5, start + m - 0.5, color="tab:orange", alpha=0.2)
        axes[0].set_ylabel("input x")
        axes[1].bar(taps, shown, width=0.6, color="tab:orange")
        axes[1].axhline(0, color="k", lw=0.8)
        axes[1].set_ylabel(klabel)
        centres = np.arange(ya.size) + offsets[0] + (m - 1) / 2
        axes[2].stem(centres, ya, basefmt="k-")
        axes[2].plot([centres[t]], [ya[t]], "o", color="tab:orange", ms=9)
        axes[2].set_ylabel("output y")
        axes[2].set_title(f"y[{t}] = {vtext}", fontsize=9)
        axes[2].set_xlabel("position")
        lo = min(0, int(np.floor(centres.min())), start)
        hi = max(n - 1, int(np.ceil(centres.max())), start + m - 1)
        axes[2].set_xlim(lo - 0.8, hi + 0.8)
    else:
        from matplotlib.patches import Rectangle

        fig = _figure(figsize, dpi, (10.0, 3.8))
        axes = fig.subplots(1, 3)
        ims = [
            axes[0].imshow(xa, cmap="gray"),
            axes[1].imshow(shown, cmap=_DIVERGING, vmin=-_symmetric_limit([shown]),
                           vmax=_symmetric_limit([shown])),
            axes[2].imshow(ya, cmap="gray"),
        ]  # fmt: skip
        r0, c0 = where[0] + offsets[0], where[1] + offsets[1]
        axes[0].add_patch(
            Rectangle((c0 - 0.5, r0 - 0.5), ka.shape[1], ka.shape[0], fill=False,
                      edgecolor="tab:orange", lw=2)
        )  # fmt: skip
        axes[2].add_patch(
            Rectangle((where[1] - 0.5, where[0] - 0.5), 1, 1, fill=False, edgecolor="tab:orange",
                      lw=2)
        )  # fmt: skip
        for ax, im, label in zip(axes, ims, ("input x", klabel, "output y")):
            ax.set_ylabel(label)
            fig.colorbar(im, ax=ax, shrink=0.8)
        axes[2].set_title(f"y[{where[0]}, {where[1]}] = {vtext}", fontsize=9)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


# --------------------------------------------------------------------------- kernels


def _kernel_grid(obj: Any) -> tuple[list[list[np.ndarray]], list[list[str]], bool]:
    """Rows of 2D kernels, their labels, and whether rows/columns are output/input channels."""
    if isinstance(obj, Mapping):
        items = [(str(n), _real_array(f"kernels[{n!r}]", v, (1, 2))) for n, v in obj.items()]
        if not items:
            raise ValueError("`kernels_or_layer` must not be empty")
        return [[np.atleast_2d(v) for _, v in items]], [[n for n, _ in items]], False
    if isinstance(obj, list | tuple) and obj:
        try:
            obj = np.asarray(obj, dtype=np.float64)  # a nested list is one array
        except (TypeError, ValueError):
            pass
    if isinstance(obj, list | tuple) and obj:  # kernels of different shapes
        arrays = [_real_array(f"kernels[{i}]", v, (1, 2)) for i, v in enumerate(obj)]
        return [[np.atleast_2d(a) for a in arrays]], [[str(i) for i in range(len(arrays))]], False
    weight = getattr(obj, "weight", None)
    if weight is not None and not isinstance(obj, np.ndarray):
        w = _real_array("kernels_or_layer.weight", weight, (3, 4, 5))
        if w.ndim == 3:  # Conv1d: (C_out, C_in, k) as 1 x k images
            w = w[:, :, None, :]
        elif w.ndim == 5:
            raise ValueError(f"3D kernels cannot be drawn as a grid; got weight {w.shape}")
    else:
        w = _real_array("kernels_or_layer", obj, (1, 2, 3, 4))
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
    cmap: str = _DIVERGING,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
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
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from convolab import kernels
    >>> fig = plot_kernels({"sobel x": kernels.sobel(1), "laplacian": kernels.laplacian()})
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['sobel x', 'laplacian']
    """
    limit = analysis._positive_int("max_kernels", max_kernels)
    rows, labels, channels = _kernel_grid(kernels_or_layer)
    total = sum(len(r) for r in rows)
    if len(rows) == 1:
        flat, flat_labels = rows[0][:limit], labels[0][:limit]
        n = len(flat)
        if ncols is None:
            cols = n if n <= 6 else math.ceil(math.sqrt(n))
        else:
            cols = analysis._positive_int("ncols", ncols)
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
    vmax = _symmetric_limit(every)
    if len(every) > 16:
        mosaic, kh, kw = _mosaic(grid)
        h_px, w_px = mosaic.shape
        scale = min(0.15, 11.0 / w_px, 14.0 / h_px)  # inches per kernel pixel
        fig = _figure(figsize, dpi, (max(w_px * scale + 1.8, 4.0), max(h_px * scale + 1.0, 2.5)))
        ax = fig.subplots()
        im = ax.imshow(mosaic, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
        if channels:
            ax.set_xticks(*_ticks(cols, kw + 1))
            ax.set_yticks(*_ticks(nrows, kh + 1))
            ax.set_xlabel("input channel")
            ax.set_ylabel("output channel")
        else:
            _bare(ax)
        ax.tick_params(labelsize=7, length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        fig.colorbar(im, ax=ax, shrink=0.6, fraction=0.04)
        if title or note:
            fig.suptitle((title or "kernels") + note)
        return _finish(fig, path)
    if annotate is None:
        annotate = all(k.shape[0] <= 5 and k.shape[1] <= 5 for k in every)
    kh = max(k.shape[0] for k in every)
    kw = max(k.shape[1] for k in every)
    cell = max(1.5, 0.36 * max(kh, kw)) if annotate else 1.1
    default = (min(max(cols * cell + 1.2, 3.0), 16.0), min(max(nrows * cell + 0.6, 2.0), 16.0))
    fig = _figure(figsize, dpi, default)
    axes = np.atleast_2d(fig.subplots(nrows, cols, squeeze=False))
    written = []
    im = None
    for r in range(nrows):
        for c in range(cols):
            ax = axes[r, c]
            _bare(ax)
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
    return _finish(fig, path)


def _fit_values(fig: Figure, ax: Any, cells: tuple[int, int], texts: list[Any]) -> None:
    """The largest font (at most 9 pt) whose longest value fits a kernel cell; none under 4.5."""
    fig.draw_without_rendering()  # lay the panels out to measure them
    box = ax.get_window_extent()
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


# --------------------------------------------------------------------------- feature maps


def _spatial_dims(model: Any) -> int:
    for _, mod in model.named_modules():
        w = getattr(mod, "weight", None)
        if hasattr(mod, "kernel_size") and w is not None:
            return analysis._data(w).ndim - 2
    for _, mod in model.named_modules():
        k = getattr(mod, "kernel_size", None)
        if isinstance(k, tuple | list):
            return len(k)
    raise ValueError(
        f"`model` has no convolution layer to draw feature maps of; got {type(model).__name__}"
    )


def plot_feature_maps(
    model: Any,
    image: Any,
    *,
    max_maps: int = 8,
    cmap: str = "viridis",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The input and every convolution and pooling layer's maps for one image.

    One row per layer (the input first): up to ``max_maps`` channels of a 2D
    model as small images (the row's label says "8 of 120 channels shown" when
    there are more); for a 1D model, all channels of the layer as a
    ``channels x time`` image. Maps of a single position (``1 x 1``, or length
    1) are drawn as one bar per channel, every channel, since a one-pixel image
    shows only its colour.

    Parameters
    ----------
    model : Module
    image : array_like
        One sample: ``(H, W)``, ``(C, H, W)`` or a batch of one ``(1, C, H, W)``
        for a 2D model; ``(L,)``, ``(C, L)`` or ``(1, C, L)`` for a 1D model.
    max_maps : int, default 8
        Channels drawn as images per layer (2D models).
    cmap : str, default 'viridis'
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
    >>> fig = plot_feature_maps(model, np.eye(10, dtype=np.float32))
    >>> [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    ['input\\n(1, 10, 10)', '0 Conv2d\\n(4, 8, 8)', '2 MaxPool2d\\n(4, 4, 4)']
    """
    analysis._check_module("model", model)
    max_maps = analysis._positive_int("max_maps", max_maps)
    dims = _spatial_dims(model)
    img = _real_array("image", analysis._one_input("image", image, dims), (dims + 1,))
    batch = img[None].astype(analysis._param_dtype(model))
    records = analysis.activations(model, batch)
    kinds = ("conv", "maxpool", "avgpool", "window", "adaptive")
    shown = [
        (f"{r.name} {r.kind}", r.output[0])
        for r in records
        if analysis._kind(r.layer) in kinds and r.output.ndim == dims + 2
    ]
    rows = [("input", batch[0].astype(np.float64)), *shown]
    if dims == 1:
        fig = _figure(figsize, dpi, (8.0, 1.3 * len(rows) + 0.6))
        axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
        for ax, (label, maps) in zip(axes, rows):
            ax.set_ylabel(f"{label}\n{tuple(maps.shape)}", fontsize=8)
            if maps.shape[-1] == 1:
                _channel_bars(ax, maps)
                continue
            im = ax.imshow(maps, aspect="auto", cmap=cmap, interpolation="nearest")
            ax.set_yticks([])
            fig.colorbar(im, ax=ax, pad=0.01)
        axes[-1].set_xlabel("position")
    else:
        cols = min(max_maps, max(m.shape[0] for _, m in rows))
        many = len(rows) * cols > 16  # many small panels: a fixed layout is much faster
        size = (min(1.3 * cols + 1.0, 16.0), min(1.3 * len(rows) + 0.6, 20.0))
        fig = _figure(figsize, dpi, size, constrained=not many)
        grid = fig.add_gridspec(len(rows), cols)
        if many:
            fig.subplots_adjust(left=1.5 / size[0], right=0.99, bottom=0.05,
                                top=0.9 if title else 0.95, wspace=0.1, hspace=0.45)
        for r, (label, maps) in enumerate(rows):
            text = f"{label}\n{tuple(maps.shape)}"
            if all(n == 1 for n in maps.shape[1:]):  # one value per channel: bars
                ax = fig.add_subplot(grid[r, :])
                _channel_bars(ax, maps)
            else:
                if maps.shape[0] > cols:
                    text += f"\n{cols} of {maps.shape[0]}\nchannels shown"
                for c in range(min(cols, maps.shape[0])):
                    ax = fig.add_subplot(grid[r, c])
                    _bare(ax)
                    ax.imshow(maps[c], cmap=cmap, interpolation="nearest")
                    if r == 0 or c > 0:
                        ax.set_title(f"ch {c}", fontsize=7)
                    if c == 0:
                        first = ax
                ax = first
            ax.set_ylabel(text, fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _channel_bars(ax: Any, maps: np.ndarray) -> None:
    """One bar per channel for maps of a single position (``(C, 1, ..., 1)``)."""
    values = maps.reshape(maps.shape[0])
    ax.bar(np.arange(values.size), values, width=0.8, color=np.where(values < 0, "C3", "C0"))
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlim(-0.6, values.size - 0.4)
    ax.tick_params(labelsize=6)
    ax.set_xlabel("channel", fontsize=7, labelpad=1)


# --------------------------------------------------------------------------- learned vs classic


def _kernel_list(layer: Any, max_filters: int) -> list[tuple[str, np.ndarray]]:
    weight = getattr(layer, "weight", None)
    if weight is not None and not isinstance(layer, np.ndarray):
        w = _real_array("layer.weight", weight, (3, 4))
        pairs = [
            (f"{o},{i}" if w.shape[1] > 1 else f"{o}", w[o, i])
            for o in range(w.shape[0])
            for i in range(w.shape[1])
        ]
    else:
        w = _real_array("layer", layer, (2, 3, 4))
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
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
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
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

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
    max_filters = analysis._positive_int("max_filters", max_filters)
    if isinstance(min_cosine, bool) or not isinstance(min_cosine, numbers.Real) or not (
        0 <= min_cosine <= 1
    ):
        raise ValueError(f"`min_cosine` must be a number in [0, 1]; got {min_cosine!r}")
    per_row = analysis._positive_int("pairs_per_row", pairs_per_row)
    items = _kernel_list(layer, max_filters)
    banks: dict[tuple[int, ...], dict[str, np.ndarray]] = {}
    n = len(items)
    per_row = min(per_row, n)
    nrows = math.ceil(n / per_row)
    fig = _figure(figsize, dpi, (min(3.0 * per_row + 0.4, 16.0), min(1.7 * nrows + 0.6, 20.0)))
    axes = fig.subplots(nrows, 2 * per_row, squeeze=False)
    for ax in axes.ravel():
        _bare(ax)
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
            _bare(ax)
            if img is None:
                ax.set_title(text, fontsize=7)
                ax.text(0.5, 0.5, f"best: {name}\n|cos| = {abs(match.cosine):.2f}",
                        ha="center", va="center", fontsize=6, color="0.35",
                        transform=ax.transAxes)  # fmt: skip
                for side in ax.spines.values():
                    side.set_linestyle(":")
                continue
            img2 = np.atleast_2d(img)
            lim = _symmetric_limit([img2])
            ax.imshow(img2, cmap=_DIVERGING, vmin=-lim, vmax=lim, aspect="equal")
            ax.set_title(text, fontsize=7)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


# --------------------------------------------------------------------------- training


def _series(metrics: Any) -> dict[str, np.ndarray]:
    epochs = metrics.get("epochs") if isinstance(metrics, Mapping) else getattr(
        metrics, "epochs", None
    )
    if isinstance(epochs, list) and epochs and all(isinstance(r, Mapping) for r in epochs):
        metrics = epochs  # convolab.train.History, or its to_dict()
    if isinstance(metrics, Mapping):
        table = dict(metrics)
    elif isinstance(metrics, Sequence) and not isinstance(metrics, str) and metrics and all(
        isinstance(row, Mapping) for row in metrics
    ):
        keys: list[str] = []
        for row in metrics:
            keys += [k for k in row if k not in keys]
        table = {k: [row.get(k, np.nan) for row in metrics] for k in keys}
    else:
        raise TypeError(
            "`metrics` must be a dict of per-epoch lists or a non-empty list of per-epoch dicts; "
            f"got {type(metrics).__name__}"
        )
    out: dict[str, np.ndarray] = {}
    for key, values in table.items():
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            continue  # non-numeric columns (timestamps as text, paths) are not drawn
        if arr.ndim == 1 and arr.size:
            out[str(key)] = arr
    lengths = {k: v.size for k, v in out.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"`metrics` series must have equal lengths; got {lengths}")
    return out


def plot_history(
    metrics: Any,
    *,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Training curves: losses on one panel, accuracies on another, other numbers on a third.

    Parameters
    ----------
    metrics : dict, list of dict or History
        ``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``, one
        dict per epoch, or what :func:`convolab.train.fit` returns (a
        ``History``, or its ``to_dict()``, whose ``epochs`` are used). Keys containing
        ``loss`` go to the first panel, keys containing ``acc`` to the second;
        an ``epoch`` series is the horizontal axis (default 1, 2, ...).
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_history({"loss": [2.3, 1.1, 0.7], "val_accuracy": [0.4, 0.7, 0.8]})
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    data = _series(metrics)
    epochs = data.pop("epoch", None)
    groups = {
        "loss": [k for k in data if "loss" in k.lower()],
        "accuracy": [k for k in data if "acc" in k.lower() and "loss" not in k.lower()],
    }
    taken = set(groups["loss"]) | set(groups["accuracy"])
    others = [k for k in data if k not in taken]
    if others:
        groups["other"] = others
    panels = [(name, keys) for name, keys in groups.items() if keys]
    if not panels:
        raise ValueError(f"`metrics` has no numeric series to draw; got keys {list(data)}")
    n = next(iter(data.values())).size
    xs = np.arange(1, n + 1) if epochs is None else epochs
    fig = _figure(figsize, dpi, (4.2 * len(panels), 3.4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, keys) in zip(axes, panels):
        for key in keys:
            ax.plot(xs, data[key], marker="o", ms=3, label=key)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def plot_confusion(
    cm: Any,
    labels: Sequence[Any] | None = None,
    *,
    normalize: bool = False,
    cmap: str = "Blues",
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """A confusion matrix: rows the true class, columns the predicted one.

    Parameters
    ----------
    cm : array_like, shape ``(K, K)``
        Counts (non-negative); ``cm[i, j]`` samples of class ``i`` predicted ``j``.
    labels : sequence of length K, optional
        Class names; default ``0..K-1``.
    normalize : bool, default False
        Divide each row by its total (per-class recall on the diagonal).
    cmap : str, default 'Blues'
    title : str, optional
        Default ``"accuracy = trace / total"``.
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_confusion([[5, 1], [2, 8]], labels=["cat", "dog"])
    >>> fig.axes[0].get_title()
    'accuracy = 13/16 = 81.2%'
    """
    m = _real_array("cm", cm, (2,))
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"`cm` must be square (K, K); got shape {m.shape}")
    if (m < 0).any():
        raise ValueError("`cm` must hold non-negative counts")
    k = m.shape[0]
    names = [str(i) for i in range(k)] if labels is None else [str(v) for v in labels]
    if len(names) != k:
        raise ValueError(f"`labels` must have {k} entries (one per class); got {len(names)}")
    total = m.sum()
    shown = m
    if normalize:
        rows = m.sum(axis=1, keepdims=True)
        shown = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    side = min(max(0.45 * k + 2.0, 3.5), 14.0)
    fig = _figure(figsize, dpi, (side + 0.8, side))
    ax = fig.subplots()
    im = ax.imshow(shown, cmap=cmap, vmin=0)
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= 20:
        top = float(shown.max()) or 1.0
        for (i, j), v in np.ndenumerate(shown):
            if normalize:
                text = f"{v:.2f}"
            else:
                text = f"{v:.0f}" if float(v).is_integer() else f"{v:.3g}"
            colour = "white" if v > top / 2 else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    fig.colorbar(im, ax=ax, shrink=0.8)
    if title is None:
        correct = float(np.trace(m))
        acc = correct / total if total > 0 else float("nan")
        title = f"accuracy = {correct:g}/{total:g} = {100 * acc:.1f}%"
    ax.set_title(title)
    return _finish(fig, path)


# --------------------------------------------------------------------------- analysis figures


def plot_receptive_field(
    model: Any,
    input_shape: Sequence[int],
    *,
    image: Any = None,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """The receptive field of the centre output of every convolution and pooling layer.

    2D models: one rectangle per layer over the input (or over ``image``); 1D
    models: one bar per layer under the signal. Sizes and positions are those of
    :func:`convolab.analysis.receptive_field`: output ``o`` sees input pixels
    ``c - (r - 1)/2 + o j`` to ``c + (r - 1)/2 + o j`` (padding included).

    Parameters
    ----------
    model : Module
    input_shape : tuple of int
        One input's shape without the batch axis, ``(C, H, W)`` or ``(C, L)``.
    image : array_like, optional
        Drawn underneath: ``(H, W)``, ``(C, H, W)`` or ``(1, C, H, W)`` (first
        channel); ``(L,)``, ``(C, L)`` or ``(1, C, L)`` for 1D.
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3))
    >>> fig = plot_receptive_field(model, (1, 16, 16))
    >>> [p.get_label() for p in fig.axes[0].patches]
    ['0 Conv2d: 3x3', '1 MaxPool2d: 4x4', '2 Conv2d: 8x8']
    """
    analysis._check_module("model", model)
    shape = analysis._shape_arg("input_shape", input_shape, min_len=2)
    if len(shape) not in (2, 3):
        raise ValueError(f"`input_shape` must be (C, L) or (C, H, W); got {tuple(input_shape)!r}")
    dims = len(shape) - 1
    fields = analysis.receptive_field(model, shape)
    records = analysis.activations(model, analysis._zeros_batch(model, shape))
    kinds = ("conv", "maxpool", "avgpool", "window", "adaptive")
    chosen = [
        f for f, r in zip(fields, records)
        if analysis._kind(r.layer) in kinds and f.size is not None
        and len(f.output_shape) == dims + 1
    ]  # fmt: skip
    if not chosen:
        raise ValueError(f"`model` has no convolution or pooling layer on {dims}D inputs")
    if image is not None:
        back = _real_array("image", analysis._one_input("image", image, dims), (dims + 1,))[0]
        if back.shape != shape[1:]:
            raise ValueError(f"`image` must have the spatial shape {shape[1:]}; got {back.shape}")
    else:
        back = np.zeros(shape[1:])
    colours = [f"C{i % 10}" for i in range(len(chosen))]
    if dims == 2:
        from matplotlib.patches import Rectangle

        fig = _figure(figsize, dpi, (6.5, 5.0))
        ax = fig.subplots()
        ax.imshow(back, cmap="gray")
        for f, colour in zip(chosen, colours):
            centre = [n // 2 for n in f.output_shape[1:]]
            lo = [c - (r - 1) / 2 + o * j for c, r, o, j in zip(f.start, f.size, centre, f.jump)]
            ax.add_patch(
                Rectangle((lo[1] - 0.5, lo[0] - 0.5), f.size[1], f.size[0], fill=False,
                          edgecolor=colour, lw=2,
                          label=f"{f.name} {f.layer}: {f.size[0]:g}x{f.size[1]:g}")
            )  # fmt: skip
        pad = max(max(f.size) for f in chosen) / 2
        ax.set_xlim(-pad - 1, shape[2] + pad)
        ax.set_ylim(shape[1] + pad, -pad - 1)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_title("receptive field of the centre output", fontsize=9)
    else:
        fig = _figure(figsize, dpi, (8.0, 2.0 + 0.3 * len(chosen)))
        ax = fig.subplots()
        ax.plot(np.arange(shape[1]), back, color="0.3", lw=1)
        top = float(back.max()) if back.size else 0.0
        step = (float(np.ptp(back)) or 1.0) * 0.15
        for i, (f, colour) in enumerate(zip(chosen, colours)):
            centre = f.output_shape[1] // 2
            lo = f.start[0] - (f.size[0] - 1) / 2 + centre * f.jump[0]
            y = top + step * (i + 1)
            ax.plot([lo - 0.5, lo + f.size[0] - 0.5], [y, y], color=colour, lw=4,
                    label=f"{f.name} {f.layer}: {f.size[0]:g}")  # fmt: skip
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.set_xlabel("position")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def plot_mlp_cnn(
    sizes: Sequence[int] = (8, 16, 28, 64, 128, 256),
    *,
    channels: int = 1,
    kernel_size: int = 3,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Weights of a fully connected layer against a convolution, as the image grows.

    For each ``n`` in ``sizes``, an ``n x n`` hidden layer fully connected to a
    ``channels x n x n`` image needs ``channels * n**4`` weights, while one
    ``k x k`` convolution kernel needs ``channels * k**2`` whatever ``n``
    (:func:`convolab.analysis.compare_mlp_cnn`). Logarithmic vertical axis.

    Parameters
    ----------
    sizes : sequence of int
        Image sides ``n``.
    channels : int, default 1
    kernel_size : int, default 3
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_mlp_cnn([4, 8])
    >>> [[int(v) for v in line.get_ydata()] for line in fig.axes[0].lines]
    [[256, 4096], [9, 9]]
    """
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or not sizes:
        raise TypeError(f"`sizes` must be a non-empty sequence of ints; got {sizes!r}")
    ns = [analysis._positive_int("sizes", n) for n in sizes]
    rows = [
        analysis.compare_mlp_cnn((channels, n, n), kernel_size=kernel_size) for n in ns
    ]
    fig = _figure(figsize, dpi, (6.0, 4.0))
    ax = fig.subplots()
    ax.plot(ns, [r.mlp_weights for r in rows], "o-", label=f"fully connected ({channels} n^4)")
    ax.plot(ns, [r.conv_weights for r in rows], "s-",
            label=f"convolution {kernel_size}x{kernel_size} ({rows[0].conv_weights})")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("image side n (n x n image, n x n hidden layer)")
    ax.set_ylabel("weights")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def plot_information(
    info: Sequence[Any],
    *,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """``I(X;T)`` and ``I(T;Y)`` per layer as bars.

    The values come from :func:`convolab.analysis.information_per_layer`.

    Parameters
    ----------
    info : sequence of LayerInformation
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from convolab.analysis import LayerInformation
    >>> fig = plot_information([LayerInformation("0", "Conv2d", 5.0, 1.0),
    ...                         LayerInformation("1", "ReLU", 4.0, 0.9)])
    >>> [float(p.get_height()) for p in fig.axes[0].patches]
    [5.0, 4.0, 1.0, 0.9]
    """
    items = list(info) if isinstance(info, Sequence) and not isinstance(info, str) else None
    if not items or not all(isinstance(i, analysis.LayerInformation) for i in items):
        raise TypeError(
            "`info` must be a non-empty list of LayerInformation "
            f"(from analysis.information_per_layer); got {info!r}"
        )
    xs = np.arange(len(items))
    has_y = all(i.i_ty is not None for i in items)
    width = 0.4 if has_y else 0.8
    fig = _figure(figsize, dpi, (max(4.0, 0.6 * len(items) + 2.0), 3.6))
    ax = fig.subplots()
    ax.bar(xs - (width / 2 if has_y else 0), [i.i_xt for i in items], width, label="I(X;T)")
    if has_y:
        ax.bar(xs + width / 2, [i.i_ty for i in items], width, label="I(T;Y)")
    ax.set_xticks(xs, [f"{i.name} {i.layer}" for i in items], rotation=45, ha="right",
                  fontsize=8)  # fmt: skip
    ax.set_ylabel("bits")
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def plot_equivariance(
    layers: Any,
    x: Any,
    shifts: Sequence[int] = tuple(range(9)),
    *,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Equivariance and invariance errors against the shift, one curve per layer.

    Left: :func:`convolab.analysis.equivariance_error` (0 for a convolution at
    every shift; for a pooling of stride ``j`` only at multiples of ``j``).
    Right: :func:`convolab.analysis.invariance_error` (how much the output
    changes at all; pooling lowers it). Shifts apply to the last spatial axis.

    Parameters
    ----------
    layers : Module or dict
        A layer, or ``name -> layer``.
    x : array_like, shape ``(N, C, *spatial)``
    shifts : sequence of int, default 0..8
    title : str, optional
    figsize : (float, float), optional
    dpi : float, default 100
    path : path, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> x = np.random.default_rng(0).standard_normal((1, 1, 32))
    >>> fig = plot_equivariance({"pool": nn.MaxPool1d(2)}, x, shifts=[0, 1, 2])
    >>> [float(v) > 0 for v in fig.axes[0].lines[0].get_ydata()]
    [False, True, False]
    """
    named = dict(layers) if isinstance(layers, Mapping) else {type(layers).__name__: layers}
    if not named:
        raise ValueError("`layers` must not be empty")
    xs = np.asarray(x)
    if xs.ndim < 3:
        raise ValueError(f"`x` must be a batch (N, C, *spatial); got shape {xs.shape}")
    if isinstance(shifts, str) or not isinstance(shifts, Sequence) or not shifts:
        raise TypeError(f"`shifts` must be a non-empty sequence of ints; got {shifts!r}")
    m = xs.ndim - 2
    moves = [(0,) * (m - 1) + (int(s),) for s in shifts]
    fig = _figure(figsize, dpi, (9.0, 3.6))
    ax_e, ax_i = fig.subplots(1, 2)
    for name, layer in named.items():
        steps = [s[-1] for s in moves]
        ax_e.plot(steps, [analysis.equivariance_error(layer, xs, s) for s in moves], "o-",
                  label=str(name))  # fmt: skip
        ax_i.plot(steps, [analysis.invariance_error(layer, xs, s) for s in moves], "o-",
                  label=str(name))  # fmt: skip
    ax_e.set_title("equivariance error  |f(Sx) - S'f(x)| / |f(x)|", fontsize=9)
    ax_i.set_title("invariance error  |f(Sx) - f(x)| / |f(x)|", fontsize=9)
    for ax in (ax_e, ax_i):
        ax.set_xlabel("shift (pixels)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)
