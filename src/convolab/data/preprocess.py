"""Turn any picture of a character into an MNIST-style 28x28 input."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image
from scipy import ndimage

__all__ = ["load_image", "to_mnist"]


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as a grayscale float array in [0, 1].

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not an image :func:`convolab.image.load` reads (or a decompression bomb).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.png")
    >>> Image.fromarray(np.full((4, 6), 255, np.uint8)).save(p)
    >>> load_image(p).shape, float(load_image(p).max())
    ((4, 6), 1.0)
    """
    from convolab import image

    pixels = image.load(path, "keep")  # the one image reader: formats, depth, bomb guard
    if pixels.ndim == 3 and pixels.shape[2] in (2, 4):  # transparent: over a white background
        alpha = np.clip(pixels[..., -1:], 0.0, 1.0)
        pixels = pixels[..., :-1] * alpha + (1.0 - alpha)
        pixels = pixels[..., 0] if pixels.shape[2] == 1 else pixels
    if pixels.ndim == 3:
        pixels = image.io.as_mode(pixels, "gray")
    return np.ascontiguousarray(pixels, dtype=np.float32)


def to_mnist(image: np.ndarray, size: int = 28, box: int = 20) -> np.ndarray:
    """Preprocess one grayscale character image the way MNIST's digits were.

    Steps: invert when the background is light (MNIST is white ink on black),
    remove the background level, crop to the ink, resize so the larger side is
    ``box`` pixels (aspect kept), place in a ``size x size`` frame with the centre
    of mass at the centre, and scale the peak to 1.

    Parameters
    ----------
    image : array_like
        2-D grayscale image, values in [0, 1].
    size, box : int
        Frame size and the bounding box of the ink (MNIST: 28 and 20).

    Returns
    -------
    numpy.ndarray
        float32 array ``(1, size, size)`` in [0, 1], ready for a model trained on MNIST.

    Raises
    ------
    ValueError
        If the image is not 2-D or holds no ink (a blank image).

    Examples
    --------
    >>> im = np.ones((50, 40), np.float32)
    >>> im[10:40, 18:24] = 0.0  # a dark bar on white paper
    >>> out = to_mnist(im)
    >>> out.shape, float(out.max())
    ((1, 28, 28), 1.0)
    >>> [round(float(c)) for c in ndimage.center_of_mass(out[0])]
    [14, 14]
    """
    a = np.asarray(image, dtype=np.float32)
    if a.ndim != 2 or min(a.shape) < 2:
        raise ValueError(f"`image` must be a 2-D grayscale image; got shape {a.shape}")
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    background = float(np.median(border))
    if background > 0.5:
        a = 1.0 - a
        background = 1.0 - background
    a = np.clip(a - background, 0.0, None)
    peak = float(a.max())
    if peak < 0.05:
        raise ValueError("`image` holds no character: it is blank (uniform) after preprocessing")
    a /= peak
    rows, cols = np.flatnonzero(a.max(axis=1) > 0.1), np.flatnonzero(a.max(axis=0) > 0.1)
    a = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = box / max(a.shape)
    h, w = (max(1, round(s * scale)) for s in a.shape)
    resized = np.asarray(Image.fromarray(a, mode="F").resize((w, h), Image.Resampling.LANCZOS))
    resized = np.clip(resized, 0.0, None)
    frame = np.zeros((size, size), dtype=np.float32)
    top, left = (size - h) // 2, (size - w) // 2
    frame[top : top + h, left : left + w] = resized
    cy, cx = ndimage.center_of_mass(frame)
    frame = ndimage.shift(frame, (size / 2 - cy, size / 2 - cx), order=1, mode="constant")
    frame = np.clip(frame, 0.0, None)
    frame /= max(float(frame.max()), 1e-6)
    return frame[None].astype(np.float32)
