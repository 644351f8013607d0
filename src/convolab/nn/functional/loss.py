"""Loss functions: negative log-likelihood, cross-entropy, binary cross-entropy, MSE, L1, Huber."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from convolab._docs import docfiller, parameters
from convolab.nn.functional._checks import _check_reduction, _reduce
from convolab.nn.functional.activation import log_softmax, softplus
from convolab.nn.tensor import Tensor, _as_tensor

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]


# --------------------------------------------------------------------------- losses

# The losses' shared parameters and Returns section, one description each.
_PARAMETERS = {
    **parameters(
        """
        weight : array, shape ``(C,)``, optional
            Per-class weights.
        ignore_index : int, default -100
            Targets of this class add no loss (class-index targets only).
        reduction : 'mean', 'sum' or 'none'
            Return the mean, the sum or each element's loss.
        """
    ),
    "returns": "Returns\n-------\nTensor\n"
    "    A scalar, or each element's loss with ``reduction='none'``.",
}


def _class_last(x: Tensor) -> Tensor:
    """``(N, C, *d)`` -> ``(N * prod(d), C)``; ``(C,)`` -> ``(1, C)``."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(perm).reshape(-1, x.shape[1])


def _scores(input: Any, target: Any) -> tuple[Tensor, np.ndarray]:  # noqa: A002
    """The class scores ``(N, C, *d)`` or ``(C,)`` as a Tensor, and the target as an array."""
    x = _as_tensor(input)
    if x.ndim < 1:
        raise ValueError(f"`input` must have shape (N, C, ...) or (C,); got {x.shape}")
    return x, np.asarray(target.data if isinstance(target, Tensor) else target)


def _target_weights(
    x: Tensor, t: np.ndarray, weight: Any, ignore_index: int
) -> tuple[np.ndarray, np.ndarray]:
    """Class-index targets checked: the flat indices (0 where ignored) and each target's weight
    ``w[t_i]`` (0 where ``t_i == ignore_index``), in ``x``'s dtype."""
    _check_targets(x, t)
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    flat_t = t.reshape(-1)
    valid = flat_t != ignore_index
    if np.any((flat_t[valid] < 0) | (flat_t[valid] >= n_classes)):
        bad = flat_t[valid & ((flat_t < 0) | (flat_t >= n_classes))][0]
        raise ValueError(f"`target` has class index {bad}; expected 0..{n_classes - 1}")
    safe = np.where(valid, flat_t, 0)
    w = _class_weights(weight, n_classes, x.dtype)
    return safe, (w[safe] * valid).astype(x.dtype)


def _nll(
    logp: Tensor, t: np.ndarray, safe: np.ndarray, weights: np.ndarray, reduction: str
) -> Tensor:
    """``-w[t_i] logp[i, t_i]``, reduced; ``safe`` and ``weights`` from :func:`_target_weights`."""
    loss = -(_class_last(logp)[np.arange(safe.size), safe] * weights)
    if reduction == "none":
        return loss.reshape(t.shape)
    return _weighted_reduce(loss, weights, reduction)


def _weighted_reduce(loss: Tensor, weights: np.ndarray, reduction: str) -> Tensor:
    """``reduction`` of a per-target loss; ``mean`` divides by the summed target weights
    ``sum_i w[t_i]`` of the targets not ignored (PyTorch's rule)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / np.asarray(weights.sum(), dtype=loss.dtype)


def _check_targets(x: Tensor, target: np.ndarray) -> None:
    expected = () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]
    if target.shape != expected:
        raise ValueError(
            f"`target` of class indices must have shape {expected} for input {x.shape}; "
            f"got {target.shape}"
        )
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(f"`target` must hold integer class indices; got dtype {target.dtype}")


@docfiller(_PARAMETERS)
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
    %(weight, ignore_index, reduction)s

    %(returns)s

    Examples
    --------
    >>> import numpy as np
    >>> nll_loss(np.log([[0.5, 0.5], [0.25, 0.75]]), np.array([0, 1])).item()  # doctest: +ELLIPSIS
    0.4904...
    """
    _check_reduction(reduction)
    x, t = _scores(input, target)
    return _nll(x, t, *_target_weights(x, t, weight, ignore_index), reduction)


