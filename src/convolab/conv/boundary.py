"""Boundary rules: the one registry of how samples beyond the border are made.

A convolution near the border of its input needs samples that do not exist.
convolab fills them by a *boundary rule*, named as in :func:`numpy.pad`:

==============  ==================  ===============  ======================  ==============
convolab        pads ``abcd`` as    scipy.ndimage    OpenCV                  PyTorch ``pad``
==============  ==================  ===============  ======================  ==============
``constant``    ``00|abcd|00``      ``constant``     ``BORDER_CONSTANT``     ``constant``
``edge``        ``aa|abcd|dd``      ``nearest``      ``BORDER_REPLICATE``    ``replicate``
``reflect``     ``cb|abcd|cb``      ``mirror``       ``BORDER_REFLECT_101``  ``reflect``
``symmetric``   ``ba|abcd|dc``      ``reflect``      ``BORDER_REFLECT``      (none)
``wrap``        ``cd|abcd|ab``      ``wrap``         ``BORDER_WRAP``         ``circular``
==============  ==================  ===============  ======================  ==============

Each rule is one :class:`Boundary` entry of :data:`REGISTRY`: its name, its
:func:`numpy.pad` mode, the names other libraries give it (refused with a
"did you mean"), and its *index map*: the closed form of the source index of
any position ``j`` of an axis of length ``n`` (``j < 0`` or ``j >= n`` lie in
the padding; ``-1`` means "the constant"). Every method, the Dask path,
:mod:`convolab.explain` and the command-line choices read this registry, so a
new rule is one new entry here (see docs/architecture.md §8).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np

__all__ = [
    "BOUNDARIES",
    "REGISTRY",
    "TORCH_MODES",
    "Boundary",
    "border_index",
    "by_numpy_mode",
    "check_boundary",
    "fill_window",
    "pad",
    "pad_args",
    "source_index",
    "zero_border",
]


@dataclass(frozen=True)
class Boundary:
    """One boundary rule.

    Attributes
    ----------
    name : str
        The convolab name (NumPy's).
    numpy_mode : str
        The :func:`numpy.pad` (and :func:`dask.array.pad`) mode that pads the same way.
    index : callable
        ``index(j, n)``: for an integer array ``j`` of positions relative to the
        start of an axis of length ``n``, the source index of each (``-1`` for the
        constant). It must agree with :func:`numpy.pad` applied to ``arange(n)``
        for every padding width.
    foreign : tuple of str
        Names other libraries use for this rule (lower case): refused with a hint.
    torch_mode : str or None
        The ``mode`` of ``torch.nn.functional.pad`` that pads the same way (``None``:
        PyTorch has none); :func:`convolab.nn.functional.pad` takes these names.
    """

    name: str
    numpy_mode: str
    index: Callable[[np.ndarray, int], np.ndarray]
    foreign: tuple[str, ...] = ()
    torch_mode: str | None = None


def _constant(j: np.ndarray, n: int) -> np.ndarray:
    return np.where((j >= 0) & (j < n), j, -1)


def _edge(j: np.ndarray, n: int) -> np.ndarray:
    return np.clip(j, 0, n - 1)


def _reflect(j: np.ndarray, n: int) -> np.ndarray:
    if n == 1:
        return np.zeros_like(j)
    period = 2 * (n - 1)
    r = j % period
    return np.where(r < n, r, period - r)


def _symmetric(j: np.ndarray, n: int) -> np.ndarray:
    r = j % (2 * n)
    return np.where(r < n, r, 2 * n - 1 - r)


def _wrap(j: np.ndarray, n: int) -> np.ndarray:
    return j % n


#: Every boundary rule by name, in the order they are listed to users.
REGISTRY: dict[str, Boundary] = {
    b.name: b
    for b in (
        Boundary("constant", "constant", _constant,
                 ("zeros", "zero", "fill", "border_constant"), "constant"),
        Boundary("edge", "edge", _edge, ("nearest", "replicate", "border_replicate"),
                 "replicate"),
        Boundary("reflect", "reflect", _reflect,
                 ("mirror", "reflect101", "reflect_101", "border_reflect_101"), "reflect"),
        Boundary("symmetric", "symmetric", _symmetric, ("symm", "border_reflect")),
        Boundary("wrap", "wrap", _wrap,
                 ("circular", "circ", "periodic", "grid-wrap", "border_wrap"), "circular"),
    )
}  # fmt: skip

#: The boundary names, for argument checks and command-line choices.
BOUNDARIES = tuple(REGISTRY)

#: The rules PyTorch has, by its ``pad`` mode name.
TORCH_MODES: dict[str, Boundary] = {b.torch_mode: b for b in REGISTRY.values() if b.torch_mode}


def by_numpy_mode(mode: str) -> Boundary | None:
    """The rule :func:`numpy.pad` (and ONNX's ``Pad``) calls ``mode``, if PyTorch has it too.

    >>> by_numpy_mode("edge").torch_mode, by_numpy_mode("symmetric")
    ('replicate', None)
    """
    return next((b for b in TORCH_MODES.values() if b.numpy_mode == mode), None)


def check_boundary(boundary: object) -> str:
    """Return ``boundary`` if it is a convolab boundary name, else raise a ``ValueError``.

    Names from SciPy, OpenCV or PyTorch are refused with a hint to the convolab
    name that means the same thing (``reflect`` is NumPy's reflect, not SciPy's).

    >>> check_boundary("wrap")
    'wrap'
    >>> check_boundary("nearest")
    Traceback (most recent call last):
    ...
    ValueError: `boundary` must be one of 'constant', 'edge', 'reflect', 'symmetric', 'wrap'; \
got 'nearest' (did you mean 'edge'? convolab uses numpy.pad's names)
    """
    if isinstance(boundary, str) and boundary in REGISTRY:
        return boundary
    expected = ", ".join(repr(b) for b in REGISTRY)
    hint = ""
    if isinstance(boundary, str):
        for rule in REGISTRY.values():
            if boundary.lower() in rule.foreign:
                hint = f" (did you mean {rule.name!r}? convolab uses numpy.pad's names)"
    raise ValueError(f"`boundary` must be one of {expected}; got {boundary!r}{hint}")


def _rule(boundary: str) -> Boundary:
    """The registry entry; an unknown name is an error, never a fall-through."""
    rule = REGISTRY.get(boundary)
    if rule is None:
        check_boundary(boundary)  # raises
    return rule


def zero_border(boundary: str, fill_value: complex) -> bool:
    """Whether the samples beyond the border are zeros (the padding costs nothing).

    >>> zero_border("constant", 0), zero_border("constant", 1), zero_border("edge", 0)
    (True, False, False)
    """
    return boundary == "constant" and fill_value == 0


def border_index(n: int, before: int, boundary: str, first: int, count: int) -> np.ndarray:
    """Source index of padded positions ``first .. first + count`` of a length-``n`` axis.

    The axis is padded by ``before`` samples in front; position ``p`` of the padded
    axis holds ``x[border_index(...)]`` (``-1``: the constant). Only those
    positions are computed, whatever the padding width: the extensions of
    :func:`numpy.pad` are periodic (``wrap``: period ``n``, ``symmetric``:
    ``2n``, ``reflect``: ``2(n-1)``).

    >>> border_index(4, 2, "reflect", 0, 8)
    array([2, 1, 0, 1, 2, 3, 2, 1])
    >>> border_index(3, 1, "symmetric", 0, 9), border_index(3, 1, "constant", 3, 3)
    (array([0, 0, 1, 2, 2, 1, 0, 0, 1]), array([ 2, -1, -1]))
    """
    j = np.arange(first - before, first - before + count, dtype=np.intp)
    return _rule(boundary).index(j, n)


def source_index(n: int, before: int, after: int, boundary: str) -> np.ndarray:
    """Index into the original axis for every position of the padded axis.

    Position ``j`` of the padded axis (length ``before + n + after``) holds
    ``x[source_index(...)[j]]``; ``-1`` marks a position filled with the constant.
    It equals :func:`numpy.pad` applied to ``arange(n)`` (the tests check this).

    >>> source_index(4, 2, 2, "reflect")
    array([2, 1, 0, 1, 2, 3, 2, 1])
    >>> source_index(4, 2, 2, "constant")
    array([-1, -1,  0,  1,  2,  3, -1, -1])
    """
    return border_index(n, before, boundary, 0, before + n + after)


def pad_args(boundary: str, fill_value: complex = 0.0) -> dict:
    """Keyword arguments of :func:`numpy.pad` (or :func:`dask.array.pad`) for this rule.

    >>> pad_args("constant", 2.0), pad_args("edge")
    ({'mode': 'constant', 'constant_values': 2.0}, {'mode': 'edge'})
    """
    rule = _rule(boundary)
    if rule.name == "constant":
        return {"mode": rule.numpy_mode, "constant_values": fill_value}
    return {"mode": rule.numpy_mode}


def pad(
    x: np.ndarray,
    pads: Sequence[tuple[int, int]],
    boundary: str,
    fill_value: complex = 0.0,
) -> np.ndarray:
    """Pad the trailing ``len(pads)`` axes of ``x`` by ``boundary``; returns ``x`` if no padding.

    >>> pad(np.array([1., 2., 3.]), [(2, 1)], "symmetric")
    array([2., 1., 1., 2., 3., 3.])
    """
    if not any(b or a for b, a in pads):
        return x
    width = [(0, 0)] * (x.ndim - len(pads)) + [tuple(p) for p in pads]
    return np.pad(x, width, **pad_args(boundary, fill_value))


def fill_window(
    x: np.ndarray,
    first: Sequence[int],
    out: np.ndarray,
    pads: Sequence[tuple[int, int]],
    boundary: str,
    fill_value: complex = 0.0,
) -> np.ndarray:
    """Write into ``out`` the window of ``x`` padded by ``pads`` that starts at ``first``.

    ``first`` is in padded coordinates (position ``p`` of an axis is
    ``x[p - before]`` or a border sample); the window has ``out``'s shape and
    may reach past the padding on either side (the rule's map extends the
    axis as far as needed). Every element of ``out`` is written, and only the
    window is read: the part inside ``x`` by one slice copy, each border part
    through the rule's index map (as a reversed or repeated slice where the
    map is one), so a tile of a large input is padded without padding the
    whole input.

    >>> out = np.empty((2, 5))
    >>> fill_window(np.arange(6.).reshape(2, 3), (0, 0), out, [(0, 0), (2, 2)], "reflect")
    array([[2., 1., 0., 1., 2.],
           [5., 4., 3., 4., 5.]])
    >>> fill_window(np.arange(4.), (5,), np.empty(3), [(1, 1)], "constant", 9.0)
    array([9., 9., 9.])
    """
    rule = _rule(boundary)
    per_axis = [
        _parts(n, f - before, size, rule)
        for n, f, size, (before, _) in zip(x.shape, first, out.shape, pads)
    ]
    for combo in product(*per_axis):
        dst = tuple(d for d, _ in combo)
        if any(s is None for _, s in combo):
            out[dst] = fill_value
        elif all(isinstance(s, slice) for _, s in combo):
            out[dst] = x[tuple(s for _, s in combo)]  # a repeated sample broadcasts
        else:
            _gather(x, combo, out[dst], fill_value)
    return out


@functools.lru_cache(maxsize=4096)
def _parts(n: int, lo: int, size: int, rule: Boundary) -> tuple[tuple[slice, object], ...]:
    """Positions ``lo .. lo + size`` of an axis of length ``n`` extended by the rule, as
    ``(window slice, source)`` parts: before ``x``, inside it (a slice), after it.
    (The same few windows recur block after block: remembered, by rule rather than name.)"""
    hi = lo + size
    parts: list[tuple[slice, object]] = []
    if lo < 0:  # before x
        end = min(0, hi)
        parts.append((slice(0, end - lo), _source(rule.index(np.arange(lo, end), n))))
    if max(lo, 0) < min(hi, n):  # inside x
        s0, s1 = max(lo, 0), min(hi, n)
        parts.append((slice(s0 - lo, s1 - lo), slice(s0, s1)))
    if hi > n:  # after x
        start = max(n, lo)
        parts.append((slice(start - lo, size), _source(rule.index(np.arange(start, hi), n))))
    return tuple(parts)


def _source(idx: np.ndarray) -> slice | np.ndarray | None:
    """An index map's run as a slice where it is one (step 1, -1 or 0: a sample repeated),
    None where it is all constant, else the indices."""
    if (idx < 0).all():
        return None
    if (idx < 0).any():
        return idx
    step = int(idx[1] - idx[0]) if len(idx) > 1 else 1
    if step in (-1, 0, 1) and (np.diff(idx) == step).all():
        if step == 0:
            return slice(int(idx[0]), int(idx[0]) + 1)
        stop = int(idx[-1]) + step
        return slice(int(idx[0]), stop if stop >= 0 else None, step)
    return idx


def _gather(x: np.ndarray, combo: tuple, target: np.ndarray, fill_value: complex) -> None:
    """``target = x`` at the combination's slices and index arrays (one axis at a time)."""
    block = x
    for ax, (_, s) in enumerate(combo):
        if isinstance(s, slice):
            block = block[(slice(None),) * ax + (s,)]
    for ax, (_, s) in enumerate(combo):  # (take() would copy the whole strided view)
        if isinstance(s, np.ndarray):
            block = block[(slice(None),) * ax + (np.maximum(s, 0),)]
    target[...] = block
    for ax, (_, s) in enumerate(combo):
        if isinstance(s, np.ndarray) and (s < 0).any():
            target[(slice(None),) * ax + (s < 0,)] = fill_value
