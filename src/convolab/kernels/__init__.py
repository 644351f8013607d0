"""Named classic kernels of image processing, and a registry to look them up by name.

Every function returns a new 2D ``float64`` array, meant to be used with
:func:`convolab.correlate` (what :func:`convolab.image.filter` does by default):
``y[r, c] = sum_{i, j} x[r + i - ci, c + j - cj] * k[i, j]`` with ``(ci, cj)`` the
kernel centre. For the symmetric kernels (box, Gaussian, Laplacian, sharpen)
correlation and convolution agree; for the derivative kernels (Sobel, Scharr,
Prewitt), emboss, shift and motion blur, convolution flips the kernel, which
flips the sign of a derivative and the direction of a shift.

Orientation conventions: axis 0 is ``y`` and points *down* the rows, axis 1 is
``x`` and points *right* along the columns (array order). Angles
(``motion_blur``, ``gabor``) are in degrees, counter-clockwise from the ``x``
axis as seen on the screen (so ``90`` points up).

Every kernel is a :class:`Kernel`: a plain ``ndarray`` in every use (NumPy, the
engine, arithmetic, whose results are plain arrays) that also draws itself in a
notebook, as a grid of their weights coloured blue (negative) to red (positive).

The registry maps a name to its function: ``get("gaussian", sigma=2)`` builds a
kernel, :func:`names` lists the names, :func:`from_spec` parses the command
line form ``"gaussian:sigma=2,truncate=3"``, and :func:`load_file` reads a
kernel from a ``.txt``/``.csv``/``.npy`` file.

>>> from convolab import kernels
>>> kernels.get("laplacian", neighbours=8)
array([[-1., -1., -1.],
       [-1.,  8., -1.],
       [-1., -1., -1.]])
>>> float(kernels.gaussian(1.0).sum())
1.0
"""

from convolab.kernels.classic import (
    Kernel,
    box,
    emboss,
    gabor,
    gaussian,
    get,
    identity,
    laplacian,
    motion_blur,
    names,
    prewitt,
    scharr,
    sharpen,
    shift,
    sobel,
    unsharp,
)
from convolab.kernels.text import from_spec, load_file

__all__ = [
    "Kernel",
    "box",
    "emboss",
    "from_spec",
    "gabor",
    "gaussian",
    "get",
    "identity",
    "laplacian",
    "load_file",
    "motion_blur",
    "names",
    "prewitt",
    "scharr",
    "sharpen",
    "shift",
    "sobel",
    "unsharp",
]
