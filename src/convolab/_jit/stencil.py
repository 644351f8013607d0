"""The stencil method's row loop, loaded when first needed (:mod:`convolab.conv.methods.stencil`).

The loops themselves are module-level functions of :mod:`convolab._jit.stencil_loops`
(so that Numba's disk cache finds them in the next process); this module imports
that one only when a call needs them. They are ``optional`` loops: under the default
``lazy`` policy the planner offers the stencil method once they are loaded
(:func:`convolab._jit.load_all`, ``CONVOLAB_JIT=eager``, or an explicit
``method="stencil"``), so that a first filter call in a fresh process runs at
once on the NumPy methods instead of waiting for Numba (see :mod:`convolab._jit`).
"""

from __future__ import annotations

from typing import Any

from convolab._jit import LazyLoops

__all__ = ["LOOPS", "available", "ready"]


def _build() -> Any:
    from convolab._jit.stencil_loops import rows

    return rows


LOOPS = LazyLoops(_build, optional=True)


def available() -> bool:
    """Whether the loop can serve here (Numba installed, not switched off); loads nothing.

    >>> isinstance(available(), bool)
    True
    """
    return LOOPS.possible()


def ready() -> bool:
    """Whether the loop is loaded (or loads on this ask under ``CONVOLAB_JIT=eager``).

    >>> isinstance(ready(), bool)
    True
    """
    return LOOPS.get() is not None
