"""Write a convolution out as the weighted sums it is made of.

:func:`explain` returns one row per output position: which samples the kernel
covers there (padded ones included, by the same boundary rule as the engine),
the products of sample and weight, and their sum, rendered the way the articles
write them::

    (f ⋆ g)(t = 4) = (3 × 1) + (4 × 0) + (5 × 0) = 3

For a 2D input each output cell is the sum of ``patch ⊙ kernel``.
:func:`explain_animation` draws the same thing as an animated GIF: the kernel
sliding over a 1D signal (or a small image) while the output fills in.

Conventions
-----------
``correlate`` (``⋆``): ``y[t] = sum_i xpad[t*s + i*d] * k[i]`` (the kernel as is).
``convolve`` (``∗``): ``y[t] = sum_i x[t - i] k[i]``, written out with the
*flipped* kernel slid over the padded signal, so that every row lists the
covered samples from left to right: ``y[t] = sum_i xpad[t*s + i*d] * k[K-1-i]``.
Padding per axis, for an effective kernel size ``K = d*(k-1) + 1``: ``full``
pads ``K-1`` on both sides, ``same`` pads ``K//2`` before and ``(K-1)//2`` after
(centred like :func:`scipy.signal.correlate`), ``valid`` pads nothing.

The sums are computed here, term by term, as the definition reads; the test
suite checks them against :func:`convolab.convolve` / :func:`convolab.correlate`.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from convolab._docs import docfiller, parameters
from convolab.conv.boundary import check_boundary, source_index
from convolab.conv.geometry import (
    check_mode,
    effective_size,
    effective_sizes,
    layer_pads,
    mode_pads,
    output_lengths,
)
from convolab.outputs import atomic_open, check_suffix

__all__ = ["Explanation", "Row", "UnitSum", "explain", "explain_animation", "explain_unit"]

_OPS = ("convolve", "correlate")
_SYMBOL = {"convolve": ("∗", "*"), "correlate": ("⋆", "(x)")}
_TIMES = ("×", "x")
_ODOT = ("⊙", "(.)")
_DEFAULT_LIMIT = 10_000
_FRAME_LIMIT = 400


@dataclass(frozen=True)
class Row:
    """One output position written out as a weighted sum.

    Attributes
    ----------
    t : int or tuple of int
        Output position (a tuple ``(i, j)`` for 2D inputs).
    products : tuple of (float, float)
        ``(sample, weight)`` pairs in the order the kernel covers the samples
        (left to right, row by row); padded samples appear with their padded value.
    sum : float
        ``sum(sample * weight)`` over the pairs.
    indices : tuple
        For each pair, the index into ``x`` the sample came from (an int, or a
        tuple of ints in 2D), or ``None`` where it is the constant ``fill_value``.
    """

    t: int | tuple[int, ...]
    products: tuple[tuple[float, float], ...]
    sum: float
    indices: tuple = field(repr=False)

    @property
    def patch(self) -> np.ndarray:
        """The samples covered, as a flat array (reshape with the kernel's shape)."""
        return np.array([p[0] for p in self.products])

    @property
    def weights(self) -> np.ndarray:
        """The weights applied (the flipped kernel for ``convolve``), as a flat array."""
        return np.array([p[1] for p in self.products])


@dataclass(frozen=True)
class Explanation:
    """The rows of :func:`explain` and how to render them.

    Attributes
    ----------
    rows : tuple of Row
        One row per output position, in row-major order.
    output : numpy.ndarray
        The row sums arranged in the output's shape.
    op, mode, boundary : str
        What was explained.
    kernel_shape : tuple of int
        Shape of the kernel as given.
    applied_kernel : numpy.ndarray
        The kernel as it is laid over the signal (flipped for ``convolve``).
    """

    rows: tuple[Row, ...]
    output: np.ndarray
    op: str
    mode: str
    boundary: str
    kernel_shape: tuple[int, ...]
    applied_kernel: np.ndarray = field(repr=False)
    padded: np.ndarray = field(repr=False)
    pads: tuple[tuple[int, int], ...] = field(repr=False)
    stride: tuple[int, ...] = field(repr=False)
    dilation: tuple[int, ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return (
            f"Explanation(op={self.op!r}, mode={self.mode!r}, boundary={self.boundary!r}, "
            f"rows={len(self.rows)}, output={_fmt_array(self.output)})"
        )

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:  # notebooks: one table row per output
        from convolab._html import explanation_html

        return explanation_html(self)

    def render(self, *, names: tuple[str, str] = ("f", "g"), ascii: bool = False) -> str:
        """Render every row as ``(f ⋆ g)(t = 4) = (3 × 1) + (4 × 0) + (5 × 0) = 3``.

        Parameters
        ----------
        names : (str, str)
            Names of the signal and the kernel.
        ascii : bool
            Use ``*``, ``(x)``, ``x`` and ``(.)`` instead of ``∗``, ``⋆``, ``×`` and ``⊙``.

        Returns
        -------
        str
            One line per row (2D rows also show the patch beside the kernel), then
            the whole output.
        """
        a = int(bool(ascii))
        head = f"({names[0]} {_SYMBOL[self.op][a]} {names[1]})"
        times = _TIMES[a]
        lines = []
        for row in self.rows:
            terms = " + ".join(f"({_fmt(s)} {times} {_fmt(w)})" for s, w in row.products)
            if self.output.ndim == 1:
                lines.append(f"{head}(t = {row.t}) = {terms} = {_fmt(row.sum)}")
            else:
                where = ", ".join(str(i) for i in row.t)
                lines.append(
                    f"{head}(t = ({where})) = sum(patch {_ODOT[a]} {names[1]}) "
                    f"= {terms} = {_fmt(row.sum)}"
                )
                patch = row.patch.reshape(self.applied_kernel.shape)
                lines.extend(_side_by_side(patch, self.applied_kernel, _ODOT[a], names[1]))
        lines.append(f"{head} = {_fmt_array(self.output)}")
        return "\n".join(lines)


# The parameters explain and explain_animation share.
_PARAMETERS = parameters(
    """
    x : array_like
        Signal (1D) or small image (2D), real numbers.
    k : array_like
        Kernel with the same number of dimensions as ``x``.
    op : {'convolve', 'correlate'}
        ``convolve`` flips the kernel (``y[t] = sum_i x[t-i] k[i]``); ``correlate``
        does not (``y[t] = sum_i x[t+i] k[i]``, what CNN layers compute).
    mode : {'full', 'same', 'valid'}
        Output size, as in :func:`convolab.convolve`.
    boundary : {'constant', 'edge', 'reflect', 'symmetric', 'wrap'}
        How the padded samples are filled (``numpy.pad`` names).
    fill_value : float
        The constant for ``boundary='constant'``.
    stride, dilation : int or tuple of int
        As in :func:`convolab.convolve`: keep every ``stride``-th output; spread
        the kernel taps ``dilation`` samples apart.
    """
)


@docfiller(_PARAMETERS)
def explain(
    x: Sequence | np.ndarray,
    k: Sequence | np.ndarray,
    op: str = "convolve",
    mode: str = "full",
    *,
    boundary: str = "constant",
    fill_value: float = 0.0,
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
    limit: int = _DEFAULT_LIMIT,
) -> Explanation:
    """Write a 1D or 2D convolution/correlation out as one weighted sum per output position.

    Parameters
    ----------
    %(x, k, op, mode, boundary, fill_value, stride, dilation)s
    limit : int
        Refuse when ``rows × taps`` (the number of products to write) exceeds this.

    Returns
    -------
    Explanation
        ``.rows`` (``t``, ``products``, ``sum``, ``indices``), ``.output``; ``str()``
        renders the rows.

    Raises
    ------
    ValueError
        Unknown ``op``/``mode``/``boundary``, empty or mismatched inputs, more than
        2 dimensions, a kernel larger than ``x`` in ``valid`` mode, or more than
        ``limit`` products.
    TypeError
        Complex or non-numeric input.

    Notes
    -----
    Row ``t`` of ``correlate`` is ``y[t] = sum_i xpad[t*s + i*d] k[i]``; for
    ``convolve`` the weight of that sample is ``k[K-1-i]``. ``xpad`` is ``x``
    padded by ``(K-1, K-1)`` (``full``), ``(K//2, (K-1)//2)`` (``same``) or not at
    all (``valid``), with ``K = d*(k-1) + 1``.

    Shape
    -----
    Per axis, ``floor((n + p - K) / s) + 1`` outputs for total padding ``p``.

    Examples
    --------
    >>> e = explain([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], [1, 0, 0], op="correlate", mode="same")
    >>> print(e.rows[4].products, e.rows[4].sum)
    ((3.0, 1.0), (4.0, 0.0), (5.0, 0.0)) 3.0
    >>> print(str(e).splitlines()[4])
    (f ⋆ g)(t = 4) = (3 × 1) + (4 × 0) + (5 × 0) = 3
    >>> print(str(e).splitlines()[-1])
    (f ⋆ g) = [0, 0, 0, 0, 3, 4, 5, 4, 3, 0]
    >>> e
    Explanation(op='correlate', mode='same', boundary='constant', rows=10, \
output=[0, 0, 0, 0, 3, 4, 5, 4, 3, 0])
    """
    if not isinstance(op, str) or op not in _OPS:
        raise ValueError(f"`op` must be one of 'convolve', 'correlate'; got {op!r}")
    mode = check_mode(mode)
    boundary = check_boundary(boundary)
    xa = _real_array(x, "x")
    ka = _real_array(k, "k")
    if xa.ndim not in (1, 2):
        raise ValueError(f"`x` must be 1D or 2D to be explained; got shape {xa.shape}")
    if ka.ndim != xa.ndim:
        raise ValueError(
            f"`k` must have as many dimensions as `x` ({xa.ndim}); got shape {ka.shape}"
        )
    try:
        fill_value = float(fill_value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`fill_value` must be a real number; got {fill_value!r}") from exc
    nd = xa.ndim
    s = _per_axis(stride, nd, "stride")
    d = _per_axis(dilation, nd, "dilation")
    if not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"`limit` must be a positive integer; got {limit!r}")

    big = effective_sizes(ka.shape, d)
    if mode == "valid" and any(e > n for e, n in zip(big, xa.shape)):
        raise ValueError(
            f"`k` (effective shape {tuple(big)}) is larger than `x` {xa.shape}: mode 'valid' "
            "has no position where the kernel fits; use mode 'same' or 'full'"
        )
    pads = [mode_pads(mode, e) for e in big]
    out_shape = output_lengths(xa.shape, pads, big, s)
    n_rows = math.prod(out_shape)
    n_products = n_rows * ka.size
    if n_products > limit:
        raise ValueError(
            f"explaining this would write {n_rows} rows of {ka.size} products "
            f"({n_products} > `limit`={limit}); pass a smaller input or a larger `limit`"
        )

    applied = ka[(slice(None, None, -1),) * nd] if op == "convolve" else ka
    # Index of the source sample for every padded position, per axis (-1: the constant).
    src = [source_index(xa.shape[a], pads[a][0], pads[a][1], boundary) for a in range(nd)]
    # Padded positions covered by each tap of each output, per axis: (out_len, k_len).
    cover = [
        np.arange(out_shape[a])[:, None] * s[a] + np.arange(ka.shape[a])[None, :] * d[a]
        for a in range(nd)
    ]
    padded = _padded(xa, src, fill_value)
    weights = applied.ravel().tolist()
    rows = []
    values = []
    for t in itertools.product(*(range(m) for m in out_shape)):
        pos = [cover[a][t[a]] for a in range(nd)]
        grid = np.meshgrid(*pos, indexing="ij")
        samples = padded[tuple(grid)].ravel().tolist()
        idx = [src[a][grid[a].ravel()] for a in range(nd)]
        if nd == 1:
            indices = tuple(int(i) if i >= 0 else None for i in idx[0])
        else:
            indices = tuple(
                (int(i), int(j)) if i >= 0 and j >= 0 else None
                for i, j in zip(idx[0], idx[1], strict=True)
            )
        products = tuple(zip(samples, weights, strict=True))
        total = math.fsum(a * b for a, b in products) if _all_finite(products) else sum(
            a * b for a, b in products
        )
        rows.append(Row(t[0] if nd == 1 else t, products, float(total), indices))
        values.append(total)
    output = np.array(values, dtype=np.float64).reshape(out_shape)
    return Explanation(
        rows=tuple(rows),
        output=output,
        op=op,
        mode=mode,
        boundary=boundary,
        kernel_shape=ka.shape,
        applied_kernel=applied,
        padded=padded,
        pads=tuple(pads),
        stride=s,
        dilation=d,
    )


@docfiller(_PARAMETERS)
def explain_animation(
    x: Sequence | np.ndarray,
    k: Sequence | np.ndarray,
    path: str | os.PathLike,
    op: str = "convolve",
    mode: str = "full",
    *,
    boundary: str = "constant",
    fill_value: float = 0.0,
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
    duration: int = 600,
) -> int:
    """Write an animated GIF of the kernel sliding over ``x`` while the output fills in.

    One frame per output position (at most 400): the padded signal (padding
    shaded), the kernel laid under the samples it covers (flipped for
    ``convolve``), the output so far, and the row's weighted sum as text.

    Parameters
    ----------
    %(x, k)s
    path : str or os.PathLike
        Where to write the GIF (replaced if it exists); it must end in ``.gif``.
    %(op, mode, boundary, fill_value, stride, dilation)s
    duration : int
        Milliseconds per frame (the last frame is held three times as long).

    Returns
    -------
    int
        The number of frames written (the number of output positions).

    Raises
    ------
    ValueError
        As :func:`explain`, more than 400 output positions, or a ``path`` that
        does not end in ``.gif``.

    Examples
    --------
    >>> import os, tempfile
    >>> from PIL import Image
    >>> path = os.path.join(tempfile.mkdtemp(), "shift.gif")
    >>> explain_animation([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], [1, 0, 0], path, op="correlate",
    ...                   mode="same")
    10
    >>> Image.open(path).n_frames
    10
    """
    check_suffix(path, [".gif"], "`path`")
    e = explain(
        x, k, op, mode, boundary=boundary, fill_value=fill_value, stride=stride,
        dilation=dilation,
    )
    if len(e.rows) > _FRAME_LIMIT:
        raise ValueError(
            f"the animation would have {len(e.rows)} frames (one per output position), "
            f"more than {_FRAME_LIMIT}; use a shorter signal or a smaller image"
        )
    if not isinstance(duration, (int, np.integer)) or isinstance(duration, bool) or duration < 1:
        raise ValueError(f"`duration` must be a positive number of milliseconds; got {duration!r}")
    frames = _frames(e)
    durations = [int(duration)] * (len(frames) - 1) + [3 * int(duration)]
    with atomic_open(path) as handle:
        frames[0].save(
            handle,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=0,
            optimize=False,
            disposal=1,
        )
    return len(frames)


# ----------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class UnitSum:
    """One output of a convolution layer written out: patch, kernel, bias and sum.

    Attributes
    ----------
    channel : int
        The output channel.
    position : tuple of int
        The output position (one index per spatial axis).
    in_channels : tuple of int
        The input channels the unit reads (all of them, or its group's).
    patch : numpy.ndarray
        ``(len(in_channels), *kernel_size)``: the input samples under the kernel's
        taps (zero where a tap falls in the padding).
    weights : numpy.ndarray
        The layer's kernel for this channel, same shape as ``patch``.
    bias : float
        The layer's bias for this channel (0 without one).
    sum : float
        ``sum(patch * weights) + bias``.
    taps : tuple of numpy.ndarray
        Per spatial axis, the input coordinate of each tap (negative or past the
        end inside the padding).
    """

    channel: int
    position: tuple[int, ...]
    in_channels: tuple[int, ...]
    patch: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    bias: float
    sum: float
    taps: tuple[np.ndarray, ...] = field(repr=False)

    def __str__(self) -> str:
        terms = " + ".join(
            f"(x[{c}] ⊙ w[{self.channel}, {j}])" for j, c in enumerate(self.in_channels)
        )
        bias = _fmt(self.bias) if self.bias >= 0 else f"({_fmt(self.bias)})"
        where = ", ".join(map(str, self.position))
        return f"y[{self.channel}, {where}] = {terms} + {bias} = {_fmt(self.sum)}"


def explain_unit(layer: object, x: Sequence | np.ndarray, channel: int,
                 position: Sequence[int]) -> UnitSum:  # fmt: skip
    """The weighted sum behind one output of a convolution layer (``Conv1d``/``Conv2d``).

    ``y[c, t] = sum_j sum_i xpad[g(c)_j, t*s + i*d] * w[c, j, i] + b[c]`` where ``xpad``
    is ``x`` zero-padded as the layer pads it and ``g(c)`` the input channels of
    ``c``'s group. The sum is computed here term by term; the tests check it
    against the layer's own forward pass.

    Parameters
    ----------
    layer : convolab.nn.Conv1d or convolab.nn.Conv2d
    x : array_like
        The layer's input for one sample, ``(C_in, *spatial)`` (no batch axis).
    channel : int
        Output channel.
    position : sequence of int
        Output position, one index per spatial axis.

    Returns
    -------
    UnitSum

    Raises
    ------
    ValueError
        For a layer that is not a convolution, an input of the wrong shape, or a
        channel or position outside the output.

    Shape
    -----
    ``patch`` and ``weights``: ``(C_in / groups, *kernel_size)``.

    Examples
    --------
    >>> from convolab import nn
    >>> conv = nn.Conv1d(1, 1, 3, padding=1)
    >>> conv.weight.data[...] = [[[1.0, 2.0, 3.0]]]
    >>> conv.bias.data[...] = 0.5
    >>> u = explain_unit(conv, [[1.0, 1.0, 2.0]], 0, [0])
    >>> u.patch.tolist(), u.sum
    ([[0.0, 1.0, 1.0]], 5.5)
    >>> print(u)
    y[0, 0] = (x[0] ⊙ w[0, 0]) + 0.5 = 5.5
    """

    weight = getattr(getattr(layer, "weight", None), "data", None)
    ksize = getattr(layer, "kernel_size", None)
    if weight is None or ksize is None or not hasattr(layer, "groups"):
        raise ValueError(f"`layer` must be a convolution layer; got {type(layer).__name__}")
    m = len(ksize)
    xa = _real_array(x, "x")
    if xa.ndim != m + 1 or xa.shape[0] != layer.in_channels:
        raise ValueError(
            f"`x` must have shape (C_in={layer.in_channels}, {m} spatial axes); got {xa.shape}"
        )
    effective = effective_sizes(ksize, layer.dilation)
    pads = layer_pads(layer.padding, xa.shape[1:], effective, layer.stride)
    out = output_lengths(xa.shape[1:], pads, effective, layer.stride)
    c_out = weight.shape[0]
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) \
            or not 0 <= channel < c_out:  # fmt: skip
        raise ValueError(f"`channel` must be an integer in [0, {c_out}); got {channel!r}")
    pos = tuple(position)
    if len(pos) != m or any(
        isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 0 <= p < n
        for p, n in zip(pos, out)
    ):
        raise ValueError(
            f"`position` must index the output of shape {tuple(out)}; got {position!r}"
        )
    per_group = c_out // layer.groups
    c_in_g = weight.shape[1]
    first = (int(channel) // per_group) * c_in_g
    in_channels = tuple(range(first, first + c_in_g))
    taps = tuple(
        int(p) * s - b + np.arange(k) * d
        for p, s, (b, _), k, d in zip(pos, layer.stride, pads, ksize, layer.dilation)
    )
    inside = [np.where(t < n, t, -1) for t, n in zip(taps, xa.shape[1:])]  # -1: padding
    patch = np.stack([_padded(xa[c], inside, 0.0) for c in in_channels])
    w = np.asarray(weight[channel], dtype=np.float64)
    bias_param = getattr(layer, "bias", None)
    bias = float(bias_param.data[channel]) if bias_param is not None else 0.0
    total = float(np.sum(patch * w)) + bias
    return UnitSum(int(channel), tuple(int(p) for p in pos), in_channels, patch, w, bias,
                   total, taps)  # fmt: skip


def _real_array(v: object, name: str) -> np.ndarray:
    try:
        a = np.asarray(v)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"`{name}` must be an array of real numbers; got {v!r}") from exc
    if a.dtype.kind == "c":
        raise TypeError(f"`{name}` must be real to be explained; got dtype {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must be an array of real numbers; got dtype {a.dtype}")
    if a.size == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {a.shape}")
    return a.astype(np.float64)


def _per_axis(v: object, nd: int, name: str) -> tuple[int, ...]:
    vals = (v,) * nd if not isinstance(v, (tuple, list)) else tuple(v)
    if len(vals) != nd:
        raise ValueError(f"`{name}` must have one entry per axis ({nd}); got {v!r}")
    for e in vals:
        if not isinstance(e, (int, np.integer)) or isinstance(e, bool) or e < 1:
            raise ValueError(f"`{name}` must be a positive integer (or one per axis); got {v!r}")
    return tuple(int(e) for e in vals)


def _padded(xa: np.ndarray, src: list[np.ndarray], fill_value: float) -> np.ndarray:
    grid = np.meshgrid(*src, indexing="ij")
    inside = np.ones(grid[0].shape, dtype=bool)
    for g in grid:
        inside &= g >= 0
    out = np.full(grid[0].shape, float(fill_value))
    out[inside] = xa[tuple(g[inside] for g in grid)]
    return out


def _all_finite(products: tuple[tuple[float, float], ...]) -> bool:
    return all(math.isfinite(a) and math.isfinite(b) for a, b in products)


def _fmt(v: float) -> str:
    """Short number: integers without a decimal point, others to 6 significant digits."""
    v = float(v)
    if v == 0:
        return "0"
    if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def _fmt_array(a: np.ndarray) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(_fmt(v) for v in a) + "]"
    return "[" + ", ".join(_fmt_array(r) for r in a) + "]"


def _side_by_side(patch: np.ndarray, kernel: np.ndarray, odot: str, kname: str) -> list[str]:
    ps = [[_fmt(v) for v in r] for r in patch]
    ks = [[_fmt(v) for v in r] for r in kernel]
    pw = max(len(c) for r in ps for c in r)
    kw = max(len(c) for r in ks for c in r)
    left = [" ".join(c.rjust(pw) for c in r) for r in ps]
    right = [" ".join(c.rjust(kw) for c in r) for r in ks]
    width = max(len(r) for r in left + ["patch"])
    mid = len(left) // 2
    out = ["    " + "patch".ljust(width) + "    " + kname]
    for i, (lft, rgt) in enumerate(zip(left, right, strict=True)):
        sep = f" {odot} " if i == mid else " " * (len(odot) + 2)
        out.append("    " + lft.ljust(width) + " " + sep + rgt)
    return out


# ----------------------------------------------------------------------------- drawing

_BG, _INK, _PAD = (255, 255, 255), (33, 37, 41), (222, 226, 230)
_WIN, _EDGE, _DONE, _NOW = (255, 216, 168), (232, 89, 12), (233, 236, 239), (178, 242, 187)
_CELL_H, _MARGIN, _LABEL_W, _MAX_W = 24, 12, 64, 1800


def _frames(e: Explanation) -> list:
    """One RGB Pillow image per row of ``e``."""
    from PIL import Image, ImageDraw, ImageFont

    font, ascii_only = _font(ImageFont)
    probe = ImageDraw.Draw(Image.new("RGB", (8, 8)))
    labels = [_fmt(v) for v in e.padded.ravel()] + [_fmt(v) for v in e.output.ravel()]
    labels += [_fmt(v) for v in e.applied_kernel.ravel()]
    cw = int(max(26, max(probe.textlength(t, font=font) for t in labels) + 10))
    draw_one = _frame_1d if e.output.ndim == 1 else _frame_2d
    palette = _palette(Image)
    size = draw_one(e, None, None, font, cw, "", measure=True)
    frames = []
    for r in range(len(e.rows)):
        img = Image.new("RGB", size, _BG)
        draw_one(e, r, ImageDraw.Draw(img), font, cw, _row_text(e, r, ascii_only))
        frames.append(img.quantize(palette=palette, dither=Image.Dither.NONE))
    return frames


def _palette(image_module):
    """A fixed GIF palette: the drawing colours plus ink blended over each background
    (for anti-aliased text). Mapping to it is ~40x faster than an adaptive palette."""
    colours = [_BG, _INK, _PAD, _WIN, _EDGE, _DONE, _NOW]
    for bg in (_BG, _PAD, _WIN, _DONE, _NOW):
        for a in range(1, 8):
            colours.append(tuple(round(bg[i] + (_INK[i] - bg[i]) * a / 8) for i in range(3)))
    flat = [c for rgb in colours for c in rgb]
    pal = image_module.new("P", (1, 1))
    pal.putpalette(flat + [0] * (768 - len(flat)))
    return pal


def _font(image_font):
    """DejaVu Sans from Matplotlib's data (has ∗ ⋆ ×), else Pillow's font with ASCII symbols."""
    try:
        import matplotlib

        path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
        return image_font.truetype(path, 12), False
    except (ImportError, OSError):
        return image_font.load_default(), True


def _cell(draw, x0: int, y0: int, cw: int, text: str, fill, font, edge=None) -> None:
    draw.rectangle([x0, y0, x0 + cw - 1, y0 + _CELL_H - 1], fill=fill, outline=edge or _INK,
                   width=2 if edge else 1)
    w = draw.textlength(text, font=font)
    draw.text((x0 + (cw - w) / 2, y0 + 6), text, fill=_INK, font=font)


def _caption(draw, text: str, y0: int, width: int, font) -> None:
    room = width - 2 * _MARGIN
    full = draw.textlength(text, font=font)
    if full > room:  # cut in proportion, then trim the last few characters
        text = text[: max(int(len(text) * room / full) - 1, 1)] + "…"
        while draw.textlength(text, font=font) > room and len(text) > 2:
            text = text[:-2] + "…"
    draw.text((_MARGIN, y0), text, fill=_INK, font=font)


def _row_text(e: Explanation, r: int, ascii_only: bool = False) -> str:
    row, a = e.rows[r], int(ascii_only)
    terms = " + ".join(f"({_fmt(p)} {_TIMES[a]} {_fmt(w)})" for p, w in row.products)
    where = row.t if isinstance(row.t, int) else "(" + ", ".join(str(i) for i in row.t) + ")"
    head = f"(f {_SYMBOL[e.op][a]} g)(t = {where})"
    return f"{head} = {terms} = {_fmt(row.sum)}"


def _frame_1d(e: Explanation, r, draw, font, cw: int, text: str, measure: bool = False):
    npad = e.padded.shape[0]
    (before, after), s, d = e.pads[0], e.stride[0], e.dilation[0]
    k = e.applied_kernel.shape[0]
    big = effective_size(k, d)
    view = min(npad, max(big + 8, (_MAX_W - _LABEL_W - 2 * _MARGIN) // cw))  # cells shown
    width = max(_LABEL_W + view * cw + 2 * _MARGIN, 480)
    ys = (_MARGIN, _MARGIN + 2 * _CELL_H, _MARGIN + 4 * _CELL_H, _MARGIN + 6 * _CELL_H)
    if measure:
        return width, ys[3] + 2 * _CELL_H
    start = r * s
    # a long signal scrolls: keep the kernel's window in view
    first = min(max(start + big // 2 - view // 2, 0), npad - view)
    x0 = _MARGIN + _LABEL_W - first * cw
    covered = {start + i * d for i in range(k)}
    for lab, y in zip(("signal", "kernel", "output"), ys, strict=False):
        draw.text((_MARGIN, y + 6), lab, fill=_INK, font=font)
    for j in range(first, first + view):
        inside = before <= j < npad - after
        fill = _WIN if j in covered else (_BG if inside else _PAD)
        _cell(draw, x0 + j * cw, ys[0], cw, _fmt(e.padded[j]), fill, font,
              _EDGE if j in covered else None)
    for i in range(k):
        _cell(draw, x0 + (start + i * d) * cw, ys[1], cw, _fmt(e.applied_kernel[i]), _WIN, font,
              _EDGE)
    for o in range(r + 1):
        col = o * s + big // 2
        if first <= col < first + view:
            _cell(draw, x0 + col * cw, ys[2], cw, _fmt(e.output[o]), _NOW if o == r else _DONE,
                  font, _EDGE if o == r else None)
    _caption(draw, text, ys[3], width, font)
    return None


def _frame_2d(e: Explanation, r, draw, font, cw: int, text: str, measure: bool = False):
    ph, pw = e.padded.shape
    kh, kw = e.applied_kernel.shape
    oh, ow = e.output.shape
    gap = 2 * cw
    top = _MARGIN + _CELL_H
    x_k = _MARGIN + pw * cw + gap
    x_o = x_k + kw * cw + gap
    grid_h = max(ph, kh, oh) * _CELL_H
    width = min(_MAX_W, max(x_o + ow * cw + _MARGIN, 480))
    if measure:
        return width, top + grid_h + 3 * _CELL_H
    (bi, ai), (bj, aj) = e.pads
    ti, tj = e.rows[r].t
    si, sj = e.stride
    di, dj = e.dilation
    covered = {(ti * si + a * di, tj * sj + b * dj) for a in range(kh) for b in range(kw)}
    draw.text((_MARGIN, _MARGIN), "padded input", fill=_INK, font=font)
    draw.text((x_k, _MARGIN), "kernel", fill=_INK, font=font)
    draw.text((x_o, _MARGIN), "output", fill=_INK, font=font)
    for i in range(ph):
        for j in range(pw):
            inside = bi <= i < ph - ai and bj <= j < pw - aj
            hit = (i, j) in covered
            fill = _WIN if hit else (_BG if inside else _PAD)
            _cell(draw, _MARGIN + j * cw, top + i * _CELL_H, cw, _fmt(e.padded[i, j]), fill,
                  font, _EDGE if hit else None)
    for i in range(kh):
        for j in range(kw):
            _cell(draw, x_k + j * cw, top + i * _CELL_H, cw, _fmt(e.applied_kernel[i, j]), _WIN,
                  font, _EDGE)
    for q in range(r + 1):
        i, j = divmod(q, ow)
        _cell(draw, x_o + j * cw, top + i * _CELL_H, cw, _fmt(e.output[i, j]),
              _NOW if q == r else _DONE, font, _EDGE if q == r else None)
    _caption(draw, text, top + grid_h + _CELL_H, width, font)
    return None
