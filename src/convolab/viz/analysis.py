"""The numbers of :mod:`convolab.analysis` as pictures: MLP against CNN sizes,
information per layer, equivariance and invariance against the shift."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from convolab import analysis
from convolab.analysis.observe import (
    positive_int,
)
from convolab.viz.figure import finish, new_figure

__all__ = ["plot_equivariance", "plot_information", "plot_mlp_cnn"]


def plot_mlp_cnn(
    sizes: Sequence[int] = (8, 16, 28, 64, 128, 256),
    *,
    channels: int = 1,
    kernel_size: int = 3,
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
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
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        Parameters against image size, one curve per layer type, logarithmic.

    Examples
    --------
    >>> fig = plot_mlp_cnn([4, 8])
    >>> [[int(v) for v in line.get_ydata()] for line in fig.axes[0].lines]
    [[256, 4096], [9, 9]]
    """
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or not sizes:
        raise TypeError(f"`sizes` must be a non-empty sequence of ints; got {sizes!r}")
    ns = [positive_int("sizes", n) for n in sizes]
    rows = [
        analysis.compare_mlp_cnn((channels, n, n), kernel_size=kernel_size) for n in ns
    ]
    fig = new_figure(figsize, dpi, (6.0, 4.0))
    ax = fig.subplots()
    ax.plot(ns, [r.mlp_weights for r in rows], "o-", label=f"fully connected ({channels} n^4)")
    ax.plot(ns, [r.conv_weights for r in rows], "s-",
            label=f"convolution {kernel_size}x{kernel_size} ({rows[0].conv_weights})")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("image side n (n x n image, n x n hidden layer)")
    ax.set_ylabel("weights")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return finish(fig, path, title)


def plot_information(
    info: Sequence[Any],
    *,
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
    path: str | os.PathLike | None = None,
) -> Figure:
    """``I(X;T)`` and ``I(T;Y)`` per layer as bars.

    The values come from :func:`convolab.analysis.information_per_layer`.

    Parameters
    ----------
    info : sequence of LayerInformation
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        Both information curves against the layer.

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
    fig = new_figure(figsize, dpi, (max(4.0, 0.6 * len(items) + 2.0), 3.6))
    ax = fig.subplots()
    ax.bar(xs - (width / 2 if has_y else 0), [i.i_xt for i in items], width, label="I(X;T)")
    if has_y:
        ax.bar(xs + width / 2, [i.i_ty for i in items], width, label="I(T;Y)")
    ax.set_xticks(xs, [f"{i.name} {i.layer}" for i in items], rotation=45, ha="right",
                  fontsize=8)  # fmt: skip
    ax.set_ylabel("bits")
    ax.legend(fontsize=8)
    return finish(fig, path, title)


def plot_equivariance(
    layers: Any,
    x: Any,
    shifts: Sequence[int] = tuple(range(9)),
    *,
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
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
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: equivariance error (left), invariance error (right).

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
    fig = new_figure(figsize, dpi, (9.0, 3.6))
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
    return finish(fig, path, title)
