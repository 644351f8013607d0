"""The backend seam: where convolab reaches the array library.

The engine's entry points (:func:`convolab.correlate`, :func:`convolab.convolve`,
:func:`convolab.conv_nd`, :func:`convolab.conv_transpose_nd`) and
:class:`convolab.nn.Tensor` ask :func:`array_namespace` for the namespace of
their arrays, ``xp = array_namespace(x, k)``, and create arrays with
``xp.asarray`` — the array-API pattern of ``scipy._lib._array_api``. The answer
comes from the one :class:`Backend` that owns the arrays; NumPy (the folder
``backends/numpy/``) owns everything no other backend claims, so a list or a
NumPy array costs one check of an empty registry.

A backend is one folder here that builds a :class:`Backend` and calls
:func:`register` (see docs/architecture.md §8 for what a CuPy backend adds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from convolab.backends.numpy import NUMPY_NAMESPACE

__all__ = ["NUMPY", "Backend", "array_namespace", "backend_of", "register"]


@dataclass(frozen=True)
class Backend:
    """One array library as convolab sees it.

    Attributes
    ----------
    name : str
        Its name (``"numpy"``).
    owns : callable
        ``owns(a)`` is True for an array of this library.
    xp : module-like
        The array namespace: ``asarray``, ``empty``, ``zeros``, ``result_type`` … with
        NumPy's (and the array API's) signatures.
    fft : str
        The module with :mod:`scipy.fft`'s interface for these arrays, imported on use.
    methods : tuple of str or None
        The engine's methods (``conv/methods/``) that run on these arrays; ``None``: all.
    """

    name: str
    owns: Callable[[Any], bool]
    xp: Any
    fft: str = "scipy.fft"
    methods: tuple[str, ...] | None = None


#: The default backend: NumPy arrays and anything array-like that no other backend owns.
NUMPY = Backend("numpy", lambda a: True, NUMPY_NAMESPACE)

_OTHERS: list[Backend] = []  # registered backends other than NumPy, asked first


def register(backend: Backend) -> None:
    """Make ``backend`` answer for the arrays it owns (before NumPy)."""
    _OTHERS[:] = [b for b in _OTHERS if b.name != backend.name] + [backend]


def backend_of(*arrays: Any) -> Backend:
    """The :class:`Backend` that owns ``arrays`` (NumPy for plain arrays, lists, numbers).

    Arrays of two different registered libraries are an error, never silently copied.

    >>> backend_of([1, 2], None).name
    'numpy'
    """
    if not _OTHERS:
        return NUMPY
    found = None
    for a in arrays:
        if a is None:
            continue
        for b in _OTHERS:
            if b.owns(a):
                if found is not None and found is not b:
                    raise TypeError(
                        f"arrays of two backends ({found.name} and {b.name}) in one call; "
                        "move them to one library first"
                    )
                found = b
                break
    return found or NUMPY


def array_namespace(*arrays: Any) -> Any:
    """The array namespace ``xp`` of ``arrays``: ``backend_of(*arrays).xp``.

    >>> xp = array_namespace([1.0, 2.0])
    >>> xp.asarray([1.0, 2.0]).dtype
    dtype('float64')
    """
    if not _OTHERS:  # NumPy alone: no look at the arrays
        return NUMPY_NAMESPACE
    return backend_of(*arrays).xp
