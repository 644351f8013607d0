"""Read an ONNX model into convolab: :func:`from_onnx`.

A graph that is a chain (each node consumes the previous node's output, every
other input a constant) of supported operators becomes a
:class:`~convolab.nn.Sequential` of the matching layers, weights copied, in
evaluation mode, so a model trained in PyTorch or Keras can be inspected with
convolab's figures and analysis:

=====================================  =========================================
ONNX operator                          convolab layer
=====================================  =========================================
``Conv``, ``ConvTranspose``            ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``
(a ``Pad`` of zeros at the end and a   (its ``output_padding`` and bias)
bias ``Add`` after ``ConvTranspose``)
``Pad`` (by a boundary rule) then an   ``Conv1d/2d/3d`` with that ``padding_mode``
unpadded ``Conv``
``Gemm``; ``MatMul`` (+ ``Add``)       ``Linear``; ``MatMul`` for a constant that is
                                       not a matrix or a bias per row, after
                                       ``Permute`` for ``transA``
``MaxPool``, ``AveragePool``,          ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``,
``LpPool``                             ``LPPool1d/2d``
``GlobalMaxPool``,                     ``GlobalMaxPool``, ``GlobalAvgPool``
``GlobalAveragePool``
``BatchNormalization``                 ``BatchNorm1d/2d/3d`` (running statistics; in
                                       training mode when ``training_mode=1``)
``Flatten``                            ``Flatten`` (``Unflatten`` for ``axis=0``)
``Transpose``                          ``Permute``
``Dropout`` (inference), ``Identity``  nothing
``Resize`` (PyTorch's coordinates)     ``Upsample``
``Pad`` (of the spatial axes)          ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``,
                                       ``ReplicationPad``, ``CircularPad`` (1d to 3d)
``Sub`` then ``Mul`` by constants      ``Standardize``
``Relu``, ``LeakyRelu``, ``Sigmoid``,  ``ReLU``, ``LeakyReLU``, ``Sigmoid``,
``Tanh``, ``Softmax``, ``LogSoftmax``  ``Tanh``, ``Softmax``, ``LogSoftmax``
``Elu``, ``Selu``, ``Celu``, ``Gelu``  ``ELU``, ``SELU``, ``CELU``, ``GELU``
``HardSigmoid``, ``HardSwish``,        ``Hardsigmoid``, ``Hardswish``,
``Softplus``, ``Clip``, ``PRelu``      ``Softplus``, ``Hardtanh``, ``PReLU``
=====================================  =========================================

Anything else raises a ``ValueError`` naming the first node that cannot be read.
Needs the optional extra ``convolab[onnx]``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from convolab._optional import optional_import
from convolab.conv.boundary import by_numpy_mode
from convolab.conv.geometry import effective_sizes
from convolab.nn import modules as M
from convolab.nn.functional.activation import SELU_ALPHA, SELU_SCALE
from convolab.nn.modules.padding import pad_layer
from convolab.nn.tensor import Tensor, no_grad

__all__ = ["from_onnx"]


class _Node:
    """One ONNX node: its type, attributes, constant inputs and where it sits in the file."""

    def __init__(self, onnx: Any, node: Any, constants: dict[str, np.ndarray]) -> None:
        self.op = node.op_type
        self.name = node.name or node.op_type
        self.attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        self.inputs = list(node.input)
        self.outputs = list(node.output)
        self.constants = constants

    def const(self, i: int, default: Any = None) -> Any:
        """The constant at input ``i`` (``default`` if absent)."""
        if i >= len(self.inputs) or not self.inputs[i]:
            return default
        return self.constants.get(self.inputs[i], default)

    def attr(self, name: str, default: Any = None) -> Any:
        value = self.attrs.get(name, default)
        if isinstance(value, float) and name in self.attrs:  # stored as float32: 1e-05, not
            value = float(str(np.float32(value)))  # 9.999999747378752e-06
        return value.decode() if isinstance(value, bytes) else value

    def refuse(self, why: str) -> ValueError:
        return ValueError(f"cannot read ONNX node {self.name!r} ({self.op}): {why}")


# A reader turns one node into a layer: (node, example input array) -> Module.
_Reader = Callable[[_Node, np.ndarray], M.Module]


def _padding(node: _Node, dims: int) -> Any:
    auto = node.attr("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        return auto.lower()
    if auto != "NOTSET":
        raise node.refuse(f"auto_pad={auto!r}")
    pads = list(node.attr("pads", [0] * 2 * dims))
    return tuple((pads[i], pads[i + dims]) for i in range(dims))


def _dtype(array: np.ndarray) -> str:
    return array.dtype.name if array.dtype.kind == "f" else "float32"


def _conv(
    node: _Node,
    xv: np.ndarray,
    tail: tuple[int, ...] | None = None,
    bias: Any = None,
    padded: tuple[Any, str] | None = None,
) -> M.Module:
    """The layer of a ``Conv`` or ``ConvTranspose`` node; ``tail`` adds to a transposed
    layer's ``output_padding`` and ``bias`` stands for the node's own (see
    :func:`_conv_transpose_tail`); ``padded`` is the padding and padding mode of a ``Pad``
    before a ``Conv`` (see :func:`_padded_conv`)."""
    w, b = node.const(1), node.const(2, bias)
    dims = w.ndim - 2
    if not 1 <= dims <= 3:
        raise node.refuse(f"a {dims}-D convolution")
    groups = int(node.attr("group", 1))
    kernel = tuple(node.attr("kernel_shape", w.shape[2:]))
    stride = tuple(node.attr("strides", [1] * dims))
    dilation = tuple(node.attr("dilations", [1] * dims))
    padding = _padding(node, dims)
    if node.op == "Conv":
        cls = (M.Conv1d, M.Conv2d, M.Conv3d)[dims - 1]
        c_in, c_out = w.shape[1] * groups, w.shape[0]
        padding, mode = padded or (padding, "zeros")
        layer = cls(c_in, c_out, kernel, stride, padding, dilation, groups, b is not None,
                    padding_mode=mode, dtype=_dtype(w))  # fmt: skip
    else:
        cls = (M.ConvTranspose1d, M.ConvTranspose2d, M.ConvTranspose3d)[dims - 1]
        c_in, c_out = w.shape[0], w.shape[1] * groups
        extra = tuple(node.attr("output_padding", [0] * dims))
        if tail is not None:
            extra = tuple(e + t for e, t in zip(extra, tail, strict=True))
        shape = node.attr("output_shape")
        if shape is not None:  # the padding that gives this output (ONNX: SAME_UPPER's split)
            shape = list(shape)[-dims:]
            eff = effective_sizes(kernel, dilation)
            total = [
                s * (n - 1) + op + e - o
                for s, n, op, e, o in zip(stride, xv.shape[2:], extra, eff, shape, strict=True)
            ]
            if min(total) < 0:  # a longer output than the full one: the rest is output_padding
                extra = tuple(op - min(t, 0) for op, t in zip(extra, total, strict=True))
                total = [max(t, 0) for t in total]
            upper = node.attr("auto_pad", "NOTSET") != "SAME_LOWER"
            padding = tuple((t // 2, t - t // 2) if upper else (t - t // 2, t // 2) for t in total)
        layer = cls(c_in, c_out, kernel, stride, padding, extra, groups, b is not None, dilation,
                    dtype=_dtype(w))  # fmt: skip
    layer.weight.data = np.array(w, dtype=layer.weight.dtype)
    if b is not None:
        layer.bias.data = np.array(b, dtype=layer.bias.dtype)
    return layer


def _matmul(w: np.ndarray, b: np.ndarray | None) -> M.Module:
    """``x @ w + b``: a ``Linear`` when ``w`` is a matrix and ``b`` one value per output
    column (or one value), else a ``MatMul`` (batched ``w``, a bias per row, ...)."""
    w = np.asarray(w)
    n = w.shape[-1]
    if w.ndim == 2 and (b is None or b.size == 1 or (b.size == n and b.shape[-1:] == (n,))):
        layer = M.Linear(w.shape[0], n, bias=b is not None, dtype=_dtype(w))
        layer.weight.data = np.array(w.T, dtype=layer.weight.dtype)
        if b is not None:
            layer.bias.data = np.broadcast_to(b.reshape(-1), (n,)).astype(layer.weight.dtype)
        return layer
    layer = M.MatMul(w.shape, None if b is None else b.shape, dtype=_dtype(w))
    layer.weight.data = np.array(w, dtype=layer.weight.dtype)
    if b is not None:
        layer.bias.data = np.array(b, dtype=layer.weight.dtype)
    return layer


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def _gemm(node: _Node, xv: np.ndarray) -> M.Module:
    b, c = node.const(1), node.const(2)
    if xv.ndim != 2 or b is None or np.ndim(b) != 2:
        got = f"data of shape {xv.shape} and B of shape {np.shape(b) if b is not None else None}"
        raise node.refuse(f"Gemm multiplies a matrix by a constant matrix; got {got}")
    w = float(node.attr("alpha", 1.0)) * (b.T if node.attr("transB", 0) else b)
    bias = None if c is None else float(node.attr("beta", 1.0)) * np.asarray(c)
    product = _matmul(w, bias)
    if not node.attr("transA", 0):
        return product
    return M.Sequential(M.Permute((1, 0)), product)  # the data transposed: A^T B


def _pool(node: _Node, xv: np.ndarray) -> M.Module:
    kernel = tuple(node.attr("kernel_shape"))
    dims = len(kernel)
    stride = tuple(node.attr("strides", [1] * dims))
    dilation = tuple(node.attr("dilations", [1] * dims))
    padding = _padding(node, dims)
    ceil = bool(node.attr("ceil_mode", 0))
    if node.op == "MaxPool":  # storage_order only orders the indices, not read here
        cls = (M.MaxPool1d, M.MaxPool2d, M.MaxPool3d)[dims - 1]
        return cls(kernel, stride, padding, dilation, ceil_mode=ceil)
    if node.op == "AveragePool":
        cls = (M.AvgPool1d, M.AvgPool2d, M.AvgPool3d)[dims - 1]
        include = bool(node.attr("count_include_pad", 0))
        return cls(kernel, stride, padding, ceil, include, dilation=dilation)
    if dims > 2 or any(d != 1 for d in dilation):
        raise node.refuse("an Lp pool in 3 dimensions or with dilation")
    cls = M.LPPool1d if dims == 1 else M.LPPool2d
    return cls(float(node.attr("p", 2)), kernel, stride, ceil, padding=padding)


def _batch_norm(node: _Node, xv: np.ndarray) -> M.Module:
    """Running statistics; with ``training_mode=1`` the layer is left in training mode by
    :func:`from_onnx`: the batch's statistics, and the running ones moved as ONNX moves
    them (its ``momentum`` weighs the old value: convolab's is ``1 -`` it; the variance
    biased)."""
    if xv.ndim not in (2, 3, 4, 5):
        raise node.refuse(f"an input of {xv.ndim} axes (BatchNorm1d/2d/3d take 2 to 5)")
    scale, bias, mean, var = (node.const(i) for i in range(1, 5))
    cls = {4: M.BatchNorm2d, 5: M.BatchNorm3d}.get(xv.ndim, M.BatchNorm1d)
    training = bool(node.attr("training_mode", 0))
    momentum = 1.0 - float(node.attr("momentum", 0.9)) if training else 0.1
    layer = cls(scale.shape[0], eps=float(node.attr("epsilon", 1e-5)), momentum=momentum,
                dtype=_dtype(scale), unbiased_running_var=not training)  # fmt: skip
    dt = layer.weight.dtype
    layer.weight.data, layer.bias.data = scale.astype(dt), bias.astype(dt)
    layer.running_mean[...], layer.running_var[...] = mean, var
    return layer


def _flatten(node: _Node, xv: np.ndarray) -> M.Module:
    axis = int(node.attr("axis", 1))
    axis = axis + xv.ndim if axis < 0 else axis
    if axis == 0:  # (1, n): everything in one row
        return M.Sequential(M.Flatten(0, -1), M.Unflatten(0, (1, -1)))
    if axis == 1:
        return M.Flatten(1, -1)
    return M.Sequential(M.Flatten(0, axis - 1), M.Flatten(1, -1))


def _softmax(node: _Node, xv: np.ndarray, opset: int) -> M.Module:
    axis = int(node.attr("axis", -1 if opset >= 13 else 1))
    if opset < 13 and axis not in (-1, xv.ndim - 1):
        raise node.refuse(f"opset {opset}'s softmax over the flattened axes from {axis} on")
    return (M.Softmax if node.op == "Softmax" else M.LogSoftmax)(dim=axis)


def _clip(node: _Node, xv: np.ndarray) -> M.Module:
    lo = node.const(1, node.attr("min", -math.inf))
    hi = node.const(2, node.attr("max", math.inf))
    return M.Hardtanh(float(np.asarray(lo).reshape(-1)[0]), float(np.asarray(hi).reshape(-1)[0]))


def _prelu(node: _Node, xv: np.ndarray) -> M.Module:
    slope = np.asarray(node.const(1))
    channels = xv.shape[1] if xv.ndim >= 2 else 1
    full = slope.reshape((1,) * (xv.ndim - slope.ndim) + slope.shape)
    if slope.size == 1:
        layer = M.PReLU(1, dtype=_dtype(slope))
    elif xv.ndim >= 2 and full.shape == (1, channels) + (1,) * (xv.ndim - 2):
        layer = M.PReLU(channels, dtype=_dtype(slope))
    else:
        try:
            np.broadcast_shapes(slope.shape, xv.shape)
        except ValueError:
            raise node.refuse(f"a slope of shape {slope.shape} for inputs {xv.shape}") from None
        layer = M.PReLU(dtype=_dtype(slope), shape=slope.shape)
        layer.weight.data = slope.astype(layer.weight.dtype)
        return layer
    layer.weight.data = slope.reshape(-1).astype(layer.weight.dtype)
    return layer


def _selu(node: _Node, xv: np.ndarray) -> M.Module:
    alpha = float(node.attr("alpha", SELU_ALPHA))
    gamma = float(node.attr("gamma", SELU_SCALE))
    # the defaults as float32 attributes: keep SELU's exact constants
    if math.isclose(alpha, SELU_ALPHA, rel_tol=1e-6) and math.isclose(
        gamma, SELU_SCALE, rel_tol=1e-6
    ):
        return M.SELU()
    return M.SELU(alpha=alpha, scale=gamma)


def _standardize(mean: Any, scale: Any, ndim: int) -> M.Module | None:
    """``(x - mean) * scale`` with one value, or one per channel (axis 1), as ``Standardize``."""
    if mean is None or scale is None:
        return None
    shape = np.broadcast(np.asarray(mean), np.asarray(scale)).shape
    if len(shape) > ndim or any(n != 1 for i, n in enumerate(shape[::-1]) if i != ndim - 2):
        return None
    m = np.broadcast_to(mean, shape).reshape(-1)
    sd = 1.0 / np.broadcast_to(scale, shape).reshape(-1)
    return M.Standardize([float(v) for v in m], [float(v) for v in sd])


def _simple(factory: Callable[[_Node], M.Module]) -> _Reader:
    return lambda node, xv: factory(node)


def _pad(node: _Node, xv: np.ndarray) -> M.Module:
    """A ``Pad`` of the spatial axes by a boundary rule as a padding layer."""
    widths, rank = node.const(1), xv.ndim
    mode = node.attr("mode", "constant")
    rule = by_numpy_mode(mode)
    if rule is None:
        raise node.refuse(f"mode {mode!r}")
    if widths is None or np.shape(widths) != (2 * rank,) or len(node.inputs) > 3:
        raise node.refuse("pads that are not one constant pair for every axis")
    if np.any(widths[[0, 1, rank, rank + 1]] != 0) or not 3 <= rank <= 5:
        raise node.refuse(f"padding of the batch or channel axis, or of an input of {rank} axes")
    padding = tuple(int(w) for i in range(rank - 1, 1, -1) for w in (widths[i], widths[i + rank]))
    value = float(np.asarray(node.const(2, 0.0))) if mode == "constant" else 0.0
    return pad_layer(rule.torch_mode, padding, value)


def _resize(node: _Node, xv: np.ndarray) -> M.Module:
    """``Resize`` with PyTorch's coordinates as :class:`~convolab.nn.Upsample`."""
    mode, rank = node.attr("mode", "nearest"), xv.ndim
    transform = node.attr("coordinate_transformation_mode", "half_pixel")
    if mode == "nearest" and (transform, node.attr("nearest_mode", "round_prefer_floor")) == (
        "asymmetric", "floor"
    ):
        options: dict[str, Any] = {"mode": "nearest"}
    elif mode == "linear" and transform in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        linear = {3: "linear", 4: "bilinear", 5: "trilinear"}.get(rank)
        if linear is None:
            raise node.refuse(f"linear resizing of an input of {rank} axes")
        options = {"mode": linear, "align_corners": transform == "align_corners"}
    else:
        raise node.refuse(f"mode {mode!r} with coordinates {transform!r}")
    scales, sizes = node.const(2), node.const(3)
    if node.attr("axes") is not None or node.const(1) is not None and np.size(node.const(1)):
        raise node.refuse("`axes` or a region of interest")
    if sizes is not None and np.size(sizes) == rank and not np.any(sizes[:2] != xv.shape[:2]):
        return M.Upsample(size=tuple(int(s) for s in sizes[2:]), **options)
    if scales is not None and np.size(scales) == rank and np.all(scales[:2] == 1):
        return M.Upsample(scale_factor=tuple(float(s) for s in scales[2:]), **options)
    raise node.refuse("scales or sizes that resize the batch or channel axis")


