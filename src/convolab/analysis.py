r"""Looking inside a network: sizes, receptive fields, costs, information and symmetry.

The articles argue for CNNs with numbers: a fully connected neuron on a
``3 x 256 x 256`` image has 196,608 weights and an ``n x n`` hidden layer on an
``n x n`` image needs ``n**4``, while a convolution shares one small kernel
everywhere (:func:`compare_mlp_cnn`); stacking convolutions and poolings widens
what each unit sees (:func:`receptive_field`); a layer keeps some information
about its input and discards the rest (:func:`mutual_information`); a
convolution commutes with shifts while a strided pooling trades that for
approximate invariance (:func:`equivariance_error`, :func:`invariance_error`).

Model functions take any :class:`convolab.nn.Module`. They run the model once on
zeros (or on the data given) with every leaf module's ``forward`` observed, so
the shapes are the model's real ones and the layers appear in the order they are
called, whatever the nesting.

Receptive-field arithmetic, per spatial axis, for a layer with kernel ``k``,
stride ``s``, dilation ``d`` and padding ``p`` (before the first element), on
``r`` (size), ``j`` (jump: input pixels between neighbouring outputs) and
``c`` (centre of output 0's window, in input coordinates), starting from
``r = 1, j = 1, c = 0``:

.. math::

    k_e = d (k - 1) + 1, \quad r' = r + (k_e - 1) j, \quad
    c' = c + \left(\tfrac{k_e - 1}{2} - p\right) j, \quad j' = j s.

Element-wise layers (activations, batch norm, dropout) change nothing; a layer
that mixes every position (``Flatten``, ``Linear``, global pooling) widens the
field to the whole current map, ``r' = r + (n - 1) j``.

>>> from convolab import analysis
>>> analysis.receptive_field_chain([(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)])[-1].size
32
>>> analysis.compare_mlp_cnn((3, 256, 256)).weights_per_neuron
196608
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convolab.conv.geometry import effective_size, effective_sizes, layer_pads

__all__ = [
    "Activation",
    "ClassicMatch",
    "LayerInformation",
    "LayerSummary",
    "MlpCnnComparison",
    "ModelSummary",
    "ReceptiveField",
    "activations",
    "classic_bank",
    "compare_mlp_cnn",
    "entropy",
    "equivariance_error",
    "flops",
    "information_per_layer",
    "invariance_error",
    "mutual_information",
    "nearest_classic",
    "param_count",
    "receptive_field",
    "receptive_field_chain",
    "summary",
]


# --------------------------------------------------------------------------- validation


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be a positive int; got {value!r}")
    if value < 1:
        raise ValueError(f"`{name}` must be a positive int; got {value!r}")
    return int(value)


def _nonneg_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be a non-negative int; got {value!r}")
    if value < 0:
        raise ValueError(f"`{name}` must be a non-negative int; got {value!r}")
    return int(value)


def _shape_arg(name: str, value: Any, *, min_len: int = 1) -> tuple[int, ...]:
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


def _input_shape(model: Any, input_shape: Any) -> tuple[int, ...]:
    """``input_shape`` as given, else the one ``model`` records (``model.input_shape``)."""
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise ValueError(
                f"`input_shape` is needed: the {type(model).__name__} does not record one "
                "(give one input's shape without the batch axis, e.g. (1, 28, 28))"
            )
    return _shape_arg("input_shape", input_shape)


def _one_input(name: str, value: Any, dims: int) -> np.ndarray:
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
    >>> [_one_input("image", np.zeros(s), 2).shape for s in [(5, 5), (3, 5, 5), (1, 3, 5, 5)]]
    [(1, 5, 5), (3, 5, 5), (3, 5, 5)]
    """
    arr = _data(value)
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


def _check_module(name: str, model: Any) -> Any:
    if not (callable(model) and hasattr(model, "named_modules") and hasattr(model, "parameters")):
        raise TypeError(
            f"`{name}` must be a convolab.nn.Module (with named_modules() and parameters()); "
            f"got {type(model).__name__}"
        )
    return model


def _num(v: float) -> int | float:
    """``v`` as an int when it is integral (receptive-field sizes are, except adaptive pools)."""
    f = float(v)
    return int(f) if f.is_integer() else f


def _data(value: Any) -> np.ndarray:
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


def _leaves(model: Any) -> list[tuple[str, Any]]:
    out = []
    for name, mod in model.named_modules():
        if not any(True for _ in mod.children()):
            out.append((name or type(mod).__name__, mod))
    return out


def _param_dtype(model: Any) -> np.dtype:
    for p in model.parameters():
        dt = _data(p).dtype
        if dt.kind == "f":
            return dt
    return np.dtype(np.float32)


