"""Validation of what the browser sends: every bad value becomes one clear 400 message."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


class BadInput(ValueError):
    """A request the lab refuses: answered with status 400 (or ``status``) and the message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def field(body: dict[str, Any], name: str, default: Any = ...) -> Any:
    """``body[name]``, or ``default``; a missing required field is refused."""
    if name in body:
        return body[name]
    if default is ...:
        raise BadInput(f"`{name}` is required")
    return default


def choice(body: dict[str, Any], name: str, allowed: Sequence[str], default: Any = ...) -> str:
    """A string field that must be one of ``allowed``."""
    value = field(body, name, default)
    if value not in allowed:
        raise BadInput(f"`{name}` must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def integer(body: dict[str, Any], name: str, low: int, high: int, default: Any = ...) -> int:
    """An integer field in ``[low, high]``."""
    value = field(body, name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadInput(f"`{name}` must be an integer in [{low}, {high}]; got {value!r}")
    return value


def number(body: dict[str, Any], name: str, low: float, high: float, default: Any = ...) -> float:
    """A finite number field in ``[low, high]``."""
    value = field(body, name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
        math.isfinite(value) and low <= value <= high
    ):
        raise BadInput(f"`{name}` must be a number in [{low:g}, {high:g}]; got {value!r}")
    return float(value)


def array(body: dict[str, Any], name: str, ndims: Sequence[int], max_size: int,
          default: Any = ...) -> np.ndarray:  # fmt: skip
    """A rectangular nested list of finite numbers with one of ``ndims`` dimensions."""
    value = field(body, name, default)
    expected = " or ".join(f"{d}D" for d in ndims)
    try:
        a = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise BadInput(f"`{name}` must be a {expected} list of numbers (rectangular); "
                       f"got {_short(value)}") from None  # fmt: skip
    if a.ndim not in ndims or a.size == 0:
        raise BadInput(f"`{name}` must be a non-empty {expected} list of numbers; "
                       f"got shape {a.shape}")  # fmt: skip
    if a.size > max_size:
        raise BadInput(f"`{name}` has {a.size} values; at most {max_size} are allowed")
    if not np.isfinite(a).all():
        raise BadInput(f"`{name}` must hold finite numbers only")
    return a


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