_READERS: dict[str, _Reader] = {
    "Pad": _pad,
    "Resize": _resize,
    "Conv": _conv,
    "ConvTranspose": _conv,
    "Gemm": _gemm,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "LpPool": _pool,
    "GlobalMaxPool": _simple(lambda n: M.GlobalMaxPool()),
    "GlobalAveragePool": _simple(lambda n: M.GlobalAvgPool()),
    "BatchNormalization": _batch_norm,
    "Flatten": _flatten,
    "Transpose": lambda n, xv: M.Permute(tuple(n.attr("perm", range(xv.ndim - 1, -1, -1)))),
    "Relu": _simple(lambda n: M.ReLU()),
    "LeakyRelu": _simple(lambda n: M.LeakyReLU(float(n.attr("alpha", 0.01)))),
    "Sigmoid": _simple(lambda n: M.Sigmoid()),
    "Tanh": _simple(lambda n: M.Tanh()),
    "Elu": _simple(lambda n: M.ELU(float(n.attr("alpha", 1.0)))),
    "Selu": _selu,
    "Celu": _simple(lambda n: M.CELU(float(n.attr("alpha", 1.0)))),
    "Gelu": _simple(lambda n: M.GELU(n.attr("approximate", "none"))),
    "HardSigmoid": _simple(
        lambda n: M.Hardsigmoid(alpha=float(n.attr("alpha", 0.2)), beta=float(n.attr("beta", 0.5)))
    ),
    "HardSwish": _simple(lambda n: M.Hardswish()),
    "Softplus": _simple(lambda n: M.Softplus(threshold=math.inf)),
    "Clip": _clip,
    "PRelu": _prelu,
}


