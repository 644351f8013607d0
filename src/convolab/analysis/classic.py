"""Learned kernels against the classic ones: the bank and the nearest match."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convolab.analysis.observe import shape_arg

__all__ = ["ClassicMatch", "classic_bank", "nearest_classic"]


@dataclass(frozen=True)
class ClassicMatch:
    """The classic kernel most similar to a given one.

    Attributes
    ----------
    name : str
        e.g. ``"sobel(axis=1)"``.
    kernel : ndarray
        The classic kernel, centred and padded (or cropped) to the compared shape.
    cosine : float
        Cosine similarity in ``[-1, 1]``; negative means the negated classic kernel.
    """

    name: str
    kernel: np.ndarray = field(repr=False)
    cosine: float


def _fit(k: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``k`` centred in ``shape``: zero-padded where smaller, cropped where larger."""
    out = np.zeros(shape)
    src, dst = [], []
    for n, m in zip(k.shape, shape):
        if n <= m:
            a = (m - n) // 2
            src.append(slice(0, n))
            dst.append(slice(a, a + n))
        else:
            a = (n - m) // 2
            src.append(slice(a, a + m))
            dst.append(slice(0, m))
    out[tuple(dst)] = k[tuple(src)]
    return out


def _odd(n: int) -> int:
    return n if n % 2 else n + 1


def classic_bank(shape: Sequence[int]) -> dict[str, np.ndarray]:
    """Classic kernels of :mod:`convolab.kernels` fitted (centred) to ``shape``.

    Parameters
    ----------
    shape : (kH, kW) or (k,)
        For 1D, the bank holds identity, box, Gaussian, first and second derivative.

    Returns
    -------
    dict
        Name (with its parameters) to kernel of exactly ``shape``; kernels that
        vanish when cropped are left out.

    Examples
    --------
    >>> bank = classic_bank((3, 3))
    >>> bank["sobel(axis=1)"]
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    from convolab import kernels

    shp = shape_arg("shape", shape)
    if len(shp) == 1:
        (n,) = shp
        r = np.arange(n) - (n - 1) / 2
        raw = {
            "identity": _fit(np.array([1.0]), (n,)),
            "box": np.full(n, 1.0 / n),
            "gaussian(sigma=1)": np.exp(-(r**2) / 2) / np.exp(-(r**2) / 2).sum(),
            "derivative": _fit(np.array([-1.0, 0.0, 1.0]), (n,)),
            "second derivative": _fit(np.array([1.0, -2.0, 1.0]), (n,)),
        }
    elif len(shp) == 2:
        h, w = shp
        side = _odd(max(h, w))
        raw = {
            "identity": kernels.identity(side),
            "box": kernels.box((h, w)),
            "gaussian(sigma=0.5)": kernels.gaussian(0.5, size=side),
            "gaussian(sigma=1)": kernels.gaussian(1.0, size=side),
            "laplacian(neighbours=4)": kernels.laplacian(4),
            "laplacian(neighbours=8)": kernels.laplacian(8),
            "sharpen": kernels.sharpen(),
            "emboss": kernels.emboss(),
        }
        for name in ("sobel", "scharr", "prewitt"):
            for axis in (0, 1):
                raw[f"{name}(axis={axis})"] = kernels.get(name, axis=axis)
        for theta in (0, 45, 90, 135):
            raw[f"gabor(theta={theta})"] = kernels.gabor(
                sigma=max(side / 4, 0.5), theta=theta, wavelength=max(side / 1.5, 2.0)
            )
    else:
        raise ValueError(f"`shape` must be (k,) or (kH, kW); got {tuple(shape)!r}")
    bank = {}
    for name, k in raw.items():
        fitted = _fit(np.asarray(k, dtype=np.float64), shp)
        if np.linalg.norm(fitted) > 0:
            bank[name] = fitted
    return bank


def nearest_classic(kernel: Any, bank: dict[str, np.ndarray] | None = None) -> ClassicMatch:
    r"""The classic kernel with the largest ``|cosine similarity|`` to ``kernel``.

    .. math:: \cos(a, b) = \frac{\sum a_i b_i}{\|a\| \|b\|}

    Parameters
    ----------
    kernel : array_like, shape ``(kH, kW)`` or ``(k,)``
    bank : dict, optional
        Candidates of ``kernel``'s shape; default :func:`classic_bank`.

    Returns
    -------
    ClassicMatch
        A negative ``cosine`` means ``kernel`` looks like the negated classic kernel.

    Examples
    --------
    >>> import numpy as np
    >>> m = nearest_classic(-np.array([[1.0, 2, 1], [0, 0, 0], [-1, -2, -1]]))
    >>> m.name, round(m.cosine, 6)
    ('sobel(axis=0)', 1.0)
    """
    k = np.asarray(kernel)
    if k.dtype.kind not in "biuf":
        raise TypeError(f"`kernel` must be a real array; got dtype {k.dtype}")
    if k.ndim not in (1, 2) or k.size == 0:
        raise ValueError(f"`kernel` must have shape (kH, kW) or (k,); got {k.shape}")
    k = k.astype(np.float64)
    norm = np.linalg.norm(k)
    if not np.isfinite(norm):
        raise ValueError("`kernel` must be finite")
    candidates = classic_bank(k.shape) if bank is None else bank
    best: ClassicMatch | None = None
    for name, c in candidates.items():
        c = np.asarray(c, dtype=np.float64)
        if c.shape != k.shape:
            raise ValueError(f"`bank[{name!r}]` has shape {c.shape}; expected {k.shape}")
        cn = np.linalg.norm(c)
        cos = float((k * c).sum() / (norm * cn)) if norm > 0 and cn > 0 else 0.0
        if best is None or abs(cos) > abs(best.cosine) + 1e-12:
            best = ClassicMatch(name, c, cos)
    if best is None:
        raise ValueError("`bank` is empty")
    return best

