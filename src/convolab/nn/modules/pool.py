"""Pooling layers."""

from __future__ import annotations

from typing import Any

from convolab.nn import functional as F
from convolab.nn.functional._checks import _ntuple
from convolab.nn.modules._checks import _tuple_if_list
from convolab.nn.modules.module import Module, register_module
from convolab.nn.tensor import Tensor

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "MaxPool1d",
    "MaxPool2d",
]


class _MaxPoolNd(Module):
    _dims = 2

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1
    ) -> None:
        super().__init__()
        m = self._dims
        _ntuple(kernel_size, m, "kernel_size")
        _ntuple(padding, m, "padding", minimum=0)
        _ntuple(dilation, m, "dilation")
        if stride is not None:
            _ntuple(stride, m, "stride")
        self.kernel_size = _tuple_if_list(kernel_size)
        self.stride = self.kernel_size if stride is None else _tuple_if_list(stride)
        self.padding, self.dilation = _tuple_if_list(padding), _tuple_if_list(dilation)

    def forward(self, x: Any) -> Tensor:
        fn = F.max_pool1d if self._dims == 1 else F.max_pool2d
        return fn(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode=False"
        )


@register_module
class MaxPool1d(_MaxPoolNd):
    """1D max pooling; see :func:`convolab.nn.functional.max_pool1d`.

    >>> from convolab import nn
    >>> nn.MaxPool1d(2)
    MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _dims = 1


@register_module
class MaxPool2d(_MaxPoolNd):
    """2D max pooling; see :func:`convolab.nn.functional.max_pool2d`.

    Shape: ``H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1``, same for W.

    >>> from convolab import nn
    >>> nn.MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    _dims = 2


class _AvgPoolNd(Module):
    _dims = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        m = self._dims
        _ntuple(kernel_size, m, "kernel_size")
        _ntuple(padding, m, "padding", minimum=0)
        if stride is not None:
            _ntuple(stride, m, "stride")
        self.kernel_size = _tuple_if_list(kernel_size)
        self.stride = self.kernel_size if stride is None else _tuple_if_list(stride)
        self.padding, self.count_include_pad = _tuple_if_list(padding), bool(count_include_pad)

    def forward(self, x: Any) -> Tensor:
        fn = F.avg_pool1d if self._dims == 1 else F.avg_pool2d
        return fn(x, self.kernel_size, self.stride, self.padding, False, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@register_module
class AvgPool1d(_AvgPoolNd):
    """1D average pooling; see :func:`convolab.nn.functional.avg_pool1d`.

    >>> from convolab import nn
    >>> nn.AvgPool1d(3, stride=1)
    AvgPool1d(kernel_size=3, stride=1, padding=0)
    """

    _dims = 1


@register_module
class AvgPool2d(_AvgPoolNd):
    """2D average pooling; see :func:`convolab.nn.functional.avg_pool2d`.

    >>> from convolab import nn
    >>> nn.AvgPool2d(2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    _dims = 2


@register_module
class AdaptiveAvgPool1d(Module):
    """Average over ``output_size`` bins (see :func:`convolab.nn.functional.adaptive_avg_pool1d`).

    >>> from convolab import nn
    >>> nn.AdaptiveAvgPool1d(1)
    AdaptiveAvgPool1d(output_size=1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _tuple_if_list(output_size)

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


@register_module
class AdaptiveAvgPool2d(Module):
    """Average over ``output_size`` bins per axis; ``AdaptiveAvgPool2d(1)`` is global pooling.

    >>> from convolab import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))
    AdaptiveAvgPool2d(output_size=(1, 1))
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _tuple_if_list(output_size)

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