def _run(model: Any, x: Any) -> tuple[list[Activation], np.ndarray]:
    """Run ``model(x)`` in eval mode without recording gradients; observe every leaf."""
    from convolab import nn

    records: list[Activation] = []
    patched: list[Any] = []

    def observe(name: str, mod: Any, forward: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            out = forward(*args, **kwargs)
            first = args[0] if args else next(iter(kwargs.values()), None)
            shape = tuple(np.shape(_data(first))) if first is not None else ()
            records.append(Activation(name, mod, shape, _data(out)))
            return out

        return wrapper

    modes = [(m, m.training) for m in model.modules()]
    try:
        for name, mod in _leaves(model):
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
    return records, _data(out)


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
    _check_module("model", model)
    return _run(model, x)[0]


# --------------------------------------------------------------------------- layer kinds

_KINDS = {
    "_ConvNd": "conv", "Conv1d": "conv", "Conv2d": "conv", "Conv3d": "conv",
    "Linear": "linear",
    "_MaxPoolNd": "maxpool", "MaxPool1d": "maxpool", "MaxPool2d": "maxpool",
    "_AvgPoolNd": "avgpool", "AvgPool1d": "avgpool", "AvgPool2d": "avgpool",
    "AdaptiveAvgPool1d": "adaptive", "AdaptiveAvgPool2d": "adaptive",
    "_BatchNorm": "batchnorm", "BatchNorm1d": "batchnorm", "BatchNorm2d": "batchnorm",
    "Flatten": "free", "Dropout": "free", "Identity": "free",
    "ReLU": "elementwise", "LeakyReLU": "elementwise", "Sigmoid": "elementwise",
    "Tanh": "elementwise", "Softmax": "elementwise", "LogSoftmax": "elementwise",
    "Softplus": "elementwise", "GELU": "elementwise",
    "_ConvTransposeNd": "transposed",  # an upsampling: no receptive-field rule here yet
}  # fmt: skip


def _kind(module: Any) -> str:
    for cls in type(module).__mro__:
        if cls.__name__ in _KINDS:
            return _KINDS[cls.__name__]
    if hasattr(module, "kernel_size"):
        return "window"
    return "other"


def _per_axis(value: Any, m: int, default: int) -> tuple[int, ...]:
    if value is None:
        return (default,) * m
    if isinstance(value, tuple | list):
        if len(value) != m:
            raise ValueError(f"expected {m} values per axis; got {value!r}")
        return tuple(int(v) for v in value)
    return (int(value),) * m


def _window(module: Any, m: int, spatial: Sequence[int]) -> list[tuple[int, int, int, int]]:
    """``(k, s, p_before, d)`` per spatial axis from a layer's hyper-parameters."""
    k = _per_axis(module.kernel_size, m, 1)
    s = _per_axis(getattr(module, "stride", None) or k, m, 1)
    d = _per_axis(getattr(module, "dilation", 1), m, 1)
    pads = layer_pads(getattr(module, "padding", 0), spatial, effective_sizes(k, d), s)
    return list(zip(k, s, (before for before, _ in pads), d))


# --------------------------------------------------------------------------- receptive fields


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of one layer's outputs, per spatial axis of the model's input.

    Attributes
    ----------
    name, layer : str
        Module name and class name.
    output_shape : tuple of int
        Output shape without the batch axis.
    size : tuple or None
        Input pixels (padding included) that one output depends on, per axis;
        ``None`` when the input has no spatial axes or a layer's geometry is unknown.
    jump : tuple or None
        Input pixels between neighbouring outputs (the product of the strides).
    start : tuple or None
        Centre of output 0's window in input coordinates (negative inside the padding).
    """

    name: str
    layer: str
    output_shape: tuple[int, ...]
    size: tuple[int | float, ...] | None
    jump: tuple[int | float, ...] | None
    start: tuple[float, ...] | None


@dataclass(frozen=True)
class _Field:
    size: int | float
    jump: int | float
    start: float

    def window(self, k: int, s: int, p: int, d: int) -> _Field:
        ke = effective_size(k, d)
        return _Field(
            self.size + (ke - 1) * self.jump,
            self.jump * s,
            self.start + ((ke - 1) / 2 - p) * self.jump,
        )

    def whole(self, n: int) -> _Field:
        j = self.jump
        return _Field(self.size + (n - 1) * j, j * n, self.start + (n - 1) / 2 * j)


def receptive_field_chain(
    layers: Iterable[Sequence[int]], *, dims: int = 1
) -> list[ReceptiveField]:
    """Receptive fields of a chain of windowed layers given by their hyper-parameters.

    Parameters
    ----------
    layers : iterable of tuples
        ``(kernel, stride)``, ``(kernel, stride, padding)`` or
        ``(kernel, stride, padding, dilation)``, one per layer, each entry an int
        (the same on every axis).
    dims : int, default 1
        Number of spatial axes; with ``dims > 1`` the sizes are tuples.

    Returns
    -------
    list of ReceptiveField
        One per layer (names ``"0"``, ``"1"``, ...; ``output_shape`` empty).

    Notes
    -----
    ``r' = r + (d (k - 1)) j``, ``j' = j s``, ``c' = c + (d (k - 1) / 2 - p) j``
    from ``r = 1``, ``j = 1``, ``c = 0``.

    Examples
    --------
    LeNet-5: 5x5 conv, 2x2 pool, 5x5 conv, 2x2 pool, 5x5 conv: C5 sees 32 x 32.

    >>> chain = receptive_field_chain([(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)])
    >>> [(f.size, f.jump) for f in chain]
    [(5, 1), (6, 2), (14, 2), (16, 4), (32, 4)]
    >>> receptive_field_chain([(3, 1, 1, 2)], dims=2)[0].size
    (5, 5)
    """
    dims = _positive_int("dims", dims)
    state = _Field(1, 1, 0.0)
    out = []
    for i, spec in enumerate(layers):
        if isinstance(spec, numbers.Integral) or not isinstance(spec, Sequence):
            raise TypeError(
                f"`layers[{i}]` must be (kernel, stride[, padding[, dilation]]); got {spec!r}"
            )
        if not 2 <= len(spec) <= 4:
            raise ValueError(
                f"`layers[{i}]` must be (kernel, stride[, padding[, dilation]]); got {spec!r}"
            )
        k = _positive_int(f"layers[{i}] kernel", spec[0])
        s = _positive_int(f"layers[{i}] stride", spec[1])
        p = _nonneg_int(f"layers[{i}] padding", spec[2]) if len(spec) > 2 else 0
        d = _positive_int(f"layers[{i}] dilation", spec[3]) if len(spec) > 3 else 1
        state = state.window(k, s, p, d)
        size, jump, start = _num(state.size), _num(state.jump), float(state.start)
        if dims == 1:
            out.append(ReceptiveField(str(i), "window", (), size, jump, start))  # type: ignore[arg-type]
        else:
            rep = (size,) * dims, (jump,) * dims, (start,) * dims
            out.append(ReceptiveField(str(i), "window", (), *rep))
    return out


def _fields(records: list[Activation], n_spatial: int) -> list[list[_Field] | None]:
    """Per record, the receptive field per spatial axis (None when unknown)."""
    state: list[_Field] | None = [_Field(1, 1, 0.0) for _ in range(n_spatial)]
    spatial = n_spatial > 0
    result: list[list[_Field] | None] = []
    for rec in records:
        if state is not None and spatial:
            kind = _kind(rec.layer)
            in_shape, out_shape = rec.input_shape, rec.output.shape
            same_rank = len(in_shape) == len(out_shape) == n_spatial + 2
            if kind == "linear":
                state = [f.whole(n) for f, n in zip(state, in_shape[2:])]
                spatial = False
            elif kind in ("conv", "maxpool", "avgpool", "window") and same_rank:
                params = _window(rec.layer, n_spatial, in_shape[2:])
                state = [f.window(*prm) for f, prm in zip(state, params)]
            elif kind == "adaptive" and same_rank:
                new = []
                for f, n, o in zip(state, in_shape[2:], out_shape[2:]):
                    i = np.arange(o)
                    lengths = -((-(i + 1) * n) // o) - (i * n) // o
                    size = int(lengths.max())
                    first = int(lengths[0])
                    new.append(
                        _Field(f.size + (size - 1) * f.jump, f.jump * n / o,
                               f.start + (first - 1) / 2 * f.jump)
                    )
                state = new
            elif same_rank and in_shape[2:] == out_shape[2:]:
                pass  # element-wise or channel mixing: the field does not change
            elif kind in ("free", "adaptive") or len(out_shape) < len(in_shape):
                state = [f.whole(n) for f, n in zip(state, in_shape[2:])]
                spatial = False
            else:
                state = None
        result.append(None if state is None else list(state))
    return result


def _zeros_batch(model: Any, input_shape: tuple[int, ...]) -> np.ndarray:
    return np.zeros((1, *input_shape), dtype=_param_dtype(model))


def receptive_field(model: Any, input_shape: Sequence[int] | None = None) -> list[ReceptiveField]:
    """Receptive field of every layer of ``model`` for inputs of shape ``input_shape``.

    Parameters
    ----------
    model : Module
    input_shape : tuple of int, optional
        One sample's shape without the batch axis, e.g. ``(1, 28, 28)``: channels
        first, then the spatial axes. Default: the shape the model records
        (``model.input_shape``, set by :mod:`convolab.models` and kept by model files).

    Returns
    -------
    list of ReceptiveField
        One per layer call, in order. Sizes count input pixels including padding,
        so a layer can see more than the image.

    Notes
    -----
    See the module docstring for the arithmetic: ``r' = r + d (k - 1) j``,
    ``j' = j s``; layers mixing every position widen the field to the whole map.

    Examples
    --------
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3))
    >>> [f.size for f in receptive_field(model, (1, 16, 16))]
    [(3, 3), (3, 3), (4, 4), (8, 8)]
    """
    _check_module("model", model)
    shape = _input_shape(model, input_shape)
    records, _ = _run(model, _zeros_batch(model, shape))
    out = []
    for rec, fields in zip(records, _fields(records, len(shape) - 1)):
        if fields is None or len(shape) < 2:
            size = jump = start = None
        else:
            size = tuple(_num(f.size) for f in fields)
            jump = tuple(_num(f.jump) for f in fields)
            start = tuple(float(f.start) for f in fields)
        out.append(ReceptiveField(rec.name, rec.kind, rec.output.shape[1:], size, jump, start))
    return out


# --------------------------------------------------------------------------- parameters and FLOPs


def param_count(model: Any, trainable_only: bool = False) -> int:
    """Number of parameters (scalars) in ``model``; each shared parameter counted once.

    Parameters
    ----------
    model : Module
    trainable_only : bool, default False
        Count only parameters with ``requires_grad``.

    Examples
    --------
    A 5x5 conv from 1 to 6 channels: ``6 * (1 * 5 * 5 + 1) = 156``.

    >>> from convolab import nn
    >>> param_count(nn.Conv2d(1, 6, 5))
    156
    """
    _check_module("model", model)
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not getattr(p, "requires_grad", True)):
            continue
        seen.add(id(p))
        total += int(_data(p).size)
    return total


def _own_params(module: Any) -> int:
    return sum(int(_data(p).size) for p in module.parameters())


def _layer_flops(rec: Activation) -> int:
    """FLOPs of one call, per sample (see :func:`flops`)."""
    mod, kind = rec.layer, _kind(rec.layer)
    out = int(np.prod(rec.output.shape[1:], dtype=np.int64))
    if kind == "conv":
        w = _data(mod.weight)
        return 2 * out * int(np.prod(w.shape[1:]))
    if kind == "linear":
        return 2 * out * int(mod.in_features)
    if kind in ("maxpool", "avgpool", "window"):
        k = _per_axis(mod.kernel_size, max(len(rec.output.shape) - 2, 1), 1)
        return out * int(np.prod(k))
    if kind == "adaptive":
        return int(np.prod(rec.input_shape[1:], dtype=np.int64))
    if kind == "batchnorm":
        return 2 * out
    if kind == "free":
        return 0
    return out


def flops(model: Any, input_shape: Sequence[int] | None = None) -> int:
    """Floating-point operations of one forward pass on one sample.

    Parameters
    ----------
    model : Module
    input_shape : tuple of int, optional
        One sample's shape without the batch axis; default ``model.input_shape``.

    Returns
    -------
    int

    Notes
    -----
    A multiply-add counts 2 (the bias add takes the place of the first add):
    convolution ``2 * prod(out) * C_in/groups * prod(kernel)``, linear
    ``2 * out_features * in_features``; pooling ``prod(out) * prod(kernel)``;
    adaptive pooling one add per input; batch norm 2 per element (scale, shift);
    activations and other element-wise layers 1 per element; ``Flatten``,
    ``Dropout`` and ``Identity`` 0.

    Examples
    --------
    LeNet's C1 on 32 x 32: ``2 * (6 * 28 * 28) * 25 = 235200``.

    >>> from convolab import nn
    >>> flops(nn.Conv2d(1, 6, 5), (1, 32, 32))
    235200
    """
    _check_module("model", model)
    shape = _input_shape(model, input_shape)
    records, _ = _run(model, _zeros_batch(model, shape))
    return sum(_layer_flops(r) for r in records)


@dataclass(frozen=True)
class LayerSummary:
    """One row of :class:`ModelSummary` (``output_shape`` and ``flops`` None without a shape)."""

    name: str
    layer: str
    output_shape: tuple[int, ...] | None
    params: int
    receptive_field: tuple[int | float, ...] | None
    flops: int | None


@dataclass(frozen=True)
class ModelSummary:
    """A model layer by layer, printable as a table (``str(summary)``).

    Attributes
    ----------
    input_shape : tuple of int or None
        None when the summary was made without an input shape: then the layers
        are listed in definition order with their parameters only, and
        ``total_flops``, ``output_shape`` and each layer's shape, receptive
        field and FLOPs are None.
    layers : list of LayerSummary
    total_params, trainable_params : int
        From :func:`param_count` (shared parameters once).
    total_flops : int or None
        Per sample, see :func:`flops`.
    output_shape : tuple of int or None
        The model's output, without the batch axis.
    """

    input_shape: tuple[int, ...] | None
    layers: list[LayerSummary]
    total_params: int
    trainable_params: int
    total_flops: int | None
    output_shape: tuple[int, ...] | None

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """The column titles and the rows of cells, as ``str(summary)`` prints them."""

        def rf(r: tuple[int | float, ...] | None) -> str:
            return "-" if r is None else "x".join(f"{v:g}" for v in r)

        if self.input_shape is None:
            head: tuple[str, ...] = ("Layer (type)", "Param #")
            return head, [(f"{r.name} ({r.layer})", f"{r.params:,}") for r in self.layers]
        head = ("Layer (type)", "Output shape", "Param #", "Receptive field", "FLOPs")
        rows = [
            (f"{r.name} ({r.layer})", str(tuple(r.output_shape or ())), f"{r.params:,}",
             rf(r.receptive_field), f"{r.flops or 0:,}")
            for r in self.layers
        ]  # fmt: skip
        return head, rows

    def totals(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines under the table."""
        lines = [
            ("Total params", f"{self.total_params:,}"),
            ("Trainable params", f"{self.trainable_params:,}"),
            ("Non-trainable params", f"{self.total_params - self.trainable_params:,}"),
        ]
        if self.input_shape is not None:
            lines += [("FLOPs per sample", f"{self.total_flops or 0:,}"),
                      ("Output shape", str(tuple(self.output_shape or ())))]  # fmt: skip
        return lines

    def __str__(self) -> str:
        head, rows = self.table()
        widths = [max(len(c) for c in col) for col in zip(head, *rows)]

        def line(cells: tuple[str, ...]) -> str:
            first = cells[0].ljust(widths[0])
            rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
            return "  ".join([first, *rest]).rstrip()

        rule = "-" * len(line(head))
        first = (f"Input shape: {tuple(self.input_shape)}" if self.input_shape is not None else
                 "Input shape: not recorded (output shapes, receptive fields and FLOPs need one)")
        out = [first, rule, line(head), rule]
        out += [line(r) for r in rows]
        out += ["=" * len(rule), *(f"{label}: {value}" for label, value in self.totals())]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        from convolab._html import summary_html

        return summary_html(self)


