"""Front door of the engine: validate, normalize, dispatch.

Everything a user can get wrong is checked here, once, with an error that
names the argument, the value and what was expected. The methods below this
module receive one normalized problem: a correlation of ``x`` with shape
``(B, *S)`` by a kernel ``(1 or B, *K)`` over the trailing axes, with padding
widths, a boundary rule, stride and dilation per axis.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from convolab._docs import docfiller, fill, parameters
from convolab.backends import Backend, array_namespace, backend_of
from convolab.checks import check_fits
from convolab.conv import methods, planner
from convolab.conv.boundary import check_boundary
from convolab.conv.geometry import (
    check_mode,
    check_output_padding,
    effective_sizes,
    layer_pads,
    mode_output_shape,
    mode_pads,
    output_lengths,
    transposed_length,
    transposed_pads,
    valid_swaps,
)
from convolab.conv.methods.gemm import conv_gemm

__all__ = [
    "choose_method",
    "conv_nd",
    "conv_transpose_nd",
    "convolve",
    "correlate",
    "output_shape",
    "swap_in_out",
]

IntOrTuple = int | Sequence[int]


# --------------------------------------------------------------------------- validation


def _as_array(a: Any, name: str, xp: Any) -> np.ndarray:
    arr = xp.asarray(a)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"`{name}` must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"`{name}` must have at least one dimension; got a scalar")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {arr.shape}")
    return arr


def _compute_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 stays float32, float64 stays float64, integers and bools compute in float64."""
    dt = np.result_type(*arrays)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt.kind == "f" and dt.itemsize < 4:
        return np.dtype(np.float32)
    return dt


def _int_tuple(value: Any, name: str, n: int, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints, each at least ``minimum``, as a tuple."""
    expected = f"an int >= {minimum} or a tuple of {n} such ints"
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be {expected}; got {value!r}")
    if isinstance(value, (int, np.integer)):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list, np.ndarray)):
        if len(value) != n or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value
        ):
            raise TypeError(f"`{name}` must be {expected}; got {value!r}")
        values = tuple(int(v) for v in value)
    else:
        raise TypeError(f"`{name}` must be {expected}; got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"`{name}` must be {expected}; got {value!r}")
    return values


def _check_method(method: object, backend: Backend) -> str:
    accepted = ("auto", *(backend.methods or methods.names()))
    if not isinstance(method, str) or method not in accepted:
        expected = ", ".join(repr(m) for m in accepted)
        raise ValueError(f"`method` must be one of {expected}; got {method!r}")
    return method


def _normalize_axes(axes: Any, x: np.ndarray, k: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """Return the convolved axes of ``x`` and ``k`` with ``k`` given ``x``'s ndim."""
    if axes is None:
        if x.ndim != k.ndim:
            raise ValueError(
                "`x` and `k` must have the same number of dimensions when `axes` is None; "
                f"got x.ndim={x.ndim} and k.ndim={k.ndim} (pass `axes` to convolve over some)"
            )
        return tuple(range(x.ndim)), k
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, (bool, np.bool_)):
        axes = (axes,)
    if not isinstance(axes, (tuple, list)) or not all(
        isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in axes
    ):
        raise TypeError(f"`axes` must be None, an int or a tuple of ints; got {axes!r}")
    axes = tuple(int(a) for a in axes)
    if not axes:
        raise ValueError("`axes` must name at least one axis; got ()")
    if any(not -x.ndim <= a < x.ndim for a in axes):
        raise ValueError(f"`axes` {axes!r} out of range for `x` with {x.ndim} dimensions")
    norm = tuple(a % x.ndim for a in axes)
    if len(set(norm)) != len(norm):
        raise ValueError(f"`axes` must not repeat an axis; got {axes!r}")
    if k.ndim == len(norm) and k.ndim < x.ndim:
        # A kernel with only the convolved axes: give it size-1 axes everywhere else.
        shape = [1] * x.ndim
        for a, m in zip(norm, k.shape):
            shape[a] = m
        k = k.reshape(shape)
    elif k.ndim != x.ndim:
        raise ValueError(
            f"`k` must have {len(norm)} dimensions (one per axis in `axes`) or {x.ndim} "
            f"(like `x`); got k.ndim={k.ndim}"
        )
    return norm, k


