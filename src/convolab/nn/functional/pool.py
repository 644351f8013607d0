"""Differentiable layer operations, with the signatures of ``torch.nn.functional``.

Every function takes and returns :class:`~convolab.nn.Tensor` objects (arrays
are accepted and wrapped). Each primitive is a small
:class:`~convolab.nn.Function` whose backward pass is written beside its forward
pass. The convolutions run forward *and* backward on the one engine,
:func:`convolab.conv_nd`: the input gradient is a full (transposed) convolution
of the output gradient with the kernel, and the weight gradient is a
correlation of the input with the output gradient.

``dim`` may also be spelled ``axis``. Loss options that PyTorch accepts
positionally only for backward compatibility (``reduction``, ``ignore_index``,
``label_smoothing``, ``pos_weight``) are keyword-only here.

>>> import numpy as np
>>> from convolab.nn import Tensor, functional as F
>>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
>>> F.max_pool2d(x, 2).data
array([[[[ 5.,  7.],
         [13., 15.]]]])
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from convolab.conv import conv_nd
from convolab.conv._parallel import matmul
from convolab.nn import _act_compiled, _norm_compiled, _pool_compiled
from convolab.nn.tensor import Function, Tensor, _as_tensor, _dim, _norm_axes

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv3d",
    "cross_entropy",
    "dropout",
    "flatten",
    "global_avg_pool2d",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]


# --------------------------------------------------------------------------- validation


def _ntuple(value: Any, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``n`` ints, each >= ``minimum``) as a tuple."""
    items = tuple(value) if isinstance(value, tuple | list) else (value,) * n
    if len(items) != n or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items
    ):
        raise TypeError(f"`{name}` must be an int or a tuple of {n} ints; got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"`{name}` must be >= {minimum} in every axis; got {value!r}")
    return tuple(int(v) for v in items)


def _check_ndim(t: Tensor, name: str, allowed: tuple[int, ...], shape_doc: str) -> None:
    if t.ndim not in allowed:
        raise ValueError(f"`{name}` must have shape {shape_doc}; got shape {t.shape}")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"`reduction` must be one of 'mean', 'sum', 'none'; got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


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


# --------------------------------------------------------------------------- pooling


def _pool_args(
    m: int, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, name: str
) -> tuple[tuple[int, ...], ...]:
    spatial = ("L",) if m == 1 else ("H", "W")
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C, {', '.join(spatial)}) or (C, ...)")
    k = _ntuple(kernel_size, m, "kernel_size")
    s = k if stride is None or stride == () else _ntuple(stride, m, "stride")
    p = _ntuple(padding, m, "padding", minimum=0)
    d = _ntuple(dilation, m, "dilation")
    if any(pi > ki // 2 for pi, ki in zip(p, k, strict=True)):
        raise ValueError(
            f"{name}: `padding` must be at most half of `kernel_size`; got padding={padding}, "
            f"kernel_size={kernel_size}"
        )
    for n, ki, pi, di in zip(x.shape[-m:], k, p, d, strict=True):
        if n + 2 * pi < di * (ki - 1) + 1:
            raise ValueError(
                f"{name}: the window {k} (dilation {d}) is larger than the padded input "
                f"{x.shape[-m:]} (padding {p})"
            )
    return k, s, p, d


def _taps(k: tuple[int, ...]) -> list[tuple[int, ...]]:
    return [tuple(int(i) for i in t) for t in np.ndindex(*k)]


def _tap_slices(
    tap: tuple[int, ...], out: tuple[int, ...], s: tuple[int, ...], d: tuple[int, ...]
) -> tuple[slice, ...]:
    """Where kernel tap ``tap`` reads, for all outputs at once (a strided slice per axis)."""
    return (Ellipsis,) + tuple(
        slice(t * di, t * di + (o - 1) * si + 1, si)
        for t, o, si, di in zip(tap, out, s, d, strict=True)
    )


def _pad_spatial(x: np.ndarray, p: tuple[int, ...], value: float) -> np.ndarray:
    if not any(p):
        return x
    return np.pad(
        x, ((0, 0),) * (x.ndim - len(p)) + tuple((q, q) for q in p), constant_values=value
    )


def _crop_spatial(g: np.ndarray, p: tuple[int, ...]) -> np.ndarray:
    if not any(p):
        return g
    return g[
        (Ellipsis,) + tuple(slice(q, g.shape[g.ndim - len(p) + i] - q) for i, q in enumerate(p))
    ]


class _MaxPool(Function):
    """Max over each window as a running maximum of strided slices, one per window tap.

    Backward sends each window's gradient to its first maximum in row-major tap order
    (ties go to one element, NaN counts as the maximum, as in PyTorch). With Numba,
    float inputs take one compiled pass instead (:mod:`convolab.nn._pool_compiled`),
    which keeps the index of each maximum for the backward pass.
    """

    def forward(
        self,
        x: np.ndarray,
        k: tuple[int, ...],
        s: tuple[int, ...],
        p: tuple[int, ...],
        d: tuple[int, ...],
    ) -> np.ndarray:
        m = len(k)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = _pad_spatial(x, p, fill)
        out = tuple(
            (n - di * (ki - 1) - 1) // si + 1
            for n, ki, si, di in zip(xp.shape[-m:], k, s, d, strict=True)
        )
        self.options = (k, s, p, d, out)
        if _pool_compiled.available(x.dtype):
            y, self.arg = _pool_compiled.max_pool_forward(xp, k, s, d, out)
            self.padded_shape = xp.shape
            return y
        taps = _taps(k)
        y = xp[_tap_slices(taps[0], out, s, d)].copy()
        for tap in taps[1:]:
            np.maximum(y, xp[_tap_slices(tap, out, s, d)], out=y)
        self.xp, self.y = xp, y
        return y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        k, s, p, d, out = self.options
        if hasattr(self, "arg"):
            g = _pool_compiled.max_pool_backward(grad, self.arg, self.padded_shape)
            return (_crop_spatial(g, p),)
        xp, y = self.xp, self.y
        m = len(k)
        # Windows that never overlap take plain assignments; if they also tile the
        # padded input, no element is left to zero beforehand.
        disjoint = all(ki <= si and di == 1 for ki, si, di in zip(k, s, d, strict=True))
        tiled = disjoint and all(
            ki == si and o * si == n for ki, si, o, n in zip(k, s, out, xp.shape[-m:], strict=True)
        )
        g = np.empty(xp.shape, dtype=grad.dtype) if tiled else np.zeros(xp.shape, grad.dtype)
        nan = np.isnan(y) if y.dtype.kind == "f" and np.isnan(y).any() else None
        taps = _taps(k)
        unclaimed = None  # windows whose maximum is not found yet (None: all of them)
        for i, tap in enumerate(taps):
            sl = _tap_slices(tap, out, s, d)
            if i == len(taps) - 1 and nan is None:
                # the last tap holds the maximum of every window not claimed yet
                hit = np.ones(y.shape, dtype=bool) if unclaimed is None else unclaimed
            else:
                hit = xp[sl] == y
                if nan is not None:
                    hit |= nan & np.isnan(xp[sl])
                if unclaimed is not None:
                    hit &= unclaimed
            if disjoint:
                np.multiply(grad, hit, out=g[sl])
            else:
                g[sl] += grad * hit
            unclaimed = ~hit if unclaimed is None else np.logical_xor(unclaimed, hit, out=unclaimed)
        return (_crop_spatial(g, p),)


class _AvgPool(Function):
    """Mean over each window (a sum of strided slices); backward spreads ``g / count``."""

    def forward(
        self,
        x: np.ndarray,
        k: tuple[int, ...],
        s: tuple[int, ...],
        p: tuple[int, ...],
        count_include_pad: bool,
        divisor_override: int | None,
    ) -> np.ndarray:
        m = len(k)
        xp = _pad_spatial(x, p, 0)
        out = tuple((n - ki) // si + 1 for n, ki, si in zip(xp.shape[-m:], k, s, strict=True))
        d = (1,) * m
        acc = np.zeros(x.shape[:-m] + out, dtype=np.result_type(x.dtype, np.float32))
        for tap in _taps(k):
            acc += xp[_tap_slices(tap, out, s, d)]
        if divisor_override is not None:
            div: Any = float(divisor_override)
        elif count_include_pad or not any(p):
            div = float(np.prod(k))
        else:  # count only the real samples in each window: separable per axis
            div = np.ones((1,) * m, dtype=acc.dtype)
            for ax, (n, ki, si, pi, o) in enumerate(zip(x.shape[-m:], k, s, p, out, strict=True)):
                start = np.arange(o) * si - pi
                cnt = np.minimum(start + ki, n) - np.maximum(start, 0)
                div = div * cnt.astype(acc.dtype).reshape((1,) * ax + (o,) + (1,) * (m - ax - 1))
        self.div, self.shape, self.options = div, xp.shape, (k, s, p, d, out)
        return acc / div

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        k, s, p, d, out = self.options
        share = grad / self.div
        g = np.zeros(self.shape, dtype=grad.dtype)
        for tap in _taps(k):
            g[_tap_slices(tap, out, s, d)] += share
        return (_crop_spatial(g, p),)


def max_pool1d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """1D max pooling; see :func:`max_pool2d`.

    >>> import numpy as np
    >>> max_pool1d(np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2).data
    array([[[3., 5.]]])
    """
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    r"""2D max pooling (not a convolution: a maximum over each window).

    .. math:: y[n, c, i, j] = \max_{u < k_h,\, v < k_w} x_{pad}[n, c, i s_h + u d_h, j s_w + v d_w]

    with ``-inf`` padding. The gradient goes to the window's maximum; of tied
    maxima only the first (in row-major order) receives it, as in PyTorch.

    Parameters
    ----------
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    kernel_size : int or pair
    stride : int or pair, default ``kernel_size``
    padding : int or pair, default 0 (at most half the kernel)
    dilation : int or pair, default 1
    ceil_mode, return_indices : only ``False`` is supported.

    Returns
    -------
    Tensor, shape ``(N, C, H_out, W_out)``

    Notes
    -----
    Shape: ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1``, same for W.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1.0, 2.0, 0.0], [4.0, 3.0, 1.0], [0.0, 1.0, 6.0]]]])
    >>> max_pool2d(x, 2, stride=1).data
    array([[[[4., 3.],
             [4., 6.]]]])
    """
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _max_pool(
    m: int,
    input: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,  # noqa: A002
    ceil_mode: bool,
    return_indices: bool,
) -> Tensor:
    if ceil_mode or return_indices:
        raise ValueError("`ceil_mode` and `return_indices` must be False (not supported)")
    x = _as_tensor(input)
    k, s, p, d = _pool_args(m, x, kernel_size, stride, padding, dilation, f"max_pool{m}d")
    return _MaxPool.apply(x, k=k, s=s, p=p, d=d)


def avg_pool1d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1D average pooling; see :func:`avg_pool2d`.

    >>> import numpy as np
    >>> avg_pool1d(np.array([[[1.0, 3.0, 2.0, 6.0]]]), 2).data
    array([[[2., 4.]]])
    """
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(
    input: Any,  # noqa: A002
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    r"""2D average pooling.

    .. math:: y[n, c, i, j] = \frac{1}{D} \sum_{u < k_h,\, v < k_w}
              x_{pad}[n, c, i s_h + u, j s_w + v]

    with zero padding and ``D = k_h k_w`` (or the number of non-padding samples
    when ``count_include_pad=False``, or ``divisor_override``).

    Parameters
    ----------
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    kernel_size : int or pair
    stride : int or pair, default ``kernel_size``
    padding : int or pair, default 0 (at most half the kernel)
    ceil_mode : only ``False`` is supported
    count_include_pad : bool, default True
    divisor_override : int, optional

    Returns
    -------
    Tensor, shape ``(N, C, H_out, W_out)``, ``H_out = floor((H + 2 p - k) / s) + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).data
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return _avg_pool(
        2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def _avg_pool(
    m: int,
    input: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,  # noqa: A002
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    if ceil_mode:
        raise ValueError("`ceil_mode` must be False (not supported)")
    if divisor_override is not None and (
        not isinstance(divisor_override, numbers.Integral) or divisor_override < 1
    ):
        raise ValueError(f"`divisor_override` must be a positive int; got {divisor_override!r}")
    x = _as_tensor(input)
    k, s, p, _ = _pool_args(m, x, kernel_size, stride, padding, 1, f"avg_pool{m}d")
    return _AvgPool.apply(
        x, k=k, s=s, p=p, count_include_pad=count_include_pad, divisor_override=divisor_override
    )


def _adaptive_matrix(n: int, out: int, dtype: np.dtype) -> np.ndarray:
    """Averaging matrix ``A`` (out, n): bin ``i`` covers ``[floor(i n/out), ceil((i+1) n/out))``."""
    i = np.arange(out)
    start = (i * n) // out
    end = -((-(i + 1) * n) // out)
    j = np.arange(n)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class _AdaptiveAvgPool(Function):
    """Adaptive average pooling as one averaging matrix per axis: ``y = A_h x A_w^T``."""

    def forward(self, x: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
        m = len(out)
        dtype = np.result_type(x.dtype, np.float32)
        self.mats = [_adaptive_matrix(n, o, dtype) for n, o in zip(x.shape[-m:], out, strict=True)]
        return self._apply(x.astype(dtype, copy=False), transpose=False)

    def _apply(self, a: np.ndarray, transpose: bool) -> np.ndarray:
        m = len(self.mats)
        for i, mat in enumerate(self.mats):
            ax = a.ndim - m + i
            a = np.moveaxis(np.moveaxis(a, ax, -1) @ (mat if transpose else mat.T), -1, ax)
        return np.ascontiguousarray(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (self._apply(grad, transpose=True),)


def _adaptive(m: int, input: Any, output_size: Any) -> Tensor:  # noqa: A002
    x = _as_tensor(input)
    spatial = ("L",) if m == 1 else ("H", "W")
    _check_ndim(x, "input", (m + 1, m + 2), f"(N, C, {', '.join(spatial)}) or (C, ...)")
    if isinstance(output_size, tuple | list):
        output_size = tuple(x.shape[-m + i] if o is None else o for i, o in enumerate(output_size))
    out = _ntuple(output_size, m, "output_size")
    return _AdaptiveAvgPool.apply(x, out=out)


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    """1D adaptive average pooling to ``output_size`` bins; see :func:`adaptive_avg_pool2d`.

    >>> import numpy as np
    >>> adaptive_avg_pool1d(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).data
    array([[[2., 4.]]])
    """
    return _adaptive(1, input, output_size)


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    r"""Average over ``output_size`` bins per spatial axis, whatever the input size.

    .. math:: y[\dots, i] = \frac{1}{e_i - b_i} \sum_{j=b_i}^{e_i - 1} x[\dots, j],\quad
              b_i = \lfloor i n / o \rfloor,\; e_i = \lceil (i+1) n / o \rceil

    per axis (PyTorch's bins), computed as ``A_h x A_w^T`` with averaging matrices.
    ``output_size=1`` is global average pooling.

    Parameters
    ----------
    input : Tensor, shape ``(N, C, H, W)`` or ``(C, H, W)``
    output_size : int or pair (``None`` keeps that axis)

    Returns
    -------
    Tensor, shape ``(N, C, *output_size)``

    Examples
    --------
    >>> import numpy as np
    >>> adaptive_avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 1).data
    array([[[[7.5]]]])
    """
    return _adaptive(2, input, output_size)


def global_avg_pool2d(input: Any) -> Tensor:  # noqa: A002
    """Mean over H and W, keeping them as axes of length 1: ``(N, C, H, W) -> (N, C, 1, 1)``.

    >>> import numpy as np
    >>> global_avg_pool2d(np.ones((2, 3, 4, 4))).shape
    (2, 3, 1, 1)
    """
    return _adaptive(2, input, 1)


# --------------------------------------------------------------------------- activations


class _ReLU(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.maximum(x, np.zeros((), dtype=x.dtype))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if _act_compiled.available(grad, self.out):
            return (_act_compiled.relu_backward(grad, self.out),)
        return (grad * (self.out > 0),)


class _LeakyReLU(Function):
    def forward(self, x: np.ndarray, slope: float) -> np.ndarray:
        self.mask, self.slope = x > 0, slope
        return np.where(self.mask, x, x * np.asarray(slope, dtype=x.dtype))

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (np.where(self.mask, grad, grad * np.asarray(self.slope, dtype=grad.dtype)),)


class _Sigmoid(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = _sigmoid(x)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.out * (1 - self.out),)


class _Tanh(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * (1 - self.out * self.out),)


class _Softplus(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return np.logaddexp(np.zeros((), dtype=x.dtype), x)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * _sigmoid(self.x),)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class _Softmax(Function):
    def forward(self, x: np.ndarray, axis: int) -> np.ndarray:
        z = np.exp(x - x.max(axis=axis, keepdims=True))
        self.out, self.axis = z / z.sum(axis=axis, keepdims=True), axis
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        y = self.out
        return (y * (grad - (grad * y).sum(axis=self.axis, keepdims=True)),)


class _LogSoftmax(Function):
    def forward(self, x: np.ndarray, axis: int) -> np.ndarray:
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.out, self.axis = out, axis
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


def relu(input: Any) -> Tensor:  # noqa: A002
    """``max(x, 0)``; gradient 1 where ``x > 0``, else 0.

    >>> relu([-1.0, 0.0, 2.0]).data
    array([0., 0., 2.])
    """
    return _ReLU.apply(_as_tensor(input))


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    >>> leaky_relu([-2.0, 3.0], 0.1).data
    array([-0.2,  3. ])
    """
    return _LeakyReLU.apply(_as_tensor(input), slope=float(negative_slope))


def sigmoid(input: Any) -> Tensor:  # noqa: A002
    """``1 / (1 + exp(-x))``, computed without overflow; gradient ``y (1 - y)``.

    >>> sigmoid([0.0]).data
    array([0.5])
    """
    return _Sigmoid.apply(_as_tensor(input))


def tanh(input: Any) -> Tensor:  # noqa: A002
    """Hyperbolic tangent; gradient ``1 - y**2``.

    >>> tanh([0.0]).data
    array([0.])
    """
    return _Tanh.apply(_as_tensor(input))


def softplus(input: Any) -> Tensor:  # noqa: A002
    """``log(1 + exp(x))``, computed stably; gradient ``sigmoid(x)``.

    >>> softplus([0.0]).data
    array([0.69314718])
    """
    return _Softplus.apply(_as_tensor(input))


def _softmax_axis(x: Tensor, dim: Any, axis: Any) -> int:
    d = _dim(dim, axis)
    if d is None:
        raise TypeError("softmax needs `dim` (or `axis`): the axis that sums to one")
    return _norm_axes(d, x.ndim)[0]


def softmax(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:  # noqa: A002
    r"""``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (shifted by the max for stability).

    Backward: ``dx = y (g - sum(g y))``.

    >>> import numpy as np
    >>> softmax(np.log([[1.0, 3.0]]), dim=1).data
    array([[0.25, 0.75]])
    """
    x = _as_tensor(input)
    return _Softmax.apply(x, axis=_softmax_axis(x, dim, axis))


def log_softmax(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:  # noqa: A002
    r"""``x_i - log sum_j exp(x_j)`` along ``dim``, without overflow.

    Backward: ``dx = g - softmax(x) sum(g)``.

    >>> import numpy as np
    >>> np.exp(log_softmax(np.log([[1.0, 3.0]]), dim=1).data)
    array([[0.25, 0.75]])
    """
    x = _as_tensor(input)
    return _LogSoftmax.apply(x, axis=_softmax_axis(x, dim, axis))


# --------------------------------------------------------------------------- dense and shape


class _Linear(Function):
    """``y = x W^T + b``; ``dx = g W``, ``dW = g^T x``, ``db = sum g`` (batch axes flattened)."""

    def forward(self, x: np.ndarray, w: np.ndarray, *bias: np.ndarray) -> np.ndarray:
        self.x, self.w = x, w
        y = matmul(x, w.T)
        if bias:
            y += bias[0]
        return y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, w = self.x, self.w
        dx = matmul(grad, w) if self.needs_input_grad[0] else None
        g2 = grad.reshape(-1, grad.shape[-1])
        dw = matmul(g2.T, x.reshape(-1, x.shape[-1])) if self.needs_input_grad[1] else None
        if len(self.needs_input_grad) == 2:
            return dx, dw
        return dx, dw, (g2.sum(axis=0) if self.needs_input_grad[2] else None)


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:  # noqa: A002
    r"""Affine map ``y = x W^T + b`` over the last axis.

    Parameters
    ----------
    input : Tensor, shape ``(*, in_features)``
    weight : Tensor, shape ``(out_features, in_features)``
    bias : Tensor, shape ``(out_features,)``, optional

    Returns
    -------
    Tensor, shape ``(*, out_features)``

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[1.0, 1.0], [0.0, 2.0]])
    >>> linear(np.array([[1.0, 2.0]]), w, np.array([0.5, 0.0])).data
    array([[3.5, 4. ]])
    """
    x, w = _as_tensor(input), _as_tensor(weight)
    _check_ndim(w, "weight", (2,), "(out_features, in_features)")
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"`input` must have shape (*, {w.shape[1]}) to match weight {w.shape}; got {x.shape}"
        )
    if bias is None:
        return _Linear.apply(x, w)
    b = _as_tensor(bias)
    if b.shape != (w.shape[0],):
        raise ValueError(f"`bias` must have shape ({w.shape[0]},); got {b.shape}")
    return _Linear.apply(x, w, b)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    """Merge axes ``start_dim..end_dim`` into one (as ``torch.flatten``).

    >>> import numpy as np
    >>> flatten(np.zeros((2, 3, 4)), 1).shape
    (2, 12)
    """
    return _as_tensor(input).flatten(start_dim, end_dim)


def dropout(
    input: Any,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Only in training; with ``training=False`` the input is returned unchanged.
    ``generator`` (a ``numpy.random.Generator``) makes the mask reproducible.

    >>> import numpy as np
    >>> y = dropout(np.ones(8), 0.5, generator=np.random.default_rng(0))
    >>> sorted(set(y.data.tolist()))
    [0.0, 2.0]
    """
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"`p` must be a probability in [0, 1]; got {p!r}")
    if inplace:
        raise ValueError("`inplace=True` is not supported")
    x = _as_tensor(input)
    if not training or p == 0:
        return x
    rng = generator if generator is not None else np.random.default_rng()
    keep = rng.random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * (keep * np.asarray(scale, dtype=x.dtype)).astype(x.dtype, copy=False)


# --------------------------------------------------------------------------- batch norm


def _channel_sum(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """``a.sum(axis=(0, 2, 3, ...))``, or ``(a * b)`` summed so, without the product array.

    Reductions over contiguous axes: 5-10x faster than NumPy's over axes (0, 2, 3).
    """
    a3 = a.reshape(a.shape[0], a.shape[1], -1)
    if b is None:  # einsum: one pass (LeNet-5's C1 bias gradient: 0.055 ms, sums 0.12 ms)
        return np.einsum("ncl->c", a3)
    return np.einsum("ncl,ncl->c", a3, b.reshape(a3.shape))


def _update_running(
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    mean: np.ndarray,
    var: np.ndarray,
    momentum: float,
    count: int,
) -> None:
    """Move the running statistics toward the batch's (the variance unbiased), in place."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += momentum * var * (count / max(count - 1, 1))


class _BatchNorm(Function):
    r"""Normalize per channel (axis 1).

    Training: ``x_hat = (x - mean) / sqrt(var + eps)`` with the batch statistics
    (``M`` values per channel), and with ``g`` the output gradient,
    ``dw = sum g x_hat``, ``db = sum g`` and
    ``dx = (w invstd / M) (M g - db - x_hat dw)``.
    Eval: the running statistics are constants, ``dx = g w invstd``.
    """

    def forward(
        self,
        x: np.ndarray,
        *params: np.ndarray,
        has_weight: bool,
        training: bool,
        running_mean: np.ndarray | None,
        running_var: np.ndarray | None,
        momentum: float,
        eps: float,
    ) -> np.ndarray:
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        count = x.size // max(x.shape[1], 1)
        if _norm_compiled.available(x):
            return self._forward_compiled(
                x, params, has_weight, training, running_mean, running_var, momentum, eps, count
            )
        self.compiled = False
        if training:
            mean = _channel_sum(x) / count
            x_hat = x - mean.astype(x.dtype, copy=False).reshape(shape)
            var = _channel_sum(x_hat, x_hat) / count
            _update_running(running_mean, running_var, mean, var, momentum, count)
        else:
            mean, var = running_mean, running_var
            x_hat = x - mean.astype(x.dtype, copy=False).reshape(shape)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False).reshape(shape)
        x_hat *= invstd
        self.x_hat, self.invstd, self.training, self.count = x_hat, invstd, training, count
        w = params[0].reshape(shape) if has_weight else None
        b = params[-1].reshape(shape) if len(params) == 2 or (params and not has_weight) else None
        self.w, self.has_weight = w, has_weight
        y = x_hat * w if w is not None else x_hat.copy()
        if b is not None:
            y += b
        return y

    def _forward_compiled(
        self, x, params, has_weight, training, running_mean, running_var, momentum, eps, count
    ) -> np.ndarray:
        """The same in two compiled passes (see :mod:`convolab.nn._norm_compiled`)."""
        n_chan = x.shape[1]
        if training:
            mean, var = _norm_compiled.channel_moments(x)
            _update_running(running_mean, running_var, mean, var, momentum, count)
        else:
            mean = np.asarray(running_mean, np.float64)
            var = np.asarray(running_var, np.float64)
        invstd = 1.0 / np.sqrt(var + eps)
        w = params[0].astype(np.float64) if has_weight else np.ones(n_chan)
        has_bias = len(params) == 2 or (params and not has_weight)
        b = params[-1].astype(np.float64) if has_bias else np.zeros(n_chan)
        self.compiled, self.x, self.count, self.training = True, x, count, training
        self.mean, self.invstd64, self.scale, self.has_weight = mean, invstd, invstd * w, has_weight
        return _norm_compiled.rows_affine(x, mean, self.scale, b)

    def _backward_compiled(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, count, mean, invstd, scale = self.x, self.count, self.mean, self.invstd64, self.scale
        g = grad.astype(x.dtype, copy=False)
        need_w = self.has_weight and self.needs_input_grad[1]
        need_b = len(self.needs_input_grad) > 1 + self.has_weight and self.needs_input_grad[-1]
        s, p = _norm_compiled.channel_sums(g, x, mean)
        dx = None
        if self.needs_input_grad[0]:
            if self.training:  # scale (g - s / M - (x - mean) invstd^2 p / M)
                beta = -scale * invstd**2 * p / count
                dx = _norm_compiled.rows_affine2(g, x, mean, scale, beta, -scale * s / count)
            else:  # the running statistics are constants
                dx = g * scale.astype(x.dtype).reshape((1, -1) + (1,) * (x.ndim - 2))
        grads: list[np.ndarray | None] = [dx]
        if self.has_weight:
            grads.append((p * invstd).astype(x.dtype) if need_w else None)
        if len(self.needs_input_grad) > len(grads):
            grads.append(s.astype(x.dtype) if need_b else None)
        return tuple(grads)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        if self.compiled:
            return self._backward_compiled(grad)
        x_hat, invstd, count, w = self.x_hat, self.invstd, self.count, self.w
        shape = invstd.shape
        need_w = self.has_weight and self.needs_input_grad[1]
        need_b = len(self.needs_input_grad) > 1 + self.has_weight and self.needs_input_grad[-1]
        dx = db = dw = None
        if self.needs_input_grad[0] and self.training or need_b:
            db = _channel_sum(grad)
        if self.needs_input_grad[0] and self.training or need_w:
            dw = _channel_sum(grad, x_hat)
        if self.needs_input_grad[0]:
            scale = invstd if w is None else invstd * w
            if self.training:  # (g - x_hat dw / M - db / M) * scale, one temporary
                dx = x_hat * (-dw / count).astype(grad.dtype, copy=False).reshape(shape)
                dx += grad
                dx -= (db / count).astype(grad.dtype, copy=False).reshape(shape)
                dx *= scale
            else:
                dx = grad * scale
        grads: list[np.ndarray | None] = [dx]
        if self.has_weight:
            grads.append(dw if need_w else None)
        if len(self.needs_input_grad) > len(grads):
            grads.append(db if need_b else None)
        return tuple(grads)


def batch_norm(
    input: Any,  # noqa: A002
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Batch normalization over axis 1 (channels).

    .. math:: y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\, w + b

    In training ``mu`` and ``sigma^2`` are the batch mean and (biased) variance over
    every axis but 1, and the running statistics (updated in place when given) become
    ``(1 - momentum) r + momentum s`` with the *unbiased* batch variance, as in
    PyTorch. In eval the running statistics are used.

    Parameters
    ----------
    input : Tensor, shape ``(N, C)`` or ``(N, C, *S)``
    running_mean, running_var : ndarray or Tensor, shape ``(C,)``, or None
        Required when ``training=False``.
    weight, bias : Tensor, shape ``(C,)``, optional
    training : bool, default False
    momentum : float, default 0.1
    eps : float, default 1e-5

    Returns
    -------
    Tensor, the shape of ``input``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [3.0]])
    >>> batch_norm(x, None, None, training=True, eps=0.0).data
    array([[-1.],
           [ 1.]])
    """
    x = _as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"`input` must have shape (N, C) or (N, C, *S); got {x.shape}")
    c = x.shape[1]
    stats = []
    for name, r in (("running_mean", running_mean), ("running_var", running_var)):
        arr = r.data if isinstance(r, Tensor) else r
        if arr is not None:
            if not isinstance(arr, np.ndarray) or arr.shape != (c,):
                raise ValueError(f"`{name}` must be an ndarray of shape ({c},); got {arr!r}")
        elif not training:
            raise ValueError(f"`{name}` is required when training=False")
        stats.append(arr)
    if training and x.size // c <= 1:
        raise ValueError(
            f"batch_norm in training needs more than one value per channel; got input {x.shape}"
        )
    params = []
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None:
            p = _as_tensor(p)
            if p.shape != (c,):
                raise ValueError(f"`{name}` must have shape ({c},); got {p.shape}")
            params.append(p)
    return _BatchNorm.apply(
        x,
        *params,
        has_weight=weight is not None,
        training=bool(training),
        running_mean=stats[0],
        running_var=stats[1],
        momentum=float(momentum),
        eps=float(eps),
    )


# --------------------------------------------------------------------------- losses


def _class_last(x: Tensor) -> Tensor:
    """``(N, C, *d)`` -> ``(N * prod(d), C)``; ``(C,)`` -> ``(1, C)``."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(perm).reshape(-1, x.shape[1])


def _check_targets(x: Tensor, target: np.ndarray) -> None:
    expected = () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]
    if target.shape != expected:
        raise ValueError(
            f"`target` of class indices must have shape {expected} for input {x.shape}; "
            f"got {target.shape}"
        )
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"`target` must hold integer class indices; got dtype {target.dtype}")


def nll_loss(
    input: Any,  # noqa: A002
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    r"""Negative log-likelihood from log-probabilities: ``l_i = -w[t_i] x[i, t_i]``.

    ``mean`` divides by ``sum_i w[t_i]`` over the targets not equal to
    ``ignore_index`` (as PyTorch does).

    Parameters
    ----------
    input : Tensor, shape ``(N, C)``, ``(N, C, *d)`` or ``(C,)``: log-probabilities
    target : int array, shape ``(N,)``, ``(N, *d)`` or ``()``
    weight : array, shape ``(C,)``, optional: per-class weights
    ignore_index : int, default -100
    reduction : 'mean', 'sum' or 'none'

    Returns
    -------
    Tensor: a scalar, or shape of ``target`` with ``reduction='none'``

    Examples
    --------
    >>> import numpy as np
    >>> nll_loss(np.log([[0.5, 0.5], [0.25, 0.75]]), np.array([0, 1])).item()  # doctest: +ELLIPSIS
    0.4904...
    """
    _check_reduction(reduction)
    x = _as_tensor(input)
    if x.ndim < 1:
        raise ValueError(f"`input` must have shape (N, C, ...) or (C,); got {x.shape}")
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    _check_targets(x, t)
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    flat_t = t.reshape(-1)
    valid = flat_t != ignore_index
    if np.any((flat_t[valid] < 0) | (flat_t[valid] >= n_classes)):
        bad = flat_t[valid & ((flat_t < 0) | (flat_t >= n_classes))][0]
        raise ValueError(f"`target` has class index {bad}; expected 0..{n_classes - 1}")
    safe = np.where(valid, flat_t, 0)
    w = _class_weights(weight, n_classes, x.dtype)
    wt = (w[safe] * valid).astype(x.dtype)
    picked = _class_last(x)[np.arange(safe.size), safe]
    loss = -(picked * wt)
    if reduction == "none":
        return loss.reshape(t.shape)
    if reduction == "sum":
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / np.asarray(wt.sum(), dtype=x.dtype)


def _class_weights(weight: Any, n_classes: int, dtype: np.dtype) -> np.ndarray:
    if weight is None:
        return np.ones(n_classes, dtype=dtype)
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"`weight` must have shape ({n_classes},); got {w.shape}")
    return w


def cross_entropy(
    input: Any,  # noqa: A002
    target: Any,
    weight: Any = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    r"""Cross-entropy from logits: ``log_softmax`` over axis 1, then :func:`nll_loss`.

    .. math:: l_i = -\sum_c w_c\, q_{ic} \log \mathrm{softmax}(x_i)_c,\qquad
              q_{ic} = (1 - \varepsilon)\,[c = t_i] + \varepsilon / C

    With class-index targets this is PyTorch's formula (``mean`` divides by the
    summed weights of the targets); ``target`` may also hold class probabilities
    of the input's shape (``mean`` then divides by ``N``).

    Parameters
    ----------
    input : Tensor, shape ``(N, C)``, ``(N, C, *d)`` or ``(C,)``: logits
    target : int array of shape ``(N, *d)``, or float array of ``input``'s shape
    weight : array, shape ``(C,)``, optional
    ignore_index : int, default -100 (class-index targets only)
    reduction : 'mean', 'sum' or 'none'
    label_smoothing : float in [0, 1], default 0

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([[2.0, 0.0], [0.0, 2.0]])
    >>> round(cross_entropy(logits, np.array([0, 1])).item(), 6)
    0.126928
    """
    _check_reduction(reduction)
    if not isinstance(label_smoothing, numbers.Real) or not 0 <= label_smoothing <= 1:
        raise ValueError(f"`label_smoothing` must be in [0, 1]; got {label_smoothing!r}")
    x = _as_tensor(input)
    if x.ndim < 1:
        raise ValueError(f"`input` must have shape (N, C, ...) or (C,); got {x.shape}")
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_dim]
    logp = log_softmax(x, dim=class_dim)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    w = _class_weights(weight, n_classes, x.dtype)
    wshape = (n_classes,) + (1,) * (x.ndim - class_dim - 1)
    eps = float(label_smoothing)
    if np.issubdtype(t.dtype, np.floating):  # class probabilities
        if t.shape != x.shape:
            raise ValueError(
                f"`target` of class probabilities must have the input's shape {x.shape}; "
                f"got {t.shape}"
            )
        q = t.astype(x.dtype) * (1 - eps) + eps / n_classes
        loss = -(logp * (q * w.reshape(wshape))).sum(dim=class_dim)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, t, weight, ignore_index=ignore_index, reduction=reduction)
    if eps == 0:
        return nll
    _check_targets(x, t)
    keep = (t != ignore_index).astype(x.dtype)
    smooth = -(logp * w.reshape(wshape)).sum(dim=class_dim) * keep
    if reduction == "none":
        smooth_red = smooth
    elif reduction == "sum":
        smooth_red = smooth.sum()
    else:
        safe = np.where(t != ignore_index, t, 0)
        denom = float((w[safe] * keep).sum()) if weight is not None else float(keep.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            smooth_red = smooth.sum() / np.asarray(denom, dtype=x.dtype)
    return nll * (1 - eps) + smooth_red * (eps / n_classes)


def binary_cross_entropy_with_logits(
    input: Any,  # noqa: A002
    target: Any,
    weight: Any = None,
    *,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    r"""Binary cross-entropy on logits, computed stably.

    .. math:: l = w\,[\,p\,t\,\mathrm{softplus}(-x) + (1 - t)\,\mathrm{softplus}(x)\,]

    i.e. ``-w [p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]`` with ``p`` the
    ``pos_weight`` (broadcast along the last axis).

    Parameters
    ----------
    input : Tensor: logits
    target : array of ``input``'s shape, values in [0, 1]
    weight : array broadcastable to ``input``, optional
    reduction : 'mean', 'sum' or 'none'
    pos_weight : array broadcastable to ``input``, optional

    Returns
    -------
    Tensor

    Examples
    --------
    >>> import numpy as np
    >>> round(binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0])).item(), 6)
    0.693147
    """
    _check_reduction(reduction)
    x = _as_tensor(input)
    t = np.asarray(target.data if isinstance(target, Tensor) else target, dtype=x.dtype)
    if t.shape != x.shape:
        raise ValueError(f"`target` must have the input's shape {x.shape}; got {t.shape}")
    if pos_weight is None:
        loss = t * softplus(-x) + (1 - t) * softplus(x)
    else:
        pw = np.asarray(
            pos_weight.data if isinstance(pos_weight, Tensor) else pos_weight, dtype=x.dtype
        )
        loss = (pw * t) * softplus(-x) + (1 - t) * softplus(x)
    if weight is not None:
        loss = loss * np.asarray(
            weight.data if isinstance(weight, Tensor) else weight, dtype=x.dtype
        )
    return _reduce(loss, reduction)


def mse_loss(input: Any, target: Any, *, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error ``(x - t)**2`` reduced by ``reduction``.

    >>> import numpy as np
    >>> mse_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0])).item()
    2.5
    """
    _check_reduction(reduction)
    x = _as_tensor(input)
    t = _as_tensor(target)
    if t.shape != x.shape:
        raise ValueError(f"`target` must have the input's shape {x.shape}; got {t.shape}")
    diff = x - t
    return _reduce(diff * diff, reduction)
