"""Pooling layers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from convolab._docs import fill, parameters, template
from convolab.nn import functional as F
from convolab.nn.functional._checks import _ntuple, _padding_spec
from convolab.nn.modules._checks import _tuple_if_list
from convolab.nn.modules.kind import Window
from convolab.nn.modules.module import Module, register_module
from convolab.nn.tensor import Tensor

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "GlobalAvgPool",
    "GlobalMaxPool",
    "LPPool1d",
    "LPPool2d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]


# The pooling layers' parameters, one description each.
_ENTRIES = parameters(
    """
    norm_type : float
        The power ``p`` (positive).
    kernel_size : int or tuple of int
        The window's size, one per spatial axis (an int: the same for each).
    stride : int or tuple of int, optional
        Step between the windows; default ``kernel_size``.
    padding : int, tuple, pairs, 'valid', 'same', 'same_upper' or 'same_lower', default 0
        Samples added to each end of each spatial axis (pairs: ``(before, after)``
        per axis), each side smaller than the (dilated) window.
    dilation : int or tuple of int, default 1
        Spacing between the window's samples (1: adjacent samples).
    return_indices : bool, default False
        Also return, for each output, the row-major index of its maximum in the
        input's spatial plane (int64), what the matching ``MaxUnpool`` takes.
    ceil_mode : bool, default False
        Round the output length up: a last, partial window if it starts inside the
        input or its front padding.
    count_include_pad : bool, default True
        Count the padded zeros in each window's divisor.
    divisor_override : int, optional
        Divide every window's sum by this number instead (2D and 3D only).
    """
)


def _section(names: str, pieces: dict[str, str] = _ENTRIES) -> dict[str, str]:
    """The Parameters section of one family of pooling layers, for :func:`template`."""
    return {"parameters": fill(f"Parameters\n----------\n%({names})s", pieces)}


def _family(summary: str, names: str, pieces: dict[str, str] = _ENTRIES) -> Callable[..., Any]:
    """The docstring decorator of each class of one family of pooling layers (see
    :func:`template`): ``summary`` (``{obj._dims}``: the class's dimension), an optional
    ``details`` paragraph, the parameters ``names`` and a doctested ``example`` run after
    ``from convolab import nn``."""
    layout = f"""{summary}

%(details)s

%(parameters)s

Examples
--------
>>> from convolab import nn
%(example)s
"""
    return template(layout, {"details": "", **_section(names, pieces)})


_MAX_POOL = _family(
    "{obj._dims}D max pooling; see :func:`convolab.nn.functional.max_pool{obj._dims}d`.",
    "kernel_size, stride, padding, dilation, return_indices, ceil_mode",
)
_AVG_POOL_SUMMARY = (
    "{obj._dims}D average pooling; see :func:`convolab.nn.functional.avg_pool{obj._dims}d`."
)
_AVG_POOL_1D = _family(
    _AVG_POOL_SUMMARY, "kernel_size, stride, padding, ceil_mode, count_include_pad, dilation"
)
_AVG_POOL = _family(
    _AVG_POOL_SUMMARY,
    "kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dilation",
)
_MAX_UNPOOL = _family(
    "Partial inverse of :class:`MaxPool{obj._dims}d`: ``forward(x, indices, output_size=None)``;"
    " see :func:`convolab.nn.functional.max_unpool{obj._dims}d`.",
    "kernel_size, stride, padding",
    {
        **_ENTRIES,
        **parameters(
            """
            padding : int or tuple of int, default 0
                The padding of the max pooling being inverted.
            """
        ),
    },
)
_LP_POOL = _family(
    "{obj._dims}D power-average pooling ``(sum |x|^p)^(1/p)``; see"
    " :func:`convolab.nn.functional.lp_pool{obj._dims}d`.",
    "norm_type, kernel_size, stride, ceil_mode, padding",
)


def _pool_padding(padding: Any, kernel_size: Any, stride: Any, dilation: Any, m: int) -> Any:
    """Check a pooling layer's padding; an int stays an int, pairs become tuples."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        _ntuple(padding, m, "padding", minimum=0)
        return padding
    window = Window.of(m, kernel_size, stride, padding, dilation)
    return _padding_spec(padding, window.effective, window.stride)


class _WindowPool(Module):
    """A pooling layer that slides a window: max, average, power-average."""

    kind = "pool"
    _dims = 2

    def _set_window(self, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> None:
        """Check and keep the window's arguments as given (ints stay ints, lists become tuples)."""
        Window.of(self._dims, kernel_size, stride, 0, dilation)  # checks them
        self.kernel_size = _tuple_if_list(kernel_size)
        self.stride = self.kernel_size if stride is None else _tuple_if_list(stride)
        self.padding = _pool_padding(padding, kernel_size, stride, dilation, self._dims)

    def window(self) -> Window:
        dilation = getattr(self, "dilation", 1)
        return Window.of(self._dims, self.kernel_size, self.stride, self.padding, dilation)


class _MaxPoolNd(_WindowPool):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self._set_window(kernel_size, stride, padding, dilation)
        self.dilation = _tuple_if_list(dilation)
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, x: Any) -> Any:
        fn = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[self._dims - 1]
        return fn(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
            self.return_indices,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


@register_module
@_MAX_POOL(
    example=">>> nn.MaxPool1d(2)\n"
    "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
)
class MaxPool1d(_MaxPoolNd):
    _dims = 1


@register_module
@_MAX_POOL(
    details="Shape: ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1`` (``ceil`` with\n"
    "``ceil_mode=True``), same for W. With ``return_indices=True`` it returns\n"
    "``(output, indices)`` for :class:`MaxUnpool2d`.",
    example=">>> nn.MaxPool2d(2)\n"
    "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
)
class MaxPool2d(_MaxPoolNd):
    _dims = 2


@register_module
@_MAX_POOL(
    example=">>> nn.MaxPool3d(2, ceil_mode=True)\n"
    "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)"
)
class MaxPool3d(_MaxPoolNd):
    _dims = 3


class _AvgPoolNd(_WindowPool):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
        *,
        dilation: Any = 1,
    ) -> None:
        super().__init__()
        if divisor_override is not None:
            _ntuple(divisor_override, 1, "divisor_override")
        self._set_window(kernel_size, stride, padding, dilation)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override, self.dilation = divisor_override, _tuple_if_list(dilation)

    def forward(self, x: Any) -> Tensor:
        args = (x, self.kernel_size, self.stride, self.padding, self.ceil_mode)
        if self._dims == 1:
            return F.avg_pool1d(*args, self.count_include_pad, dilation=self.dilation)
        fn = F.avg_pool2d if self._dims == 2 else F.avg_pool3d
        return fn(*args, self.count_include_pad, self.divisor_override, dilation=self.dilation)

    def extra_repr(self) -> str:
        s = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.ceil_mode:
            s += ", ceil_mode=True"
        if not self.count_include_pad:
            s += ", count_include_pad=False"
        if self.divisor_override is not None:
            s += f", divisor_override={self.divisor_override}"
        if self.dilation not in (1, (1,) * self._dims):
            s += f", dilation={self.dilation}"
        return s


@register_module
@_AVG_POOL_1D(
    example=">>> nn.AvgPool1d(3, stride=1)\nAvgPool1d(kernel_size=3, stride=1, padding=0)"
)
class AvgPool1d(_AvgPoolNd):
    _dims = 1

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        *,
        dilation: Any = 1,
    ) -> None:
        super().__init__(
            kernel_size, stride, padding, ceil_mode, count_include_pad, dilation=dilation
        )


