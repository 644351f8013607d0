"""Information a layer keeps: entropy and mutual information of binned activations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from convolab.analysis.observe import check_module, positive_int, run_model

__all__ = ["LayerInformation", "entropy", "information_per_layer", "mutual_information"]


def _symbols(name: str, a: Any, n: int | None, bins: int | None) -> np.ndarray:
    """Each row of ``a`` (rows are samples) as one integer symbol, after binning each unit."""
    arr = np.asarray(a)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"`{name}` must have one row per sample; got a scalar")
    if arr.shape[0] == 0:
        raise ValueError(f"`{name}` must have at least one sample; got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(
            f"`x` and `{name}` must have the same number of rows; got {n} and {arr.shape[0]}"
        )
    rows = arr.reshape(arr.shape[0], -1)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(rows)):
            raise ValueError(f"`{name}` must be finite; it contains NaN or inf")
        if bins is not None:
            lo, hi = float(rows.min()), float(rows.max())
            if hi > lo:
                small = np.uint8 if bins <= 256 else np.int64  # compact patterns unique faster
                scaled = (rows.astype(np.float64) - lo) * (bins / (hi - lo))
                rows = np.clip(np.floor(scaled), 0, bins - 1).astype(small)
            else:
                rows = np.zeros(rows.shape, dtype=np.uint8)
    if rows.shape[1] == 1:
        flat = rows[:, 0]
    else:
        contiguous = np.ascontiguousarray(rows)
        flat = contiguous.view(np.dtype((np.void, contiguous.dtype.itemsize * rows.shape[1])))
        flat = flat[:, 0]
    return np.unique(flat, return_inverse=True)[1].reshape(-1)


def _entropy_of(ids: np.ndarray) -> float:
    counts = np.bincount(ids)
    p = counts[counts > 0] / ids.size
    return float(-(p * np.log2(p)).sum())


def _bins_arg(bins: Any) -> int | None:
    return None if bins is None else positive_int("bins", bins)


def entropy(x: Any, bins: int | None = 30) -> float:
    r"""Entropy in bits of the rows of ``x`` after binning, ``H = -sum_v p(v) log2 p(v)``.

    Parameters
    ----------
    x : array_like
        Rows are samples; a row with several values is one discrete pattern.
    bins : int or None, default 30
        Floating values are cut into ``bins`` equal-width bins spanning the
        array's minimum to maximum (every unit with the same edges);
        ``None`` uses the values as they are. Integer and boolean arrays are
        symbols already and are never binned.

    Examples
    --------
    >>> entropy([0, 1, 2, 3])
    2.0
    >>> entropy([[0, 1], [0, 1], [1, 1], [1, 0]])
    1.5
    """
    return _entropy_of(_symbols("x", x, None, _bins_arg(bins)))


def mutual_information(x: Any, t: Any, bins: int | None = 30) -> float:
    r"""Mutual information ``I(X; T)`` in bits by binning (the plug-in estimator).

    Parameters
    ----------
    x, t : array_like
        Same number of rows; rows are samples. Multi-dimensional rows (an
        image, a layer's activations) are binned unit by unit and each binned
        row is treated as one discrete pattern.
    bins : int or None, default 30
        Equal-width bins per array, from its minimum to its maximum (the
        binning of Shwartz-Ziv and Tishby's information-plane studies). Integer
        and boolean arrays (labels) are used as symbols without binning;
        ``None`` uses floating values as they are.

    Returns
    -------
    float
        ``I(X;T) = H(X) + H(T) - H(X, T) = sum p(x,t) log2(p(x,t) / (p(x) p(t)))``
        with the empirical frequencies of the binned patterns; ``>= 0`` and at
        most ``min(H(X), H(T))``.

    Notes
    -----
    For a deterministic ``T = f(X)``, ``I(X;T) = H(T)``; with inputs all
    distinct, ``H(X) = log2 N``, the most any layer can keep. The estimator is
    biased upward by about ``(K_x - 1)(K_t - 1) / (2 N ln 2)`` bits for ``K_x``,
    ``K_t`` occupied patterns when X and T are independent.

    Raises
    ------
    ValueError
        Different numbers of rows, no rows, NaN or inf, ``bins < 1``.
    TypeError
        Non-numeric input or a non-integer ``bins``.

    Examples
    --------
    >>> x = [0, 0, 1, 1]
    >>> mutual_information(x, x), mutual_information(x, [0, 1, 0, 1])
    (1.0, 0.0)
    """
    b = _bins_arg(bins)
    ix = _symbols("x", x, None, b)
    it = _symbols("t", t, ix.size, b)
    joint = ix.astype(np.int64) * (int(it.max()) + 1) + it
    joint_ids = np.unique(joint, return_inverse=True)[1].reshape(-1)
    mi = _entropy_of(ix) + _entropy_of(it) - _entropy_of(joint_ids)
    return max(mi, 0.0) if mi > -1e-9 else mi


@dataclass(frozen=True)
class LayerInformation:
    """Information a layer's output keeps: ``I(X; T)`` and, with labels, ``I(T; Y)`` in bits."""

    name: str
    layer: str
    i_xt: float
    i_ty: float | None


def information_per_layer(
    model: Any, data: Any, labels: Any = None, bins: int | None = 30
) -> list[LayerInformation]:
    """``I(X; T)`` (and ``I(T; Y)`` with ``labels``) for every layer's output ``T``.

    Parameters
    ----------
    model : Module
    data : array_like
        The inputs ``X``, one sample per row (e.g. ``(N, 1, 28, 28)``).
    labels : array_like of int, optional
        Classes ``Y``, one per sample.
    bins : int or None, default 30
        See :func:`mutual_information`.

    Returns
    -------
    list of LayerInformation

    Notes
    -----
    Each distinct input is its own symbol (inputs are not binned) and the
    network is deterministic, so ``I(X;T) = H(T)`` of the binned activations,
    at most ``log2 N``. By the data-processing inequality ``I(T;Y)`` can only
    fall along a chain of layers, up to the estimator's binning.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import nn
    >>> x = np.array([[-2.0], [-1.0], [1.0], [2.0]], dtype=np.float32)
    >>> info = information_per_layer(nn.Sequential(nn.ReLU()), x, labels=[0, 0, 1, 1], bins=4)
    >>> info[0].i_xt, info[0].i_ty
    (1.5, 1.0)
    """
    check_module("model", model)
    b = _bins_arg(bins)
    xs = np.asarray(data)
    ix = _symbols("data", xs, None, None)
    iy = None if labels is None else _symbols("labels", labels, ix.size, None)
    records, _ = run_model(model, xs)
    out = []
    for rec in records:
        i_xt = mutual_information(ix, rec.output, b)
        i_ty = None if iy is None else mutual_information(rec.output, iy, b)
        out.append(LayerInformation(rec.name, rec.kind, i_xt, i_ty))
    return out


# --------------------------------------------------------------------------- equivariance
