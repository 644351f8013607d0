"""Geometry in one place: effective kernel sizes, mode padding and output lengths.

For a kernel of ``k`` taps with dilation ``d`` the *effective* kernel size is
``K = d*(k-1) + 1`` (:func:`effective_size`). The modes pad ``(before, after)``
(:func:`mode_pads`):

* ``full``: ``(K-1, K-1)``, output length ``n + K - 1``;
* ``same``: ``(K//2, (K-1)//2)``, output length ``n`` (centred on ``full``
  exactly as :func:`scipy.signal.correlate` does, even ``K`` included);
* ``valid``: ``(0, 0)``, output length ``n - K + 1``; on plain arrays a kernel
  larger than the input swaps the operands as SciPy does (:func:`valid_swaps`).

With stride ``s`` and total padding ``p`` the output length is
``floor((n + p - K) / s) + 1`` (:func:`output_length`); the transposed
convolution inverts it, ``(n - 1) s - p + K + output_padding``
(:func:`transposed_length`, :func:`transposed_pads`); pooling may round up
(:func:`pool_length`). Layers name their padding by :func:`layer_pads` (an int,
per axis, per side, ``valid``, ``same`` and ONNX's ``same_upper`` /
``same_lower``). Everything in convolab that needs one of these sizes calls
this module; nothing re-derives them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "LAYER_PADDINGS",
    "MODES",
    "check_mode",
    "check_output_padding",
    "effective_size",
    "effective_sizes",
    "layer_pads",
    "mode_output_shape",
    "mode_pads",
    "output_length",
    "output_lengths",
    "pool_length",
    "row_strides",
    "transposed_length",
    "transposed_pads",
    "valid_swaps",
]

#: The padding names a layer accepts (see :func:`layer_pads`).
LAYER_PADDINGS = ("valid", "same", "same_upper", "same_lower")

MODES = ("full", "same", "valid")


def check_mode(mode: object) -> str:
    """Return ``mode`` if it is one of :data:`MODES`, else raise a ``ValueError``.

    >>> check_mode("same")
    'same'
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"`mode` must be one of 'full', 'same', 'valid'; got {mode!r}")
    return mode


def effective_size(k: int, dilation: int = 1) -> int:
    """The span ``K = d (k - 1) + 1`` of a kernel of ``k`` taps spread by dilation ``d``.

    >>> effective_size(3), effective_size(3, 2), effective_size(1, 5)
    (3, 5, 1)
    """
    return dilation * (k - 1) + 1


def effective_sizes(kernel: Sequence[int], dilation: Sequence[int]) -> tuple[int, ...]:
    """:func:`effective_size` per axis.

    >>> effective_sizes((5, 3), (1, 2))
    (5, 5)
    """
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))


def valid_swaps(
    spatial: Sequence[int], kernel: Sequence[int], dilation: Sequence[int]
) -> bool:
    """Whether ``mode='valid'`` swaps the operands (SciPy's rule), or raise if it cannot run.

    The kernel slides over the input when it fits (effective size at most the
    input's length) in every axis: no swap. When the (undilated) kernel is at
    least as large as the input in every axis, the larger operand slides over the
    smaller: a swap. Anything else has no valid position.

    >>> valid_swaps((10,), (3,), (1,)), valid_swaps((3,), (5,), (1,))
    (False, True)
    >>> valid_swaps((3, 5), (5, 3), (1, 1))
    Traceback (most recent call last):
    ...
    ValueError: mode='valid' needs `x` at least as large as the (dilated) kernel in every \
convolved axis, or the kernel at least as large as `x` in every axis; got x shape (3, 5) and \
effective kernel shape (5, 3)
    """
    eff = effective_sizes(kernel, dilation)
    if all(n >= e for n, e in zip(spatial, eff)):
        return False
    if all(n <= k for n, k in zip(spatial, kernel)) and all(d == 1 for d in dilation):
        return True
    raise ValueError(
        "mode='valid' needs `x` at least as large as the (dilated) kernel in every "
        "convolved axis, or the kernel at least as large as `x` in every axis; "
        f"got x shape {tuple(spatial)} and effective kernel shape {eff}"
    )


def mode_output_shape(
    mode: str,
    spatial: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[int, ...]:
    """Output shape of ``correlate``/``convolve`` in ``mode`` (the valid swap included).

    >>> mode_output_shape("same", (10,), (3,), (1,), (1,)), mode_output_shape(
    ...     "valid", (3,), (5,), (2,), (1,))
    ((10,), (2,))
    """
    if mode == "valid" and valid_swaps(spatial, kernel, dilation):
        return tuple(
            output_length(k - n + 1, 0, 0, 1, s) for n, k, s in zip(spatial, kernel, stride)
        )
    return tuple(
        output_length(n, *mode_pads(mode, e), e, s)
        for n, e, s in zip(spatial, effective_sizes(kernel, dilation), stride)
    )


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


def output_lengths(
    spatial: Sequence[int],
    pads: Sequence[tuple[int, int]],
    effective: Sequence[int],
    stride: Sequence[int],
) -> tuple[int, ...]:
    """:func:`output_length` per axis.

    >>> output_lengths((10, 10), ((1, 1), (0, 0)), (3, 3), (1, 2))
    (10, 4)
    """
    return tuple(
        output_length(n, b, a, e, s) for n, (b, a), e, s in zip(spatial, pads, effective, stride)
    )


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


def check_output_padding(
    output_padding: Any, extra: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> None:
    """Refuse a transposed convolution's ``output_padding`` (``extra`` per axis) that is not
    below ``max(stride, dilation)`` in every axis: beyond that the extra samples would be
    outputs of their own, not the unread tail of the input it inverts.

    >>> check_output_padding(1, (1,), (2,), (1,))
    >>> check_output_padding(2, (2,), (2,), (1,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `output_padding` must be smaller than max(stride, dilation) in every axis; ...
    """
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(
            f"`output_padding` must be smaller than max(stride, dilation) in every axis; got "
            f"output_padding={output_padding!r}, stride={tuple(stride)}, "
            f"dilation={tuple(dilation)}"
        )


def transposed_pads(
    effective: Sequence[int],
    pads: Sequence[tuple[int, int]],
    output_padding: Sequence[int],
) -> tuple[tuple[int, int], ...]:
    """Padding of the zero-stuffed input that turns a transposed convolution into a correlation.

    Per axis ``(K - 1 - p_before, K - 1 - p_after + output_padding)``; a negative
    width crops instead.

    >>> transposed_pads((3,), ((1, 1),), (1,))
    ((1, 2),)
    """
    return tuple(
        (e - 1 - b, e - 1 - a + op)
        for e, (b, a), op in zip(effective, pads, output_padding, strict=True)
    )


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


def row_strides(shape: Sequence[int]) -> list[int]:
    """Element strides of a C-ordered array of ``shape`` (its flat-row layout).

    >>> row_strides((4, 3, 5))
    [15, 5, 1]
    """
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= int(n)
    return strides[::-1]
