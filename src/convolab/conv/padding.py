"""The border problem in one place: boundary rules, padding and output sizes.

A convolution near the border of its input needs samples that do not exist.
convolab fills them by a *boundary rule*, named as in :func:`numpy.pad`:

==============  ==================  ===============  ===================
convolab        pads ``abcd`` as    scipy.ndimage    OpenCV
==============  ==================  ===============  ===================
``constant``    ``00|abcd|00``      ``constant``     ``BORDER_CONSTANT``
``edge``        ``aa|abcd|dd``      ``nearest``      ``BORDER_REPLICATE``
``reflect``     ``cb|abcd|cb``      ``mirror``       ``BORDER_REFLECT_101``
``symmetric``   ``ba|abcd|dc``      ``reflect``      ``BORDER_REFLECT``
``wrap``        ``cd|abcd|ab``      ``wrap``         ``BORDER_WRAP``
==============  ==================  ===============  ===================

For a kernel of ``k`` taps with dilation ``d`` the *effective* kernel size is
``K = d*(k-1) + 1``. The modes pad ``(before, after)``:

* ``full``: ``(K-1, K-1)``, output length ``n + K - 1``;
* ``same``: ``(K//2, (K-1)//2)``, output length ``n`` (centred on ``full``
  exactly as :func:`scipy.signal.correlate` does, even ``K`` included);
* ``valid``: ``(0, 0)``, output length ``n - K + 1``.

With stride ``s`` and total padding ``p`` the output length is
``floor((n + p - K) / s) + 1``; the transposed convolution inverts it,
``(n - 1) s - p + K + output_padding``. Layers name their padding by
:func:`layer_pads` (an int, per axis, per side, ``valid``, ``same`` and ONNX's
``same_upper`` / ``same_lower``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "BOUNDARIES",
    "MODES",
    "check_boundary",
    "check_mode",
    "layer_pads",
    "mode_pads",
    "output_length",
    "pad",
    "pool_length",
    "source_index",
    "transposed_length",
]

#: The padding names a layer accepts (see :func:`layer_pads`).
LAYER_PADDINGS = ("valid", "same", "same_upper", "same_lower")

MODES = ("full", "same", "valid")
BOUNDARIES = ("constant", "edge", "reflect", "symmetric", "wrap")

# Names other libraries use, mapped to the convolab name that means the same.
_FOREIGN_BOUNDARIES = {
    "nearest": "edge",
    "replicate": "edge",
    "border_replicate": "edge",
    "mirror": "reflect",
    "reflect101": "reflect",
    "reflect_101": "reflect",
    "border_reflect_101": "reflect",
    "symm": "symmetric",
    "border_reflect": "symmetric",
    "circular": "wrap",
    "circ": "wrap",
    "periodic": "wrap",
    "grid-wrap": "wrap",
    "border_wrap": "wrap",
    "zeros": "constant",
    "zero": "constant",
    "fill": "constant",
    "border_constant": "constant",
}


def check_mode(mode: object) -> str:
    """Return ``mode`` if it is one of :data:`MODES`, else raise a ``ValueError``.

    >>> check_mode("same")
    'same'
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"`mode` must be one of 'full', 'same', 'valid'; got {mode!r}")
    return mode


def check_boundary(boundary: object) -> str:
    """Return ``boundary`` if it is a convolab boundary name, else raise a ``ValueError``.

    Names from SciPy, OpenCV or PyTorch are refused with a hint to the convolab
    name that means the same thing (``reflect`` is NumPy's reflect, not SciPy's).

    >>> check_boundary("wrap")
    'wrap'
    >>> check_boundary("nearest")
    Traceback (most recent call last):
    ...
    ValueError: `boundary` must be one of 'constant', 'edge', 'reflect', 'symmetric', 'wrap'; \
got 'nearest' (did you mean 'edge'? convolab uses numpy.pad's names)
    """
    if isinstance(boundary, str) and boundary in BOUNDARIES:
        return boundary
    expected = ", ".join(repr(b) for b in BOUNDARIES)
    hint = ""
    if isinstance(boundary, str) and boundary.lower() in _FOREIGN_BOUNDARIES:
        hint = (
            f" (did you mean {_FOREIGN_BOUNDARIES[boundary.lower()]!r}? "
            "convolab uses numpy.pad's names)"
        )
    raise ValueError(f"`boundary` must be one of {expected}; got {boundary!r}{hint}")