@register_module
@_AVG_POOL(example=">>> nn.AvgPool2d(2)\nAvgPool2d(kernel_size=2, stride=2, padding=0)")
class AvgPool2d(_AvgPoolNd):
    _dims = 2


@register_module
@_AVG_POOL(
    example=">>> nn.AvgPool3d(2, count_include_pad=False)\n"
    "AvgPool3d(kernel_size=2, stride=2, padding=0, count_include_pad=False)"
)
class AvgPool3d(_AvgPoolNd):
    _dims = 3


class _MaxUnpoolNd(Module):
    kind = "unpool"
    _dims = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        m = self._dims
        _ntuple(kernel_size, m, "kernel_size")
        _ntuple(padding, m, "padding", minimum=0)
        if stride is not None:
            _ntuple(stride, m, "stride")
        self.kernel_size = _tuple_if_list(kernel_size)
        self.stride = self.kernel_size if stride is None else _tuple_if_list(stride)
        self.padding = _tuple_if_list(padding)

    def forward(self, x: Any, indices: Any, output_size: Any = None) -> Tensor:
        fn = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[self._dims - 1]
        return fn(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@register_module
@_MAX_UNPOOL(example=">>> nn.MaxUnpool1d(2)\nMaxUnpool1d(kernel_size=2, stride=2, padding=0)")
class MaxUnpool1d(_MaxUnpoolNd):
    _dims = 1


@register_module
@_MAX_UNPOOL(
    example=""">>> import numpy as np
>>> y, i = nn.MaxPool2d(2, return_indices=True)(np.arange(16.0).reshape(1, 1, 4, 4))
>>> nn.MaxUnpool2d(2)(y, i).data[0, 0]
array([[ 0.,  0.,  0.,  0.],
       [ 0.,  5.,  0.,  7.],
       [ 0.,  0.,  0.,  0.],
       [ 0., 13.,  0., 15.]])"""
)
class MaxUnpool2d(_MaxUnpoolNd):
    _dims = 2


@register_module
@_MAX_UNPOOL(example=">>> nn.MaxUnpool3d(2)\nMaxUnpool3d(kernel_size=2, stride=2, padding=0)")
class MaxUnpool3d(_MaxUnpoolNd):
    _dims = 3


class _LPPoolNd(_WindowPool):
    def __init__(
        self,
        norm_type: float,
        kernel_size: Any,
        stride: Any = None,
        ceil_mode: bool = False,
        *,
        padding: Any = 0,
    ) -> None:
        super().__init__()
        self.norm_type = float(norm_type)
        if self.norm_type <= 0:
            raise ValueError(f"`norm_type` must be a positive number; got {norm_type!r}")
        self._set_window(kernel_size, stride, padding, 1)
        self.ceil_mode = bool(ceil_mode)

    def forward(self, x: Any) -> Tensor:
        fn = F.lp_pool1d if self._dims == 1 else F.lp_pool2d
        return fn(
            x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode, padding=self.padding
        )

    def extra_repr(self) -> str:
        s = (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )
        return s if self.padding in (0, (0,) * self._dims) else s + f", padding={self.padding}"


@register_module
@_LP_POOL(
    example=">>> nn.LPPool1d(2, 3)\n"
    "LPPool1d(norm_type=2.0, kernel_size=3, stride=3, ceil_mode=False)"
)
class LPPool1d(_LPPoolNd):
    _dims = 1


@register_module
@_LP_POOL(
    example=">>> nn.LPPool2d(2, 2)\n"
    "LPPool2d(norm_type=2.0, kernel_size=2, stride=2, ceil_mode=False)"
)
class LPPool2d(_LPPoolNd):
    _dims = 2


class _GlobalPool(Module):
    """A pooling whose window is the whole of each spatial axis: ``_function`` of the input."""

    kind = "global_pool"
    _function: Any = None

    def forward(self, x: Any) -> Tensor:
        return type(self)._function(x)


_GLOBAL_POOL = template(
    """{what} over all spatial axes, kept with length 1: ``(N, C, *S) -> (N, C, 1, ...)`` (1, 2
or 3 spatial axes); see :func:`convolab.nn.functional.{obj._function.__name__}`.

>>> import numpy as np
>>> from convolab import nn
>>> nn.{obj.__name__}()(np.arange(8.0).reshape(1, 2, 2, 2)).data.ravel()
%(result)s
"""
)


@register_module
@_GLOBAL_POOL(what="Maximum", result="array([3., 7.])")
class GlobalMaxPool(_GlobalPool):
    _function = F.global_max_pool


@register_module
@_GLOBAL_POOL(what="Mean", result="array([1.5, 5.5])")
class GlobalAvgPool(_GlobalPool):
    _function = F.global_avg_pool


class _AdaptiveAvgPoolNd(Module):
    kind = "adaptive_pool"
    _function: Any = None

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _tuple_if_list(output_size)

    def forward(self, x: Any) -> Tensor:
        return type(self)._function(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


@register_module
class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average over ``output_size`` bins (see :func:`convolab.nn.functional.adaptive_avg_pool1d`).

    >>> from convolab import nn
    >>> nn.AdaptiveAvgPool1d(1)
    AdaptiveAvgPool1d(output_size=1)
    """

    _function = F.adaptive_avg_pool1d


@register_module
class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average over ``output_size`` bins per axis; ``AdaptiveAvgPool2d(1)`` is global pooling.

    >>> from convolab import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))
    AdaptiveAvgPool2d(output_size=(1, 1))
    """

    _function = F.adaptive_avg_pool2d