def _parameter_summary(model: Any) -> ModelSummary:
    """The summary without an input: each leaf layer's parameters, in definition order."""
    rows = [LayerSummary(name, type(mod).__name__, None, _own_params(mod), None, None)
            for name, mod in _leaves(model)]  # fmt: skip
    return ModelSummary(None, rows, param_count(model), param_count(model, True), None, None)


def summary(model: Any, input_shape: Sequence[int] | None = None) -> ModelSummary:
    """Layer, output shape, parameters, receptive field and FLOPs, with totals.

    The table is what ``convolab inspect`` prints, in the manner of Keras'
    ``summary()`` or torchinfo. Without an input shape (none given and none
    recorded by the model) it lists each layer's parameters and the totals.

    Parameters
    ----------
    model : Module
    input_shape : tuple of int, optional
        One sample's shape without the batch axis; default ``model.input_shape``
        (recorded by :mod:`convolab.models` and kept by model files).

    Returns
    -------
    ModelSummary

    Examples
    --------
    >>> from convolab import nn
    >>> s = summary(nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2)), (1, 32, 32))
    >>> print(s)
    Input shape: (1, 32, 32)
    --------------------------------------------------------------
    Layer (type)   Output shape  Param #  Receptive field    FLOPs
    --------------------------------------------------------------
    0 (Conv2d)      (6, 28, 28)      156              5x5  235,200
    1 (Tanh)        (6, 28, 28)        0              5x5    4,704
    2 (AvgPool2d)   (6, 14, 14)        0              6x6    4,704
    ==============================================================
    Total params: 156
    Trainable params: 156
    Non-trainable params: 0
    FLOPs per sample: 244,608
    Output shape: (6, 14, 14)
    >>> print(summary(nn.Sequential(nn.Linear(4, 2), nn.ReLU())))
    Input shape: not recorded (output shapes, receptive fields and FLOPs need one)
    ---------------------
    Layer (type)  Param #
    ---------------------
    0 (Linear)         10
    1 (ReLU)            0
    =====================
    Total params: 10
    Trainable params: 10
    Non-trainable params: 0
    """
    _check_module("model", model)
    if input_shape is None and getattr(model, "input_shape", None) is None:
        return _parameter_summary(model)
    shape = _input_shape(model, input_shape)
    records, out = _run(model, _zeros_batch(model, shape))
    fields = _fields(records, len(shape) - 1)
    rows = []
    for rec, f in zip(records, fields):
        size = None if f is None or len(shape) < 2 else tuple(_num(a.size) for a in f)
        rows.append(
            LayerSummary(rec.name, rec.kind, rec.output.shape[1:], _own_params(rec.layer), size,
                         _layer_flops(rec))
        )  # fmt: skip
    return ModelSummary(
        shape, rows, param_count(model), param_count(model, trainable_only=True),
        sum(r.flops for r in rows), tuple(out.shape[1:]),
    )  # fmt: skip