def _load(onnx: Any, model: Any) -> Any:
    if isinstance(model, str | os.PathLike):
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"`path` must be an ONNX file; {str(path)!r} does not exist")
        try:
            return onnx.load(str(path))
        except Exception as exc:  # noqa: BLE001 - protobuf raises several kinds
            raise ValueError(f"`path` {str(path)!r} is not an ONNX model: {exc}") from None
    if isinstance(model, onnx.ModelProto):
        return model
    raise TypeError(f"`path` must be a path or an onnx.ModelProto; got {type(model).__name__}")


def _constants(onnx: Any, graph: Any) -> dict[str, np.ndarray]:
    values = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            attr = node.attribute[0]
            value = onnx.helper.get_attribute_value(attr)
            values[node.output[0]] = (
                onnx.numpy_helper.to_array(value) if attr.name == "value" else np.array(value)
            )
    return values


def from_onnx(path: str | os.PathLike[str] | Any) -> M.Sequential:
    """Build a convolab model from an ONNX file whose graph is a chain of supported operators.

    Parameters
    ----------
    path : str, path-like or onnx.ModelProto
        The ``.onnx`` file (or a loaded model).

    Returns
    -------
    Sequential
        One layer per operator (``MatMul`` + ``Add`` and ``Sub`` + ``Mul`` make one
        layer each), weights copied, in evaluation mode (but the layer of a
        ``BatchNormalization`` with ``training_mode=1``, left in training mode). The
        operator table is in the module documentation of :mod:`convolab.nn.onnx_import`.

    Raises
    ------
    ValueError
        Naming the first node that cannot be read: an operator convolab lacks, an
        option it cannot express, or a graph that is not a chain.
    FileNotFoundError, TypeError, ImportError
        No such file; not a path or model; ``onnx`` missing (extra ``convolab[onnx]``).

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    >>> again = nn.from_onnx(nn.onnx.export_onnx(model, None, (1, 4, 4)))  # doctest: +SKIP
    >>> x = np.random.default_rng(0).random((2, 1, 4, 4), dtype=np.float32)
    >>> np.allclose(again(x).data, model(x).data)  # doctest: +SKIP
    True
    """
    onnx = optional_import("onnx", "from_onnx", "onnx")
    proto = _load(onnx, path)
    graph = proto.graph
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 1)
    constants = _constants(onnx, graph)
    inputs = [i for i in graph.input if i.name not in constants]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ValueError(
            f"cannot read the ONNX graph: it has {len(inputs)} inputs and {len(graph.output)} "
            "outputs; from_onnx reads a chain with one of each"
        )
    dims = inputs[0].type.tensor_type.shape.dim
    shape = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in dims)
    elem = inputs[0].type.tensor_type.elem_type
    xv = np.zeros(shape, dtype=onnx.helper.tensor_dtype_to_np_dtype(elem))
    current, layers, training = inputs[0].name, M.Sequential(), []
    nodes = [n for n in graph.node if n.op_type != "Constant"]
    i = 0
    with no_grad():
        while i < len(nodes):
            node = _Node(onnx, nodes[i], constants)
            data = [x for x in node.inputs if x and x not in constants]
            if data != [current]:
                raise node.refuse(
                    f"its inputs {node.inputs} do not continue the chain from {current!r}"
                )
            used = {x for n in nodes[i + 1 :] for x in n.input} | {o.name for o in graph.output}
            if any(o in used for o in node.outputs[1:] if o):
                raise node.refuse("its second output is used (a chain passes one tensor on)")
            layer, step = _read(node, nodes, i, xv, constants, opset, onnx)
            if layer is not None:
                layers.add_module(str(len(layers)), layer)
                if node.op == "BatchNormalization" and node.attr("training_mode", 0):
                    training.append(layer)
                layer.eval()
                y = layer(Tensor(xv))
                xv = y.data
            current = (_Node(onnx, nodes[i + step - 1], constants)).outputs[0]
            i += step
    if current != graph.output[0].name:
        raise ValueError(
            f"cannot read the ONNX graph: its output {graph.output[0].name!r} is not the end "
            f"of the chain ({current!r})"
        )
    layers.eval()
    for layer in training:  # after the shapes were followed, which must not move statistics
        layer.train()
    return layers


