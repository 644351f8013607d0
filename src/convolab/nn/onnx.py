"""Export a model to ONNX, the exchange format that inference runtimes read.

:func:`export_onnx` walks the model's layers (a :class:`~convolab.nn.Sequential`
is followed child by child) and writes one ONNX operator, or a short chain of
them, per layer:

=========================================  ==================================================
convolab layer                             ONNX operators
=========================================  ==================================================
``Conv1d``, ``Conv2d``, ``Conv3d``         ``Conv`` (explicit ``pads``; ``'same'`` resolved;
                                           a ``Pad`` first for a ``padding_mode``)
``ConvTranspose1d/2d/3d``                  ``ConvTranspose`` (+ ``Pad``, ``Add`` past the stride)
``Linear``                                 ``Gemm`` (2-D input) or ``MatMul`` + ``Add``
``MatMul``, ``Permute``                    ``MatMul`` (+ ``Add``), ``Transpose``
``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``   ``MaxPool``, ``AveragePool`` (``ceil_mode``, dilations)
``LPPool1d/2d``                            ``LpPool``
``GlobalMaxPool``, ``GlobalAvgPool``       ``GlobalMaxPool``, ``GlobalAveragePool``
``AdaptiveAvgPool1d/2d``                   ``GlobalAveragePool`` or averaging ``MatMul``\\ s
``BatchNorm1d/2d/3d``                      ``BatchNormalization`` (running statistics)
``Dropout``, ``Identity``                  nothing (the identity at inference)
``Upsample``                               ``Resize`` (scales; where ONNX Runtime's float32
                                           arithmetic gives PyTorch's samples)
``ZeroPad1d`` ... ``CircularPad3d``        ``Pad`` (``constant``, ``reflect``, ``edge``; ``wrap``
                                           from opset 19)
``Flatten``                                ``Flatten`` or ``Reshape``
``Standardize``                            ``Sub`` then ``Mul`` (by ``1 / std``)
``ReLU``, ``LeakyReLU``, ``Sigmoid``,      ``Relu``, ``LeakyRelu``, ``Sigmoid``, ``Tanh``,
``Tanh``, ``Softmax``, ``LogSoftmax``      ``Softmax``, ``LogSoftmax``
``ELU``, ``SELU``, ``CELU``, ``PReLU``     ``Elu``, ``Selu``, ``Celu``, ``PRelu``
``Hardsigmoid``, ``Hardswish``             ``HardSigmoid``, ``HardSwish``
``Hardtanh``                               ``Clip``
``GELU``                                   ``Gelu`` (opset 20+), else ``Erf`` or ``Tanh`` form
``SiLU``                                   ``Sigmoid`` then ``Mul``
``Softplus``                               ``Softplus`` (``beta`` and ``threshold`` as PyTorch)
=========================================  ==================================================

The graph computes the model in evaluation mode (batch normalization with its
running statistics, dropout switched off), whatever mode the model is in; the
model's own mode is left as it was. The batch axis is symbolic (``"batch"``), so
the file accepts any batch size; the other axes are fixed to ``input_shape``.

Needs the optional extra ``convolab[onnx]`` (the ``onnx`` package; ``onnxruntime``
to run the result). Both are imported only when :func:`export_onnx` runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from convolab._optional import optional_import
from convolab.conv.boundary import TORCH_MODES
from convolab.conv.geometry import layer_pads
from convolab.nn import modules as layers
from convolab.nn.functional._checks import _ntuple
from convolab.nn.functional.adaptive import _adaptive_matrix
from convolab.nn.functional.resize import output_sizes, resample_matrix
from convolab.nn.modules import Module, Sequential
from convolab.nn.tensor import Tensor, no_grad
from convolab.outputs import write_bytes

__all__ = ["DEFAULT_OPSET", "export_onnx", "supported_layers"]

#: The ONNX opset written unless ``opset=`` says otherwise (17 is read by every current runtime).
DEFAULT_OPSET = 17
_MIN_OPSET = 17


def _import_onnx() -> Any:
    return optional_import("onnx", "export_onnx", "onnx")


class _Graph:
    """Collects the nodes and initializers of the graph being written."""

    def __init__(self, onnx: Any, opset: int, dtype: np.dtype) -> None:
        self.onnx = onnx
        self.opset = opset
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()

    def fresh(self, hint: str) -> str:
        base = hint.replace(".", "_") or "value"
        name, i = base, 1
        while name in self._names:
            name, i = f"{base}_{i}", i + 1
        self._names.add(name)
        return name

    def constant(self, hint: str, array: np.ndarray, dtype: Any = None) -> str:
        name = self.fresh(hint)
        arr = np.array(array, dtype=dtype or self.dtype, order="C")  # a scalar stays 0-d
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name=name))
        return name

    def node(self, op: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        out = self.fresh(f"{hint}_{op}" if hint else op)
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out


# A converter writes the ONNX nodes of one layer: (graph, layer, input name, example input
# array, dotted layer name) -> output name. The example input carries the static shapes.
_Converter = Callable[[_Graph, Module, str, np.ndarray, str], str]

# One converter per layer class; a converter registers the classes it writes.
_CONVERTERS: dict[type[Module], _Converter] = {}


def _converts(*classes: type[Module]) -> Callable[[_Converter], _Converter]:
    def register(convert: _Converter) -> _Converter:
        for cls in classes:
            if cls in _CONVERTERS:
                raise ValueError(f"{cls.__name__} already has an ONNX conversion")
            _CONVERTERS[cls] = convert
        return convert

    return register


def _onnx_pads(pads: Sequence[tuple[int, int]]) -> list[int]:
    """``((b1, a1), (b2, a2))`` -> ONNX's ``[b1, b2, a1, a2]``."""
    return [p[0] for p in pads] + [p[1] for p in pads]