def mode_pads(mode: str, effective_size: int) -> tuple[int, int]:
    """Padding ``(before, after)`` that ``mode`` implies for an effective kernel size ``K``.

    >>> mode_pads("full", 3), mode_pads("same", 3), mode_pads("same", 4), mode_pads("valid", 3)
    ((2, 2), (1, 1), (2, 1), (0, 0))
    """
    K = effective_size
    if mode == "full":
        return K - 1, K - 1
    if mode == "same":
        return K // 2, (K - 1) // 2
    return 0, 0


def output_length(n: int, before: int, after: int, effective_size: int, stride: int = 1) -> int:
    """Output length ``floor((n + before + after - K) / s) + 1`` (0 when the kernel does not fit).

    >>> output_length(10, 0, 0, 3), output_length(10, 2, 2, 3), output_length(10, 1, 1, 3, 2)
    (8, 12, 5)
    """
    span = n + before + after - effective_size
    return span // stride + 1 if span >= 0 else 0


def transposed_length(
    n: int, before: int, after: int, effective_size: int, stride: int = 1, output_padding: int = 0
) -> int:
    """Transposed convolution's output length ``(n - 1) s - before - after + K + output_padding``.

    It undoes :func:`output_length`: a convolution of an input of this length (with
    the same padding) has ``n`` outputs, the last ``output_padding`` samples unread.

    >>> transposed_length(3, 0, 0, 3, 2), transposed_length(3, 1, 1, 3, 2, 1)
    (7, 6)
    >>> output_length(transposed_length(5, 1, 1, 3, 2), 1, 1, 3, 2)
    5
    """
    return (n - 1) * stride - before - after + effective_size + output_padding


def pool_length(
    n: int, before: int, after: int, effective_size: int, stride: int, ceil_mode: bool = False
) -> int:
    """Output length of a pooling window: :func:`output_length`, or with ``ceil_mode`` rounded up.

    Rounding up adds a last, partial window only if it starts inside the input or its
    front padding (PyTorch's rule, which ONNX follows); it may even keep one window
    longer than the padded input.

    >>> pool_length(5, 0, 0, 2, 2), pool_length(5, 0, 0, 2, 2, ceil_mode=True)
    (2, 3)
    >>> pool_length(5, 1, 1, 2, 2, ceil_mode=True)  # not 4: that window starts in the padding
    3
    """
    if not ceil_mode:
        return output_length(n, before, after, effective_size, stride)
    span = n + before + after - effective_size
    out = (span + stride - 1) // stride + 1
    if out > 0 and (out - 1) * stride >= n + before:
        out -= 1
    return out