def _read(
    node: _Node,
    nodes: list[Any],
    i: int,
    xv: np.ndarray,
    constants: dict[str, np.ndarray],
    opset: int,
    onnx: Any,
) -> tuple[M.Module | None, int]:
    """The layer for node ``i`` (or ``None`` for an identity) and how many nodes it used."""
    op = node.op
    nxt = _Node(onnx, nodes[i + 1], constants) if i + 1 < len(nodes) else None
    if op == "Identity":
        return None, 1
    if op == "Dropout":
        training = bool(np.asarray(node.const(2, False)))
        ratio = float(np.asarray(node.const(1, node.attr("ratio", 0.5))))
        if training and ratio > 0:
            raise node.refuse(f"training_mode=True with ratio={ratio} (a random mask)")
        return None, 1
    if op == "MatMul":
        w = node.const(1)
        if w is None or np.ndim(w) == 0:
            raise node.refuse("a MatMul whose second input is not a constant array")
        try:
            product = np.matmul(xv, w).shape
        except ValueError:
            raise node.refuse(f"a constant {w.shape} that cannot multiply {xv.shape}") from None
        if nxt is not None and nxt.op == "Add" and node.outputs[0] in nxt.inputs:
            b = nxt.const(1) if nxt.inputs[0] == node.outputs[0] else nxt.const(0)
            if b is not None and _broadcasts_to(np.shape(b), product):
                return _matmul(w, np.asarray(b)), 2
        return _matmul(w, None), 1
    if op == "Sub" and nxt is not None and nxt.op == "Mul" and node.outputs[0] in nxt.inputs:
        mean = node.const(1)
        scale = nxt.const(1) if nxt.inputs[0] == node.outputs[0] else nxt.const(0)
        standardize = _standardize(mean, scale, xv.ndim)
        if standardize is not None:
            return standardize, 2
    if op == "Pad" and nxt is not None and nxt.op == "Conv":
        folded = _padded_conv(node, nxt, xv)
        if folded is not None:
            return folded, 2
    if op == "ConvTranspose" and nxt is not None and nxt.op == "Pad":
        after = _Node(onnx, nodes[i + 2], constants) if i + 2 < len(nodes) else None
        folded = _conv_transpose_tail(node, nxt, after, xv)
        if folded is not None:
            return folded
    if op in ("Softmax", "LogSoftmax"):
        return _softmax(node, xv, opset), 1
    reader = _READERS.get(op)
    if reader is None:
        raise node.refuse(
            f"no convolab layer for {op}; readable operators: {', '.join(sorted(_READERS))}, "
            "Softmax, LogSoftmax, MatMul, Sub+Mul, Dropout, Identity"
        )
    return reader(node, xv), 1


