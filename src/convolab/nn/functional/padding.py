"""Padding as a layer op: ``pad``, with the signature and modes of ``torch.nn.functional.pad``.

The samples beyond the border come from the one boundary registry,
:mod:`convolab.conv.boundary` (PyTorch's mode names are its ``torch_mode`` entries), so
padding a tensor and padding inside a convolution follow the same rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convolab.conv.boundary import TORCH_MODES, border_index
from convolab.nn.tensor import Function, Tensor, _as_tensor

__all__ = ["pad"]



class _Pad(Function):
    """``y = x[idx_1, ..., idx_m]`` over the trailing axes (``-1``: the constant);
    ``dx`` sums ``dy`` back onto the source of each position.

    Axis by axis, the samples inside the input are one slice copy; only the border
    positions go through the index map.
    """

    def forward(
        self, x: np.ndarray, *, indices: list[np.ndarray], befores: list[int], value: float
    ) -> np.ndarray:
        self.indices, self.befores, self.shape = indices, befores, x.shape
        y = x
        for axis, idx, before in zip(range(-len(indices), 0), indices, befores, strict=True):
            n, length = y.shape[axis], len(idx)
            lo, hi = _inside(n, before, length)
            out = np.empty(y.shape[:axis] + (length,) + y.shape[axis:][1:], dtype=y.dtype)
            out[_at(axis, slice(lo, hi))] = y[_at(axis, slice(lo - before, hi - before))]
            border = np.r_[0:lo, hi:length]
            if border.size:
                source = idx[border]
                kept = source >= 0
                out[_at(axis, border[kept])] = y[_at(axis, source[kept])]
                out[_at(axis, border[~kept])] = value
            y = out
        return y

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None]:
        g = grad
        for axis, idx, before in zip(
            range(-len(self.indices), 0), self.indices, self.befores, strict=True
        ):
            n, length = self.shape[axis], g.shape[axis]
            lo, hi = _inside(n, before, length)
            out = np.zeros(g.shape[:axis] + (n,) + g.shape[axis:][1:], dtype=g.dtype)
            out[_at(axis, slice(lo - before, hi - before))] = g[_at(axis, slice(lo, hi))]
            border = np.r_[0:lo, hi:length]
            source = idx[border]
            kept = source >= 0
            if np.any(kept):
                g_first = np.moveaxis(g, axis, 0)
                np.add.at(np.moveaxis(out, axis, 0), source[kept], g_first[border[kept]])
            g = out
        return (g,)


def _inside(n: int, before: int, length: int) -> tuple[int, int]:
    """The output positions ``lo:hi`` of an axis that copy input samples in order
    (position ``j`` holds sample ``j - before``)."""
    lo = max(before, 0)
    return lo, max(lo, min(length, n + before))


def _at(axis: int, index: Any) -> tuple[Any, ...]:
    """An index tuple that applies ``index`` to ``axis`` (counted from the end)."""
    return (Ellipsis, index) + (slice(None),) * (-axis - 1)


def pad(
    input: Any,  # noqa: A002 - PyTorch's argument name
    pad: Any,
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    r"""Pad (or, with negative widths, crop) the trailing axes of ``input``.

    .. math:: y[\dots, j] = x[\dots, \mathrm{src}(j - p_{\mathrm{before}})],
              \quad j = 0, \dots, p_{\mathrm{before}} + n + p_{\mathrm{after}} - 1

    per padded axis of length ``n``, where ``src`` is the boundary rule's index map
    (:func:`convolab.conv.boundary.border_index`; the constant outside for
    ``'constant'``). The gradient sums the output gradient back onto each source
    sample, so a reflected sample receives the gradient of each of its copies.

    Parameters
    ----------
    input : Tensor or array_like
        Any shape for ``'constant'``; the other modes pad the last ``m`` axes of an
        input with ``m + 1`` or ``m + 2`` axes, ``m`` = 1, 2 or 3 (PyTorch's rule).
    pad : sequence of int
        ``(before_last, after_last, before_second_last, after_second_last, ...)``:
        pairs from the last axis backwards, as PyTorch orders them. Negative widths crop.
    mode : {'constant', 'reflect', 'replicate', 'circular'}
        PyTorch's names for convolab's ``constant``, ``reflect``, ``edge`` and ``wrap``
        boundaries (see :mod:`convolab.conv.boundary`).
    value : float, optional
        The constant of ``'constant'`` (default 0); the other modes take none.

    Returns
    -------
    Tensor
        Each padded axis is ``n + before + after`` long.

    Raises
    ------
    ValueError
        An odd-length ``pad``, more pairs than axes, an unknown ``mode``, ``value`` with
        a mode other than ``'constant'``, a ``'reflect'`` width not below the axis length,
        a ``'circular'`` width above it, or an empty result of a mode other than
        ``'constant'``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0, 3.0]])
    >>> pad(x, (2, 1), mode="reflect").data
    array([[3., 2., 1., 2., 3., 2.]])
    >>> pad(x, (1, -1), value=9.0).data
    array([[9., 1., 2.]])
    """
    x = _as_tensor(input)
    widths = _widths(pad, x.ndim)
    rule = TORCH_MODES.get(mode) if isinstance(mode, str) else None
    if rule is None:
        expected = ", ".join(map(repr, TORCH_MODES))
        raise ValueError(f"`mode` must be one of {expected}; got {mode!r}")
    if rule.name != "constant":
        _check_shape_for_mode(x.shape, widths, mode, value)
    indices, befores = [], [before for before, _ in widths]
    for n, (before, after) in zip(x.shape[x.ndim - len(widths) :], widths, strict=True):
        if rule.name != "constant" and n + before + after < 1:
            raise ValueError(
                f"`pad` {tuple(pad)} leaves nothing of an axis of length {n} (mode {mode!r})"
            )
        indices.append(border_index(n, before, rule.name, 0, max(n + before + after, 0)))
    fill = 0.0 if value is None else value
    return _Pad.apply(x, indices=indices, befores=befores, value=fill)


def _widths(pad: Any, ndim: int) -> list[tuple[int, int]]:
    """PyTorch's flat ``pad`` as ``(before, after)`` per trailing axis, first axis first."""
    try:
        flat = [int(p) for p in pad]
        exact = all(int(p) == p and not isinstance(p, bool) for p in pad)
    except (TypeError, ValueError):
        exact = False
    if not exact or len(flat) % 2:
        raise ValueError(
            f"`pad` must be an even number of ints (before, after per axis); got {pad!r}"
        )
    if len(flat) // 2 > ndim:
        raise ValueError(
            f"`pad` {tuple(flat)} pads {len(flat) // 2} axes but the input has only {ndim}"
        )
    pairs = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    return pairs[::-1]


def _check_shape_for_mode(
    shape: tuple[int, ...], widths: list[tuple[int, int]], mode: str, value: float | None
) -> None:
    """PyTorch's limits on the non-constant modes."""
    m = len(widths)
    if value is not None:
        raise ValueError(
            f"`value` goes with mode 'constant' only; got value={value!r} with {mode!r}"
        )
    if not 1 <= m <= 3 or len(shape) not in (m + 1, m + 2):
        raise ValueError(
            f"mode {mode!r} pads the last 1, 2 or 3 axes of an input with one or two more "
            f"axes; got {2 * m} widths for an input of shape {shape}"
        )
    for n, (before, after) in zip(shape[-m:], widths, strict=True):
        widest = max(before, after)
        if mode == "reflect" and widest >= n:
            raise ValueError(
                f"mode 'reflect' needs each width below the axis length; got {widest} for {n}"
            )
        if mode == "circular" and widest > n:
            raise ValueError(
                f"mode 'circular' needs each width at most the axis length; got {widest} for {n}"
            )