# --------------------------------------------------------------------------- MLP vs CNN


@dataclass(frozen=True)
class MlpCnnComparison:
    """Parameter counts of a fully connected layer against a convolution on the same image.

    Attributes
    ----------
    image_shape : tuple of int
        ``(C, H, W)``.
    hidden_units : int
        Neurons of the fully connected layer.
    kernel_size, out_channels : int
        The convolution: ``out_channels`` kernels of ``C x k x k``.
    weights_per_neuron : int
        ``C * H * W``: every fully connected neuron sees every pixel.
    conv_weights_per_neuron : int
        ``C * k * k``: a convolution unit sees one patch.
    mlp_weights, mlp_biases : int
        ``C H W * hidden_units`` and ``hidden_units``.
    conv_weights, conv_biases : int
        ``out_channels * C * k * k`` and ``out_channels`` (shared by every position).
    """

    image_shape: tuple[int, int, int]
    hidden_units: int
    kernel_size: int
    out_channels: int
    weights_per_neuron: int
    conv_weights_per_neuron: int
    mlp_weights: int
    mlp_biases: int
    conv_weights: int
    conv_biases: int

    @property
    def mlp_params(self) -> int:
        """Weights and biases of the fully connected layer."""
        return self.mlp_weights + self.mlp_biases

    @property
    def conv_params(self) -> int:
        """Weights and biases of the convolution."""
        return self.conv_weights + self.conv_biases

    @property
    def ratio(self) -> float:
        """How many times more parameters the fully connected layer needs."""
        return self.mlp_params / self.conv_params

    def __str__(self) -> str:
        c, h, w = self.image_shape
        k = self.kernel_size
        rows = [
            ("", "fully connected", f"conv {k}x{k}"),
            ("weights per neuron", f"{self.weights_per_neuron:,}",
             f"{self.conv_weights_per_neuron:,}"),
            ("weights", f"{self.mlp_weights:,}", f"{self.conv_weights:,}"),
            ("biases", f"{self.mlp_biases:,}", f"{self.conv_biases:,}"),
            ("parameters", f"{self.mlp_params:,}", f"{self.conv_params:,}"),
        ]  # fmt: skip
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [f"image {c}x{h}x{w}, {self.hidden_units:,} hidden units, "
                 f"{self.out_channels} conv kernel(s)"]  # fmt: skip
        lines += [
            "  ".join([r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].rjust(widths[2])])
            for r in rows
        ]
        lines.append(f"ratio: {self.ratio:,.1f}x fewer parameters with the convolution")
        return "\n".join(lines)


