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
import subprocess
import sys
from types import ModuleType
from typing import Any

__all__ = ["compile_in_background", "env_flag", "lazy_module", "load_compiled"]


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


def compile_in_background(code: str) -> subprocess.Popen | None:
    """Run ``code`` (Python source that calls what a program will soon call) in a second,
    silent process, so that Numba compiles those calls' loops into its disk cache on another
    core while this process does other work; this process then loads them from the cache
    instead of compiling them itself. ``None`` without Numba or under ``CONVOLAB_JIT=off``.

    Worth it only on a first run after an install (a later run finds the cache filled and
    the second process ends at once): the stencil method's 3x3 loop, for one, compiles for
    about 8 s. The caller may ``kill()`` the process at any time: Numba writes each cache
    entry whole.

    >>> proc = compile_in_background("pass")
    >>> proc is None or proc.wait() == 0
    True
    """
    from convolab._jit import numba_installed, policy

    if not numba_installed() or policy() == "off":
        return None
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
