"""The discrete Fourier transforms the fft method runs on: pocketfft, writing into given arrays.

The transforms are SciPy's pocketfft (the C++ library behind :mod:`scipy.fft`),
called through its extension module ``scipy.fft._pocketfft.pypocketfft``, whose
functions take an ``out`` array and a thread count. Two things make that worth
a module of its own:

* **no fresh pages per block.** :func:`scipy.fft.rfftn` returns a new array,
  and so does every step of an inverse; a 576 x 576 block's arrays are fresh
  pages from the system each time (1.3 MiB: above the allocator's mapping
  threshold), and their page faults cost as much as the transforms: 31-42 ms
  against 18-19 ms of CPU time for 9 blocks of 576 x 576 float32 with a 63 x 63
  kernel (one thread; the second figure with in-place steps into reused buffers);
* **no 0.4-0.9 s import.** ``import scipy.fft`` runs SciPy's array-API layer
  and imports :mod:`scipy.special` (0.4-0.9 s measured on the reference machine,
  under load; it also loads SciPy's own OpenBLAS, which starts a thread). The extension
  alone loads in about 1 ms: when :mod:`scipy.fft` is not imported yet, it is
  loaded from its file under the same name, so that a later ``import scipy.fft``
  finds the same module (the interpreter keeps one copy of an extension per
  file and name).

Where the extension is not there or does not answer as expected (another SciPy
layout), the same three functions run on the public :mod:`scipy.fft` functions
and copy into ``out``: slower, never wrong. :func:`engine` says which serves.

All three are unnormalized (``inorm=0``): the fft method folds ``1 / N`` into
the kernel's spectrum once.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import threading
from typing import Any

import numpy as np

__all__ = ["c2c", "c2r", "engine", "r2c"]

_NAME = "scipy.fft._pocketfft.pypocketfft"
_LOCK = threading.Lock()
_MODULE: Any = None  # the extension module, or False when the public functions serve


def _load_extension() -> Any:
    """The extension module: from ``sys.modules``, or loaded from its file; None if absent."""
    module = sys.modules.get(_NAME)
    if module is not None:
        return module
    if "scipy.fft" in sys.modules:  # imported, but not its pocketfft backend: ask for it
        return importlib.import_module(_NAME)
    spec = importlib.util.find_spec("scipy")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    for where in spec.submodule_search_locations:
        folder = os.path.join(where, "fft", "_pocketfft")
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "pypocketfft" + suffix)
            if os.path.isfile(path):
                loader = importlib.machinery.ExtensionFileLoader(_NAME, path)
                found = importlib.util.spec_from_file_location(_NAME, path, loader=loader)
                if found is None:
                    return None
                module = importlib.util.module_from_spec(found)
                loader.exec_module(module)
                return module
    return None


def _answers(module: Any) -> bool:
    """A small transform each way agrees with NumPy's (the functions are the ones expected)."""
    x = np.arange(12.0).reshape(3, 4) ** 1.5
    spec = np.empty((3, 3), np.complex128)
    module.r2c(x, (1,), True, 0, spec, 1)
    module.c2c(spec, (0,), True, 0, spec, 1)
    if not np.allclose(spec, np.fft.rfftn(x)):
        return False
    back = np.empty_like(x)
    module.c2c(spec, (0,), False, 0, spec, 1)
    module.c2r(spec, (1,), 4, False, 0, back, 1)
    return bool(np.allclose(back, 12 * x))


def _module() -> Any:
    global _MODULE
    if _MODULE is None:
        with _LOCK:
            if _MODULE is None:
                try:
                    module = _load_extension()
                    _MODULE = module if module is not None and _answers(module) else False
                except Exception:  # another layout or signature: the public functions serve
                    _MODULE = False
    return _MODULE


def engine() -> str:
    """Which transforms serve: ``"pocketfft"`` (the extension) or ``"scipy.fft"`` (public).

    >>> engine() in ("pocketfft", "scipy.fft")
    True
    """
    return "pocketfft" if _module() else "scipy.fft"


def _into(out: np.ndarray | None, y: np.ndarray) -> np.ndarray:
    if out is None:
        return y
    out[...] = y
    return out


def r2c(
    x: np.ndarray, axes: tuple[int, ...], out: np.ndarray | None = None, workers: int = 1
) -> np.ndarray:
    r"""Forward real transform over ``axes`` (the last of them halved: ``n // 2 + 1``).

    .. math:: X[f] = \sum_j x[j]\, e^{-2\pi i f j / n}

    ``out`` (complex, the input's precision) must not overlap ``x``.

    >>> np.allclose(r2c(np.array([1.0, 2.0, 3.0, 4.0]), (0,)), np.fft.rfft([1, 2, 3, 4]))
    True
    """
    module = _module()
    if module:
        return module.r2c(x, axes, True, 0, out, workers)
    from scipy import fft

    return _into(out, fft.rfftn(x, axes=axes, workers=workers))


def c2c(
    x: np.ndarray,
    axes: tuple[int, ...],
    forward: bool,
    out: np.ndarray | None = None,
    workers: int = 1,
) -> np.ndarray:
    r"""Complex transform over ``axes``, unnormalized either way; ``out`` may be ``x``.

    .. math:: X[f] = \sum_j x[j]\, e^{\mp 2\pi i f j / n}

    >>> np.allclose(c2c(np.array([1j, 2, 3]), (0,), False), 3 * np.fft.ifft([1j, 2, 3]))
    True
    """
    module = _module()
    if module:
        return module.c2c(x, axes, forward, 0, out, workers)
    from scipy import fft

    if forward:
        return _into(out, fft.fftn(x, axes=axes, workers=workers))
    return _into(out, fft.ifftn(x, axes=axes, norm="forward", workers=workers))


def c2r(
    x: np.ndarray,
    axes: tuple[int, ...],
    lastsize: int,
    out: np.ndarray | None = None,
    workers: int = 1,
) -> np.ndarray:
    r"""Inverse of :func:`r2c`, unnormalized: ``n`` times the signal, ``lastsize`` samples on
    the last of ``axes``.

    >>> np.round(c2r(np.fft.rfft([1.0, 2.0, 3.0, 4.0]), (0,), 4), 12)
    array([ 4.,  8., 12., 16.])
    """
    module = _module()
    if module:
        return module.c2r(x, axes, lastsize, False, 0, out, workers)
    from scipy import fft

    shape = [x.shape[a] for a in axes[:-1]] + [lastsize]
    return _into(out, fft.irfftn(x, shape, axes=axes, norm="forward", workers=workers))