# --------------------------------------------------------------------------- normalized core


class _Normalized:
    """One correlation problem after validation, in the engine's canonical layout."""

    def __init__(
        self,
        x: Any,
        k: Any,
        mode: str,
        boundary: str,
        fill_value: complex,
        stride: IntOrTuple,
        dilation: IntOrTuple,
        axes: Any,
        method: str,
        flip: bool,
    ) -> None:
        self.backend = backend_of(x, k)
        x = _as_array(x, "x", self.backend.xp)
        k = _as_array(k, "k", self.backend.xp)
        self.mode = check_mode(mode)
        self.boundary = check_boundary(boundary)
        self.method = _check_method(method, self.backend)
        if not isinstance(fill_value, (int, float, complex, np.number)) or isinstance(
            fill_value, (bool, np.bool_)
        ):
            raise TypeError(f"`fill_value` must be a number; got {fill_value!r}")
        self.fill_value = fill_value
        axes, k = _normalize_axes(axes, x, k)
        m = len(axes)
        self.stride = _int_tuple(stride, "stride", m)
        self.dilation = _int_tuple(dilation, "dilation", m)
        self.dtype = _compute_dtype(x, k)
        self.axes = axes
        self.flip = flip

        self.trailing = axes == tuple(range(x.ndim - m, x.ndim))
        self.x_given = x  # before its axes move: an image's channels may stay where they are
        if not self.trailing:
            x = np.moveaxis(x, axes, range(-m, 0))
            k = np.moveaxis(k, axes, range(-m, 0))
        spatial, ksize = x.shape[-m:], k.shape[-m:]
        try:
            self.batch_shape = np.broadcast_shapes(x.shape[:-m], k.shape[:-m])
        except ValueError:
            raise ValueError(
                "the axes of `x` and `k` that are not convolved must broadcast; "
                f"got x shape {x.shape[:-m]} and k shape {k.shape[:-m]} there"
            ) from None
        self.spatial, self.ksize = spatial, ksize
        self.eff = effective_sizes(ksize, self.dilation)
        self.x, self.k = x, k
        self.swap = self.mode == "valid" and valid_swaps(spatial, ksize, self.dilation)
        self.pads = tuple(mode_pads(self.mode, e) for e in self.eff)
        if self.swap:
            self.out = mode_output_shape(self.mode, spatial, ksize, self.stride, self.dilation)
        else:  # refuse what cannot fit before padding or computing anything
            self.out = output_lengths(spatial, self.pads, self.eff, self.stride)
            padded = tuple(n + b + a for n, (b, a) in zip(spatial, self.pads))
            check_fits(self.batch_shape + padded, self.dtype.itemsize, "the padded input")
            check_fits(self.batch_shape + self.out, self.dtype.itemsize, "the output")

    def kernel_for_correlation(self, k: np.ndarray) -> np.ndarray:
        m = len(self.axes)
        if self.flip:
            return k[(...,) + (slice(None, None, -1),) * m]
        return np.conj(k) if k.dtype.kind == "c" else k

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """``x`` as ``(B, *S)`` and the correlation kernel as ``(1 or B, *K)``, compute dtype."""
        m = len(self.axes)
        bshape = self.batch_shape
        x = self.x
        if x.shape[:-m] != bshape:  # broadcast only when needed: broadcast views are read-only
            x = np.broadcast_to(x, bshape + self.spatial)
        x = x.reshape(-1, *self.spatial)
        k = self.kernel_for_correlation(self.k)
        if math.prod(k.shape[:-m]) == 1:
            k = k.reshape(1, *self.ksize)
        else:
            k = np.broadcast_to(k, bshape + self.ksize).reshape(-1, *self.ksize)
        return x.astype(self.dtype, copy=False), np.ascontiguousarray(k, dtype=self.dtype)

    def problem(self) -> methods.Problem:
        bsize = math.prod(self.batch_shape)
        return methods.Problem(
            batch=bsize,
            spatial=tuple(self.spatial),
            kernel=tuple(self.ksize),
            out=self.out,
            pads=self.pads,
            stride=self.stride,
            dilation=self.dilation,
            itemsize=self.dtype.itemsize,
            complex=self.dtype.kind == "c",
            kernel_batched=math.prod(self.k.shape[: -len(self.axes)]) > 1,
            boundary=self.boundary,
            fill_value=self.fill_value,
            mode=self.mode,
            axes=self.axes,
            candidates=self.backend.methods,
        )

    def run(self) -> np.ndarray:
        m = len(self.axes)
        if self.swap:
            return self._run_swapped()
        method, faster = self.method, {}
        if method in ("auto", "stencil"):
            y, method, faster = self._run_channels_last(method)
            if y is not None:
                return y
        x, k = self.flat()
        problem = self.problem()
        if method == "auto":
            method, faster = planner.choose(problem, k)
        start = time.perf_counter()
        y = methods.get(method).run(x, k, problem)
        if faster:
            planner.took(faster, time.perf_counter() - start)
        y = y.reshape(self.batch_shape + y.shape[1:])
        return y if self.trailing else np.moveaxis(y, range(-m, 0), self.axes)

    def _run_channels_last(
        self, method: str
    ) -> tuple[np.ndarray | None, str, dict[str, float]]:
        """Consecutive convolved axes followed by broadcast ones (an image's channels):
        the stencil method filters them in place, without moving them to the front.

        Returns the result (None when that layout does not apply or another method is
        cheaper), the method (``method`` as given, or the planner's choice when it
        planned here, so that the caller does not plan the same problem again) and the
        unloaded methods' estimates that came with that choice (:func:`planner.choose`).
        """
        from convolab.conv.methods.stencil import correlate_stencil

        m = len(self.axes)
        a0 = self.axes[0]
        xg = self.x_given
        if self.trailing or self.axes != tuple(range(a0, a0 + m)) or not xg.flags.c_contiguous:
            return None, method, {}
        lead, rest = xg.shape[:a0], xg.shape[a0 + m :]
        if math.prod(self.k.shape[:-m]) != 1 or lead + rest != tuple(self.batch_shape):
            return None, method, {}
        k = self.kernel_for_correlation(self.k).reshape(1, *self.ksize)
        k = np.ascontiguousarray(k, dtype=self.dtype)
        faster: dict[str, float] = {}
        if method == "auto":
            # the kernel flat() gives, unbatched
            method, faster = planner.choose(self.problem(), k)
            if method != "stencil":
                return None, method, faster
        x = xg.astype(self.dtype, copy=False).reshape(math.prod(lead), *self.spatial, -1)
        y = correlate_stencil(x, k, self.pads, self.boundary, self.fill_value, self.stride,
                              self.dilation, lanes=True)  # fmt: skip
        return y.reshape(lead + self.out + rest), method, faster

    def _run_swapped(self) -> np.ndarray:
        """'valid' with the kernel larger than ``x``: SciPy slides the larger operand.

        convolve is commutative, so convolve(x, k) = convolve(k, x). For correlate,
        ``(x ⋆ k)[n] = conj((k ⋆ x)[-n])``: swap, reverse and conjugate.
        """
        m = len(self.axes)
        fn = convolve if self.flip else correlate
        x = np.moveaxis(self.x, range(-m, 0), self.axes)
        k = np.moveaxis(self.k, range(-m, 0), self.axes)
        y = fn(k, x, "valid", axes=self.axes if x.ndim != m else None, method=self.method)
        if not self.flip:
            y = y[
                tuple(
                    slice(None, None, -1) if a in self.axes else slice(None) for a in range(y.ndim)
                )
            ]
            y = np.conj(y) if y.dtype.kind == "c" else y
        strided = tuple(
            slice(None, None, self.stride[self.axes.index(a)]) if a in self.axes else slice(None)
            for a in range(y.ndim)
        )
        return np.ascontiguousarray(y[strided])


