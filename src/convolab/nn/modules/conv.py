"""Convolution layers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from convolab._docs import docfiller, fill, parameters, template
from convolab.conv.boundary import TORCH_MODES
from convolab.conv.geometry import check_output_padding, layer_pads
from convolab.nn import functional as F
from convolab.nn import init
from convolab.nn.functional._checks import _ntuple, _padding_spec, _spatial_names
from convolab.nn.modules._checks import _check_positive_int, _float_dtype
from convolab.nn.modules.kind import Window
from convolab.nn.modules.module import Module, Parameter, register_module
from convolab.nn.tensor import Tensor, _as_tensor

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
]


#: A convolution layer's ``padding_mode``: zeros, or a boundary rule by its PyTorch name.
_PADDING_MODES = ("zeros",) + tuple(mode for mode in TORCH_MODES if mode != "constant")

# The convolution layers' parameters, one description each.
_ENTRIES = parameters(
    """
    in_channels, out_channels : int
        Channels of the input and of the output (axis 1).
    kernel_size : int or tuple of int
        The kernel's size, one per spatial axis (an int: the same for each).
    stride : int or tuple of int, default 1
        Step between the windows, one per spatial axis.
    dilation : int or tuple of int, default 1
        Spacing between the kernel's taps (1: adjacent taps).
    groups : int, default 1
        Split the channels into this many independent convolutions (it must
        divide ``in_channels`` and ``out_channels``).
    bias : bool, default True
        Learn one offset per output channel.
    padding_mode : 'zeros', 'reflect', 'replicate' or 'circular', default 'zeros'
        How the ``padding`` samples are made (PyTorch's names for the ``constant``,
        ``reflect``, ``edge`` and ``wrap`` boundaries; see
        :func:`convolab.nn.functional.pad`). Transposed layers take ``'zeros'`` only.
    dtype : floating dtype, default float32
        Of the weight and bias.
    """
)
_CONV_DOCS = {
    "parameters": fill(
        """Parameters
----------
%(in_channels, kernel_size, stride)s
padding : int, tuple, pairs, 'valid', 'same', 'same_upper' or 'same_lower', default 0
    Zeros added to each end of each spatial axis (pairs: ``(before, after)`` per
    axis); ``'same'`` (stride 1) keeps the input's size, ``'same_upper'`` and
    ``'same_lower'`` give ``ceil(n / s)`` outputs (ONNX's rule: the odd sample at the
    end or at the start).
%(dilation, groups, bias, padding_mode, dtype)s""",
        _ENTRIES,
    )
}
_TRANSPOSE_DOCS = {
    "parameters": fill(
        """Parameters
----------
%(in_channels, kernel_size, stride)s
padding : int, tuple, pairs, 'valid', 'same', 'same_upper' or 'same_lower', default 0
    Samples cropped from each end of the full output.
output_padding : int or tuple of int, default 0
    Samples added at the end of each spatial axis, below ``max(stride, dilation)``.
