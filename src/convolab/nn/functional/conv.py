"""Convolution layer operations, forward and backward on :func:`convolab.conv_nd`.

The input gradient of a convolution is the transposed convolution
:func:`convolab.conv_transpose_nd` and the input gradient of a transposed
convolution is a convolution: one pair of engine ops serves both layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from convolab._docs import fill, parameters
from convolab.conv import conv_nd, conv_transpose_nd
from convolab.conv.geometry import effective_sizes, layer_pads
from convolab.nn.functional._checks import (
    _check_ndim,
    _ntuple,
    _per_dimension,
    _spatial_names,
)
from convolab.nn.functional.norm import _channel_sum
from convolab.nn.tensor import Function, Tensor, _as_tensor

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
]


def _conv_input_grad(
    dy: np.ndarray,
    w: np.ndarray,
    in_spatial: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> np.ndarray:
    """``dL/dx`` of a convolution: the transposed convolution of ``dy`` by the same kernel.

    ``output_padding`` per axis is ``r = (n + before + after - K) mod s``, the
    trailing input samples the forward pass's ``floor`` never reached, so that the
    result has exactly the input's length ``n``. Where ``r`` reaches the dilation
    and the stride (which ``conv_transpose_nd`` refuses), the missing samples got
    no gradient: they are appended as zeros.
    """
    eff = effective_sizes(w.shape[2:], dilation)
    rest = [(n + lo + hi - e) % s for n, (lo, hi), e, s in zip(in_spatial, pads, eff, stride)]
    extra = [r if r < max(s, d) else 0 for r, s, d in zip(rest, stride, dilation, strict=True)]
    dx = conv_transpose_nd(
        dy, w, stride=stride, padding=pads, output_padding=extra, dilation=dilation, groups=groups
    )
    if dx.shape[2:] != tuple(in_spatial):
        width = ((0, 0), (0, 0)) + tuple((0, n - o) for n, o in zip(in_spatial, dx.shape[2:]))
        dx = np.pad(dx, width)
    return dx


def _conv_weight_grad(
    x: np.ndarray,
    dy: np.ndarray,
    ksize: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> np.ndarray:
    """``dL/dw``: the correlation of the input with ``dy``.

    ``dw[o, c, t] = sum_{n, p} dy[n, o, p] x_pad[n, c, p s + t d]`` is a
    ``conv_nd`` whose *batch* is the input channels and whose *channels* are the
    samples: input ``x`` with its batch and channel axes swapped, weight ``dy``
    with its batch and channel axes swapped, and stride and dilation exchanged
    (``stride=d``, ``dilation=s``). The result is cropped to the kernel size
    (the forward's ``floor`` can leave room for a few more taps). Groups stay
    groups: group ``j`` of ``x``'s channels meets group ``j`` of ``dy``'s.
    """
    m = len(stride)
    n, c_in = x.shape[:2]
    c_in_g = c_in // groups
    spatial = x.shape[2:]
    # (N, C_in, *S) -> (C_in/g, g*N, *S): batch = channel within group, channels = (group, n)
    if groups == 1:
        xt = x.swapaxes(0, 1)  # a view: the engine makes its own (padded) copy
    else:
        xt = x.reshape((n, groups, c_in_g) + spatial).transpose((2, 1, 0) + tuple(range(3, 3 + m)))
        xt = xt.reshape((c_in_g, groups * n) + spatial)
    dyt = dy.swapaxes(0, 1)  # (C_out, N, *out): the "kernel"
    g = conv_nd(xt, dyt, padding=pads, stride=dilation, dilation=stride, groups=groups)
    g = g[(slice(None), slice(None)) + tuple(slice(0, k) for k in ksize)]
    return np.ascontiguousarray(g.swapaxes(0, 1))  # (C_out, C_in/g, *K)


class _ConvFunction(Function):
    """What a convolution and a transposed convolution share: the saved operands and a
    backward that asks the subclass for the input and weight gradients."""

    def _save(self, x: np.ndarray, w: np.ndarray, *options: Any) -> None:
        self.x, self.w, self.options = x, w, options  # pads, stride, dilation, groups

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        grad = grad.astype(np.result_type(self.x, self.w), copy=False)
        dx = self._input_grad(grad, *self.options) if self.needs_input_grad[0] else None
        dw = self._weight_grad(grad, *self.options) if self.needs_input_grad[1] else None
        if len(self.needs_input_grad) == 2:
            return dx, dw
        return dx, dw, (_channel_sum(grad) if self.needs_input_grad[2] else None)

    def _input_grad(self, grad: np.ndarray, *options: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _weight_grad(self, grad: np.ndarray, *options: Any) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class _ConvNd(_ConvFunction):
    """Batched cross-correlation on the engine; backward: a transposed convolution and a
    correlation."""

    def forward(
        self,
        x: np.ndarray,
        w: np.ndarray,
        *bias: np.ndarray,
        stride: tuple[int, ...],
        pads: tuple[tuple[int, int], ...],
        dilation: tuple[int, ...],
        groups: int,
    ) -> np.ndarray:
        self._save(x, w, pads, stride, dilation, groups)
        b = bias[0] if bias else None
        return conv_nd(x, w, b, stride=stride, padding=pads, dilation=dilation, groups=groups)

    def _input_grad(self, grad: np.ndarray, *options: Any) -> np.ndarray:
        return _conv_input_grad(grad, self.w, self.x.shape[2:], *options)

    def _weight_grad(self, grad: np.ndarray, *options: Any) -> np.ndarray:
        return _conv_weight_grad(self.x, grad, self.w.shape[2:], *options)


class _ConvTransposeNd(_ConvFunction):
    """Transposed convolution on the engine; backward: a convolution and a correlation.

    With ``y = conv_transpose(x, w)``: ``dL/dx = conv(dL/dy, w)`` (same stride,
    padding, dilation and groups) and ``dL/dw`` is the weight gradient of that
    convolution, whose input is ``dL/dy`` and whose output gradient is ``x``.
    """

    def forward(
        self,
        x: np.ndarray,
        w: np.ndarray,
        *bias: np.ndarray,
        stride: tuple[int, ...],
        pads: tuple[tuple[int, int], ...],
        output_padding: tuple[int, ...],
        dilation: tuple[int, ...],
        groups: int,
    ) -> np.ndarray:
        self._save(x, w, pads, stride, dilation, groups)
        b = bias[0] if bias else None
        return conv_transpose_nd(
            x, w, b, stride=stride, padding=pads, output_padding=output_padding,
            dilation=dilation, groups=groups,
        )  # fmt: skip

    def _input_grad(self, grad: np.ndarray, *options: Any) -> np.ndarray:
        pads, stride, dilation, groups = options
        dx = conv_nd(grad, self.w, stride=stride, padding=pads, dilation=dilation, groups=groups)
        # output_padding >= stride (possible with a larger dilation) adds outputs
        return dx[(slice(None), slice(None)) + tuple(slice(0, n) for n in self.x.shape[2:])]

    def _weight_grad(self, grad: np.ndarray, *options: Any) -> np.ndarray:
        return _conv_weight_grad(grad, self.x, self.w.shape[2:], *options)


# The layer ops' parameters, one description each (``S``: the spatial axes).
_ENTRIES = parameters(
    """
    input : Tensor or array_like, shape ``(N, C_in, *S)`` or ``(C_in, *S)``
        The batch, or one sample (the output then has no batch axis either).
    bias : Tensor or array_like, shape ``(C_out,)``, optional
        One offset per output channel.
    stride : int or tuple of int, default 1
        Step between the windows, one per spatial axis.
    dilation : int or tuple of int, default 1
        Spacing between the kernel's taps (1: adjacent taps).
    groups : int, default 1
        Split the channels into this many independent convolutions.
    """
)
_CONV_DOCS = {
    "parameters": fill(
        """Parameters
----------
%(input)s
weight : Tensor or array_like, shape ``(C_out, C_in / groups, *K)``
    The kernels.
%(bias, stride)s
padding : int, tuple, pairs, 'valid', 'same', 'same_upper' or 'same_lower', default 0
    Zeros added to each end of each spatial axis (pairs: ``(before, after)`` per
    axis). ``'same'`` (stride 1 only) pads ``d (k - 1)`` in total, the odd
    sample at the end, like PyTorch; ``'same_upper'``/``'same_lower'`` give
    ``ceil(n / s)`` outputs (ONNX's rule).
%(dilation, groups)s

Returns
-------
Tensor, shape ``(N, C_out, *S_out)`` or ``(C_out, *S_out)``
    One map per output channel.""",
        _ENTRIES,
    )
}
_TRANSPOSE_DOCS = {
    "parameters": fill(
        """Parameters
----------
%(input)s
weight : Tensor or array_like, shape ``(C_in, C_out / groups, *K)``
    The kernels (PyTorch's layout).
%(bias, stride)s
padding : int, tuple, pairs, 'valid', 'same', 'same_upper' or 'same_lower', default 0
    Samples cropped from each end of the full output.
output_padding : int or tuple of int, default 0
    Samples added at the end of each spatial axis, below ``max(stride, dilation)``.
%(groups, dilation)s

Returns
-------
Tensor, shape ``(N, C_out, *S_out)`` or ``(C_out, *S_out)``
    One map per output channel.""",
        _ENTRIES,
    )
}


# input, weight, strides, dilations, whether the input came without its batch axis
_Operands = tuple[Tensor, Tensor, tuple[int, ...], tuple[int, ...], bool]


def _layer_operands(
    m: int, input: Any, weight: Any, weight_layout: str, stride: Any, dilation: Any  # noqa: A002
) -> _Operands:
    """The checked input and weight tensors of an ``m``-D layer op, its strides, dilations
    and whether the input came without its batch axis (it comes back with one of length 1).

    ``weight_layout`` names the weight's first two axes (``"C_out, C_in/groups"``).
    """
    x, w = _as_tensor(input), _as_tensor(weight)
    spatial = _spatial_names(m)
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C_in, {', '.join(spatial)}) or (C_in, ...)")
    unbatched = x.ndim == m + 1
    if unbatched:
        x = x.unsqueeze(0)
    _check_ndim(w, "weight", (m + 2,), f"({weight_layout}, {', '.join('k' + s for s in spatial)})")
    return x, w, _ntuple(stride, m, "stride"), _ntuple(dilation, m, "dilation"), unbatched


def _conv_op(m: int, doc: str) -> Callable[..., Tensor]:
    """The public ``conv{m}d`` (``m`` spatial axes), documented by ``doc``."""

    def conv(
        input: Any,  # noqa: A002 - PyTorch's argument name
        weight: Any,
        bias: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
    ) -> Tensor:
        x, w, strides, dilations, unbatched = _layer_operands(
            m, input, weight, "C_out, C_in/groups", stride, dilation
        )
        pads = layer_pads(padding, x.shape[2:], effective_sizes(w.shape[2:], dilations), strides)
        args = (x, w) if bias is None else (x, w, _as_tensor(bias))
        y = _ConvNd.apply(*args, stride=strides, pads=pads, dilation=dilations, groups=groups)
        return y.squeeze(0) if unbatched else y

    return _per_dimension(conv, f"conv{m}d", fill(doc, _CONV_DOCS))


def _conv_transpose_op(m: int, doc: str) -> Callable[..., Tensor]:
    """The public ``conv_transpose{m}d`` (``m`` spatial axes), documented by ``doc``."""

    def conv_transpose(
        input: Any,  # noqa: A002 - PyTorch's argument name
        weight: Any,
        bias: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        dilation: Any = 1,
    ) -> Tensor:
        x, w, strides, dilations, unbatched = _layer_operands(
            m, input, weight, "C_in, C_out/groups", stride, dilation
        )
        extra = _ntuple(output_padding, m, "output_padding", minimum=0)
        pads = layer_pads(
            padding, x.shape[2:], effective_sizes(w.shape[2:], dilations), strides,
            transposed=True, output_padding=extra,
        )  # fmt: skip
        args = (x, w) if bias is None else (x, w, _as_tensor(bias))
        y = _ConvTransposeNd.apply(
            *args, stride=strides, pads=pads, output_padding=extra, dilation=dilations,
            groups=groups,
        )  # fmt: skip
        return y.squeeze(0) if unbatched else y

    return _per_dimension(conv_transpose, f"conv_transpose{m}d", fill(doc, _TRANSPOSE_DOCS))


conv1d = _conv_op(
    1,
    """1D convolution layer op (a cross-correlation); see :func:`conv2d` for the formula.

    %(parameters)s

    Notes
    -----
    Shape: ``(N, C_in, L) -> (N, C_out, floor((L + 2p - d (k - 1) - 1) / s) + 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv1d(np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, -1.0]]])).data
    array([[[-1., -1., -1.]]])
    """,
)


conv2d = _conv_op(
    2,
    r"""2D convolution layer op. It computes a cross-correlation (no kernel flip).

    .. math:: y[n, o, i, j] = b[o] + \sum_{c} \sum_{u, v}
              w[o, c, u, v]\; x_{pad}[n, c, i s_h + u d_h, j s_w + v d_w]

    where ``c`` runs over the input channels of output channel ``o``'s group.

    %(parameters)s

    Notes
    -----
    Shape: ``H_out = floor((H + 2 p_h - d_h (kH - 1) - 1) / s_h) + 1``, same for W.

    Backward, also on :func:`convolab.conv_nd`: ``dL/dx`` is the full convolution
    of ``dL/dy`` (zero-stuffed by the stride) with the kernel, i.e. a correlation
    with the flipped kernel whose in/out channels are swapped; ``dL/dw`` is the
    correlation of ``x`` with ``dL/dy``; ``dL/db`` sums ``dL/dy``.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab.nn import Tensor
    >>> x = Tensor(np.arange(9.0).reshape(1, 1, 3, 3))
    >>> w = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    >>> y = conv2d(x, w)
    >>> y.data
    array([[[[ 8., 12.],
             [20., 24.]]]])
    >>> y.sum().backward()
    >>> w.grad
    array([[[[ 8., 12.],
             [20., 24.]]]])
    """,
)


conv3d = _conv_op(
    3,
    """3D convolution layer op (a cross-correlation); see :func:`conv2d` for the formula.

    %(parameters)s

    Notes
    -----
    Shape: ``(N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)``, each
    ``floor((n + 2p - d (k - 1) - 1) / s) + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> conv3d(np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 2, 2, 2))).data
    array([[[[[8.]]]]])
    """,
)


conv_transpose1d = _conv_transpose_op(
    1,
    """1D transposed convolution layer op; see :func:`conv_transpose2d` for the formula.

    %(parameters)s

    Notes
    -----
    Shape: ``(N, C_in, L) -> (N, C_out, (L - 1) s - 2 p + d (k - 1) + 1 + output_padding)``.

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose1d(np.array([[[1.0, 2.0]]]), np.array([[[1.0, 1.0, 1.0]]]), stride=2).data
    array([[[1., 1., 3., 2., 2.]]])
    """,
)


conv_transpose2d = _conv_transpose_op(
    2,
    r"""2D transposed convolution layer op (PyTorch's order: ``groups`` before ``dilation``).

    .. math:: y[n, o, i', j'] = b[o] + \sum_{c} \sum_{i s_h + u d_h = i' + p_h,\;
              j s_w + v d_w = j' + p_w} x[n, c, i, j]\; w[c, o, u, v]

    the adjoint of :func:`conv2d` (each input sample scatters a scaled kernel);
    computed by :func:`convolab.conv_transpose_nd`.

    %(parameters)s

    Notes
    -----
    Shape: ``H_out = (H - 1) s_h - p_top - p_bottom + d_h (kH - 1) + 1 + output_padding_h``.
    Backward: ``dL/dx`` is :func:`conv2d` of ``dL/dy`` by the same weight;
    ``dL/dw`` the correlation of ``dL/dy`` with ``x``; ``dL/db`` sums ``dL/dy``.

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), stride=2).shape
    (1, 1, 4, 4)
    """,
)


conv_transpose3d = _conv_transpose_op(
    3,
    """3D transposed convolution layer op; see :func:`conv_transpose2d` for the formula.

    %(parameters)s

    Notes
    -----
    Shape: ``(N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)``, each
    ``(n - 1) s - 2 p + d (k - 1) + 1 + output_padding``.

    Examples
    --------
    >>> import numpy as np
    >>> conv_transpose3d(np.ones((1, 2, 1, 1, 1)), np.ones((2, 3, 2, 2, 2))).shape
    (1, 3, 2, 2, 2)
    """,
)
