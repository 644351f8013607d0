"""FFT method: correlation as a product of spectra.

Correlating with ``k`` is convolving with the flipped kernel, and convolution
is a product in the frequency domain:

.. math:: x \\star k = \\mathcal{F}^{-1}\\big(\\mathcal{F}(x)\\,\\mathcal{F}(\\bar k)\\big),
          \\qquad \\bar k[i] = k[K - 1 - i]

Transforms are :mod:`scipy.fft` real transforms (complex ones for complex data)
at fast lengths, in the input's precision (float32 stays float32), on all
cores. Zero padding is free (it is the transform length); other boundaries pad
explicitly first.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from convolab.conv._parallel import n_workers
from convolab.conv.padding import output_length, pad

__all__ = ["correlate_fft", "dilate_kernel"]


def dilate_kernel(k: np.ndarray, dilation: tuple[int, ...]) -> np.ndarray:
    """Insert ``d - 1`` zeros between the taps of the trailing axes of ``k``.

    >>> dilate_kernel(np.array([[1., 2., 3.]]), (2,))
    array([[1., 0., 2., 0., 3.]])
    """
    if all(d == 1 for d in dilation):
        return k
    m = len(dilation)
    shape = k.shape[:-m] + tuple(d * (n - 1) + 1 for d, n in zip(dilation, k.shape[-m:]))
    out = np.zeros(shape, dtype=k.dtype)
    out[(...,) + tuple(slice(None, None, d) for d in dilation)] = k
    return out


def correlate_fft(
    x: np.ndarray,
    k: np.ndarray,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
    fill_value: complex,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """Correlate every row of ``x`` (``(B, *S)``) with ``k`` (``(1 or B, *K)``) by FFT.

    >>> x = np.array([[0., 0, 0, 3, 4, 5, 4, 3, 0, 0]])
    >>> np.round(correlate_fft(x, np.array([[1., 0, 0]]), ((1, 1),), "constant", 0, (1,), (1,)), 12)
    array([[0., 0., 0., 0., 3., 4., 5., 4., 3., 0.]])
    """
    m = k.ndim - 1
    axes = tuple(range(1, m + 1))
    kd = dilate_kernel(k, dilation)
    eff = kd.shape[1:]
    zero_pad = boundary == "constant" and fill_value == 0
    if not zero_pad or any(b > e - 1 or a > e - 1 for (b, a), e in zip(pads, eff)):
        x = pad(x, pads, boundary, fill_value)
        pads = ((0, 0),) * m
    spatial = x.shape[1:]
    full = [n + e - 1 for n, e in zip(spatial, eff)]
    real = x.dtype.kind != "c"
    fshape = [sfft.next_fast_len(n, real=real) for n in full]
    kflip = kd[(slice(None),) + (slice(None, None, -1),) * m]
    workers = n_workers()
    if real:
        spec = sfft.rfftn(x, fshape, axes=axes, workers=workers)
        spec *= sfft.rfftn(kflip, fshape, axes=axes, workers=workers)
        y = sfft.irfftn(spec, fshape, axes=axes, workers=workers)
    else:
        spec = sfft.fftn(x, fshape, axes=axes, workers=workers)
        spec *= sfft.fftn(kflip, fshape, axes=axes, workers=workers)
        y = sfft.ifftn(spec, fshape, axes=axes, workers=workers)
    # Position n of the padded-'valid' result is index n + K - 1 - before of the full convolution.
    index = [slice(None)]
    for n, (b, a), e, s in zip(spatial, pads, eff, stride):
        count = output_length(n, b, a, e, s)
        start = e - 1 - b
        index.append(slice(start, start + (count - 1) * s + 1, s))
    return np.ascontiguousarray(y[tuple(index)], dtype=np.result_type(x, k))
