"""Padding layers, as PyTorch's: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``,
``ReplicationPad`` and ``CircularPad``, each ``1d``, ``2d`` and ``3d``.

Each calls :func:`convolab.nn.functional.pad` with its widths, in PyTorch's order
(``(left, right)`` of the last axis first), and its mode, one of the boundary
registry's rules. A padding layer declares a 1-sample window with that padding, so
receptive fields follow it.
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

from convolab._docs import template
from convolab.nn import functional as F
from convolab.nn.modules.kind import Window
from convolab.nn.modules.module import Module, register_module
from convolab.nn.tensor import Tensor

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


class _PadNd(Module):
    """Pad the last ``_dims`` axes by ``padding`` with ``_mode``."""

    kind = "pad"
    _dims: ClassVar[int] = 2
    _mode: ClassVar[str] = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _widths(padding, self._dims, type(self).__name__)

    def forward(self, x: Any) -> Tensor:
        return F.pad(x, self.padding, mode=self._mode, value=getattr(self, "value", None))

    def window(self) -> Window:
        pairs = [tuple(self.padding[i : i + 2]) for i in range(0, len(self.padding), 2)]
        ones = (1,) * self._dims
        return Window(ones, ones, tuple(pairs[::-1]), ones)

    def extra_repr(self) -> str:
        return str(self.padding)


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"`value` must be a number; got {value!r}")
        self.value = float(value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return str(self.padding)


def _widths(padding: Any, dims: int, name: str) -> tuple[int, ...]:
    """PyTorch's ``padding``: one int for every side, or ``2 * dims`` ints."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * (2 * dims)
    widths = tuple(padding) if isinstance(padding, tuple | list) else ()
    if len(widths) != 2 * dims or not all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) for w in widths
    ):
        raise ValueError(
            f"{name}: `padding` must be an int or {2 * dims} ints (left, right"
            f"{', top, bottom' if dims > 1 else ''}{', front, back' if dims > 2 else ''}); "
            f"got {padding!r}"
        )
    return tuple(int(w) for w in widths)


_DOC = template(
    """{family} padding of the last {dims} axes: :func:`convolab.nn.functional.pad` with
mode ``'{mode}'``{detail}.

Parameters
----------
padding : int or tuple of {sides} ints
    Samples added before and after each axis, the last axis first (PyTorch's order);
    an int pads every side by it.{value}

Examples
--------
>>> import numpy as np
>>> from convolab import nn
{example}
"""
)


def _family(base: type[_PadNd], family: str, mode: str, detail: str, examples: list[str]):
    """The 1d, 2d and 3d classes of a padding family."""
    classes = []
    for dims, example in zip((1, 2, 3), examples, strict=True):
        name = f"{family}Pad{dims}d"
        cls = type(name, (base,), {"_dims": dims, "_mode": mode, "__module__": __name__})
        value = "\nvalue : float\n    The constant." if base is _ConstantPadNd else ""
        documented = _DOC(family=family, dims=dims, mode=mode, detail=detail,
                          sides=2 * dims, value=value, example=example)(cls)  # fmt: skip
        classes.append(register_module(documented))
    return tuple(classes)


ZeroPad1d, ZeroPad2d, ZeroPad3d = _family(
    _ZeroPadNd, "Zero", "constant", " and value 0",
    [">>> nn.ZeroPad1d((1, 2))(np.ones((1, 1, 2))).data\narray([[[0., 1., 1., 0., 0.]]])",
     ">>> nn.ZeroPad2d(1)\nZeroPad2d((1, 1, 1, 1))",
     ">>> nn.ZeroPad3d(1)(np.ones((1, 1, 1, 1, 1))).shape\n(1, 1, 3, 3, 3)"],
)  # fmt: skip
ConstantPad1d, ConstantPad2d, ConstantPad3d = _family(
    _ConstantPadNd, "Constant", "constant", " and the given value",
    [">>> nn.ConstantPad1d(1, 9.0)(np.zeros((1, 2))).data\narray([[9., 0., 0., 9.]])",
     ">>> nn.ConstantPad2d((1, 0, 0, 1), 3.5)\nConstantPad2d(padding=(1, 0, 0, 1), value=3.5)",
     ">>> nn.ConstantPad3d(2, -1.0)(np.ones((1, 1, 1, 1))).shape\n(1, 5, 5, 5)"],
)  # fmt: skip
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = _family(
    _PadNd, "Reflection", "reflect", " (the edge sample not repeated: ``cb|abcd|cb``)",
    [">>> nn.ReflectionPad1d(2)(np.array([[[1.0, 2.0, 3.0]]])).data\n"
     "array([[[3., 2., 1., 2., 3., 2., 1.]]])",
     ">>> nn.ReflectionPad2d((1, 1, 2, 0))\nReflectionPad2d((1, 1, 2, 0))",
     ">>> nn.ReflectionPad3d(1)(np.ones((1, 1, 2, 2, 2))).shape\n(1, 1, 4, 4, 4)"],
)  # fmt: skip
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = _family(
    _PadNd, "Replication", "replicate", " (the edge sample repeated: ``aa|abcd|dd``)",
    [">>> nn.ReplicationPad1d((0, 2))(np.array([[[1.0, 2.0]]])).data\n"
     "array([[[1., 2., 2., 2.]]])",
     ">>> nn.ReplicationPad2d(1)\nReplicationPad2d((1, 1, 1, 1))",
     ">>> nn.ReplicationPad3d(1)(np.ones((2, 1, 1, 1))).shape\n(2, 3, 3, 3)"],
)  # fmt: skip
CircularPad1d, CircularPad2d, CircularPad3d = _family(
    _PadNd, "Circular", "circular", " (periodic: ``cd|abcd|ab``)",
    [">>> nn.CircularPad1d(1)(np.array([[[1.0, 2.0, 3.0]]])).data\n"
     "array([[[3., 1., 2., 3., 1.]]])",
     ">>> nn.CircularPad2d((1, 0, 0, 0))\nCircularPad2d((1, 0, 0, 0))",
     ">>> nn.CircularPad3d(1)(np.ones((1, 1, 2, 2, 2))).shape\n(1, 1, 4, 4, 4)"],
)  # fmt: skip


def pad_layer(mode: str, padding: tuple[int, ...], value: float = 0.0) -> _PadNd:
    """The padding layer for PyTorch's ``mode`` and ``padding`` (``len(padding) // 2`` axes);
    ``'constant'`` gives ``ZeroPad`` for the value 0, else ``ConstantPad``.

    >>> pad_layer("reflect", (1, 1, 0, 2))
    ReflectionPad2d((1, 1, 0, 2))
    """
    dims = len(padding) // 2
    if mode == "constant" and value:
        return _BY_MODE["constant", dims](padding, value)
    return _BY_MODE["zeros" if mode == "constant" else mode, dims](padding)


#: (mode, dims) -> class; ``'zeros'`` for ``ZeroPad``, ``'constant'`` for ``ConstantPad``.
_BY_MODE: dict[tuple[str, int], Any] = {
    ("zeros" if issubclass(c, _ZeroPadNd) else c._mode, c._dims): c
    for c in (globals()[name] for name in __all__)
}