def _result(problem: _Normalized, y: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(y, dtype=problem.dtype)


# --------------------------------------------------------------------------- public API

_PARAMETERS = parameters(
    """
    x : array_like
        Input, any number of dimensions.
    k : array_like
        Kernel, same number of dimensions as ``x`` (or one per axis in ``axes``).
    mode : {'full', 'same', 'valid'}
        ``full``: every position where ``x`` and ``k`` overlap, length ``n + K - 1``;
        ``same``: length ``n``, centred on ``full`` as in :func:`scipy.signal.correlate`
        (for an even kernel the extra sample comes from the start of ``full``);
        ``valid``: only positions that need no padding, length ``n - K + 1``.
        ``K = dilation*(k-1) + 1`` is the effective (dilated) kernel size.
    boundary : {'constant', 'edge', 'reflect', 'symmetric', 'wrap'}
        How samples beyond the border are made (names of :func:`numpy.pad`).
    fill_value : number
        The constant for ``boundary='constant'``.
    stride : int or tuple of int
        Keep every ``stride``-th output, starting with the first.
    dilation : int or tuple of int
        Spread the kernel by inserting ``dilation - 1`` zeros between its taps.
    axes : int, tuple of int or None
        Axes to convolve over (default: all); the others broadcast between ``x``
        and ``k``, as in :func:`scipy.signal.fftconvolve`.
    method : {'auto', 'direct', 'fft', 'separable', 'gemm', 'stencil'}
        Algorithm; all give the same result to rounding. ``auto`` asks
        :func:`choose_method`. ``stencil`` (2D and 3D, real data, needs Numba) is
        the one-pass compiled loop for small kernels.
    """
)
# What correlate and convolve share, from Parameters to Notes.
_COMMON_DOC = fill(
    """
    Parameters
    ----------
    %(x, k, mode, boundary, fill_value, stride, dilation, axes, method)s

    Returns
    -------
    ndarray
        float32 for float32 inputs, float64 for float64, integer or bool inputs,
        complex for complex inputs (mixed dtypes follow :func:`numpy.result_type`).

    Raises
    ------
    ValueError, TypeError
        For an unknown mode, boundary or method, a stride or dilation below 1, an
        empty input, mismatched dimensions, or a kernel too large for ``valid``.

    Notes
    -----
    Shape: each convolved axis of length ``n`` gives
    ``floor((n + p - K) / stride) + 1`` outputs, with ``p`` the total padding
    (``2(K-1)`` for ``full``, ``K-1`` for ``same``, ``0`` for ``valid``).
""",
    _PARAMETERS,
)


def _engine_op(flip: bool, name: str, doc: str) -> Callable[..., np.ndarray]:
    """The public ``correlate`` (``flip=False``) or ``convolve`` (``flip=True``: the kernel
    flipped): one signature and body, each with its own name and docstring (``doc``, with
    the parameters both share in place of ``{common}``)."""

    def op(
        x: Any,
        k: Any,
        mode: str = "full",
        *,
        boundary: str = "constant",
        fill_value: complex = 0.0,
        stride: IntOrTuple = 1,
        dilation: IntOrTuple = 1,
        axes: Any = None,
        method: str = "auto",
    ) -> np.ndarray:
        problem = _Normalized(
            x, k, mode, boundary, fill_value, stride, dilation, axes, method, flip
        )
        return _result(problem, problem.run())

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc.replace("{common}", _COMMON_DOC)
    return op


correlate = _engine_op(
    False,
    "correlate",
    r"""Cross-correlation, what a CNN layer computes: :math:`y[n] = \sum_i x[n + i]\, k^*[i]`.

    The kernel is not flipped (complex kernels are conjugated, as in
    :func:`scipy.signal.correlate`). Correlating with ``[1, 0, 0]`` in ``same``
    mode moves a signal one step to the right; :func:`convolve` with the same
    kernel moves it to the left.
    {common}
    Examples
    --------
    >>> correlate([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], [1, 0, 0], mode="same")
    array([0., 0., 0., 0., 3., 4., 5., 4., 3., 0.])
    >>> correlate([1, 2, 3, 4], [1, 1], mode="valid", stride=2)
    array([3., 7.])
    """,
)


convolve = _engine_op(
    True,
    "convolve",
    r"""True convolution: :math:`y[n] = \sum_i x[i]\, k[n - i]` (the kernel flipped).

    Commutative, associative and distributive, and it commutes with
    differentiation; :func:`correlate` is the same sum without the flip.
    {common}
    Examples
    --------
    >>> convolve([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> convolve([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], [1, 0, 0], mode="same")
    array([0., 0., 3., 4., 5., 4., 3., 0., 0., 0.])
    >>> convolve([1, 2, 3], [2])
    array([2., 4., 6.])
    """,
)


@docfiller(_PARAMETERS)
def choose_method(
    x: Any,
    k: Any,
    mode: str = "full",
    *,
    boundary: str = "constant",
    fill_value: complex = 0.0,
    stride: IntOrTuple = 1,
    dilation: IntOrTuple = 1,
    axes: Any = None,
    op: str = "correlate",
    measure: bool = False,
) -> tuple[str, str]:
    """The method ``method="auto"`` would use for these arguments, and why.

    With ``measure=True`` every method is timed on the actual data instead
    (like :func:`scipy.signal.choose_conv_method`) and the fastest is returned.

    Parameters
    ----------
    %(x, k, mode, boundary, fill_value, stride, dilation, axes)s
    op : {'correlate', 'convolve'}
        The operation asked about (:func:`correlate` or :func:`convolve`).
    measure : bool
        Time every method that applies on this data (three runs each, the best
        kept) instead of asking the cost model.

    Returns
    -------
    method : str
        A name ``method=`` accepts.
    reason : str
        Why: the cost model's reasoning, or the measured times.

    Examples
    --------
    >>> method, reason = choose_method(np.ones((512, 512)), np.ones((3, 3)), mode="same")
    >>> method in ("direct", "separable", "fft", "gemm", "stencil") and isinstance(reason, str)
    True
    """
    if op not in ("correlate", "convolve"):
        raise ValueError(f"`op` must be 'correlate' or 'convolve'; got {op!r}")
    problem = _Normalized(
        x, k, mode, boundary, fill_value, stride, dilation, axes, "auto", op == "convolve"
    )
    if problem.swap:
        return "direct", "valid mode with the kernel larger than the input: operands swapped"
    xf, kf = problem.flat()
    described = problem.problem()
    if not measure:
        return planner.plan(described, kf)
    import time

    timings = {}
    for method in described.candidates or methods.names():
        run, estimate = methods.get(method).run, methods.get(method).estimate
        if estimate(described, kf) is None:  # the method does not apply to this problem
            continue
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            run(xf, kf, described)
            best = min(best, time.perf_counter() - t0)
        timings[method] = best
    winner = min(timings, key=timings.get)
    detail = ", ".join(f"{m} {t * 1e3:.3g} ms" for m, t in timings.items())
    return winner, f"measured: {detail}"


def output_shape(
    shape: Sequence[int],
    kernel_shape: Sequence[int],
    mode: str = "full",
    *,
    stride: IntOrTuple = 1,
    dilation: IntOrTuple = 1,
) -> tuple[int, ...]:
    """Output shape of :func:`correlate`/:func:`convolve` over all axes.

    ``floor((n + p - K) / s) + 1`` per axis with ``K = d*(k-1) + 1`` and ``p``
    the padding ``mode`` implies.

    >>> output_shape((10,), (3,), "full"), output_shape((10,), (3,), "same")
    ((12,), (10,))
    >>> output_shape((10,), (3,), "valid"), output_shape((32, 32), (5, 5), "valid", stride=2)
    ((8,), (14, 14))
    """
    check_mode(mode)
    m = len(shape)
    if len(kernel_shape) != m:
        raise ValueError(
            f"`kernel_shape` must have {m} entries like `shape`; got {tuple(kernel_shape)}"
        )
    strides = _int_tuple(stride, "stride", m)
    dilations = _int_tuple(dilation, "dilation", m)
    return mode_output_shape(mode, shape, kernel_shape, strides, dilations)


# --------------------------------------------------------------------------- the layer op


def conv_nd(
    x: Any,
    w: Any,
    bias: Any = None,
    *,
    stride: IntOrTuple = 1,
    padding: IntOrTuple | str = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> np.ndarray:
    r"""Batched multi-channel cross-correlation: the convolution layer's forward pass.

    .. math:: y[n, o, p] = b[o] + \sum_{c=0}^{C_{in}/g - 1} \sum_t
              w[o, c, t]\; x_{pad}[n,\, g_o C_{in}/g + c,\; p s + t d]

    where ``g_o`` is the group of output channel ``o``. Same semantics as
    ``torch.nn.functional.conv1d/conv2d/conv3d``: it is a cross-correlation (no
    flip), zero padding, and ``padding='same'`` pads ``d*(k-1)`` in total with the
    odd element at the end (unlike ``mode='same'`` of :func:`correlate`, which
    follows SciPy and puts it at the start). Its adjoint (the input gradient) is
    :func:`convolab.conv_transpose_nd`.

    Parameters
    ----------
    x : array_like, shape ``(N, C_in, *S)`` with 1, 2 or 3 spatial axes, or ``(C_in, *S)``
        (one sample; the result then has no batch axis either).
    w : array_like, shape ``(C_out, C_in / groups, *K)``.
    bias : array_like, shape ``(C_out,)``, optional.
    stride, dilation : int or tuple of int, at least 1.
    padding : int, tuple of int, tuple of ``(before, after)`` pairs, or one of 'valid', 'same'
        (PyTorch's rule, stride 1), 'same_upper', 'same_lower' (ONNX's ``auto_pad``);
        see :func:`convolab.conv.geometry.layer_pads`.
    groups : int dividing both ``C_in`` and ``C_out``.

    Returns
    -------
    ndarray, shape ``(N, C_out, *out)``
        ``out = floor((S + p_before + p_after - d (K - 1) - 1) / s) + 1`` per spatial axis.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> w = np.array([[[[0, 1], [1, 0]]]], dtype=np.float32)
    >>> conv_nd(x, w)
    array([[[[ 5.,  7.,  9.],
             [13., 15., 17.],
             [21., 23., 25.]]]], dtype=float32)
    """
    x, w, bias, strides, dilations, unbatched = _layer_operands(
        x, w, bias, stride, dilation, groups, False
    )
    ksize = w.shape[2:]
    effective = effective_sizes(ksize, dilations)
    pads = layer_pads(padding, x.shape[2:], effective, strides)
    for n, (b, a), e in zip(x.shape[2:], pads, effective):
        if n + b + a < e:
            raise ValueError(
                f"the (dilated) kernel {tuple(ksize)} is larger than the padded input "
                f"{tuple(x.shape[2:])} (padding {pads}, dilation {dilations})"
            )
    y = conv_gemm(x, w, pads, strides, dilations, groups, bias=bias)
    return y[0] if unbatched else y


def _layer_operands(
    x: Any, w: Any, bias: Any, stride: Any, dilation: Any, groups: Any, transposed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, tuple[int, ...], tuple[int, ...], bool]:
    """Check a layer op's arrays, ``groups``, ``stride`` and ``dilation``; cast to one dtype.

    The last entry says whether ``x`` came as one sample without the batch axis (it is
    returned with one of length 1).
    """
    xp = array_namespace(x, w, bias)
    x = _as_array(x, "x", xp)
    w = _as_array(w, "w", xp)
    layout = "(C_in, C_out/groups, *kernel)" if transposed else "(C_out, C_in/groups, *kernel)"
    unbatched = x.ndim == w.ndim - 1
    if unbatched:
        x = x[None]
    if not 3 <= x.ndim <= 5:
        raise ValueError(
            "`x` must have shape (N, C_in, *spatial) or (C_in, *spatial) with 1 to 3 spatial "
            f"axes; got shape {x.shape[unbatched:]}"
        )
    if w.ndim != x.ndim:
        raise ValueError(
            f"`w` must have shape {layout} with {x.ndim - 2} spatial axes "
            f"like `x`; got shape {w.shape}"
        )
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"`groups` must be a positive int; got {groups!r}")
    if groups < 1:
        raise ValueError(f"`groups` must be a positive int; got {groups!r}")
    n_in = x.shape[1]
    n_out = w.shape[1] * groups if transposed else w.shape[0]
    if n_in % groups or n_out % groups:
        raise ValueError(
            f"`groups`={groups} must divide both input channels ({n_in}) and output "
            f"channels ({n_out})"
        )
    if transposed and w.shape[0] != n_in:
        raise ValueError(
            f"`w` has shape {w.shape}, so `x` needs {w.shape[0]} channels (w is "
            f"{layout}); got x shape {x.shape[unbatched:]}"
        )
    if not transposed and w.shape[1] * groups != n_in:
        raise ValueError(
            f"`w` has {w.shape[1]} input channels per group, so with groups={groups} `x` needs "
            f"{w.shape[1] * groups} channels; got x shape {x.shape[unbatched:]}"
        )
    m = x.ndim - 2
    strides = _int_tuple(stride, "stride", m)
    dilations = _int_tuple(dilation, "dilation", m)
    dtype = _compute_dtype(x, w)
    if bias is not None:
        bias = _as_array(bias, "bias", xp)
        if bias.shape != (n_out,):
            raise ValueError(f"`bias` must have shape ({n_out},); got {bias.shape}")
        dtype = _compute_dtype(x, w, bias)
        bias = bias.astype(dtype, copy=False)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    return x, w, bias, strides, dilations, unbatched


def swap_in_out(w: np.ndarray, groups: int) -> np.ndarray:
    """``(A, B, *K)`` -> ``(g B, A / g, *K)``: a kernel's in/out channels swapped per group.

    It turns a convolution's weight ``(C_out, C_in/g, *K)`` into the layout of the
    transposed convolution that is its adjoint, ``(C_in, C_out/g, *K)``, and back.

    >>> swap_in_out(np.arange(4).reshape(4, 1, 1), 2)[:, :, 0]
    array([[0, 1],
           [2, 3]])
    """
    a, b = w.shape[:2]
    k = w.shape[2:]
    w = w.reshape((groups, a // groups, b) + k).swapaxes(1, 2)
    return w.reshape((groups * b, a // groups) + k)


def conv_transpose_nd(
    x: Any,
    w: Any,
    bias: Any = None,
    *,
    stride: IntOrTuple = 1,
    padding: Any = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> np.ndarray:
    r"""Transposed convolution: the adjoint of :func:`conv_nd` (PyTorch's ``conv_transpose*d``).

    .. math:: y[n, o, q] = b[o] + \sum_{c \in g_o} \sum_{p, t:\; p s + t d = q + p_0}
              x[n, c, p]\; w[c, o - g_o C_{out}/g, t]

    Each input sample scatters a copy of the kernel, scaled by its value, ``s``
    samples after the previous one; ``padding`` then crops ``p_0`` samples in
    front (and ``p_1`` behind) of the full result. It is the input gradient of
    :func:`conv_nd` with the same ``stride``, ``padding``, ``dilation`` and
    ``groups``, and runs as one: the input is spread out by ``s - 1`` zeros, padded
    by ``d (k - 1) - p`` and correlated with the flipped kernel whose in/out
    channels are swapped.

    Parameters
    ----------
    x : array_like, shape ``(N, C_in, *S)`` with 1, 2 or 3 spatial axes, or ``(C_in, *S)``
        (one sample; the result then has no batch axis either).
    w : array_like, shape ``(C_in, C_out / groups, *K)`` (PyTorch's layout).
    bias : array_like, shape ``(C_out,)``, optional.
    stride, dilation : int or tuple of int, at least 1.
    padding : int, tuple of int, tuple of ``(before, after)`` pairs, 'valid', 'same'
        (stride 1) or ONNX's 'same_upper' / 'same_lower' (output ``S s``): samples
        cropped from each end of the full output.
    output_padding : int or tuple of int, each below ``max(stride, dilation)``
        Extra samples at the end of each axis (which convolution input length to invert).
    groups : int dividing both ``C_in`` and ``C_out``.

    Returns
    -------
    ndarray, shape ``(N, C_out, *out)``
        ``out = (S - 1) s - p_before - p_after + d (K - 1) + 1 + output_padding``.

    Examples
    --------
    >>> conv_transpose_nd(np.array([[[1.0, 2.0]]]), np.array([[[1.0, 10.0, 100.0]]]), stride=2)
    array([[[  1.,  10., 102.,  20., 200.]]])
    """
    x, w, bias, strides, dilations, unbatched = _layer_operands(
        x, w, bias, stride, dilation, groups, True
    )
    m = x.ndim - 2
    extra = _int_tuple(output_padding, "output_padding", m, minimum=0)
    check_output_padding(output_padding, extra, strides, dilations)
    effective = effective_sizes(w.shape[2:], dilations)
    pads = layer_pads(
        padding, x.shape[2:], effective, strides, transposed=True, output_padding=extra
    )
    lengths = [
        transposed_length(n, b, a, e, s, op)
        for n, (b, a), e, s, op in zip(x.shape[2:], pads, effective, strides, extra)
    ]
    if min(lengths) < 1:
        raise ValueError(
            f"`padding` {pads} crops the whole output (lengths {tuple(lengths)}) of the "
            f"transposed convolution of x {x.shape} by w {w.shape}"
        )
    w_t = np.flip(swap_in_out(w, groups), axis=tuple(range(2, 2 + m)))
    front, back = zip(*transposed_pads(effective, pads, extra))
    if all(s == 1 for s in strides) and min(front + back) >= 0:  # the engine pads for us
        pads = tuple(zip(front, back))
    else:
        x, pads, strides = _spread(x, strides, front, back), ((0, 0),) * m, (1,) * m
    y = conv_gemm(x, w_t, pads, strides, dilations, groups, bias=bias)
    return y[0] if unbatched else y


def _spread(
    x: np.ndarray, strides: tuple[int, ...], front: tuple[int, ...], back: tuple[int, ...]
) -> np.ndarray:
    """``x`` with ``s - 1`` zeros between its samples, padded by ``front``/``back`` per axis
    (a negative entry crops)."""
    stuffed = [
        (n - 1) * s + 1 + max(f, 0) + max(b, 0)
        for n, s, f, b in zip(x.shape[2:], strides, front, back)
    ]
    u = np.zeros(x.shape[:2] + tuple(stuffed), dtype=x.dtype)
    put = tuple(
        slice(max(f, 0), max(f, 0) + (n - 1) * s + 1, s)
        for n, s, f in zip(x.shape[2:], strides, front)
    )
    u[(slice(None), slice(None)) + put] = x
    crop = tuple(
        slice(max(-f, 0), length - max(-b, 0)) for f, b, length in zip(front, back, stuffed)
    )
    return u[(slice(None), slice(None)) + crop]
