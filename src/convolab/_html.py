"""HTML for notebooks: the ``_repr_html_`` of models, model summaries, kernels and explanations.

Jupyter shows an object's ``_repr_html_()`` when a cell ends with it. The
classes keep a one-line ``_repr_html_`` that calls a function here, so every
table is built the same way: a ``<table>`` whose cells hold the numbers as
text, with a caption, escaped with :func:`html.escape`. Kernels are drawn as
grids of cells coloured on a diverging scale centred at 0 (blue negative,
white 0, red positive), their weights written in.

>>> from convolab import nn
>>> "<table" in nn.Linear(2, 3)._repr_html_()
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np

__all__ = [
    "explanation_html",
    "kernel_html",
    "kernels_html",
    "module_html",
    "summary_html",
    "table_html",
]

MAX_ROWS = 60  # rows of an explanation written out; the caption says how many there are
MAX_KERNELS = 16  # kernels of a layer drawn as grids
MAX_SIDE = 15  # a kernel wider or taller is drawn as a heatmap: no numbers, values on hover
_STYLE = "border-collapse:collapse;font-family:monospace;font-size:12px"
_CELL = "border:1px solid #ccc;padding:2px 6px;text-align:right"


def table_html(
    head: Sequence[str], rows: Sequence[Sequence[Any]], caption: str | None = None
) -> str:
    """A ``<table>`` with a header row, one ``<tr>`` per row and an optional caption."""
    left = f"{_CELL};text-align:left"  # names read from the left, numbers from the right

    def cells(tag: str, values: Sequence[Any]) -> str:
        return "".join(f'<{tag} style="{left if i == 0 else _CELL}">{escape(str(v))}</{tag}>'
                       for i, v in enumerate(values))  # fmt: skip

    parts = [f'<table style="{_STYLE}">']
    if caption:
        parts.append(f'<caption style="text-align:left;white-space:nowrap">{escape(caption)}'
                     "</caption>")  # fmt: skip
    parts.append(f"<tr>{cells('th', head)}</tr>")
    parts += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    parts.append("</table>")
    return "".join(parts)


def summary_html(summary: Any) -> str:
    """A :class:`convolab.analysis.ModelSummary` as its table and its totals."""
    head, rows = summary.table()
    shape = summary.input_shape
    caption = (f"input shape {tuple(shape)}" if shape is not None else
               "input shape not recorded: parameters only")  # fmt: skip
    return table_html(head, rows, caption) + table_html(("total", ""), summary.totals())


def _colour(value: float, limit: float) -> tuple[str, str]:
    """Background and text colours of a weight on the diverging scale ``[-limit, limit]``."""
    t = min(abs(value) / limit, 1.0) if limit > 0 else 0.0
    fade = round(255 * (1 - 0.85 * t))
    rgb = (255, fade, fade) if value > 0 else (fade, fade, 255)
    return "#{:02x}{:02x}{:02x}".format(*rgb), "white" if t > 0.6 else "black"


def kernel_grid_html(
    kernel: np.ndarray, limit: float, caption: str = "", numbers: bool = True
) -> str:
    """One 2D (or 1D) kernel as a grid of coloured cells holding its weights (or, without
    ``numbers``, a heatmap of small cells whose weights show on hover)."""
    k = np.atleast_2d(np.asarray(kernel, dtype=np.float64))
    parts = [f'<table style="{_STYLE};display:inline-table;margin:4px">']
    if caption:
        parts.append(f'<caption style="text-align:left;white-space:nowrap">{escape(caption)}'
                     "</caption>")  # fmt: skip
    for row in k:
        cells = []
        for v in row:
            bg, fg = _colour(float(v), limit)
            if numbers:
                cells.append(f'<td style="{_CELL};white-space:nowrap;background:{bg};color:{fg}">'
                             f"{float(v):.4g}</td>")  # fmt: skip
            else:
                cells.append(f'<td title="{float(v):.4g}" style="padding:0;width:6px;height:6px;'
                             f'background:{bg}"></td>')  # fmt: skip
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def kernel_html(kernel: Any, name: str | None = None) -> str:
    """One kernel (:class:`convolab.kernels.Kernel`): its grid, captioned with its name,
    shape and sum; a heatmap when a side exceeds :data:`MAX_SIDE`."""
    k = np.asarray(kernel, dtype=np.float64)
    shape = "×".join(map(str, k.shape)) or "scalar"
    caption = f"{name + ': ' if name else ''}{shape}, sum {float(k.sum()):.4g}"
    if k.ndim > 2:
        return f"<p>{escape(caption)} (a {k.ndim}-D kernel: no flat grid)</p>"
    limit = float(np.abs(k).max()) if k.size else 0.0
    numbers = max(np.atleast_2d(k).shape) <= MAX_SIDE
    if numbers:
        return kernel_grid_html(k, limit, caption)
    caption += f", range [{float(k.min()):.4g}, {float(k.max()):.4g}] (hover for a weight)"
    # the caption above the table, not in it: a wide caption would stretch the cells
    return (f'<div style="{_STYLE}">{escape(caption)}</div>'
            + kernel_grid_html(k, limit, numbers=False))  # fmt: skip


def kernels_html(weight: Any, max_kernels: int = MAX_KERNELS) -> str:
    """A conv weight ``(C_out, C_in, *k)`` as a row of kernel grids, one per (out, in) pair."""
    w = np.asarray(getattr(weight, "data", weight), dtype=np.float64)
    pairs = [(f"{o},{i}", w[o, i]) for o in range(w.shape[0]) for i in range(w.shape[1])]
    if w.ndim > 4:  # 3D kernels: no flat grid
        return f"<p>{escape(f'{len(pairs)} kernels of shape {w.shape[2:]}')}</p>"
    shown = pairs[:max_kernels]
    limit = max(float(np.abs(k).max()) for _, k in shown) if shown else 0.0
    note = f"kernels (out, in): {len(shown)} of {len(pairs)} shown" if len(shown) < len(pairs) \
        else f"kernels (out, in): {len(pairs)}"  # fmt: skip
    grids = "".join(kernel_grid_html(k, limit, name) for name, k in shown)
    return f"<div><p>{escape(note)}</p>{grids}</div>"


def module_html(module: Any) -> str:
    """A model or layer: its summary table, then the kernels of a convolution layer."""
    from convolab import analysis
    from convolab.analysis.counts import parameter_summary

    head = f"<p><b>{escape(type(module).__name__)}</b></p>"
    try:
        table = analysis.summary(module)
    except (ValueError, TypeError):  # a recorded input shape the model no longer takes
        table = parameter_summary(module)
    out = head + summary_html(table)
    weight = getattr(module, "weight", None)
    if weight is not None and module.window() is not None and np.ndim(weight.data) >= 3:
        out += kernels_html(weight)
    return out


def explanation_html(explanation: Any, max_rows: int = MAX_ROWS) -> str:
    """An :class:`convolab.explain.Explanation`: one row per output, its products and its sum."""
    from convolab.explain import _fmt

    rows = []
    for row in explanation.rows[:max_rows]:
        t = row.t if isinstance(row.t, int) else ", ".join(str(i) for i in row.t)
        terms = " + ".join(f"({_fmt(s)} × {_fmt(w)})" for s, w in row.products)
        rows.append((t, terms, _fmt(row.sum)))
    n = len(explanation.rows)
    shown = f"first {len(rows)} of {n} outputs" if len(rows) < n else f"{n} outputs"
    caption = f"{explanation.op}, mode {explanation.mode!r}, boundary {explanation.boundary!r}: "
    return table_html(("t", "weighted sum", "output"), rows, caption + shown)
