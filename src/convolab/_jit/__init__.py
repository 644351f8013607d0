"""Every compiled loop of convolab, and the one helper that loads them when first needed.

The loops need `Numba <https://numba.pydata.org>`_ (``pip install convolab[fast]``);
each has a NumPy form that serves where they are missing. Each module here makes its
loops through one :class:`LazyLoops`, which builds them on first need:

* ``conv1d``: a short kernel over a long 1D signal;
* ``blocked``: the register-blocked multi-channel loops of small layers (their source,
  one function per block shape, is generated into ``_generated/blocked_kernels.py`` by
  ``tools/generate_blocked_kernels.py``);
* ``activation``, ``norm``, ``pool``, ``optim``: ReLU's backward, batch normalization,
  max pooling and Adam's update, each in one or two passes;
* ``sample``: bilinear sampling of image stacks (data augmentation, synthetic digits);
* ``stencil``: the one-pass row loop of the ``stencil`` method (small 2D/3D kernels;
  the functions in ``stencil_loops.py``, module-level so that the disk cache finds them),
  and its unrolled kernels per square kernel shape (generated into
  ``_generated/stencil_kernels.py`` by ``tools/generate_stencil_kernels.py``);
* ``spin``: the spin-wait of the engine's opt-in spinning team (``CONVOLAB_SPIN=1``).

**When they load.** Loading compiled loops from Numba's disk cache costs about 0.3 s to
import Numba, 0.4 s for its first function and 0.1 s for each one after (measured on
the 2-core machine of ``benchmarks/RESULTS.md``): a hundred times the call that asks for
them. Under the default policy (``CONVOLAB_JIT=lazy``) a loop loads in the calling
thread when a call first needs it, except two ``optional`` ones whose NumPy forms serve
well enough for a first call: the 1D short-kernel loop (``numpy.correlate`` is within
15-25% of it) and the stencil method's row loop (the other methods are 1.5-3x slower on
small 2D kernels, but its load costs 100-400 such calls). Those serve once loaded, by
:func:`load_all` (:func:`convolab.runtime.load_compiled`, which ``convolab lab`` calls
before it serves) or, for the stencil loop, by ``method="stencil"`` and by the planner
once the time calls lost to its absence passes the cost of loading it
(:func:`convolab.conv.planner.choose`), so that a first ``correlate`` in a fresh process
runs at NumPy speed instead of waiting 1 s for Numba.
``CONVOLAB_JIT=eager`` loads them on first need too; ``CONVOLAB_JIT=off`` (or
``CONVOLAB_NO_NUMBA=1``) never loads any. Loading in a background thread while the
NumPy form serves was measured and rejected: the loader holds the GIL for most of the
second it takes, so the calls it should have spared ran 1.2-1.4 s, no faster
(``benchmarks/RESULTS.md``, "Runtime, cold start and first calls").
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["LazyLoops", "generation", "load_all", "numba_installed", "policy"]

POLICIES = ("lazy", "eager", "off")
_NUMBA: bool | None = None  # whether Numba is installed (found, not imported)
_GENERATION = 0  # how many loops have loaded in this process


def policy() -> str:
    """How compiled loops load: ``lazy`` (default), ``eager`` or ``off``.

    From ``CONVOLAB_JIT``; ``CONVOLAB_NO_NUMBA`` (any value) means ``off``.

    >>> policy() in POLICIES
    True
    """
    if os.environ.get("CONVOLAB_NO_NUMBA"):
        return "off"
    value = os.environ.get("CONVOLAB_JIT", "lazy")
    if value not in POLICIES:
        raise ValueError(f"CONVOLAB_JIT={value!r}: expected one of {', '.join(POLICIES)}")
    return value


def numba_installed() -> bool:
    """Whether Numba can be imported (looked up, not imported: that costs 0.3 s).

    >>> isinstance(numba_installed(), bool)
    True
    """
    global _NUMBA
    if _NUMBA is None:
        _NUMBA = importlib.util.find_spec("numba") is not None
    return _NUMBA


class LazyLoops:
    """Compiled loops made by ``build()`` when first needed.

    ``build`` imports Numba, compiles (or loads from the disk cache) and returns the
    loops as any object; it returns ``False`` where they cannot be made (a Numba that
    does not load, a processor without an instruction they need). An exception from
    ``build`` counts as ``False`` and is kept in :attr:`error`. ``optional=True``
    marks loops whose NumPy form is nearly as fast: :meth:`get` then does not load
    them under the ``lazy`` policy (see the module's text).

    >>> loops = LazyLoops(lambda: "compiled")
    >>> loops.get() if policy() != "off" and numba_installed() else "compiled"
    'compiled'
    """

    def __init__(self, build: Callable[[], Any], optional: bool = False) -> None:
        self._build = build
        self.optional = optional
        self._value: Any = None  # what build returned; None: not built yet
        self._lock = threading.RLock()
        self.error: BaseException | None = None

    def possible(self) -> bool:
        """Whether the loops can exist here (Numba installed, not switched off, not failed).

        Cheap: neither imports Numba nor builds anything.
        """
        return self._value is not False and numba_installed() and policy() != "off"

    def get(self) -> Any:
        """The loops, loaded now if need be; ``None`` where the caller takes its NumPy form
        (no Numba, ``off``, or optional loops not loaded yet under ``lazy``)."""
        value = self._value
        if value is None:
            if not self.possible() or (self.optional and policy() == "lazy"):
                return None
            return self.load()
        return value or None

    def serves(self, dtype: Any) -> bool:
        """Whether the loops serve arrays of ``dtype`` (float32 or float64) here: loaded, or
        loading now, as :meth:`get` decides.

        >>> LazyLoops(lambda: "compiled").serves("int64")
        False
        """
        return np.dtype(dtype).name in ("float32", "float64") and self.get() is not None

    def load(self) -> Any:
        """The loops, loaded now whatever the policy but ``off``; ``None`` without them."""
        if self._value:
            return self._value
        if self._value is None and not self.possible():
            return None
        with self._lock:
            if self._value is None:
                try:
                    self._value = self._build()
                except Exception as exc:  # a compiler error: the NumPy forms serve
                    self.error = exc
                    self._value = False
                if self._value:
                    global _GENERATION
                    _GENERATION += 1
        return self._value or None


def generation() -> int:
    """How many loops have loaded in this process so far: what a method may offer changes
    when it does (the planner keeps its remembered plans per generation).

    >>> isinstance(generation(), int)
    True
    """
    return _GENERATION


def load_all() -> bool:
    """Load every compiled loop now, in this thread; ``True`` when they all loaded.

    >>> isinstance(load_all(), bool)
    True
    """
    from convolab._jit import activation, blocked, conv1d, norm, optim, pool, sample, stencil

    modules = (activation, blocked, conv1d, norm, optim, pool, sample, stencil)
    return all(module.LOOPS.load() is not None for module in modules)
