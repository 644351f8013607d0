"""Dense and shape layers: Linear, MatMul, Flatten, Unflatten, Permute, Dropout, Identity."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from convolab.nn import functional as F
from convolab.nn import init
from convolab.nn.modules._checks import _check_positive_int, _float_dtype
from convolab.nn.modules.module import Module, Parameter, register_module
from convolab.nn.tensor import Tensor, _as_tensor

__all__ = [
    "Dropout",
    "Flatten",
    "Identity",
    "Linear",
    "MatMul",
    "Permute",
    "Unflatten",
]


@register_module
class Linear(Module):
    r"""Fully connected layer ``y = x W^T + b``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    dtype : floating dtype, default float32

    Notes
    -----
    Shape: ``(*, in_features) -> (*, out_features)``. Initialization as in
    PyTorch: ``U(+-1/sqrt(in_features))`` for weight and bias.

    Examples
    --------
    >>> from convolab import nn
    >>> nn.Linear(120, 84)
    Linear(in_features=120, out_features=84, bias=True)
    """

    kind = "linear"

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = "float32"
    ) -> None:
        super().__init__()
        self.in_features = _check_positive_int(in_features, "in_features")
        self.out_features = _check_positive_int(out_features, "out_features")
        dt = _float_dtype(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dt))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``U(-1/sqrt(in), 1/sqrt(in))`` for weight and bias (PyTorch's default)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


@register_module
class Dropout(Module):
    """Zero elements with probability ``p`` in training, scaling the rest by ``1/(1-p)``.

    Masks come from :func:`convolab.nn.init.default_generator` (seed it with
    :func:`convolab.nn.init.manual_seed`). In eval mode this is the identity.

    >>> from convolab import nn
    >>> nn.Dropout(0.25)
    Dropout(p=0.25, inplace=False)
    """

    kind = "dropout"

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"`p` must be a probability in [0, 1]; got {p!r}")
        self.p = float(p)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training, generator=init.default_generator())

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


@register_module
class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (default: all but the batch axis).

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.Flatten()(np.zeros((2, 16, 5, 5))).shape
    (2, 400)
    """

    kind = "flatten"

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


@register_module
class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (one entry may be -1), as PyTorch's.

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.Unflatten(1, (4, 25))(np.zeros((2, 100))).shape
    (2, 4, 25)
    """

    kind = "flatten"

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        sizes = tuple(unflattened_size)
        if (
            not sizes
            or any(
                not isinstance(n, int) or isinstance(n, bool) or (n < 1 and n != -1) for n in sizes
            )
            or sizes.count(-1) > 1
        ):
            raise ValueError(
                "`unflattened_size` must be positive ints (at most one -1); got "
                f"{unflattened_size!r}"
            )
        self.dim, self.unflattened_size = int(dim), sizes

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        dim = self.dim + x.ndim if self.dim < 0 else self.dim
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


@register_module
class Identity(Module):
    """Returns its input.

    >>> from convolab import nn
    >>> nn.Identity()
    Identity()
    """

    kind = "identity"

    def forward(self, x: Any) -> Any:
        return x


def _shape(value: Any, name: str, empty: bool = False) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints (``()`` allowed when ``empty``)."""
    shape = tuple(value) if isinstance(value, tuple | list) else None
    if shape is None or (not shape and not empty):
        raise ValueError(f"`{name}` must be a tuple of positive ints; got {value!r}")
    return tuple(_check_positive_int(n, name) for n in shape)


@register_module
class MatMul(Module):
    r"""``y = x @ weight + bias`` with NumPy's ``matmul`` rules: a learned operand of any rank.

    What ONNX's ``MatMul`` (and ``Gemm`` with a bias per row) computes when its second
    operand is a constant: batched products broadcast over the leading axes, a 1-D
    operand promoted and its axis removed afterwards, exactly as :func:`numpy.matmul`.
    A 2-D ``weight`` without a row-dependent bias is :class:`Linear` (``weight.T``).

    Parameters
    ----------
    weight_shape : tuple of int
        Shape of ``weight``: ``(k,)``, ``(k, m)`` or ``(*batch, k, m)``.
    bias_shape : tuple of int, optional
        Shape of ``bias``, broadcastable to the product (``()`` for one number).
    dtype : floating dtype, default float32

    Notes
    -----
    Shape: ``(*, n, k) @ (*, k, m) -> (*, n, m)`` with the ``*`` axes broadcast.
    Initialization as :class:`Linear`'s: ``U(+-1/sqrt(k))`` for weight and bias.
    The gradients are ``g @ weight^T`` and ``x^T @ g``, summed over broadcast axes.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> layer = nn.MatMul((2, 4, 3))
    >>> layer(np.ones((5, 1, 6, 4), np.float32)).shape
    (5, 2, 6, 3)
    >>> layer
    MatMul(weight_shape=(2, 4, 3), bias_shape=None)
    """

    kind = "matmul"

    def __init__(
        self,
        weight_shape: tuple[int, ...],
        bias_shape: tuple[int, ...] | None = None,
        dtype: Any = "float32",
    ) -> None:
        super().__init__()
        shape = _shape(weight_shape, "weight_shape")
        bshape = None if bias_shape is None else _shape(bias_shape, "bias_shape", empty=True)
        self.weight_shape, self.bias_shape = shape, bshape
        dt = _float_dtype(dtype)
        self.weight = Parameter(np.empty(shape, dtype=dt))
        if bshape is None:
            self.register_parameter("bias", None)
        else:
            self.bias = Parameter(np.empty(bshape, dtype=dt))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``U(-1/sqrt(k), 1/sqrt(k))`` for weight and bias, ``k`` the summed axis."""
        k = self.weight_shape[-2] if len(self.weight_shape) > 1 else self.weight_shape[0]
        bound = 1.0 / math.sqrt(k)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        k = self.weight_shape[-2] if len(self.weight_shape) > 1 else self.weight_shape[0]
        if x.ndim == 0 or x.shape[-1] != k:
            raise ValueError(
                f"MatMul with weight {self.weight_shape} expects inputs whose last axis has "
                f"{k} values; got shape {x.shape}"
            )
        y = x @ self.weight
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        return f"weight_shape={self.weight_shape}, bias_shape={self.bias_shape}"


@register_module
class Permute(Module):
    """Axes reordered: ``y = x.transpose(dims)``; the gradient goes back the inverse way.

    ONNX's ``Transpose`` (and ``Gemm``'s ``transA``); as torchvision's ``Permute``.

    >>> import numpy as np
    >>> from convolab import nn
    >>> nn.Permute((1, 0))(np.zeros((6, 3))).shape
    (3, 6)
    """

    kind = "permute"

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        dims = tuple(dims) if isinstance(dims, tuple | list) else ()
        ints = all(isinstance(d, int) and not isinstance(d, bool) for d in dims)
        if not dims or not ints or sorted(d % len(dims) for d in dims) != list(range(len(dims))):
            raise ValueError(f"`dims` must be a permutation of 0..n-1; got {dims!r}")
        self.dims = dims

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        if x.ndim != len(self.dims):
            raise ValueError(
                f"Permute({self.dims}) expects inputs with {len(self.dims)} axes; got shape "
                f"{x.shape}"
            )
        return x.permute(self.dims)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"
