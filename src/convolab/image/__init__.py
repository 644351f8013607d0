"""Images in and out (Pillow, tifffile for TIFF), and classic filtering on the convolution engine.

An image is a float array in ``[0, 1]``: ``(rows, columns)`` for grayscale,
``(rows, columns, channels)`` for colour (channels last, as Pillow and
Matplotlib store them). :func:`filter` runs :func:`convolab.correlate` (or
:func:`convolab.convolve`) over the two spatial axes, every channel at once
through the engine's ``axes=`` broadcasting, so colour images need no loop.

>>> import numpy as np
>>> from convolab import image, kernels
>>> img = np.zeros((5, 5), dtype=np.float32)
>>> img[:, 2:] = 1.0                      # a vertical step edge
>>> image.filter(img, kernels.laplacian(8), boundary="edge")
array([[ 0., -3.,  3.,  0.,  0.],
       [ 0., -3.,  3.,  0.,  0.],
       [ 0., -3.,  3.,  0.,  0.],
       [ 0., -3.,  3.,  0.,  0.],
       [ 0., -3.,  3.,  0.,  0.]], dtype=float32)
"""

from convolab.image.filters import (
    OPS,
    blur,
    edges,
    filter,
    filter_large,
    sharpen,
    unsharp_mask,
)
from convolab.image.io import (
    LOAD_MODES,
    SCALES,
    bit_depth,
    load,
    load_pages,
    save,
    save_pages,
    to_uint8,
)

__all__ = [
    "LOAD_MODES",
    "OPS",
    "SCALES",
    "bit_depth",
    "blur",
    "edges",
    "filter",
    "filter_large",
    "load",
    "load_pages",
    "save",
    "save_pages",
    "to_uint8",
    "sharpen",
    "unsharp_mask",
]
