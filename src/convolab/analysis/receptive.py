r"""Receptive fields: which input pixels each layer's outputs see.

Per spatial axis, for a layer with kernel ``k``, stride ``s``, dilation ``d``
and padding ``p`` (before the first element), on ``r`` (size), ``j`` (jump:
input pixels between neighbouring outputs) and ``c`` (centre of output 0's
window, in input coordinates), starting from ``r = 1, j = 1, c = 0``:

.. math::

    k_e = d (k - 1) + 1, \quad r' = r + (k_e - 1) j, \quad
    c' = c + \left(\tfrac{k_e - 1}{2} - p\right) j, \quad j' = j s.

A layer's window comes from what it declares (``Module.kind`` and
``Module.window()``), never from its class name.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convolab.analysis.observe import (
    Activation,
    check_module,
    input_shape_of,
    layer_kind,
    layer_window,
    nonneg_int,
    positive_int,
    run_model,
    zeros_batch,
)
from convolab.conv.geometry import effective_size

__all__ = ["Field", "ReceptiveField", "as_number", "fields_of", "receptive_field",
           "receptive_field_chain"]  # fmt: skip


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of one layer's outputs, per spatial axis of the model's input.

    Attributes
    ----------
    name, layer : str
        Module name and class name.
    output_shape : tuple of int
        Output shape without the batch axis.
    size : tuple or None
        Input pixels (padding included) that one output depends on, per axis;
        ``None`` when the input has no spatial axes or a layer's geometry is unknown.
    jump : tuple or None
        Input pixels between neighbouring outputs (the product of the strides).
    start : tuple or None
        Centre of output 0's window in input coordinates (negative inside the padding).
    """

    name: str
    layer: str
    output_shape: tuple[int, ...]
    size: tuple[int | float, ...] | None
    jump: tuple[int | float, ...] | None
    start: tuple[float, ...] | None


def as_number(v: float) -> int | float:
    """``v`` as an int when it is integral (receptive-field sizes are, except adaptive pools)."""
    f = float(v)
    return int(f) if f.is_integer() else f


# Layers after which every position of the map has been mixed into each output.
_MIXING = ("flatten", "dropout", "identity", "adaptive_pool", "global_pool")


@dataclass(frozen=True)
class Field:
    size: int | float
    jump: int | float
    start: float

    def window(self, k: int, s: int, p: int, d: int) -> Field:
        ke = effective_size(k, d)
        return Field(
            self.size + (ke - 1) * self.jump,
            self.jump * s,
            self.start + ((ke - 1) / 2 - p) * self.jump,
        )

    def whole(self, n: int) -> Field:
        j = self.jump
        return Field(self.size + (n - 1) * j, j * n, self.start + (n - 1) / 2 * j)


def receptive_field_chain(
    layers: Iterable[Sequence[int]], *, dims: int = 1
) -> list[ReceptiveField]:
    """Receptive fields of a chain of windowed layers given by their hyper-parameters.

    Parameters
    ----------
    layers : iterable of tuples
        ``(kernel, stride)``, ``(kernel, stride, padding)`` or
        ``(kernel, stride, padding, dilation)``, one per layer, each entry an int
        (the same on every axis).
    dims : int, default 1
        Number of spatial axes; with ``dims > 1`` the sizes are tuples.

    Returns
    -------
    list of ReceptiveField
        One per layer (names ``"0"``, ``"1"``, ...; ``output_shape`` empty).

    Notes
    -----
    ``r' = r + (d (k - 1)) j``, ``j' = j s``, ``c' = c + (d (k - 1) / 2 - p) j``
    from ``r = 1``, ``j = 1``, ``c = 0``.

    Examples
    --------
    LeNet-5: 5x5 conv, 2x2 pool, 5x5 conv, 2x2 pool, 5x5 conv: C5 sees 32 x 32.

    >>> chain = receptive_field_chain([(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)])
    >>> [(f.size, f.jump) for f in chain]
    [(5, 1), (6, 2), (14, 2), (16, 4), (32, 4)]
    >>> receptive_field_chain([(3, 1, 1, 2)], dims=2)[0].size
    (5, 5)
    """
    dims = positive_int("dims", dims)
    state = Field(1, 1, 0.0)
    out = []
    for i, spec in enumerate(layers):
        if isinstance(spec, numbers.Integral) or not isinstance(spec, Sequence):
            raise TypeError(
                f"`layers[{i}]` must be (kernel, stride[, padding[, dilation]]); got {spec!r}"
            )
        if not 2 <= len(spec) <= 4:
            raise ValueError(
                f"`layers[{i}]` must be (kernel, stride[, padding[, dilation]]); got {spec!r}"
            )
        k = positive_int(f"layers[{i}] kernel", spec[0])
        s = positive_int(f"layers[{i}] stride", spec[1])
        p = nonneg_int(f"layers[{i}] padding", spec[2]) if len(spec) > 2 else 0
        d = positive_int(f"layers[{i}] dilation", spec[3]) if len(spec) > 3 else 1
        state = state.window(k, s, p, d)
        size, jump, start = as_number(state.size), as_number(state.jump), float(state.start)
        if dims == 1:
            out.append(ReceptiveField(str(i), "window", (), size, jump, start))  # type: ignore[arg-type]
        else:
            rep = (size,) * dims, (jump,) * dims, (start,) * dims
            out.append(ReceptiveField(str(i), "window", (), *rep))
    return out


