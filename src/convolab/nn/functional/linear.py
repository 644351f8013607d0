"""Dense layers, flattening and dropout."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from convolab.nn.functional._checks import _check_ndim
from convolab.nn.tensor import Function, Tensor, _as_tensor
from convolab.runtime.threads import matmul

__all__ = [
    "dropout",
    "flatten",
    "linear",
]


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
    return_mask: bool = False,
) -> Any:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Only in training; with ``training=False`` the input is returned unchanged.
    ``generator`` (a ``numpy.random.Generator``) makes the mask reproducible.
    ``return_mask=True`` also returns the boolean mask of the kept elements (all
    ``True`` outside training), ONNX's ``Dropout`` second output.

    >>> import numpy as np
    >>> y = dropout(np.ones(8), 0.5, generator=np.random.default_rng(0))
    >>> sorted(set(y.data.tolist()))
    [0.0, 2.0]
    >>> y, mask = dropout(np.ones(4), 0.5, generator=np.random.default_rng(0), return_mask=True)
    >>> np.array_equal(y.data, 2.0 * mask)
    True
    """
    if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"`p` must be a probability in [0, 1]; got {p!r}")
    if inplace:
        raise ValueError("`inplace=True` is not supported")
    x = _as_tensor(input)
    if not training or p == 0:
        return (x, np.ones(x.shape, dtype=bool)) if return_mask else x
    rng = generator if generator is not None else np.random.default_rng()
    keep = rng.random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    y = x * (keep * np.asarray(scale, dtype=x.dtype)).astype(x.dtype, copy=False)
    return (y, keep) if return_mask else y