@_converts(layers.Conv1d, layers.Conv2d, layers.Conv3d)
def _conv(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    pads = layer_pads(m.padding, xv.shape[2:], m.window().effective, m.stride)
    if m.padding_mode != "zeros":  # a Pad by the rule first; ONNX's Pad modes are NumPy's
        mode = TORCH_MODES[m.padding_mode].numpy_mode
        if mode == "wrap" and g.opset < 19:
            raise ValueError(
                f"cannot export layer {path or 'model'!r} ({type(m).__name__} with "
                f"padding_mode='circular'): ONNX's Pad mode 'wrap' needs opset 19 or newer; "
                f"got opset={g.opset}"
            )
        widths = np.array(_onnx_pads([(0, 0), (0, 0), *pads]), dtype=np.int64)
        x = g.node("Pad", [x, g.constant(f"{path}.pads", widths, np.int64)], path, mode=mode)
        pads = [(0, 0)] * len(pads)
    inputs = [x, g.constant(f"{path}.weight", m.weight.data)]
    if m.bias is not None:
        inputs.append(g.constant(f"{path}.bias", m.bias.data))
    return g.node(
        "Conv", inputs, path, kernel_shape=list(m.kernel_size), strides=list(m.stride),
        dilations=list(m.dilation), pads=_onnx_pads(pads), group=m.groups,
    )  # fmt: skip


def _fold_output_padding(
    pads: Sequence[tuple[int, int]], output_padding: Sequence[int], stride: Sequence[int]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pads, ``output_padding`` and trailing zeros that runtimes accept for one layer.

    ``output_padding`` first shortens the crop at the end (the output is the full
    transposed output cropped by ``(before, after - output_padding)``); what is left
    extends the output past the full result, where only the bias lands. ONNX Runtime
    takes an ``output_padding`` below the stride only (PyTorch's rule is below
    ``max(stride, dilation)``), so a larger remainder becomes zeros padded after the
    layer, before its bias is added.
    """
    folded, extra, tail = [], [], []
    for (before, after), op, s in zip(pads, output_padding, stride, strict=True):
        rest = max(op - after, 0)
        folded.append((before, after - op + rest))
        extra.append(rest if rest < s else 0)
        tail.append(rest if rest >= s else 0)
    return folded, extra, tail


@_converts(layers.ConvTranspose1d, layers.ConvTranspose2d, layers.ConvTranspose3d)
def _conv_transpose(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    pads = layer_pads(
        m.padding, xv.shape[2:], m.window().effective, m.stride, transposed=True,
        output_padding=m.output_padding,
    )  # fmt: skip
    pads, extra, tail = _fold_output_padding(pads, m.output_padding, m.stride)
    inputs = [x, g.constant(f"{path}.weight", m.weight.data)]
    if m.bias is not None and not any(tail):
        inputs.append(g.constant(f"{path}.bias", m.bias.data))
    attrs = {"output_padding": extra} if any(extra) else {}
    y = g.node(
        "ConvTranspose", inputs, path, kernel_shape=list(m.kernel_size),
        strides=list(m.stride), dilations=list(m.dilation), pads=_onnx_pads(pads),
        group=m.groups, **attrs,
    )  # fmt: skip
    if any(tail):
        widths = np.array([0, 0, *([0] * len(tail)), 0, 0, *tail], dtype=np.int64)
        y = g.node("Pad", [y, g.constant(f"{path}.tail", widths, np.int64)], path)
        if m.bias is not None:
            bias = m.bias.data.reshape((-1,) + (1,) * len(tail))
            y = g.node("Add", [y, g.constant(f"{path}.bias", bias)], path)
    return y


@_converts(layers.Linear)
def _linear(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    w = g.constant(f"{path}.weight", m.weight.data)
    if xv.ndim == 2:
        inputs = [x, w] + ([g.constant(f"{path}.bias", m.bias.data)] if m.bias is not None else [])
        return g.node("Gemm", inputs, path, transB=1)
    wt = g.node("Transpose", [w], path, perm=[1, 0])
    y = g.node("MatMul", [x, wt], path)
    if m.bias is not None:
        y = g.node("Add", [y, g.constant(f"{path}.bias", m.bias.data)], path)
    return y


@_converts(layers.MatMul)
def _matmul(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    y = g.node("MatMul", [x, g.constant(f"{path}.weight", m.weight.data)], path)
    if m.bias is not None:
        y = g.node("Add", [y, g.constant(f"{path}.bias", m.bias.data)], path)
    return y


@_converts(layers.Permute)
def _permute(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    return g.node("Transpose", [x], path, perm=[d % xv.ndim for d in m.dims])


def _pool_attrs(m: Any, xv: np.ndarray, path: str) -> dict[str, Any]:
    window = m.window()
    pads = window.pads(xv.shape[-len(window.kernel_size) :])
    attrs: dict[str, Any] = {
        "kernel_shape": list(window.kernel_size),
        "strides": list(window.stride),
        "pads": _onnx_pads(pads),
    }
    if m.ceil_mode:
        attrs["ceil_mode"] = 1
    if any(d != 1 for d in window.dilation):
        attrs["dilations"] = list(window.dilation)
    return attrs


@_converts(layers.MaxPool1d, layers.MaxPool2d, layers.MaxPool3d)
def _max_pool(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    if m.return_indices:
        raise ValueError(
            f"cannot export layer {path or 'model'!r} ({type(m).__name__} with "
            "return_indices=True): its second output has no place in a chain of layers"
        )
    return g.node("MaxPool", [x], path, **_pool_attrs(m, xv, path))


@_converts(layers.AvgPool1d, layers.AvgPool2d, layers.AvgPool3d)
def _avg_pool(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    attrs = _pool_attrs(m, xv, path)
    if m.divisor_override is not None:
        raise ValueError(
            f"cannot export layer {path or 'model'!r} ({type(m).__name__} with "
            "divisor_override): ONNX's AveragePool has no such option"
        )
    if "dilations" in attrs and g.opset < 19:
        raise ValueError(
            f"cannot export layer {path or 'model'!r} ({type(m).__name__} with dilation): "
            f"AveragePool takes dilations from opset 19; got opset={g.opset}"
        )
    return g.node("AveragePool", [x], path, count_include_pad=int(m.count_include_pad), **attrs)


@_converts(layers.LPPool1d, layers.LPPool2d)
def _lp_pool(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    if m.norm_type != int(m.norm_type):
        raise ValueError(
            f"cannot export layer {path or 'model'!r} ({type(m).__name__}): ONNX's LpPool "
            f"takes an integer p; got norm_type={m.norm_type}"
        )
    attrs = _pool_attrs(m, xv, path)
    return g.node("LpPool", [x], path, p=int(m.norm_type), **attrs)


@_converts(layers.AdaptiveAvgPool1d, layers.AdaptiveAvgPool2d)
def _adaptive_avg_pool(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    dims = 1 if isinstance(m, layers.AdaptiveAvgPool1d) else 2
    size = m.output_size
    if isinstance(size, tuple | list):
        size = tuple(xv.shape[-dims + i] if o is None else o for i, o in enumerate(size))
    out = _ntuple(size, dims, "output_size")
    if all(o == 1 for o in out):
        return g.node("GlobalAveragePool", [x], path)
    # y = A_h x A_w^T with PyTorch's averaging bins, as convolab computes it.
    n = xv.shape[-dims:]
    a_w = g.constant(f"{path}.avg_w", _adaptive_matrix(n[-1], out[-1], g.dtype).T)
    y = g.node("MatMul", [x, a_w], path)
    if dims == 2:
        a_h = g.constant(f"{path}.avg_h", _adaptive_matrix(n[0], out[0], g.dtype))
        y = g.node("MatMul", [a_h, y], path)
    return y


@_converts(layers.BatchNorm1d, layers.BatchNorm2d, layers.BatchNorm3d)
def _batch_norm(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    if m.running_mean is None:
        raise ValueError(
            f"cannot export layer {path or 'model'!r} ({type(m).__name__} with "
            "track_running_stats=False): it normalizes with the statistics of each batch even "
            "in evaluation mode, which ONNX's BatchNormalization does not do"
        )
    c = m.num_features
    scale = m.weight.data if m.weight is not None else np.ones(c)
    bias = m.bias.data if m.bias is not None else np.zeros(c)
    inputs = [
        x,
        g.constant(f"{path}.weight", scale),
        g.constant(f"{path}.bias", bias),
        g.constant(f"{path}.running_mean", m.running_mean),
        g.constant(f"{path}.running_var", m.running_var),
    ]
    return g.node("BatchNormalization", inputs, path, epsilon=float(m.eps))


@_converts(*(getattr(layers, f"{family}Pad{d}d") for family in (
    "Zero", "Constant", "Reflection", "Replication", "Circular") for d in (1, 2, 3)))  # fmt: skip
def _pad(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    rule = TORCH_MODES[m._mode]
    if rule.numpy_mode == "wrap" and g.opset < 19:
        raise ValueError(
            f"cannot export layer {path or 'model'!r} ({type(m).__name__}): ONNX's Pad mode "
            f"'wrap' needs opset 19 or newer; got opset={g.opset}"
        )
    pads = [(0, 0)] * (xv.ndim - m._dims) + list(m.window().padding)
    widths = g.constant(f"{path}.pads", np.array(_onnx_pads(pads), dtype=np.int64), np.int64)
    inputs = [x, widths]
    if rule.numpy_mode == "constant":
        inputs.append(g.constant(f"{path}.value", np.array(getattr(m, "value", 0.0))))
    return g.node("Pad", inputs, path, mode=rule.numpy_mode)


@_converts(layers.Upsample)
def _upsample(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    spatial = xv.shape[2:]
    sizes, factors = output_sizes(spatial, m.size, m.scale_factor)
    scales = np.array([
        out / n if f is None or m.recompute_scale_factor else f
        for n, out, f in zip(spatial, sizes, factors, strict=True)
    ], dtype=np.float32)  # fmt: skip
    # ONNX Runtime takes floor(n * scale) samples and, for nearest, reads sample j at
    # floor(j / scale), both in float32: the graph is written only where that is PyTorch's.
    for n, out, scale, f in zip(spatial, sizes, scales, factors, strict=True):
        other_samples = False
        if m.mode == "nearest":
            ratio = None if f is None or m.recompute_scale_factor else f
            columns = resample_matrix(n, out, ratio, "nearest", False).indices
            theirs = np.minimum(np.floor(np.arange(out, dtype=np.float32) / scale), n - 1)
            other_samples = bool(np.any(theirs != columns))
        if other_samples or np.floor(np.float32(n) * scale) != out:
            raise ValueError(
                f"cannot export layer {path or 'model'!r} ({m!r}) for inputs of spatial size "
                f"{spatial}: ONNX's Resize, in float32, would not give PyTorch's samples "
                f"along an axis of {n} resampled to {out}"
            )
    if m.mode == "nearest":
        attrs = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                 "nearest_mode": "floor"}  # fmt: skip
    else:
        transform = "align_corners" if m.align_corners else "half_pixel"
        attrs = {"mode": "linear", "coordinate_transformation_mode": transform}
    all_scales = np.concatenate([np.ones(2, np.float32), scales])
    return g.node("Resize", [x, "", g.constant(f"{path}.scales", all_scales, np.float32)],
                  path, **attrs)  # fmt: skip


@_converts(layers.Dropout, layers.Identity)
def _identity(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    return x


@_converts(layers.Flatten)
def _flatten(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    nd = xv.ndim
    start = m.start_dim + nd if m.start_dim < 0 else m.start_dim
    end = m.end_dim + nd if m.end_dim < 0 else m.end_dim
    if start == 0:
        raise ValueError(
            f"cannot export layer {path or 'model'!r} (Flatten(start_dim={m.start_dim})): it "
            "merges the batch axis, so the graph could not keep a dynamic batch size"
        )
    if end == nd - 1:
        return g.node("Flatten", [x], path, axis=start)
    # 0 copies an axis (the batch axis stays dynamic), -1 takes the merged axes.
    shape = [0] * start + [-1] + list(xv.shape[end + 1 :])
    return g.node("Reshape", [x, g.constant(f"{path}.shape", np.array(shape), np.int64)], path)


@_converts(layers.Standardize)
def _standardize(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    shape = (1, -1) + (1,) * (xv.ndim - 2)
    mean = g.constant(f"{path}.mean", np.asarray(m.mean).reshape(shape))
    scale = g.constant(f"{path}.scale", (1.0 / np.asarray(m.std)).reshape(shape))
    return g.node("Mul", [g.node("Sub", [x, mean], path), scale], path)


def _activation(op: str, **fixed: Any) -> _Converter:
    def convert(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
        attrs = {k: v(m) if callable(v) else v for k, v in fixed.items()}
        return g.node(op, [x], path, **attrs)

    return convert


@_converts(layers.GELU)
def _gelu(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    if g.opset >= 20:
        return g.node("Gelu", [x], path, approximate=m.approximate)
    half = g.node("Mul", [x, g.constant(f"{path}.half", np.array(0.5))], path)
    if m.approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [x, x], path), x], path)
        inner = g.node(
            "Add",
            [x, g.node("Mul", [cube, g.constant(f"{path}.c", np.array(0.044715))], path)],
            path,
        )
        arg = g.node("Mul", [inner, g.constant(f"{path}.k", np.array(np.sqrt(2 / np.pi)))], path)
        core = g.node("Tanh", [arg], path)
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        arg = g.node("Mul", [x, g.constant(f"{path}.k", np.array(np.sqrt(0.5)))], path)
        core = g.node("Erf", [arg], path)
    one_plus = g.node("Add", [core, g.constant(f"{path}.one", np.array(1.0))], path)
    return g.node("Mul", [half, one_plus], path)


@_converts(layers.CELU)
def _celu(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    if g.dtype == np.float32:  # ONNX's Celu is defined for float32 only
        return g.node("Celu", [x], path, alpha=float(m.alpha))
    alpha = g.constant(f"{path}.alpha", np.array(m.alpha))  # alpha elu(x / alpha)
    return g.node("Mul", [g.node("Elu", [g.node("Div", [x, alpha], path)], path), alpha], path)


@_converts(layers.SiLU)
def _silu(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    return g.node("Mul", [x, g.node("Sigmoid", [x], path)], path)


@_converts(layers.Softplus)
def _softplus(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    """``x`` where ``beta x > threshold``, else ``Softplus(beta x) / beta`` (PyTorch's rule).

    With PyTorch's defaults (``beta=1``, ``threshold >= 20``) a plain ``Softplus``: above
    the threshold the two differ by less than ``exp(-20)``.
    """
    if m.beta == 1 and m.threshold >= 20:
        return g.node("Softplus", [x], path)
    bx = (
        x if m.beta == 1 else g.node("Mul", [x, g.constant(f"{path}.beta", np.array(m.beta))], path)
    )
    y = g.node("Softplus", [bx], path)
    if m.beta != 1:
        y = g.node("Div", [y, g.constant(f"{path}.beta_div", np.array(m.beta))], path)
    above = g.node("Greater", [bx, g.constant(f"{path}.threshold", np.array(m.threshold))], path)
    return g.node("Where", [above, x, y], path)


@_converts(layers.Hardtanh)
def _hardtanh(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    lo = g.constant(f"{path}.min", np.array(m.min_val))
    hi = g.constant(f"{path}.max", np.array(m.max_val))
    return g.node("Clip", [x, lo, hi], path)


@_converts(layers.PReLU)
def _prelu(g: _Graph, m: Any, x: str, xv: np.ndarray, path: str) -> str:
    slope = m.weight.data
    if m.shape is None:  # one slope, or one per channel
        slope = slope.reshape((-1,) + (1,) * max(xv.ndim - 2, 0))
    return g.node("PRelu", [x, g.constant(f"{path}.weight", slope)], path)


def _softmax_axis(m: Any) -> int:
    return -1 if m.dim is None else int(m.dim)


for _cls, _convert in {
    layers.GlobalMaxPool: _activation("GlobalMaxPool"),
    layers.GlobalAvgPool: _activation("GlobalAveragePool"),
    layers.ReLU: _activation("Relu"),
    layers.LeakyReLU: _activation("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
    layers.Sigmoid: _activation("Sigmoid"),
    layers.Tanh: _activation("Tanh"),
    layers.ELU: _activation("Elu", alpha=lambda m: float(m.alpha)),
    layers.SELU: _activation("Selu", alpha=lambda m: m.alpha, gamma=lambda m: m.scale),
    layers.Hardsigmoid: _activation("HardSigmoid", alpha=lambda m: m.alpha, beta=lambda m: m.beta),
    layers.Hardswish: _activation("HardSwish"),
    layers.Softmax: _activation("Softmax", axis=_softmax_axis),
    layers.LogSoftmax: _activation("LogSoftmax", axis=_softmax_axis),
}.items():
    _converts(_cls)(_convert)


def supported_layers() -> list[str]:
    """The names of the layer classes :func:`export_onnx` can write (plus ``Sequential``).

    >>> "Conv2d" in supported_layers() and "BatchNorm2d" in supported_layers()
    True
    """
    return sorted({cls.__name__ for cls in _CONVERTERS} | {"Sequential"})


def _unsupported(module: Module, path: str) -> ValueError:
    where = f"layer {path!r}" if path else "the model"
    return ValueError(
        f"cannot export {where} ({type(module).__name__}) to ONNX: no conversion for "
        f"{type(module).__name__}; supported layers: {', '.join(supported_layers())}"
    )


def _check_supported(module: Module, path: str = "") -> None:
    """Name the first layer without a conversion before any shapes are computed."""
    if type(module) is Sequential:
        for name, child in module.named_children():
            _check_supported(child, f"{path}.{name}" if path else name)
    elif type(module) not in _CONVERTERS:
        raise _unsupported(module, path)


def _convert(
    g: _Graph, module: Module, x: str, xv: np.ndarray, path: str
) -> tuple[str, np.ndarray]:
    """Write ``module``'s nodes; return the output name and the example output."""
    if type(module) is Sequential:
        for name, child in module.named_children():
            x, xv = _convert(g, child, x, xv, f"{path}.{name}" if path else name)
        return x, xv
    convert = _CONVERTERS.get(type(module))
    if convert is None:
        raise _unsupported(module, path)
    out = convert(g, module, x, xv, path)
    y = module(Tensor(xv))
    return out, (y.data if isinstance(y, Tensor) else np.asarray(y))


def _check_input_shape(input_shape: Any) -> tuple[int, ...]:
    """One input's shape as a tuple of positive ints."""
    msg = (
        "`input_shape` must be the shape of one input without the batch axis, e.g. (1, 28, 28) "
        "for LeNet-5 or (1, 40) for a 1D CNN; got "
    )
    if isinstance(input_shape, np.ndarray | Tensor) and input_shape.ndim > 1:
        raise TypeError(f"{msg}an array of shape {input_shape.shape} (pass `x.shape[1:]`)")
    if isinstance(input_shape, np.ndarray) and input_shape.ndim == 1:
        input_shape = input_shape.tolist()
    if isinstance(input_shape, str | bytes) or not isinstance(input_shape, Sequence):
        raise TypeError(msg + repr(input_shape))
    shape = tuple(input_shape)
    if not shape or any(
        isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 1 for s in shape
    ):
        raise ValueError(msg + repr(shape))
    return tuple(int(s) for s in shape)


def _model_dtype(model: Module) -> np.dtype:
    for p in model.parameters():
        return p.data.dtype
    return np.dtype(np.float32)


def export_onnx(
    model: Module,
    path: str | os.PathLike[str] | None,
    input_shape: Sequence[int],
    *,
    opset: int = DEFAULT_OPSET,
    input_name: str = "input",
    output_name: str = "output",
) -> Any:
    """Write ``model`` as an ONNX graph with a dynamic batch size.

    Parameters
    ----------
    model : Module
        A layer from :mod:`convolab.nn` or a :class:`~convolab.nn.Sequential` of them
        (nested ``Sequential`` included); see :func:`supported_layers`.
    path : str, path-like or None
        The ``.onnx`` file to write (atomically); ``None`` only returns the model proto.
    input_shape : sequence of int
        The shape of one input *without the batch axis*, e.g. ``(1, 28, 28)`` for
        LeNet-5 (the ``input_shape`` that ``convolab train`` saves with a model).
        The graph's input is ``(batch, *input_shape)`` with a symbolic batch axis.
    opset : int, default 17
        The ONNX operator set (17 or newer).
    input_name, output_name : str
        Names of the graph's input and output.

    Returns
    -------
    onnx.ModelProto
        The exported model (already checked with ``onnx.checker``).

    Raises
    ------
    ValueError
        If a layer cannot be exported (the message names the layer, its class and
        the supported ones), if ``input_shape`` does not fit the model, or if
        ``opset`` is older than 17.
    TypeError
        If ``model`` is not a Module or ``input_shape`` is not a sequence.
    ImportError
        If the ``onnx`` package is missing (extra ``convolab[onnx]``).

    Notes
    -----
    The graph is the model in evaluation mode; the model's mode is restored
    afterwards. The data type of the graph is that of the model's parameters
    (float32 for the layers' default). The layer conversions are listed in the
    module documentation of :mod:`convolab.nn.onnx`.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> from convolab.nn.onnx import export_onnx
    >>> model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(64, 10))
    >>> proto = export_onnx(model, "model.onnx", (1, 6, 6))  # doctest: +SKIP
    >>> import onnxruntime as ort  # doctest: +SKIP
    >>> session = ort.InferenceSession("model.onnx")  # doctest: +SKIP
    >>> x = np.random.default_rng(0).random((5, 1, 6, 6), dtype=np.float32)  # doctest: +SKIP
    >>> np.allclose(session.run(None, {"input": x})[0], model(x).data, atol=1e-5)  # doctest: +SKIP
    True
    """
    if not isinstance(model, Module):
        raise TypeError(f"`model` must be a convolab.nn.Module; got {type(model).__name__}")
    if isinstance(opset, bool) or not isinstance(opset, int) or opset < _MIN_OPSET:
        raise ValueError(f"`opset` must be an int >= {_MIN_OPSET}; got {opset!r}")
    for label, value in (("input_name", input_name), ("output_name", output_name)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"`{label}` must be a non-empty string; got {value!r}")
    if input_name == output_name:
        raise ValueError(f"`input_name` and `output_name` must differ; both are {input_name!r}")
    example_shape = (2, *_check_input_shape(input_shape))
    _check_supported(model)
    onnx = _import_onnx()
    helper = onnx.helper
    newest = onnx.defs.onnx_opset_version()
    if opset > newest:
        raise ValueError(
            f"`opset` {opset} is newer than the installed onnx knows; expected {_MIN_OPSET} "
            f"to {newest}"
        )

    dtype = _model_dtype(model)
    elem = helper.np_dtype_to_tensor_dtype(dtype)
    g = _Graph(onnx, opset, dtype)
    g._names.update((input_name, output_name))
    xv = np.zeros(example_shape, dtype=dtype)

    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            try:
                y, yv = _convert(g, model, input_name, xv, "")
            except ValueError as exc:
                if str(exc).startswith("cannot export"):
                    raise
                raise ValueError(
                    f"`input_shape` {tuple(input_shape)} (one input, without the batch axis) "
                    f"does not fit the model: {exc}"
                ) from exc
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)

    g.nodes.append(helper.make_node("Identity", [y], [output_name], name=output_name))
    in_dims: list[Any] = ["batch", *example_shape[1:]]
    out_dims: list[Any] = list(yv.shape)
    if out_dims and out_dims[0] == example_shape[0]:
        out_dims[0] = "batch"
    graph = helper.make_graph(
        g.nodes,
        "convolab",
        [helper.make_tensor_value_info(input_name, elem, in_dims)],
        [helper.make_tensor_value_info(output_name, elem, out_dims)],
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="convolab")
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    onnx.checker.check_model(proto)
    if path is not None:
        write_bytes(path, proto.SerializeToString())
    return proto