%(groups, bias, dilation, padding_mode, dtype)s""",
        _ENTRIES,
    )
}


def _family(summary: str, engine: str, pieces: dict[str, str]) -> Callable[..., Any]:
    """The docstring decorator of the 1D and 3D classes of a convolution family (see
    :func:`template`), given a doctested ``example`` run after ``from convolab import nn``:
    ``summary`` (``{obj._dims}``: the class's dimension), the Parameters of ``pieces`` and
    the shape, each output length as in the functional op ``{engine}1d`` or ``{engine}3d``."""
    layout = f"""{summary}

%(parameters)s

Notes
-----
Shape: ``(N, C_in, {{spatial}}) -> (N, C_out, {{spatial_out}})``, each output length as in
:func:`convolab.nn.functional.{engine}{{obj._dims}}d`; one sample may come without the batch
axis.

Examples
--------
>>> from convolab import nn
%(example)s
"""
    document = template(layout, pieces)

    def decorate(example: str) -> Callable[[type[_ConvBase]], type[_ConvBase]]:
        def apply(cls: type[_ConvBase]) -> type[_ConvBase]:
            names = _spatial_names(cls._dims)
            spatial, spatial_out = ", ".join(names), ", ".join(n + "_out" for n in names)
            return document(spatial=spatial, spatial_out=spatial_out, example=example)(cls)

        return apply

    return decorate


_CONV = _family(
    "{obj._dims}D convolution layer (a cross-correlation); see :class:`Conv2d` for the formula.",
    "conv",
    _CONV_DOCS,
)
_CONV_TRANSPOSE = _family(
    "{obj._dims}D transposed convolution layer; see :class:`ConvTranspose2d` for the formula.",
    "conv_transpose",
    _TRANSPOSE_DOCS,
)


class _ConvBase(Module):
    """What a convolution and a transposed convolution share: channels, window, weights."""

    _dims = 2

    def _setup(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, dilation: Any,
        groups: int, padding_mode: str,
    ) -> None:  # fmt: skip
        m = self._dims
        self.in_channels = _check_positive_int(in_channels, "in_channels")
        self.out_channels = _check_positive_int(out_channels, "out_channels")
        self.groups = _check_positive_int(groups, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"`groups`={groups} must divide in_channels ({in_channels}) and out_channels "
                f"({out_channels})"
            )
        self.kernel_size = _ntuple(kernel_size, m, "kernel_size")
        self.stride = _ntuple(stride, m, "stride")
        self.dilation = _ntuple(dilation, m, "dilation")
        modes = _PADDING_MODES if self.kind == "conv" else ("zeros",)
        if padding_mode not in modes:
            expected = f"one of {', '.join(map(repr, modes))}" if len(modes) > 1 else "'zeros'"
            raise ValueError(
                f"`padding_mode` must be {expected} for {type(self).__name__}; "
                f"got {padding_mode!r}"
            )
        self.padding_mode = padding_mode

    def _weights(self, shape: tuple[int, ...], bias: bool, dtype: Any) -> None:
        dt = _float_dtype(dtype)
        self.weight = Parameter(np.empty(shape + self.kernel_size, dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _effective(self) -> tuple[int, ...]:
        return Window(self.kernel_size, self.stride, 0, self.dilation).effective

    def window(self) -> Window:
        return Window(self.kernel_size, self.stride, self.padding, self.dilation)

    def reset_parameters(self) -> None:
        """PyTorch's default: He uniform with ``a = sqrt(5)``; bias ``U(+-1/sqrt(fan_in))``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(init._fans(self.weight)[0])
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        unset = {"padding": 0, "output_padding": 0, "dilation": 1}
        for name, default in unset.items():
            value = getattr(self, name, (default,) * self._dims)
            if value != (default,) * self._dims:
                s += f", {name}={value}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _ConvNd(_ConvBase):
    kind = "conv"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, dilation, groups, padding_mode)
        self.padding: Any = _padding_spec(padding, self._effective(), self.stride)
        self._weights((out_channels, in_channels // groups), bias, dtype)

    def forward(self, x: Any) -> Tensor:
        fn = (F.conv1d, F.conv2d, F.conv3d)[self._dims - 1]
        padding = self.padding
        if self.padding_mode != "zeros":  # pad by the rule, then convolve without padding
            x = _as_tensor(x)
            pads = layer_pads(padding, x.shape[-self._dims :], self._effective(), self.stride)
            x = F.pad(x, [w for pair in reversed(pads) for w in pair], mode=self.padding_mode)
            padding = 0
        return fn(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


@register_module
@_CONV(
    ">>> nn.Conv1d(1, 8, 5, padding=2)\nConv1d(1, 8, kernel_size=(5,), stride=(1,), padding=(2,))"
)
class Conv1d(_ConvNd):
    _dims = 1


@register_module
@docfiller(_CONV_DOCS)
class Conv2d(_ConvNd):
    r"""2D convolution layer. It computes a cross-correlation (the kernel is not flipped).

    .. math:: y[n, o] = b[o] + \sum_{c} w[o, c] \star x[n, c]

    with ``star`` the 2D cross-correlation of :func:`convolab.nn.functional.conv2d`
    (stride, padding, dilation, groups), run forward and backward on
    :func:`convolab.conv_nd`.

    %(parameters)s

    Notes
    -----
    Shape: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` (or without the batch axis) with
    ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1``.
    Weights start as in PyTorch (He uniform with ``a = sqrt(5)``), drawn from
    :func:`convolab.nn.init.default_generator`.

    Examples
    --------
    >>> from convolab import nn
    >>> nn.Conv2d(1, 6, 5, padding=2)
    Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    """

    _dims = 2

    @classmethod
    def from_kernel(
        cls,
        kernel: Any,
        *,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        trainable: bool = False,
        dtype: Any = None,
    ) -> Conv2d:
        """A fixed layer whose weight is a classic image kernel (no bias).

        ``kernel`` of shape ``(kH, kW)`` gives one input and one output channel;
        ``(C_out, kH, kW)`` stacks several kernels applied to one input channel;
        a 4D array is used as the weight itself. The layer correlates, so it
        equals :func:`convolab.correlate` with the same kernel (for a true
        convolution flip the kernel first). The weight is frozen unless
        ``trainable``. ``dtype`` defaults to the kernel's floating dtype.

        >>> import numpy as np
        >>> from convolab import nn
        >>> layer = nn.Conv2d.from_kernel(np.array([[-1.0, 0.0, 1.0]]))
        >>> layer(np.array([[[[1.0, 2.0, 4.0, 8.0]]]])).data
        array([[[[3., 6.]]]])
        """
        k = np.asarray(kernel)
        if k.ndim == 2:
            k = k[None, None]
        elif k.ndim == 3:
            k = k[:, None]
        elif k.ndim != 4:
            raise ValueError(
                f"`kernel` must have shape (kH, kW), (C_out, kH, kW) or (C_out, C_in, kH, kW); "
                f"got {k.shape}"
            )
        if dtype is None:
            dtype = k.dtype if k.dtype.kind == "f" else np.float64
        layer = cls(
            k.shape[1],
            k.shape[0],
            k.shape[2:],
            stride=stride,
            padding=padding,
            dilation=dilation,
            bias=False,
            dtype=dtype,
        )
        layer.weight.data = np.array(k, dtype=layer.weight.dtype, copy=True)
        layer.weight.requires_grad = bool(trainable)
        return layer


@register_module
@_CONV(">>> nn.Conv3d(2, 4, 3)\nConv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))")
class Conv3d(_ConvNd):
    _dims = 3


class _ConvTransposeNd(_ConvBase):
    kind = "conv_transpose"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, dilation, groups, padding_mode)
        self.output_padding = _ntuple(output_padding, self._dims, "output_padding", minimum=0)
        check_output_padding(output_padding, self.output_padding, self.stride, self.dilation)
        self.padding: Any = _padding_spec(
            padding, self._effective(), self.stride, transposed=True,
            output_padding=self.output_padding,
        )  # fmt: skip
        self._weights((in_channels, out_channels // groups), bias, dtype)

    def forward(self, x: Any) -> Tensor:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._dims - 1]
        return fn(
            x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
            self.groups, self.dilation,
        )  # fmt: skip


@register_module
@_CONV_TRANSPOSE(
    ">>> nn.ConvTranspose1d(4, 2, 3, stride=2)\n"
    "ConvTranspose1d(4, 2, kernel_size=(3,), stride=(2,))"
)
class ConvTranspose1d(_ConvTransposeNd):
    _dims = 1


@register_module
@docfiller(_TRANSPOSE_DOCS)
class ConvTranspose2d(_ConvTransposeNd):
    r"""2D transposed convolution layer: the adjoint of :class:`Conv2d`, which upsamples.

    Each input sample scatters the kernel, scaled by its value, ``stride`` samples
    apart; :func:`convolab.nn.functional.conv_transpose2d` on
    :func:`convolab.conv_transpose_nd`, forward and backward on the one engine.

    %(parameters)s

    Notes
    -----
    Shape: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` (or without the batch axis) with
    ``H_out = (H - 1) s - 2 p + d (k - 1) + 1 + output_padding``. The weight has
    shape ``(C_in, C_out / groups, kH, kW)``, as in PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> up = nn.ConvTranspose2d(3, 1, 2, stride=2)
    >>> up(np.zeros((1, 3, 4, 4), dtype=np.float32)).shape
    (1, 1, 8, 8)
    """

    _dims = 2


@register_module
@_CONV_TRANSPOSE(
    ">>> nn.ConvTranspose3d(2, 4, 3, padding=1)\n"
    "ConvTranspose3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))"
)
class ConvTranspose3d(_ConvTransposeNd):
    _dims = 3
