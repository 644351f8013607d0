"""The sliding window: input, kernel and output on one axis."""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from convolab.viz.figure import DIVERGING, finish, new_figure, real_array, symmetric_limit

__all__ = ["plot_convolution"]


def plot_convolution(
    x: Any,
    k: Any,
    y: Any = None,
    *,
    mode: str = "same",
    op: str = "correlate",
    at: int | Sequence[int] | None = None,
    title: str | None = None, figsize: tuple[float, float] | None = None, dpi: float = 100,
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
    xa = real_array("x", x, (1, 2))
    ka = real_array("k", k, (1, 2))
    if ka.ndim != xa.ndim:
        raise ValueError(f"`x` and `k` must have the same ndim; got {xa.shape} and {ka.shape}")
    if y is None:
        func = convolab.correlate if op == "correlate" else convolab.convolve
        ya = np.asarray(func(xa, ka, mode=mode), dtype=np.float64)
    else:
        ya = real_array("y", y, (xa.ndim,))
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
        fig = new_figure(figsize, dpi, (7.0, 5.0))
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

        fig = new_figure(figsize, dpi, (10.0, 3.8))
        axes = fig.subplots(1, 3)
        ims = [
            axes[0].imshow(xa, cmap="gray"),
            axes[1].imshow(shown, cmap=DIVERGING, vmin=-symmetric_limit([shown]),
                           vmax=symmetric_limit([shown])),
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
    return finish(fig, path, title)
