"""Counting: parameters, FLOPs, the layer-by-layer summary, and MLP against CNN sizes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convolab.analysis.observe import (
    Activation,
    as_array,
    check_module,
    input_shape_of,
    layer_kind,
    layer_window,
    leaves,
    positive_int,
    run_model,
    shape_arg,
    zeros_batch,
)
from convolab.analysis.receptive import as_number, fields_of

__all__ = [
    "LayerSummary",
    "MlpCnnComparison",
    "ModelSummary",
    "compare_mlp_cnn",
    "flops",
    "layer_flops",
    "own_params",
    "param_count",
    "parameter_summary",
    "summary",
]


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
    check_module("model", model)
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not getattr(p, "requires_grad", True)):
            continue
        seen.add(id(p))
        total += int(as_array(p).size)
    return total


def own_params(module: Any) -> int:
    return sum(int(as_array(p).size) for p in module.parameters())


def layer_flops(rec: Activation) -> int:
    """FLOPs of one call, per sample (see :func:`flops`)."""
    mod, kind = rec.layer, layer_kind(rec.layer)
    out = int(np.prod(rec.output.shape[1:], dtype=np.int64))
    inputs = int(np.prod(rec.input_shape[1:], dtype=np.int64))
    if kind == "conv":
        return 2 * out * int(np.prod(as_array(mod.weight).shape[1:]))
    if kind == "conv_transpose":  # each input scatters C_out/groups kernels
        return 2 * inputs * int(np.prod(as_array(mod.weight).shape[1:]))
    if kind == "linear":
        return 2 * out * int(mod.in_features)
    if kind == "matmul":  # each output sums k products, k the weight's contracted axis
        shape = as_array(mod.weight).shape
        return 2 * out * int(shape[0] if len(shape) == 1 else shape[-2])
    if kind == "pool" and (window := layer_window(mod)) is not None:
        return out * int(np.prod(window.kernel_size))
    if kind in ("adaptive_pool", "global_pool"):
        return inputs
    if kind == "norm":
        return 2 * out
    if kind in ("flatten", "dropout", "identity", "permute"):
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
    convolution ``2 * prod(out) * C_in/groups * prod(kernel)``, transposed convolution
    ``2 * prod(in) * C_out/groups * prod(kernel)``, linear
    ``2 * out_features * in_features``; pooling ``prod(out) * prod(kernel)``;
    adaptive and global pooling one add per input; batch norm 2 per element (scale, shift);
    activations and other element-wise layers 1 per element; ``Flatten``,
    ``Dropout`` and ``Identity`` 0.

    Examples
    --------
    LeNet's C1 on 32 x 32: ``2 * (6 * 28 * 28) * 25 = 235200``.

    >>> from convolab import nn
    >>> flops(nn.Conv2d(1, 6, 5), (1, 32, 32))
    235200
    """
    check_module("model", model)
    shape = input_shape_of(model, input_shape)
    records, _ = run_model(model, zeros_batch(model, shape))
    return sum(layer_flops(r) for r in records)


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


def parameter_summary(model: Any) -> ModelSummary:
    """The summary without an input: each leaf layer's parameters, in definition order."""
    rows = [LayerSummary(name, type(mod).__name__, None, own_params(mod), None, None)
            for name, mod in leaves(model)]  # fmt: skip
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
    check_module("model", model)
    if input_shape is None and getattr(model, "input_shape", None) is None:
        return parameter_summary(model)
    shape = input_shape_of(model, input_shape)
    records, out = run_model(model, zeros_batch(model, shape))
    fields = fields_of(records, len(shape) - 1)
    rows = []
    for rec, f in zip(records, fields):
        size = None if f is None or len(shape) < 2 else tuple(as_number(a.size) for a in f)
        rows.append(
            LayerSummary(rec.name, rec.kind, rec.output.shape[1:], own_params(rec.layer), size,
                         layer_flops(rec))
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
    shape = shape_arg("image_shape", image_shape)
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3:
        raise ValueError(f"`image_shape` must be (H, W) or (C, H, W); got {tuple(image_shape)!r}")
    c, h, w = shape
    hidden = h * w if hidden_units is None else positive_int("hidden_units", hidden_units)
    k = positive_int("kernel_size", kernel_size)
    oc = positive_int("out_channels", out_channels)
    per_neuron = c * h * w
    return MlpCnnComparison(
        (c, h, w), hidden, k, oc, per_neuron, c * k * k, per_neuron * hidden, hidden,
        oc * c * k * k, oc,
    )  # fmt: skip


# --------------------------------------------------------------------------- information
