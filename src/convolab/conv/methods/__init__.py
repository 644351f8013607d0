"""The engine's methods: one registry, one interface, one problem description.

Every method is a module of this package that defines ``METHOD``, a :class:`Method`:

* ``run(x, k, problem)`` correlates every row of ``x`` (shape ``(B, *S)``, the
  compute dtype) with ``k`` (``(1 or B, *K)``: one kernel shared, or one per
  row), padded by ``problem.pads`` with ``problem.boundary``, at
  ``problem.stride`` and ``problem.dilation``, and returns ``(B, *out)``;
* ``estimate(problem, k)`` returns ``(nanoseconds, reason)`` from the constants
  of :mod:`convolab.conv.profile`, or ``None`` where the method does not apply
  (the planner ranks the estimates);
* for a method whose compiled loop loads only when it pays (the ``optional`` loops of
  :mod:`convolab._jit` under the default ``lazy`` policy), ``unloaded(problem, k)``
  returns the nanoseconds it would take once loaded, while it is not (else ``None``),
  and ``load()`` loads it: the planner loads it once the time it would have saved
  passes the time loading takes (:func:`convolab.conv.planner.choose`).

The modules are found by name: the four below in this order, then any other
module of the package (not starting with ``_``) in alphabetical order, so a new
method is one new file here plus its constants in ``profile.py``. Modules are
imported on first use.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod
from typing import Any

import numpy as np

from convolab.conv.geometry import effective_sizes, output_lengths

__all__ = ["Method", "Problem", "describe", "get", "names", "register"]

_FIRST = ("direct", "fft", "separable", "gemm")


@dataclass(frozen=True)
class Problem:
    """One normalized correlation, as every method and the planner see it.

    Attributes
    ----------
    batch : int
        Number of rows ``B`` of ``x`` (the broadcast non-convolved axes, flattened).
    spatial, kernel, out : tuple of int
        The convolved lengths of ``x``, of the kernel and of the result.
    pads : tuple of (int, int)
        Padding ``(before, after)`` per convolved axis (from the mode).
    stride, dilation : tuple of int
        Per convolved axis.
    itemsize : int
        Bytes per element of the compute dtype; ``complex`` says whether it is complex.
    kernel_batched : bool
        One kernel per row of ``x`` rather than one shared.
    boundary : str
        A name of :data:`convolab.conv.boundary.REGISTRY`, with ``fill_value`` for
        ``constant``.
    mode : str
        The mode the padding came from (``full``, ``same`` or ``valid``).
    axes : tuple of int
        The convolved axes of the caller's arrays (informative: the methods see
        them as the trailing axes).
    candidates : tuple of str or None
        The methods that may run it (those of the arrays' backend); ``None``: all.
    """

    batch: int
    spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    out: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    itemsize: int
    complex: bool
    kernel_batched: bool
    boundary: str
    fill_value: complex
    mode: str = field(default="full", compare=False)  # informative: ``pads`` carry it
    axes: tuple[int, ...] = field(default=(), compare=False)
    candidates: tuple[str, ...] | None = None

    @property
    def ndim(self) -> int:
        return len(self.kernel)

    @property
    def input_bytes(self) -> int:
        """Bytes of the input, the batch included (padding not counted)."""
        return self.batch * prod(self.spatial) * self.itemsize


def describe(
    x: np.ndarray,
    k: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    boundary: str = "constant",
    fill_value: complex = 0.0,
    stride: tuple[int, ...] | None = None,
    dilation: tuple[int, ...] | None = None,
) -> Problem:
    """The :class:`Problem` of correlating ``x`` (``(B, *S)``) with ``k`` (``(1 or B, *K)``).

    For methods that hand a part of their work to another (and for tests); the
    engine's front door builds its problems from the caller's arguments.

    >>> describe(np.ones((2, 10)), np.ones((1, 3)), ((1, 1),), stride=(2,)).out
    (5,)
    """
    m = k.ndim - 1
    stride = stride or (1,) * m
    dilation = dilation or (1,) * m
    dtype = np.result_type(x, k)
    out = output_lengths(x.shape[1:], pads, effective_sizes(k.shape[1:], dilation), stride)
    return Problem(
        x.shape[0], x.shape[1:], k.shape[1:], out, tuple(pads), tuple(stride), tuple(dilation),
        dtype.itemsize, dtype.kind == "c", k.shape[0] > 1, boundary, fill_value,
    )  # fmt: skip


@dataclass(frozen=True)
class Method:
    """A method of the engine: its name, how it runs, what it expects to cost."""

    name: str
    run: Callable[[np.ndarray, np.ndarray, Problem], np.ndarray]
    estimate: Callable[[Problem, np.ndarray | None], tuple[float, str] | None]
    unloaded: Callable[[Problem, np.ndarray | None], float | None] | None = None
    load: Callable[[], bool] | None = None


def _discover() -> tuple[str, ...]:
    here = os.path.dirname(__file__)
    found = sorted(
        f[:-3] for f in os.listdir(here) if f.endswith(".py") and not f.startswith("_")
    )
    return tuple(n for n in _FIRST if n in found) + tuple(n for n in found if n not in _FIRST)


_NAMES = _discover()
_LOADED: dict[str, Method] = {}


def names() -> tuple[str, ...]:
    """The method names, in the order they are listed to users.

    >>> names()[:4]
    ('direct', 'fft', 'separable', 'gemm')
    """
    return _NAMES


def get(name: str) -> Method:
    """The :class:`Method` called ``name`` (its module imported on first use).

    >>> get("fft").name
    'fft'
    """
    method = _LOADED.get(name)
    if method is None:
        if name not in _NAMES:
            raise ValueError(f"no method {name!r}; the methods are {', '.join(_NAMES)}")
        module: Any = importlib.import_module(f"{__name__}.{name}")
        method = _LOADED[name] = module.METHOD
    return method


def register(method: Method) -> None:
    """Add a method defined outside this package (a backend's own, see ``convolab.backends``).

    A method of this package needs no call: its module is found by name.
    """
    global _NAMES
    _LOADED[method.name] = method
    if method.name not in _NAMES:
        _NAMES = (*_NAMES, method.name)
