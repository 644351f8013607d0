"""Direct method: the definition, as a sum of shifted, scaled copies of the input.

For every kernel tap ``i`` the output gains ``k[i] * x_pad[n*s + i*d]``:

.. math:: y[n] = \\sum_i k[i]\\, x_{pad}[n s + i d]

The sum runs tile by tile (bands of output rows sized to stay in cache), and
each tile builds its own padded slab of the input, so padding never costs a
pass over the whole image. Tiles run on the shared thread pool. Taps equal to
zero are skipped when the slab is finite (so NaN and inf still propagate).
"""

from __future__ import annotations

import numpy as np

from convolab.conv._parallel import run_tasks
from convolab.conv.padding import output_length, pad, source_index

__all__ = ["correlate_direct"]

_TILE_BYTES = 1 << 18  # a padded slab of about 256 KiB stays in L2 with its output
_PARALLEL_MIN_WORK = 1 << 18  # multiply-adds below which threads cost more than they save


def correlate_direct(
    x: np.ndarray,
    k: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
    fill_value: complex,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """Correlate every row of ``x`` (shape ``(B, *S)``) with ``k`` (``(1 or B, *K)``).

    ``pads`` are the ``(before, after)`` widths per spatial axis, filled by
    ``boundary``. Returns ``(B, *O)`` with ``O`` from
    :func:`~convolab.conv.padding.output_length`.

    >>> x = np.array([[0., 0, 0, 3, 4, 5, 4, 3, 0, 0]])
    >>> correlate_direct(x, np.array([[1., 0, 0]]), ((1, 1),), "constant", 0, (1,), (1,))
    array([[0., 0., 0., 0., 3., 4., 5., 4., 3., 0.]])
    """
    B, spatial = x.shape[0], x.shape[1:]
    ksize = k.shape[1:]
    eff = [d * (m - 1) + 1 for d, m in zip(dilation, ksize)]
    out_shape = tuple(
        output_length(n, b, a, e, s) for n, (b, a), e, s in zip(spatial, pads, eff, stride)
    )
    y = np.empty((B, *out_shape), dtype=np.result_type(x, k))
    if y.size == 0:
        return y

    rows_src = source_index(spatial[0], *pads[0], boundary)
    inner_pads = tuple(pads[1:])
    padded_inner = [n + b + a for n, (b, a) in zip(spatial[1:], inner_pads)]
    row_bytes = max(1, int(np.prod(padded_inner, dtype=np.int64))) * y.itemsize
    out_rows = out_shape[0]
    band = max(1, min(out_rows, _TILE_BYTES // (row_bytes * max(1, stride[0]))))
    tasks = [(b, r0, min(r0 + band, out_rows)) for b in range(B) for r0 in range(0, out_rows, band)]

    taps = list(np.ndindex(*ksize))
    s0 = stride[0]

    def run(b: int, r0: int, r1: int) -> None:
        kb = k[b if k.shape[0] > 1 else 0]
        p0 = r0 * s0
        p1 = (r1 - 1) * s0 + eff[0]
        src = rows_src[p0:p1]
        xb = x[b]
        lo, hi = int(src[0]), int(src[-1])
        if lo >= 0 and hi - lo == len(src) - 1:  # steps are at most +1: a plain row range
            slab = xb[lo : hi + 1]
        else:
            slab = xb.take(np.maximum(src, 0), axis=0)
            if boundary == "constant":
                slab[src < 0] = fill_value
        slab = pad(slab, inner_pads, boundary, fill_value)
        out = y[b, r0:r1]
        nonzero = [t for t in taps if kb[t] != 0]
        if len(nonzero) < len(taps) and not np.isfinite(slab).all():
            nonzero = taps
        if not nonzero:
            out[...] = 0
            return
        tmp = np.empty_like(out)
        for j, tap in enumerate(nonzero):
            view = slab[
                tuple(
                    slice(t * d, t * d + (n - 1) * s + 1, s)
                    for t, d, n, s in zip(tap, dilation, out.shape, stride)
                )
            ]
            if j == 0:
                np.multiply(view, kb[tap], out=out)
            else:
                np.multiply(view, kb[tap], out=tmp)
                np.add(out, tmp, out=out)

    work = y.size * len(taps)
    run_tasks(run, tasks, parallel=work >= _PARALLEL_MIN_WORK)
    return y