def compare_mlp_cnn(
    image_shape: Sequence[int],
    hidden_units: int | None = None,
    kernel_size: int = 3,
    out_channels: int = 1,
) -> MlpCnnComparison:
    """Parameters of a fully connected layer against a convolution, as the articles count them.

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` (one channel) or ``(C, H, W)``.
    hidden_units : int, optional
        Neurons of the fully connected layer; default ``H * W`` (a hidden layer
        as large as the image, as in the articles' ``n x n`` example).
    kernel_size : int, default 3
    out_channels : int, default 1

    Returns
    -------
    MlpCnnComparison

    Notes
    -----
    Fully connected: ``C H W`` weights per neuron, ``C H W * hidden_units`` in all,
    which for a one-channel ``n x n`` image and an ``n x n`` hidden layer is
    ``n^2 * n^2 = n^4``. Convolution: ``out_channels * C * k^2`` weights, the same
    kernel used at every position (translation invariance and locality).

    Examples
    --------
    >>> cmp = compare_mlp_cnn((3, 256, 256))
    >>> cmp.weights_per_neuron, cmp.conv_weights
    (196608, 27)
    >>> compare_mlp_cnn((28, 28)).mlp_weights == 28**4
    True
    """
    shape = _shape_arg("image_shape", image_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3:
        raise ValueError(f"`image_shape` must be (H, W) or (C, H, W); got {tuple(image_shape)!r}")
    c, h, w = shape
    hidden = h * w if hidden_units is None else _positive_int("hidden_units", hidden_units)
    k = _positive_int("kernel_size", kernel_size)
    oc = _positive_int("out_channels", out_channels)
    per_neuron = c * h * w
    return MlpCnnComparison(
        (c, h, w), hidden, k, oc, per_neuron, c * k * k, per_neuron * hidden, hidden,
        oc * c * k * k, oc,
    )  # fmt: skip


# --------------------------------------------------------------------------- information


def _symbols(name: str, a: Any, n: int | None, bins: int | None) -> np.ndarray:
    """Each row of ``a`` (rows are samples) as one integer symbol, after binning each unit."""
    arr = np.asarray(a)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"`{name}` must have one row per sample; got a scalar")
    if arr.shape[0] == 0:
        raise ValueError(f"`{name}` must have at least one sample; got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(
            f"`x` and `{name}` must have the same number of rows; got {n} and {arr.shape[0]}"
        )
    rows = arr.reshape(arr.shape[0], -1)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(rows)):
            raise ValueError(f"`{name}` must be finite; it contains NaN or inf")
        if bins is not None:
            lo, hi = float(rows.min()), float(rows.max())
            if hi > lo:
                small = np.uint8 if bins <= 256 else np.int64  # compact patterns unique faster
                scaled = (rows.astype(np.float64) - lo) * (bins / (hi - lo))
                rows = np.clip(np.floor(scaled), 0, bins - 1).astype(small)
            else:
                rows = np.zeros(rows.shape, dtype=np.uint8)
    if rows.shape[1] == 1:
        flat = rows[:, 0]
    else:
        contiguous = np.ascontiguousarray(rows)
        flat = contiguous.view(np.dtype((np.void, contiguous.dtype.itemsize * rows.shape[1])))
        flat = flat[:, 0]
    return np.unique(flat, return_inverse=True)[1].reshape(-1)


