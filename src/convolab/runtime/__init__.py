"""The process-level machinery under the engine: threads, scratch memory, the allocator.

* :mod:`~convolab.runtime.threads`: the engine's worker threads (``CONVOLAB_NUM_THREADS``),
  BLAS held to one thread inside them, and the opt-in spinning team
  (``CONVOLAB_SPIN=1``, whose spin-wait is a compiled loop: :mod:`convolab._jit.spin`);
* :mod:`~convolab.runtime.workspace`: per-thread scratch buffers, and the memory of
  the layers' dead outputs reused for the next ones (no fresh pages each step), both
  bounded (``CONVOLAB_WORKSPACE_MB``) and released
  (:func:`~convolab.runtime.workspace.release`);
* :mod:`~convolab.runtime.memory`: the C allocator's setting for training loops, opt-in.

Nothing here changes the process by default: no allocator setting, no Numba setting,
no thread that polls. :func:`load_compiled` loads the compiled loops now (they load
in the background on first need otherwise: see :mod:`convolab._jit`).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

__all__ = ["env_flag", "lazy_module", "load_compiled"]


def env_flag(name: str) -> bool:
    """The on/off setting in the environment variable ``name``: ``1`` on, ``0`` or unset off;
    anything else is a ValueError naming the variable.

    >>> env_flag("CONVOLAB_NO_SUCH_SETTING")
    False
    """
    value = os.environ.get(name, "0")
    if value not in ("0", "1"):
        raise ValueError(f"{name}={value!r}: expected 0 or 1")
    return value == "1"


class _LazyModule(ModuleType):
    """A module imported on first attribute access."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def lazy_module(name: str) -> ModuleType:
    """``name``, imported when one of its attributes is first used (not now).

    For the heavy imports a call may not need: ``scipy.fft`` alone takes 0.7 s,
    more than twice ``import convolab``.

    >>> fft = lazy_module("scipy.fft")
    >>> fft.next_fast_len(1000, real=True)
    1000
    """
    return _LazyModule(name)


def load_compiled() -> bool:
    """Load every compiled loop now, in this thread; ``True`` when they all loaded
    (``False`` without Numba, or with ``CONVOLAB_JIT=off``).

    >>> isinstance(load_compiled(), bool)
    True
    """
    from convolab._jit import load_all

    return load_all()
