"""What a layer is: its kind, and the window of the layers that slide one.

Every :class:`~convolab.nn.Module` class declares ``kind``, one of :data:`KINDS`,
as a class attribute; layers that slide a window over their input (convolutions
and poolings) also say where it lies with :meth:`Module.window`. Analysis
(receptive fields, FLOPs), figures, ONNX export and the PyTorch bridge read
these declarations, never class names. A custom layer declares its own:

>>> from convolab import nn
>>> nn.Conv2d(1, 4, 3, stride=2).kind, nn.ReLU().kind, nn.MaxPool2d(2).kind
('conv', 'activation', 'pool')
>>> nn.Conv2d(1, 4, 3, padding=1, dilation=2).window()
Window(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(2, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from convolab.conv.geometry import effective_sizes, layer_pads
from convolab.nn.functional._checks import _ntuple

__all__ = ["KINDS", "Window"]

#: The kinds of layer, as ``Module.kind`` declares them.
KINDS = (
    "conv",            # Conv1d/2d/3d: a window, weights shared over positions
    "conv_transpose",  # ConvTranspose1d/2d/3d: the adjoint of a conv, which upsamples
    "pool",            # max, average and power-average pooling: a window, no weights
    "adaptive_pool",   # pooling to a given output size
    "global_pool",     # pooling over every position
    "unpool",          # MaxUnpool: the partial inverse of max pooling
    "activation",      # element-wise (softmax: along one axis)
    "norm",            # batch normalization, standardization: per channel, element-wise
    "linear",          # every input feature to every output feature
    "matmul",          # MatMul: x @ weight along the last axes, broadcast over the others
    "permute",         # Permute: the axes reordered
    "flatten",         # Flatten, Unflatten: a reshape
    "dropout",         # the identity at inference
    "identity",
    "container",       # Sequential and other modules made of layers
    "upsample",        # Upsample: each spatial axis resampled to a new length
    "pad",             # ZeroPad2d, ReflectionPad2d, ...: a 1-sample window with padding
    "loss",            # CrossEntropyLoss, MSELoss, ...: a functional loss with its options
    "other",           # a custom layer that declares nothing
)  # fmt: skip


class Window(NamedTuple):
    """Where a sliding-window layer looks, per spatial axis.

    ``kernel_size``, ``stride`` and ``dilation`` hold one int per axis;
    ``padding`` is kept as the layer spells it (an int, ints per axis, pairs or
    a name such as ``'same'``) since named padding depends on the input's size:
    :meth:`pads` resolves it with :func:`convolab.conv.geometry.layer_pads`.
    """

    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: Any
    dilation: tuple[int, ...]

    @property
    def effective(self) -> tuple[int, ...]:
        """The dilated kernel's extent per axis, ``d (k - 1) + 1``.

        >>> Window((3, 5), (1, 1), 0, (2, 1)).effective
        (5, 5)
        """
        return effective_sizes(self.kernel_size, self.dilation)

    @classmethod
    def of(cls, dims: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> Window:
        """A window from a layer's arguments: ints repeat per axis, ``stride=None`` is the kernel.

        >>> Window.of(2, 3, None, 1, 1)
        Window(kernel_size=(3, 3), stride=(3, 3), padding=1, dilation=(1, 1))
        """
        k = _ntuple(kernel_size, dims, "kernel_size")
        s = k if stride is None else _ntuple(stride, dims, "stride")
        return cls(k, s, padding, _ntuple(dilation, dims, "dilation"))

    def pads(self, spatial: Sequence[int]) -> tuple[tuple[int, int], ...]:
        """``(before, after)`` padding per axis for an input of spatial size ``spatial``.

        >>> Window((3,), (1,), "same", (1,)).pads([10])
        ((1, 1),)
        """
        return layer_pads(self.padding, spatial, self.effective, self.stride)