def _entropy_of(ids: np.ndarray) -> float:
    counts = np.bincount(ids)
    p = counts[counts > 0] / ids.size
    return float(-(p * np.log2(p)).sum())


def _bins_arg(bins: Any) -> int | None:
    return None if bins is None else _positive_int("bins", bins)


def entropy(x: Any, bins: int | None = 30) -> float:
    r"""Entropy in bits of the rows of ``x`` after binning, ``H = -sum_v p(v) log2 p(v)``.

    Parameters
    ----------
    x : array_like
        Rows are samples; a row with several values is one discrete pattern.
    bins : int or None, default 30
        Floating values are cut into ``bins`` equal-width bins spanning the
        array's minimum to maximum (every unit with the same edges);
        ``None`` uses the values as they are. Integer and boolean arrays are
        symbols already and are never binned.

    Examples
    --------
    >>> entropy([0, 1, 2, 3])
    2.0
    >>> entropy([[0, 1], [0, 1], [1, 1], [1, 0]])
    1.5
    """
    return _entropy_of(_symbols("x", x, None, _bins_arg(bins)))


def mutual_information(x: Any, t: Any, bins: int | None = 30) -> float:
    r"""Mutual information ``I(X; T)`` in bits by binning (the plug-in estimator).

    Parameters
    ----------
    x, t : array_like
        Same number of rows; rows are samples. Multi-dimensional rows (an
        image, a layer's activations) are binned unit by unit and each binned
        row is treated as one discrete pattern.
    bins : int or None, default 30
        Equal-width bins per array, from its minimum to its maximum (the
        binning of Shwartz-Ziv and Tishby's information-plane studies). Integer
        and boolean arrays (labels) are used as symbols without binning;
        ``None`` uses floating values as they are.

    Returns
    -------
    float
        ``I(X;T) = H(X) + H(T) - H(X, T) = sum p(x,t) log2(p(x,t) / (p(x) p(t)))``
        with the empirical frequencies of the binned patterns; ``>= 0`` and at
        most ``min(H(X), H(T))``.

    Notes
    -----
    For a deterministic ``T = f(X)``, ``I(X;T) = H(T)``; with inputs all
    distinct, ``H(X) = log2 N``, the most any layer can keep. The estimator is
    biased upward by about ``(K_x - 1)(K_t - 1) / (2 N ln 2)`` bits for ``K_x``,
    ``K_t`` occupied patterns when X and T are independent.

    Raises
    ------
    ValueError
        Different numbers of rows, no rows, NaN or inf, ``bins < 1``.
    TypeError
        Non-numeric input or a non-integer ``bins``.

    Examples
    --------
    >>> x = [0, 0, 1, 1]
    >>> mutual_information(x, x), mutual_information(x, [0, 1, 0, 1])
    (1.0, 0.0)
    """
    b = _bins_arg(bins)
    ix = _symbols("x", x, None, b)
    it = _symbols("t", t, ix.size, b)
    joint = ix.astype(np.int64) * (int(it.max()) + 1) + it
    joint_ids = np.unique(joint, return_inverse=True)[1].reshape(-1)
    mi = _entropy_of(ix) + _entropy_of(it) - _entropy_of(joint_ids)
    return max(mi, 0.0) if mi > -1e-9 else mi


@dataclass(frozen=True)
class LayerInformation:
    """Information a layer's output keeps: ``I(X; T)`` and, with labels, ``I(T; Y)`` in bits."""

    name: str
    layer: str
    i_xt: float
    i_ty: float | None


def information_per_layer(
    model: Any, data: Any, labels: Any = None, bins: int | None = 30
) -> list[LayerInformation]:
    """``I(X; T)`` (and ``I(T; Y)`` with ``labels``) for every layer's output ``T``.

    Parameters
    ----------
    model : Module
    data : array_like
        The inputs ``X``, one sample per row (e.g. ``(N, 1, 28, 28)``).
    labels : array_like of int, optional
        Classes ``Y``, one per sample.
    bins : int or None, default 30
        See :func:`mutual_information`.

    Returns
    -------
    list of LayerInformation

    Notes
    -----
    Each distinct input is its own symbol (inputs are not binned) and the
    network is deterministic, so ``I(X;T) = H(T)`` of the binned activations,
    at most ``log2 N``. By the data-processing inequality ``I(T;Y)`` can only
    fall along a chain of layers, up to the estimator's binning.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> x = np.array([[-2.0], [-1.0], [1.0], [2.0]], dtype=np.float32)
    >>> info = information_per_layer(nn.Sequential(nn.ReLU()), x, labels=[0, 0, 1, 1], bins=4)
    >>> info[0].i_xt, info[0].i_ty
    (1.5, 1.0)
    """
    _check_module("model", model)
    b = _bins_arg(bins)
    xs = np.asarray(data)
    ix = _symbols("data", xs, None, None)
    iy = None if labels is None else _symbols("labels", labels, ix.size, None)
    records, _ = _run(model, xs)
    out = []
    for rec in records:
        i_xt = mutual_information(ix, rec.output, b)
        i_ty = None if iy is None else mutual_information(rec.output, iy, b)
        out.append(LayerInformation(rec.name, rec.kind, i_xt, i_ty))
    return out


# --------------------------------------------------------------------------- equivariance


def _shifts(shift: Any, m: int) -> tuple[int, ...]:
    if isinstance(shift, numbers.Integral) and not isinstance(shift, bool):
        return (int(shift),) * m
    if isinstance(shift, tuple | list) and len(shift) == m and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in shift
    ):
        return tuple(int(v) for v in shift)
    raise TypeError(f"`shift` must be an int or a tuple of {m} ints (one per spatial axis); "
                    f"got {shift!r}")  # fmt: skip


