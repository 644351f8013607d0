"""Running a model once and observing every layer; the argument checks the analyses share.

:func:`activations` runs a model in evaluation mode with every leaf module's
``forward`` observed, so shapes are the model's real ones and layers appear in
the order they are called. The other names here are the checks and small
helpers that :mod:`convolab.analysis` and :mod:`convolab.viz` share.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Activation",
    "activations",
    "as_array",
    "check_module",
    "input_shape_of",
    "layer_kind",
    "layer_window",
    "leaves",
    "nonneg_int",
    "one_input",
    "param_dtype",
    "positive_int",
    "run_model",
    "shape_arg",
    "zeros_batch",
]


def _int_at_least(name: str, value: Any, minimum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be a {what} int; got {value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be a {what} int; got {value!r}")
    return int(value)


def positive_int(name: str, value: Any) -> int:
    """``value`` as an int >= 1, else a TypeError or ValueError naming ``name``."""
    return _int_at_least(name, value, 1, "positive")


def nonneg_int(name: str, value: Any) -> int:
    """``value`` as an int >= 0, else a TypeError or ValueError naming ``name``."""
    return _int_at_least(name, value, 0, "non-negative")


def shape_arg(name: str, value: Any, *, min_len: int = 1) -> tuple[int, ...]:
    expected = f"a tuple of positive ints such as (1, 28, 28) with at least {min_len} entries"
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"`{name}` must be {expected}; got {value!r}")
    items = tuple(value)
    if len(items) < min_len or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1 for v in items
    ):
        raise ValueError(f"`{name}` must be {expected}; got {value!r}")
    return tuple(int(v) for v in items)


def input_shape_of(model: Any, input_shape: Any) -> tuple[int, ...]:
    """``input_shape`` as given, else the one ``model`` records (``model.input_shape``)."""
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise ValueError(
                f"`input_shape` is needed: the {type(model).__name__} does not record one "
                "(give one input's shape without the batch axis, e.g. (1, 28, 28))"
            )
    return shape_arg("input_shape", input_shape)


def one_input(name: str, value: Any, dims: int) -> np.ndarray:
    """One input ``(C, *spatial)`` of a model with ``dims`` spatial axes.

    Accepts ``(*spatial)`` (one channel), ``(C, *spatial)`` and a batch of one
    ``(1, C, *spatial)``: what the figures of one input take.

    Parameters
    ----------
    name : str
        The argument's name, for the error message.
    value : array_like
    dims : int
        Spatial axes of the model's inputs (2 for images, 1 for signals).

    Returns
    -------
    ndarray, shape ``(C, *spatial)``

    Raises
    ------
    ValueError
        Any other number of axes, or a batch of more than one input.

    Examples
    --------
    >>> import numpy as np
    >>> [one_input("image", np.zeros(s), 2).shape for s in [(5, 5), (3, 5, 5), (1, 3, 5, 5)]]
    [(1, 5, 5), (3, 5, 5), (3, 5, 5)]
    """
    arr = as_array(value)
    if arr.ndim == dims:
        return arr[None]
    if arr.ndim == dims + 1:
        return arr
    if arr.ndim == dims + 2 and arr.shape[0] == 1:
        return arr[0]
    spatial = {1: "L", 2: "H, W", 3: "D, H, W"}.get(dims, "...")
    raise ValueError(
        f"`{name}` must be one input of shape ({spatial}), (C, {spatial}) or a batch of one "
        f"(1, C, {spatial}); got shape {arr.shape}"
    )


def check_module(name: str, model: Any) -> Any:
    if not (callable(model) and hasattr(model, "named_modules") and hasattr(model, "parameters")):
        raise TypeError(
            f"`{name}` must be a convolab.nn.Module (with named_modules() and parameters()); "
            f"got {type(model).__name__}"
        )
    return model


def as_array(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    inner = getattr(value, "data", None)
    if isinstance(inner, np.ndarray):
        return inner
    return np.asarray(value)


# --------------------------------------------------------------------------- tracing


@dataclass(frozen=True)
class Activation:
    """One call of a leaf module during a forward pass.

    Attributes
    ----------
    name : str
        Dotted name of the module in the model (``"0"``, ``"features.3"``); the
        class name when the model is itself a single layer.
    layer : Module
        The module that was called.
    input_shape : tuple of int
        Shape of its (first) input, batch axis included.
    output : ndarray
        What it returned, batch axis included.
    """

    name: str
    layer: Any
    input_shape: tuple[int, ...]
    output: np.ndarray = field(repr=False)

    @property
    def kind(self) -> str:
        """The layer's class name."""
        return type(self.layer).__name__


def leaves(model: Any) -> list[tuple[str, Any]]:
    out = []
    for name, mod in model.named_modules():
        if not any(True for _ in mod.children()):
            out.append((name or type(mod).__name__, mod))
    return out


def param_dtype(model: Any) -> np.dtype:
    for p in model.parameters():
        dt = as_array(p).dtype
        if dt.kind == "f":
            return dt
    return np.dtype(np.float32)


def zeros_batch(model: Any, input_shape: tuple[int, ...]) -> np.ndarray:
    return np.zeros((1, *input_shape), dtype=param_dtype(model))


def layer_kind(layer: Any) -> str:
    """The kind ``layer`` declares (``Module.kind``); ``'other'`` for an object without one."""
    return str(getattr(layer, "kind", "other"))


def layer_window(layer: Any) -> Any:
    """The window a conv, pooling or padding ``layer`` declares (``Module.window()``), else
    None."""
    if layer_kind(layer) not in ("conv", "pool", "pad"):
        return None
    if not callable(getattr(layer, "window", None)):
        return None
    return layer.window()


def run_model(model: Any, x: Any) -> tuple[list[Activation], np.ndarray]:
    """Run ``model(x)`` in eval mode without recording gradients; observe every leaf."""
    from convolab import nn

    records: list[Activation] = []
    patched: list[Any] = []

    def observe(name: str, mod: Any, forward: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            out = forward(*args, **kwargs)
            first = args[0] if args else next(iter(kwargs.values()), None)
            shape = tuple(np.shape(as_array(first))) if first is not None else ()
            records.append(Activation(name, mod, shape, as_array(out)))
            return out

        return wrapper

    modes = [(m, m.training) for m in model.modules()]
    try:
        for name, mod in leaves(model):
            object.__setattr__(mod, "forward", observe(name, mod, mod.forward))
            patched.append(mod)
        model.eval()
        with nn.no_grad():
            out = model(x)
    finally:
        for mod in patched:
            mod.__dict__.pop("forward", None)
        for m, flag in modes:
            object.__setattr__(m, "training", flag)
    return records, as_array(out)


def activations(model: Any, x: Any) -> list[Activation]:
    """Every leaf layer's output for the batch ``x``, in the order the layers run.

    The model runs in eval mode (batch norm uses its running statistics, dropout
    is off) without recording gradients; its train/eval state is restored after.

    Parameters
    ----------
    model : Module
    x : array_like
        A batch, e.g. ``(N, C, H, W)`` for a 2D CNN.

    Returns
    -------
    list of Activation

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2))
    >>> [(a.name, a.kind, a.output.shape) for a in activations(model, np.zeros((1, 1, 8, 8)))]
    [('0', 'Conv2d', (1, 2, 6, 6)), ('1', 'ReLU', (1, 2, 6, 6)), ('2', 'MaxPool2d', (1, 2, 3, 3))]
    """
    check_module("model", model)
    return run_model(model, x)[0]


# --------------------------------------------------------------------------- layer kinds
