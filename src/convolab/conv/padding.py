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
``floor((n + p - K) / s) + 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "BOUNDARIES",
    "MODES",
    "check_boundary",
    "check_mode",
    "mode_pads",
    "output_length",
    "pad",
    "source_index",
]

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
