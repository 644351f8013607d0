"""Argument checks shared by the layer operations, and the naming of per-dimension ops."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, TypeVar

from convolab.conv.geometry import layer_pads
from convolab.nn.tensor import Tensor

OpT = TypeVar("OpT", bound=Callable[..., Any])

# --------------------------------------------------------------------------- validation


def _ntuple(value: Any, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``n`` ints, each >= ``minimum``) as a tuple."""
    items = tuple(value) if isinstance(value, tuple | list) else (value,) * n
    if len(items) != n or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items
    ):
        raise TypeError(f"`{name}` must be an int or a tuple of {n} ints; got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"`{name}` must be >= {minimum} in every axis; got {value!r}")
    return tuple(int(v) for v in items)


def _spatial_names(m: int) -> tuple[str, ...]:
    """The names of ``m`` spatial axes, for messages: ``L``; ``H, W``; ``D, H, W``."""
    return ("L",) if m == 1 else ("H", "W") if m == 2 else ("D", "H", "W")


def _check_ndim(t: Tensor, name: str, allowed: tuple[int, ...], shape_doc: str) -> None:
    if t.ndim not in allowed:
        raise ValueError(f"`{name}` must have shape {shape_doc}; got shape {t.shape}")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"`reduction` must be one of 'mean', 'sum', 'none'; got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _padding_spec(
    padding: Any,
    effective: tuple[int, ...] | list[int],
    stride: tuple[int, ...],
    *,
    transposed: bool = False,
    output_padding: tuple[int, ...] | None = None,
) -> Any:
    """A layer's ``padding`` checked and in one spelling: a name, a tuple of ints or of pairs.

    Symmetric padding becomes one int per axis (``(2, 2)``), asymmetric padding
    ``((before, after), ...)``; the names (``'same'``, ...) stay names, since their
    widths depend on the input's size.
    """
    pads = layer_pads(
        padding, effective, effective, stride, transposed=transposed, output_padding=output_padding
    )
    if isinstance(padding, str):
        return padding
    if all(lo == hi for lo, hi in pads):
        return tuple(lo for lo, _ in pads)
    return pads


def _per_dimension(op: OpT, name: str, doc: str) -> OpT:
    """``op``, made by a per-dimension factory, named ``name`` with the docstring ``doc``.

    The ``1d``/``2d``/``3d`` variants of a layer op share one signature and body;
    each keeps its own name and docstring (with its doctested example), which
    ``help()``, Sphinx and doctest read as for a function written out.
    """
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op
