"""What a model's layers see and produce: feature maps and receptive fields."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from convolab import analysis
from convolab.analysis.observe import (
    check_module,
    layer_kind,
    layer_window,
    one_input,
    param_dtype,
    positive_int,
    shape_arg,
    zeros_batch,
)
from convolab.viz.figure import bare, finish, new_figure, real_array

__all__ = ["plot_feature_maps", "plot_receptive_field"]


# The layers whose outputs are maps worth drawing: windows and adaptive pooling.
_MAP_KINDS = ("conv", "pool", "adaptive_pool")


def _spatial_dims(model: Any) -> int:
    """Spatial axes of the model's inputs, from its first convolution (else its first window)."""
    layers = [mod for _, mod in model.named_modules()]
    for mod in sorted(layers, key=lambda mod: layer_kind(mod) != "conv"):  # stable: convs first
        window = layer_window(mod)
        if window is not None:
            return len(window.kernel_size)
    raise ValueError(
        f"`model` has no convolution layer to draw feature maps of; got {type(model).__name__}"
    )


def plot_feature_maps(
    model: Any,
    image: Any,
    *,
    max_maps: int = 8,
    cmap: str = "viridis",
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
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
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        One row per layer, the input first.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
    >>> fig = plot_feature_maps(model, np.eye(10, dtype=np.float32))
    >>> [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    ['input\\n(1, 10, 10)', '0 Conv2d\\n(4, 8, 8)', '2 MaxPool2d\\n(4, 4, 4)']
    """
    check_module("model", model)
    max_maps = positive_int("max_maps", max_maps)
    dims = _spatial_dims(model)
    img = real_array("image", one_input("image", image, dims), (dims + 1,))
    batch = img[None].astype(param_dtype(model))
    records = analysis.activations(model, batch)
    shown = [
        (f"{r.name} {r.kind}", r.output[0])
        for r in records
        if layer_kind(r.layer) in _MAP_KINDS and r.output.ndim == dims + 2
    ]
    rows = [("input", batch[0].astype(np.float64)), *shown]
    if dims == 1:
        fig = new_figure(figsize, dpi, (8.0, 1.3 * len(rows) + 0.6))
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
        fig = new_figure(figsize, dpi, size, constrained=not many)
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
                    bare(ax)
                    ax.imshow(maps[c], cmap=cmap, interpolation="nearest")
                    if r == 0 or c > 0:
                        ax.set_title(f"ch {c}", fontsize=7)
                    if c == 0:
                        first = ax
                ax = first
            ax.set_ylabel(text, fontsize=8, rotation=0, ha="right", va="center")
    return finish(fig, path, title)


def _channel_bars(ax: Any, maps: np.ndarray) -> None:
    """One bar per channel for maps of a single position (``(C, 1, ..., 1)``)."""
    values = maps.reshape(maps.shape[0])
    ax.bar(np.arange(values.size), values, width=0.8, color=np.where(values < 0, "C3", "C0"))
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlim(-0.6, values.size - 0.4)
    ax.tick_params(labelsize=6)
    ax.set_xlabel("channel", fontsize=7, labelpad=1)


def plot_receptive_field(
    model: Any,
    input_shape: Sequence[int],
    *,
    image: Any = None,
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
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
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        The input with one box per layer, the field of one output.

    Examples
    --------
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.Conv2d(2, 2, 3))
    >>> fig = plot_receptive_field(model, (1, 16, 16))
    >>> [p.get_label() for p in fig.axes[0].patches]
    ['0 Conv2d: 3x3', '1 MaxPool2d: 4x4', '2 Conv2d: 8x8']
    """
    check_module("model", model)
    shape = shape_arg("input_shape", input_shape, min_len=2)
    if len(shape) not in (2, 3):
        raise ValueError(f"`input_shape` must be (C, L) or (C, H, W); got {tuple(input_shape)!r}")
    dims = len(shape) - 1
    fields = analysis.receptive_field(model, shape)
    records = analysis.activations(model, zeros_batch(model, shape))
    chosen = [
        f for f, r in zip(fields, records)
        if layer_kind(r.layer) in _MAP_KINDS and f.size is not None
        and len(f.output_shape) == dims + 1
    ]  # fmt: skip
    if not chosen:
        raise ValueError(f"`model` has no convolution or pooling layer on {dims}D inputs")
    if image is not None:
        back = real_array("image", one_input("image", image, dims), (dims + 1,))[0]
        if back.shape != shape[1:]:
            raise ValueError(f"`image` must have the spatial shape {shape[1:]}; got {back.shape}")
    else:
        back = np.zeros(shape[1:])
    colours = [f"C{i % 10}" for i in range(len(chosen))]
    if dims == 2:
        from matplotlib.patches import Rectangle

        fig = new_figure(figsize, dpi, (6.5, 5.0))
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
        fig = new_figure(figsize, dpi, (8.0, 2.0 + 0.3 * len(chosen)))
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
    return finish(fig, path, title)
