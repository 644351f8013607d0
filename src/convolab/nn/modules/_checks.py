"""Argument checks shared by the layer classes."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

# --------------------------------------------------------------------------- layers


def _check_positive_int(value: Any, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"`{name}` must be a positive int; got {value!r}")
    return int(value)


def _tuple_if_list(value: Any) -> Any:
    """JSON gives lists back where tuples went in; keep the tuple spelling."""
    return tuple(value) if isinstance(value, list) else value


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"`dtype` must be a floating dtype such as 'float32'; got {dtype!r}"
        ) from None
    if dt.kind != "f":
        raise TypeError(f"`dtype` must be a floating dtype such as 'float32'; got {dtype!r}")
    return dt