def _same_total(n: int, effective_size: int, stride: int, transposed: bool, extra: int) -> int:
    """Total padding for ONNX's ``SAME_*``: ``ceil(n / s)`` outputs (``n s`` if transposed)."""
    if transposed:
        return max((n - 1) * stride + effective_size + extra - n * stride, 0)
    return max((-(-n // stride) - 1) * stride + effective_size - n, 0)


def layer_pads(
    padding: Any,
    spatial: Sequence[int],
    effective_sizes: Sequence[int],
    stride: Sequence[int],
    *,
    transposed: bool = False,
    output_padding: Sequence[int] | None = None,
    name: str = "padding",
) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(before, after)`` zero padding of a layer, from every spelling of ``padding``.

    * an int ``p``: ``(p, p)`` on every axis; a tuple of one int per axis;
    * a tuple of ``(before, after)`` pairs, one per axis (ints and pairs may mix);
    * ``"valid"``: no padding;
    * ``"same"`` (PyTorch's rule, stride 1 only): ``K - 1`` in total, the odd
      sample at the end, so the output keeps the input's length;
    * ``"same_upper"`` / ``"same_lower"`` (ONNX's ``auto_pad``): the total that gives
      ``ceil(n / s)`` outputs (``n s`` for a transposed convolution), the odd sample
      at the end (upper) or at the start (lower).

    ``spatial`` are the input lengths, ``effective_sizes`` the dilated kernel sizes
    ``K = d (k - 1) + 1``.

    >>> layer_pads(1, (5, 5), (3, 3), (1, 1))
    ((1, 1), (1, 1))
    >>> layer_pads(((0, 1), 2), (5, 5), (3, 3), (1, 1))
    ((0, 1), (2, 2))
    >>> layer_pads("same", (5,), (4,), (1,)), layer_pads("same_lower", (5,), (4,), (1,))
    (((1, 2),), ((2, 1),))
    >>> layer_pads("same_upper", (5,), (3,), (2,))
    ((1, 1),)
    """
    m = len(effective_sizes)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * m
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"`{name}`='same' is only defined for stride 1; got stride={tuple(stride)} "
                    "(use 'same_upper' or 'same_lower' for ONNX's rule)"
                )
            totals = [
                k - 1 + (op if transposed else 0)
                for k, op in zip(effective_sizes, output_padding or (0,) * m, strict=True)
            ]
            return tuple((t // 2, t - t // 2) for t in totals)
        if padding in ("same_upper", "same_lower"):
            extra = output_padding or (0,) * m
            totals = [
                _same_total(n, k, s, transposed, e)
                for n, k, s, e in zip(spatial, effective_sizes, stride, extra, strict=True)
            ]
            if padding == "same_upper":
                return tuple((t // 2, t - t // 2) for t in totals)
            return tuple((t - t // 2, t // 2) for t in totals)
    else:
        items = tuple(padding) if isinstance(padding, tuple | list | np.ndarray) else None
        if items is None and _is_int(padding) and padding >= 0:
            return ((int(padding), int(padding)),) * m
        if items is not None and len(items) == m:
            pairs = []
            for v in items:
                if _is_int(v) and v >= 0:
                    pairs.append((int(v), int(v)))
                elif (
                    isinstance(v, tuple | list)
                    and len(v) == 2
                    and all(_is_int(e) and e >= 0 for e in v)
                ):
                    pairs.append((int(v[0]), int(v[1])))
                else:
                    break
            else:
                return tuple(pairs)
    names = ", ".join(repr(p) for p in LAYER_PADDINGS)
    raise ValueError(
        f"`{name}` must be an int >= 0, a tuple of {m} such ints or of {m} (before, after) "
        f"pairs, or one of {names}; got {padding!r}"
    )


def _is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def source_index(n: int, before: int, after: int, boundary: str) -> np.ndarray:
    """Index into the original axis for every position of the padded axis.

    Position ``j`` of the padded axis (length ``before + n + after``) holds
    ``x[source_index(...)[j]]``; ``-1`` marks a position filled with the constant.
    The map is :func:`numpy.pad` applied to ``arange(n)``, so it is the same rule
    for every padding width, including widths larger than ``n``.

    >>> source_index(4, 2, 2, "reflect")
    array([2, 1, 0, 1, 2, 3, 2, 1])
    >>> source_index(4, 2, 2, "constant")
    array([-1, -1,  0,  1,  2,  3, -1, -1])
    """
    idx = np.arange(n, dtype=np.intp)
    if boundary == "constant":
        return np.pad(idx, (before, after), mode="constant", constant_values=-1)
    return np.pad(idx, (before, after), mode=boundary)


def pad(
    x: np.ndarray,
    pads: Sequence[tuple[int, int]],
    boundary: str,
    fill_value: complex = 0.0,
) -> np.ndarray:
    """Pad the trailing ``len(pads)`` axes of ``x`` by ``boundary``; returns ``x`` if no padding.

    >>> pad(np.array([1., 2., 3.]), [(2, 1)], "symmetric")
    array([2., 1., 1., 2., 3., 3.])
    """
    if not any(b or a for b, a in pads):
        return x
    width = [(0, 0)] * (x.ndim - len(pads)) + [tuple(p) for p in pads]
    if boundary == "constant":
        return np.pad(x, width, mode="constant", constant_values=fill_value)
    return np.pad(x, width, mode=boundary)
