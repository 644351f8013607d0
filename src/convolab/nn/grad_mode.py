"""Grad mode: whether operations on tensors are recorded for automatic differentiation.

A per-thread switch, on by default; :class:`no_grad` turns it off inside a
``with`` block (or a decorated function) and :class:`enable_grad` back on.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["enable_grad", "is_grad_enabled", "no_grad"]


class _GradMode(threading.local):
    enabled: bool = True


_MODE = _GradMode()


def is_grad_enabled() -> bool:
    """Return whether operations are currently being recorded for autograd.

    >>> from convolab.nn import no_grad, is_grad_enabled
    >>> with no_grad():
    ...     is_grad_enabled()
    False
    """
    return _MODE.enabled


class _GradSwitch:
    _target: bool = True

    def __enter__(self) -> None:
        self._prev = _MODE.enabled
        _MODE.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        _MODE.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradSwitch):  # noqa: N801 - the name users know from PyTorch
    """Context manager (or decorator) that stops recording operations.

    Results computed inside have ``requires_grad=False`` and keep no graph,
    which saves memory during evaluation.

    >>> from convolab.nn import Tensor, no_grad
    >>> w = Tensor([2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 3
    >>> y.requires_grad
    False
    """

    _target = False


class enable_grad(_GradSwitch):  # noqa: N801
    """Context manager (or decorator) that turns recording back on inside :class:`no_grad`."""

    _target = True