def _class_weights(weight: Any, n_classes: int, dtype: np.dtype) -> np.ndarray:
    if weight is None:
        return np.ones(n_classes, dtype=dtype)
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"`weight` must have shape ({n_classes},); got {w.shape}")
    return w


@docfiller(_PARAMETERS)
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
    %(weight, ignore_index, reduction)s
    label_smoothing : float in [0, 1], default 0

    %(returns)s

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
    x, t = _scores(input, target)
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_dim]
    logp = log_softmax(x, dim=class_dim)
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
    safe, wt = _target_weights(x, t, weight, ignore_index)
    nll = _nll(logp, t, safe, wt, reduction)
    if eps == 0:
        return nll
    keep = (t != ignore_index).astype(x.dtype)
    smooth = -(logp * w.reshape(wshape)).sum(dim=class_dim) * keep
    return nll * (1 - eps) + _weighted_reduce(smooth, wt, reduction) * (eps / n_classes)


@docfiller(_PARAMETERS)
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
    %(reduction)s
    pos_weight : array broadcastable to ``input``, optional

    %(returns)s

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
        loss = t * softplus(-x, threshold=math.inf) + (1 - t) * softplus(x, threshold=math.inf)
    else:
        pw = np.asarray(
            pos_weight.data if isinstance(pos_weight, Tensor) else pos_weight, dtype=x.dtype
        )
        loss = (pw * t) * softplus(-x, threshold=math.inf) + (1 - t) * softplus(
            x, threshold=math.inf
        )
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
    diff = _difference(input, target, reduction)
    return _reduce(diff * diff, reduction)


def _difference(input: Any, target: Any, reduction: str) -> Tensor:  # noqa: A002
    """``input - target`` of one shape, ``reduction`` checked."""
    _check_reduction(reduction)
    x = _as_tensor(input)
    t = _as_tensor(target)
    if t.shape != x.shape:
        raise ValueError(f"`target` must have the input's shape {x.shape}; got {t.shape}")
    return x - t


def l1_loss(input: Any, target: Any, *, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error ``|x - t|`` reduced by ``reduction`` (gradient ``sign(x - t)``).

    >>> import numpy as np
    >>> l1_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0])).item()
    1.5
    """
    return _reduce(_difference(input, target, reduction).abs(), reduction)


def huber_loss(
    input: Any,  # noqa: A002
    target: Any,
    *,
    reduction: str = "mean",
    delta: float = 1.0,
) -> Tensor:
    r"""Huber loss: quadratic near zero, linear beyond ``delta``.

    .. math:: l = \begin{cases} \tfrac12 d^2 & |d| < \delta \\
              \delta\,(|d| - \tfrac12 \delta) & \text{otherwise} \end{cases},
              \quad d = x - t

    computed as ``q**2 / 2 + delta (|d| - q)`` with ``q = min(|d|, delta)``.

    >>> import numpy as np
    >>> huber_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none").data
    array([0.125, 2.5  ])
    """
    delta = _positive(delta, "delta")
    a = _difference(input, target, reduction).abs()
    q = a.clip(max=delta)
    return _reduce(0.5 * q * q + delta * (a - q), reduction)


def smooth_l1_loss(
    input: Any,  # noqa: A002
    target: Any,
    *,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    r"""Smooth L1 loss: ``d**2 / (2 beta)`` for ``|d| < beta``, else ``|d| - beta / 2``.

    It is :func:`huber_loss` with ``delta = beta``, divided by ``beta`` (and
    :func:`l1_loss` for ``beta = 0``), as in PyTorch.

    >>> import numpy as np
    >>> smooth_l1_loss(np.array([0.5, 3.0]), np.zeros(2), reduction="none").data
    array([0.125, 2.5  ])
    """
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    beta = _positive(beta, "beta")
    return huber_loss(input, target, reduction=reduction, delta=beta) / beta


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"`{name}` must be a positive number; got {value!r}")
    return float(value)
