"""Training: loss and accuracy per epoch, and the confusion matrix."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from convolab.viz.figure import finish, new_figure, real_array

__all__ = ["plot_confusion", "plot_history"]


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
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
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
    title, figsize, dpi, path : optional, the options of every figure (:mod:`convolab.viz`)

    Returns
    -------
    matplotlib.figure.Figure
        Loss (and accuracy, when recorded) per epoch.

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
    fig = new_figure(figsize, dpi, (4.2 * len(panels), 3.4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, keys) in zip(axes, panels):
        for key in keys:
            ax.plot(xs, data[key], marker="o", ms=3, label=key)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return finish(fig, path, title)


def plot_confusion(
    cm: Any,
    labels: Sequence[Any] | None = None,
    *,
    normalize: bool = False,
    cmap: str = "Blues",
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
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
    m = real_array("cm", cm, (2,))
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
    fig = new_figure(figsize, dpi, (side + 0.8, side))
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
    return finish(fig, path)