def _shift_setup(layer: Any, x: Any, shift: Any) -> tuple[Any, ...]:
    _check_module("layer", layer)
    xs = np.asarray(x)
    if xs.ndim < 3:
        raise ValueError(
            f"`x` must be a batch (N, C, *spatial) with at least one spatial axis; "
            f"got shape {xs.shape}"
        )
    m = xs.ndim - 2
    s = _shifts(shift, m)
    for ax, (si, n) in enumerate(zip(s, xs.shape[2:])):
        if abs(si) >= n:
            raise ValueError(f"`shift` {si} on spatial axis {ax} must be smaller than its size {n}")
    axes = tuple(range(2, xs.ndim))
    records, y = _run(layer, xs)
    _, ys = _run(layer, np.roll(xs, s, axis=axes))
    fields = _fields(records, m)[-1] if records else [_Field(1, 1, 0.0)] * m
    return xs, s, y, ys, fields


def _interior(
    n: int, n_out: int, f: _Field, s: int, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outputs ``o`` whose window, and that of ``o + q`` in the shifted input, see only data."""
    j = int(f.jump)
    o = np.arange(n_out)
    lo = f.start - (f.size - 1) / 2 + o * j
    hi = lo + f.size - 1
    ok = (lo >= 0) & (hi <= n - 1)
    lo_s, hi_s = lo + q * j, hi + q * j
    ok &= (lo_s >= max(0, s)) & (hi_s <= n - 1 + min(0, s))
    ok &= (o + q >= 0) & (o + q < n_out)
    return o[ok], o[ok] + q


def _compare(y: np.ndarray, ys: np.ndarray, idx: list[tuple[np.ndarray, np.ndarray]]) -> float:
    sel_y, sel_s = y, ys
    for ax, (i, i_s) in enumerate(idx):
        sel_y = np.take(sel_y, i, axis=2 + ax)
        sel_s = np.take(sel_s, i_s, axis=2 + ax)
    if sel_y.size == 0:
        raise ValueError(
            "no interior positions to compare: the input is too small for this shift and "
            "receptive field"
        )
    diff = np.linalg.norm((sel_s.astype(np.float64) - sel_y).ravel())
    ref = np.linalg.norm(sel_y.astype(np.float64).ravel())
    return float(diff / ref) if ref > 0 else float(diff)


def equivariance_error(layer: Any, x: Any, shift: int | Sequence[int]) -> float:
    r"""How far ``layer`` is from commuting with a shift, on the interior of the output.

    .. math:: e = \frac{\| f(S_\delta x) - S_{\delta / j} f(x) \|}{\| f(x) \|}

    over the outputs whose receptive field (in ``x`` and in the shifted ``x``)
    touches neither the padding nor the wrapped-around border. ``j`` is the
    layer's total stride; when ``j`` does not divide ``delta`` the output shift
    is the better of ``floor(delta / j)`` and ``ceil(delta / j)``.

    Parameters
    ----------
    layer : Module
        A layer or a chain of layers (e.g. conv, activation, pooling) keeping
        the spatial axes.
    x : array_like, shape ``(N, C, *spatial)``
    shift : int or tuple of int
        Pixels to shift by, per spatial axis (an int shifts every axis).

    Returns
    -------
    float
        0 for a convolution (exactly, when the arithmetic is exact); for a
        pooling of stride ``j``, 0 when ``j`` divides the shift and usually not
        otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> x = np.arange(16.0).reshape(1, 1, 16) % 5
    >>> equivariance_error(nn.MaxPool1d(2), x, 2), equivariance_error(nn.MaxPool1d(2), x, 1) > 0
    (0.0, True)
    """
    xs, s, y, ys, fields = _shift_setup(layer, x, shift)
    m = xs.ndim - 2
    if fields is None or y.ndim != xs.ndim:
        raise ValueError(
            f"`layer` must keep the spatial axes of `x` to compare shifted outputs; it maps "
            f"{xs.shape} to {y.shape}"
        )
    per_axis: list[list[tuple[np.ndarray, np.ndarray]]] = []
    for ax in range(m):
        f = fields[ax]
        if not float(f.jump).is_integer():
            raise ValueError(f"the layer's stride on axis {ax} is not an integer ({f.jump})")
        j = int(f.jump)
        qs = sorted({s[ax] // j, -(-s[ax] // j)})
        per_axis.append(
            [_interior(xs.shape[2 + ax], y.shape[2 + ax], f, s[ax], q) for q in qs]
        )
    best = math.inf
    for combo in _product(per_axis):
        try:
            best = min(best, _compare(y, ys, list(combo)))
        except ValueError:
            continue
    if best == math.inf:
        raise ValueError(
            f"no interior positions to compare: `x` of shape {xs.shape} is too small for "
            f"shift {s} and the layer's receptive field"
        )
    return best


def _product(lists: list[list[Any]]) -> Iterable[tuple[Any, ...]]:
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head, *rest)


def invariance_error(layer: Any, x: Any, shift: int | Sequence[int]) -> float:
    r"""How much ``layer``'s output changes when its input is shifted.

    .. math:: e = \frac{\| f(S_\delta x) - f(x) \|}{\| f(x) \|}

    For outputs that keep spatial axes, only positions whose receptive field
    sees data (not padding, not the wrapped border) in both inputs count; a
    layer that removes the spatial extent (global pooling to one position, a
    classifier) is compared whole, with the shift circular.

    Parameters
    ----------
    layer : Module
    x : array_like, shape ``(N, C, *spatial)``
    shift : int or tuple of int

    Returns
    -------
    float
        Large for a convolution (its output moves with the input), smaller after
        pooling, 0 for global average pooling under a circular shift.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> x = np.arange(12.0).reshape(1, 1, 12) % 4
    >>> invariance_error(nn.AdaptiveAvgPool1d(1), x, 3)
    0.0
    """
    xs, s, y, ys, fields = _shift_setup(layer, x, shift)
    m = xs.ndim - 2
    if fields is None or y.ndim != xs.ndim or all(n == 1 for n in y.shape[2:]):
        diff = np.linalg.norm((ys.astype(np.float64) - y).ravel())
        ref = np.linalg.norm(y.astype(np.float64).ravel())
        return float(diff / ref) if ref > 0 else float(diff)
    idx = []
    for ax in range(m):
        f = fields[ax]
        f0 = _Field(f.size, int(round(float(f.jump))) or 1, f.start)
        o, _ = _interior(xs.shape[2 + ax], y.shape[2 + ax], f0, s[ax], 0)
        idx.append((o, o))
    return _compare(y, ys, idx)


# --------------------------------------------------------------------------- classic kernels


@dataclass(frozen=True)
class ClassicMatch:
    """The classic kernel most similar to a given one.

    Attributes
    ----------
    name : str
        e.g. ``"sobel(axis=1)"``.
    kernel : ndarray
        The classic kernel, centred and padded (or cropped) to the compared shape.
    cosine : float
        Cosine similarity in ``[-1, 1]``; negative means the negated classic kernel.
    """

    name: str
    kernel: np.ndarray = field(repr=False)
    cosine: float


def _fit(k: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``k`` centred in ``shape``: zero-padded where smaller, cropped where larger."""
    out = np.zeros(shape)
    src, dst = [], []
    for n, m in zip(k.shape, shape):
        if n <= m:
            a = (m - n) // 2
            src.append(slice(0, n))
            dst.append(slice(a, a + n))
        else:
            a = (n - m) // 2
            src.append(slice(a, a + m))
            dst.append(slice(0, m))
    out[tuple(dst)] = k[tuple(src)]
    return out


def _odd(n: int) -> int:
    return n if n % 2 else n + 1


def classic_bank(shape: Sequence[int]) -> dict[str, np.ndarray]:
    """Classic kernels of :mod:`convolab.kernels` fitted (centred) to ``shape``.

    Parameters
    ----------
    shape : (kH, kW) or (k,)
        For 1D, the bank holds identity, box, Gaussian, first and second derivative.

    Returns
    -------
    dict
        Name (with its parameters) to kernel of exactly ``shape``; kernels that
        vanish when cropped are left out.

    Examples
    --------
    >>> bank = classic_bank((3, 3))
    >>> bank["sobel(axis=1)"]
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    from convolab import kernels

    shp = _shape_arg("shape", shape)
    if len(shp) == 1:
        (n,) = shp
        r = np.arange(n) - (n - 1) / 2
        raw = {
            "identity": _fit(np.array([1.0]), (n,)),
            "box": np.full(n, 1.0 / n),
            "gaussian(sigma=1)": np.exp(-(r**2) / 2) / np.exp(-(r**2) / 2).sum(),
            "derivative": _fit(np.array([-1.0, 0.0, 1.0]), (n,)),
            "second derivative": _fit(np.array([1.0, -2.0, 1.0]), (n,)),
        }
    elif len(shp) == 2:
        h, w = shp
        side = _odd(max(h, w))
        raw = {
            "identity": kernels.identity(side),
            "box": kernels.box((h, w)),
            "gaussian(sigma=0.5)": kernels.gaussian(0.5, size=side),
            "gaussian(sigma=1)": kernels.gaussian(1.0, size=side),
            "laplacian(neighbours=4)": kernels.laplacian(4),
            "laplacian(neighbours=8)": kernels.laplacian(8),
            "sharpen": kernels.sharpen(),
            "emboss": kernels.emboss(),
        }
        for name in ("sobel", "scharr", "prewitt"):
            for axis in (0, 1):
                raw[f"{name}(axis={axis})"] = kernels.get(name, axis=axis)
        for theta in (0, 45, 90, 135):
            raw[f"gabor(theta={theta})"] = kernels.gabor(
                sigma=max(side / 4, 0.5), theta=theta, wavelength=max(side / 1.5, 2.0)
            )
    else:
        raise ValueError(f"`shape` must be (k,) or (kH, kW); got {tuple(shape)!r}")
    bank = {}
    for name, k in raw.items():
        fitted = _fit(np.asarray(k, dtype=np.float64), shp)
        if np.linalg.norm(fitted) > 0:
            bank[name] = fitted
    return bank


def nearest_classic(kernel: Any, bank: dict[str, np.ndarray] | None = None) -> ClassicMatch:
    r"""The classic kernel with the largest ``|cosine similarity|`` to ``kernel``.

    .. math:: \cos(a, b) = \frac{\sum a_i b_i}{\|a\| \|b\|}

    Parameters
    ----------
    kernel : array_like, shape ``(kH, kW)`` or ``(k,)``
    bank : dict, optional
        Candidates of ``kernel``'s shape; default :func:`classic_bank`.

    Returns
    -------
    ClassicMatch
        A negative ``cosine`` means ``kernel`` looks like the negated classic kernel.

    Examples
    --------
    >>> import numpy as np
    >>> m = nearest_classic(-np.array([[1.0, 2, 1], [0, 0, 0], [-1, -2, -1]]))
    >>> m.name, round(m.cosine, 6)
    ('sobel(axis=0)', 1.0)
    """
    k = np.asarray(kernel)
    if k.dtype.kind not in "biuf":
        raise TypeError(f"`kernel` must be a real array; got dtype {k.dtype}")
    if k.ndim not in (1, 2) or k.size == 0:
        raise ValueError(f"`kernel` must have shape (kH, kW) or (k,); got {k.shape}")
    k = k.astype(np.float64)
    norm = np.linalg.norm(k)
    if not np.isfinite(norm):
        raise ValueError("`kernel` must be finite")
    candidates = classic_bank(k.shape) if bank is None else bank
    best: ClassicMatch | None = None
    for name, c in candidates.items():
        c = np.asarray(c, dtype=np.float64)
        if c.shape != k.shape:
            raise ValueError(f"`bank[{name!r}]` has shape {c.shape}; expected {k.shape}")
        cn = np.linalg.norm(c)
        cos = float((k * c).sum() / (norm * cn)) if norm > 0 and cn > 0 else 0.0
        if best is None or abs(cos) > abs(best.cosine) + 1e-12:
            best = ClassicMatch(name, c, cos)
    if best is None:
        raise ValueError("`bank` is empty")
    return best
