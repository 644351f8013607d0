"""Convolution layer operations, forward and backward on :func:`convolab.conv_nd`."""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab.conv import conv_nd
from convolab.nn.functional._checks import _check_ndim, _ntuple
from convolab.nn.functional.norm import _channel_sum
from convolab.nn.tensor import Function, Tensor, _as_tensor

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
]


# --------------------------------------------------------------------------- convolution


def _conv_pads(
    padding: Any, m: int, ksize: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...]
) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` zero padding, as the engine's ``conv_nd`` applies it."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * m
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"`padding`='same' needs stride 1; got stride={stride}")
            totals = [d * (k - 1) for d, k in zip(dilation, ksize, strict=True)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(
            f"`padding` must be an int, a tuple of {m} ints, 'valid' or 'same'; got {padding!r}"
        )
    return tuple((p, p) for p in _ntuple(padding, m, "padding", minimum=0))


def _swap_in_out(w: np.ndarray, groups: int) -> np.ndarray:
    """``(C_out, C_in/g, *K)`` -> ``(C_in, C_out/g, *K)``: in/out channels swapped per group."""
    c_out, c_in_g = w.shape[:2]
    k = w.shape[2:]
    w = w.reshape((groups, c_out // groups, c_in_g) + k).swapaxes(1, 2)
    return w.reshape((groups * c_in_g, c_out // groups) + k)


def _conv_input_grad(
    dy: np.ndarray,
    w: np.ndarray,
    in_spatial: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> np.ndarray:
    """``dL/dx``: the full (transposed) convolution of ``dy`` with the kernel.

    Per axis, with ``P = d (k - 1)``: spread ``dy`` out by inserting ``s - 1`` zeros
    between its samples (length ``L = (n_out - 1) s + 1``), pad it by ``P - before``
    in front and ``P - after + r`` behind (crop where negative), where
    ``r = (n + before + after - P - 1) mod s`` is the number of trailing input
    samples the forward pass's ``floor`` never reached, then correlate with the
    spatially flipped kernel whose in/out channels are swapped per group, at the
    same dilation. The result has exactly the input's length ``n``.
    """
    m = len(stride)
    ksize = w.shape[2:]
    front, back = [], []
    for n, (lo, hi), k, s, d in zip(in_spatial, pads, ksize, stride, dilation, strict=True):
        span = d * (k - 1)
        r = (n + lo + hi - span - 1) % s
        front.append(span - lo)
        back.append(span - hi + r)
    w_t = np.flip(_swap_in_out(w, groups), axis=tuple(range(2, 2 + m)))
    if all(s == 1 for s in stride) and front == back and min(front) >= 0:
        # The common case (stride 1, symmetric padding): the engine pads for us.
        return conv_nd(dy, w_t, padding=tuple(front), dilation=dilation, groups=groups)
    # Zero-stuff and pad in one buffer, then crop any negative padding.
    lengths = [
        (n_out - 1) * s + 1 + max(f, 0) + max(b, 0)
        for n_out, s, f, b in zip(dy.shape[2:], stride, front, back, strict=True)
    ]
    u = np.zeros(dy.shape[:2] + tuple(lengths), dtype=dy.dtype)
    put = tuple(
        slice(max(f, 0), max(f, 0) + (n_out - 1) * s + 1, s)
        for n_out, s, f in zip(dy.shape[2:], stride, front, strict=True)
    )
    u[(slice(None), slice(None)) + put] = dy
    crop = tuple(
        slice(max(-f, 0), length - max(-b, 0))
        for f, b, length in zip(front, back, lengths, strict=True)
    )
    u = u[(slice(None), slice(None)) + crop]
    return conv_nd(u, w_t, padding=0, dilation=dilation, groups=groups)


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
    if any(lo != hi for lo, hi in pads):  # 'same' with an even kernel pads asymmetrically
        x = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
        spatial, padding = x.shape[2:], 0
    else:
        padding = tuple(lo for lo, _ in pads)
    # (N, C_in, *S) -> (C_in/g, g*N, *S): batch = channel within group, channels = (group, n)
    if groups == 1:
        xt = x.swapaxes(0, 1)  # a view: the engine makes its own (padded) copy
    else:
        xt = x.reshape((n, groups, c_in_g) + spatial).transpose((2, 1, 0) + tuple(range(3, 3 + m)))
        xt = xt.reshape((c_in_g, groups * n) + spatial)
    dyt = dy.swapaxes(0, 1)  # (C_out, N, *out): the "kernel"
    g = conv_nd(xt, dyt, padding=padding, stride=dilation, dilation=stride, groups=groups)
    g = g[(slice(None), slice(None)) + tuple(slice(0, k) for k in ksize)]
    return np.ascontiguousarray(g.swapaxes(0, 1))  # (C_out, C_in/g, *K)


class _ConvNd(Function):
    """Batched cross-correlation on the engine, forward and backward."""

    def forward(
        self,
        x: np.ndarray,
        w: np.ndarray,
        *bias: np.ndarray,
        stride: tuple[int, ...],
        padding: Any,
        pads: tuple[tuple[int, int], ...],
        dilation: tuple[int, ...],
        groups: int,
    ) -> np.ndarray:
        self.x, self.w = x, w
        self.options = pads, stride, dilation, groups
        b = bias[0] if bias else None
        return conv_nd(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        pads, stride, dilation, groups = self.options
        x, w = self.x, self.w
        grad = grad.astype(np.result_type(x, w), copy=False)
        dx = dw = None
        if self.needs_input_grad[0]:
            dx = _conv_input_grad(grad, w, x.shape[2:], pads, stride, dilation, groups)
        if self.needs_input_grad[1]:
            dw = _conv_weight_grad(x, grad, w.shape[2:], pads, stride, dilation, groups)
        if len(self.needs_input_grad) == 2:
            return dx, dw
        db = _channel_sum(grad) if self.needs_input_grad[2] else None
        return dx, dw, db


def _conv(
    m: int,
    input: Any,  # noqa: A002 - PyTorch's argument name
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
) -> Tensor:
    x, w = _as_tensor(input), _as_tensor(weight)
    spatial = ("L",) if m == 1 else ("H", "W") if m == 2 else ("D", "H", "W")
    _check_ndim(x, "input", (m + 2,), f"(N, C_in, {', '.join(spatial)})")
    _check_ndim(
        w, "weight", (m + 2,), f"(C_out, C_in/groups, {', '.join('k' + s for s in spatial)})"
    )
    strides = _ntuple(stride, m, "stride")
    dilations = _ntuple(dilation, m, "dilation")
    pads = _conv_pads(padding, m, w.shape[2:], dilations, strides)
    if not isinstance(padding, str):
        padding = tuple(lo for lo, _ in pads)
    args = (x, w) if bias is None else (x, w, _as_tensor(bias))
    return _ConvNd.apply(
        *args, stride=strides, padding=padding, pads=pads, dilation=dilations, groups=groups
    )


def conv1d(
    input: Any,  # noqa: A002
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1D convolution layer op (a cross-correlation); see :func:`conv2d`.

    Shape: ``(N, C_in, L) -> (N, C_out, floor((L + 2p - d (k - 1) - 1) / s) + 1)``.

    >>> import numpy as np
    >>> conv1d(np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, -1.0]]])).data
    array([[[-1., -1., -1.]]])
    """
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Any,  # noqa: A002
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    r"""2D convolution layer op. It computes a cross-correlation (no kernel flip).

    .. math:: y[n, o, i, j] = b[o] + \sum_{c} \sum_{u, v}
              w[o, c, u, v]\; x_{pad}[n, c, i s_h + u d_h, j s_w + v d_w]

    where ``c`` runs over the input channels of output channel ``o``'s group.

    Parameters
    ----------
    input : Tensor, shape ``(N, C_in, H, W)``
    weight : Tensor, shape ``(C_out, C_in / groups, kH, kW)``
    bias : Tensor, shape ``(C_out,)``, optional
    stride, dilation : int or pair of ints, default 1
    padding : int, pair of ints, 'valid' or 'same', default 0
        Zeros added on both sides. ``'same'`` (stride 1 only) pads ``d (k - 1)``
        in total, the odd element at the bottom/right, like PyTorch.
    groups : int, default 1
        Split the channels into independent convolutions.

    Returns
    -------
    Tensor, shape ``(N, C_out, H_out, W_out)``

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
    """
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Any,  # noqa: A002
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3D convolution layer op (a cross-correlation); see :func:`conv2d`.

    Shape: ``(N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out)``, each
    ``floor((n + 2p - d (k - 1) - 1) / s) + 1``.

    >>> import numpy as np
    >>> conv3d(np.ones((1, 1, 2, 2, 2)), np.ones((1, 1, 2, 2, 2))).data
    array([[[[[8.]]]]])
    """
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)