def _conv_transpose_tail(
    node: _Node, pad: _Node, add: _Node | None, xv: np.ndarray
) -> tuple[M.Module, int] | None:
    """A bias-free ``ConvTranspose``, a ``Pad`` of zeros at the end of its spatial axes and
    optionally an ``Add`` of one bias per channel, as one layer (how :func:`export_onnx`
    writes an ``output_padding`` at or past the stride); ``None`` if the nodes differ."""
    widths = pad.const(1)
    rank = xv.ndim
    if (
        node.const(2) is not None
        or pad.inputs[0] != node.outputs[0]
        or pad.attr("mode", "constant") != "constant"
        or np.any(np.asarray(pad.const(2, 0.0)) != 0)
        or len(pad.inputs) > 3
        or widths is None
        or np.shape(widths) != (2 * rank,)
        or np.any(widths[: rank + 2] != 0)
        or np.any(widths[rank + 2 :] < 0)
    ):
        return None
    tail = tuple(int(t) for t in widths[rank + 2 :])
    bias, used = None, 2
    if add is not None and add.op == "Add" and pad.outputs[0] in add.inputs:
        b = add.const(1) if add.inputs[0] == pad.outputs[0] else add.const(0)
        channels = node.const(1).shape[1] * int(node.attr("group", 1))
        ones = (1,) * (rank - 2)
        if b is not None and np.shape(b) in ((channels, *ones), (1, channels, *ones)):
            bias, used = np.reshape(b, -1), 3
    try:
        return _conv(node, xv, tail, bias), used
    except ValueError:
        return None