def fields_of(records: list[Activation], n_spatial: int) -> list[list[Field] | None]:
    """Per record, the receptive field per spatial axis (None when unknown)."""
    state: list[Field] | None = [Field(1, 1, 0.0) for _ in range(n_spatial)]
    spatial = n_spatial > 0
    result: list[list[Field] | None] = []
    for rec in records:
        if state is not None and spatial:
            kind = layer_kind(rec.layer)
            window = layer_window(rec.layer)
            in_shape, out_shape = rec.input_shape, rec.output.shape
            same_rank = len(in_shape) == len(out_shape) == n_spatial + 2
            if kind in ("linear", "matmul"):
                state = [f.whole(n) for f, n in zip(state, in_shape[2:])]
                spatial = False
            elif kind == "permute":  # axes reordered: no field per input axis to follow
                state = None
            elif window is not None and same_rank:
                pads = window.pads(in_shape[2:])
                state = [
                    f.window(k, s, before, d)
                    for f, k, s, (before, _), d in zip(
                        state, window.kernel_size, window.stride, pads, window.dilation
                    )
                ]
            elif kind == "adaptive_pool" and same_rank:
                new = []
                for f, n, o in zip(state, in_shape[2:], out_shape[2:]):
                    i = np.arange(o)
                    lengths = -((-(i + 1) * n) // o) - (i * n) // o
                    size = int(lengths.max())
                    first = int(lengths[0])
                    new.append(
                        Field(f.size + (size - 1) * f.jump, f.jump * n / o,
                               f.start + (first - 1) / 2 * f.jump)
                    )
                state = new
            elif same_rank and in_shape[2:] == out_shape[2:]:
                pass  # element-wise or channel mixing: the field does not change
            elif kind in _MIXING or len(out_shape) < len(in_shape):
                state = [f.whole(n) for f, n in zip(state, in_shape[2:])]
                spatial = False
            else:
                state = None
        result.append(None if state is None else list(state))
    return result


def receptive_field(model: Any, input_shape: Sequence[int] | None = None) -> list[ReceptiveField]:
    """Receptive field of every layer of ``model`` for inputs of shape ``input_shape``.

    Parameters
    ----------
    model : Module
    input_shape : tuple of int, optional
        One sample's shape without the batch axis, e.g. ``(1, 28, 28)``: channels
        first, then the spatial axes. Default: the shape the model records
        (``model.input_shape``, set by :mod:`convolab.models` and kept by model files).

    Returns
    -------
    list of ReceptiveField
        One per layer call, in order. Sizes count input pixels including padding,
        so a layer can see more than the image.

    Notes
    -----
    See the module docstring for the arithmetic: ``r' = r + d (k - 1) j``,
    ``j' = j s``; layers mixing every position widen the field to the whole map.

    Examples
    --------
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3))
    >>> [f.size for f in receptive_field(model, (1, 16, 16))]
    [(3, 3), (3, 3), (4, 4), (8, 8)]
    """
    check_module("model", model)
    shape = input_shape_of(model, input_shape)
    records, _ = run_model(model, zeros_batch(model, shape))
    out = []
    for rec, fields in zip(records, fields_of(records, len(shape) - 1)):
        if fields is None or len(shape) < 2:
            size = jump = start = None
        else:
            size = tuple(as_number(f.size) for f in fields)
            jump = tuple(as_number(f.jump) for f in fields)
            start = tuple(float(f.start) for f in fields)
        out.append(ReceptiveField(rec.name, rec.kind, rec.output.shape[1:], size, jump, start))
    return out


# --------------------------------------------------------------------------- parameters and FLOPs
