"""Resampling layer: :class:`Upsample`, as PyTorch's."""

from __future__ import annotations

import numbers
from typing import Any

from convolab.nn import functional as F
from convolab.nn.functional.resize import check_mode
from convolab.nn.modules.module import Module, register_module
from convolab.nn.tensor import Tensor

__all__ = ["Upsample"]


@register_module
class Upsample(Module):
    """Resample the spatial axes to ``size`` or by ``scale_factor``; see
    :func:`convolab.nn.functional.interpolate` for the modes and the arithmetic.

    >>> import numpy as np
    >>> from convolab import nn
    >>> up = nn.Upsample(scale_factor=2, mode="bilinear")
    >>> up
    Upsample(scale_factor=2.0, mode='bilinear')
    >>> up(np.ones((1, 3, 4, 5), dtype=np.float32)).shape
    (1, 3, 8, 10)
    """

    kind = "upsample"

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of `size` and `scale_factor`")
        self.size = tuple(size) if isinstance(size, tuple | list) else size
        if isinstance(scale_factor, tuple | list):
            scale_factor = tuple(float(f) for f in scale_factor)
        elif isinstance(scale_factor, numbers.Real) and not isinstance(scale_factor, bool):
            scale_factor = float(scale_factor)
        self.scale_factor = scale_factor
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor
        check_mode(mode, align_corners)

    def forward(self, x: Any) -> Tensor:
        return F.interpolate(
            x, self.size, self.scale_factor, self.mode, self.align_corners,
            self.recompute_scale_factor,
        )  # fmt: skip

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"