def _padded_conv(pad: _Node, conv: _Node, xv: np.ndarray) -> M.Module | None:
    """A ``Pad`` of the spatial axes by a boundary rule, then an unpadded ``Conv``, as one
    layer with that ``padding_mode`` (how :func:`export_onnx` writes one); ``None`` if the
    nodes differ. ONNX's Pad modes are NumPy's names, as the boundary registry's."""
    widths, rank = pad.const(1), xv.ndim
    mode = pad.attr("mode", "constant")
    rule = by_numpy_mode(mode)
    if (
        rule is None
        or conv.inputs[0] != pad.outputs[0]
        or len(pad.inputs) > 3
        or (mode == "constant" and np.any(np.asarray(pad.const(2, 0.0)) != 0))
        or widths is None
        or np.shape(widths) != (2 * rank,)
        or np.any(widths[[0, 1, rank, rank + 1]] != 0)
        or np.any(widths < 0)
        or conv.attr("auto_pad", "NOTSET") != "NOTSET"
        or any(conv.attr("pads", [0]))
    ):
        return None
    padding: Any = tuple((int(widths[i]), int(widths[i + rank])) for i in range(2, rank))
    if all(b == a for b, a in padding):
        padding = tuple(b for b, _ in padding)
    torch_mode = "zeros" if rule.torch_mode == "constant" else rule.torch_mode
    try:
        return _conv(conv, xv, padded=(padding, torch_mode))
    except ValueError:
        return None
