"""Symmetry: how far a layer is from commuting with a shift, or from ignoring it."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from convolab.analysis.observe import check_module, run_model
from convolab.analysis.receptive import Field, fields_of

__all__ = ["equivariance_error", "invariance_error"]


def _shifts(shift: Any, m: int) -> tuple[int, ...]:
    if isinstance(shift, numbers.Integral) and not isinstance(shift, bool):
        return (int(shift),) * m
    if isinstance(shift, tuple | list) and len(shift) == m and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in shift
    ):
        return tuple(int(v) for v in shift)
    raise TypeError(f"`shift` must be an int or a tuple of {m} ints (one per spatial axis); "
                    f"got {shift!r}")  # fmt: skip


def _shift_setup(layer: Any, x: Any, shift: Any) -> tuple[Any, ...]:
    check_module("layer", layer)
    xs = np.asarray(x)
    if xs.ndim < 3:
        raise ValueError(
            f"`x` must be a batch (N, C, *spatial) with at least one spatial axis; "
            f"got shape {xs.shape}"
        )
    m = xs.ndim - 2
    s = _shifts(shift, m)
    for ax, (si, n) in enumerate(zip(s, xs.shape[2:])):
        if abs(si) >= n:
            raise ValueError(f"`shift` {si} on spatial axis {ax} must be smaller than its size {n}")
    axes = tuple(range(2, xs.ndim))
    records, y = run_model(layer, xs)
    _, ys = run_model(layer, np.roll(xs, s, axis=axes))
    fields = fields_of(records, m)[-1] if records else [Field(1, 1, 0.0)] * m
    return xs, s, y, ys, fields


def _interior(
    n: int, n_out: int, f: Field, s: int, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outputs ``o`` whose window, and that of ``o + q`` in the shifted input, see only data."""
    j = int(f.jump)
    o = np.arange(n_out)
    lo = f.start - (f.size - 1) / 2 + o * j
    hi = lo + f.size - 1
    ok = (lo >= 0) & (hi <= n - 1)
    lo_s, hi_s = lo + q * j, hi + q * j
    ok &= (lo_s >= max(0, s)) & (hi_s <= n - 1 + min(0, s))
    ok &= (o + q >= 0) & (o + q < n_out)
    return o[ok], o[ok] + q


def _compare(y: np.ndarray, ys: np.ndarray, idx: list[tuple[np.ndarray, np.ndarray]]) -> float:
    sel_y, sel_s = y, ys
    for ax, (i, i_s) in enumerate(idx):
        sel_y = np.take(sel_y, i, axis=2 + ax)
        sel_s = np.take(sel_s, i_s, axis=2 + ax)
    if sel_y.size == 0:
        raise ValueError(
            "no interior positions to compare: the input is too small for this shift and "
            "receptive field"
        )
    diff = np.linalg.norm((sel_s.astype(np.float64) - sel_y).ravel())
    ref = np.linalg.norm(sel_y.astype(np.float64).ravel())
    return float(diff / ref) if ref > 0 else float(diff)


def equivariance_error(layer: Any, x: Any, shift: int | Sequence[int]) -> float:
    r"""How far ``layer`` is from commuting with a shift, on the interior of the output.

    .. math:: e = \frac{\| f(S_\delta x) - S_{\delta / j} f(x) \|}{\| f(x) \|}

    over the outputs whose receptive field (in ``x`` and in the shifted ``x``)
    touches neither the padding nor the wrapped-around border. ``j`` is the
    layer's total stride; when ``j`` does not divide ``delta`` the output shift
    is the better of ``floor(delta / j)`` and ``ceil(delta / j)``.

    Parameters
    ----------
    layer : Module
        A layer or a chain of layers (e.g. conv, activation, pooling) keeping
        the spatial axes.
    x : array_like, shape ``(N, C, *spatial)``
    shift : int or tuple of int
        Pixels to shift by, per spatial axis (an int shifts every axis).

    Returns
    -------
    float
        0 for a convolution (exactly, when the arithmetic is exact); for a
        pooling of stride ``j``, 0 when ``j`` divides the shift and usually not
        otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> x = np.arange(16.0).reshape(1, 1, 16) % 5
    >>> equivariance_error(nn.MaxPool1d(2), x, 2), equivariance_error(nn.MaxPool1d(2), x, 1) > 0
    (0.0, True)
    """
    xs, s, y, ys, fields = _shift_setup(layer, x, shift)
    m = xs.ndim - 2
    if fields is None or y.ndim != xs.ndim:
        raise ValueError(
            f"`layer` must keep the spatial axes of `x` to compare shifted outputs; it maps "
            f"{xs.shape} to {y.shape}"
        )
    per_axis: list[list[tuple[np.ndarray, np.ndarray]]] = []
    for ax in range(m):
        f = fields[ax]
        if not float(f.jump).is_integer():
            raise ValueError(f"the layer's stride on axis {ax} is not an integer ({f.jump})")
        j = int(f.jump)
        qs = sorted({s[ax] // j, -(-s[ax] // j)})
        per_axis.append(
            [_interior(xs.shape[2 + ax], y.shape[2 + ax], f, s[ax], q) for q in qs]
        )
    best = math.inf
    for combo in _product(per_axis):
        try:
            best = min(best, _compare(y, ys, list(combo)))
        except ValueError:
            continue
    if best == math.inf:
        raise ValueError(
            f"no interior positions to compare: `x` of shape {xs.shape} is too small for "
            f"shift {s} and the layer's receptive field"
        )
    return best


def _product(lists: list[list[Any]]) -> Iterable[tuple[Any, ...]]:
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head, *rest)


def invariance_error(layer: Any, x: Any, shift: int | Sequence[int]) -> float:
    r"""How much ``layer``'s output changes when its input is shifted.

    .. math:: e = \frac{\| f(S_\delta x) - f(x) \|}{\| f(x) \|}

    For outputs that keep spatial axes, only positions whose receptive field
    sees data (not padding, not the wrapped border) in both inputs count; a
    layer that removes the spatial extent (global pooling to one position, a
    classifier) is compared whole, with the shift circular.

    Parameters
    ----------
    layer : Module
    x : array_like, shape ``(N, C, *spatial)``
    shift : int or tuple of int

    Returns
    -------
    float
        Large for a convolution (its output moves with the input), smaller after
        pooling, 0 for global average pooling under a circular shift.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> x = np.arange(12.0).reshape(1, 1, 12) % 4
    >>> invariance_error(nn.AdaptiveAvgPool1d(1), x, 3)
    0.0
    """
    xs, s, y, ys, fields = _shift_setup(layer, x, shift)
    m = xs.ndim - 2
    if fields is None or y.ndim != xs.ndim or all(n == 1 for n in y.shape[2:]):
        diff = np.linalg.norm((ys.astype(np.float64) - y).ravel())
        ref = np.linalg.norm(y.astype(np.float64).ravel())
        return float(diff / ref) if ref > 0 else float(diff)
    idx = []
    for ax in range(m):
        f = fields[ax]
        f0 = Field(f.size, int(round(float(f.jump))) or 1, f.start)
        o, _ = _interior(xs.shape[2 + ax], y.shape[2 + ax], f0, s[ax], 0)
        idx.append((o, o))
    return _compare(y, ys, idx)


# --------------------------------------------------------------------------- classic kernels

