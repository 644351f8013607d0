"""Images in and out: Pillow for the common formats, tifffile for TIFF (any depth, pages).

An image is a float array in ``[0, 1]``: ``(rows, columns)`` for grayscale,
``(rows, columns, channels)`` for colour (channels last, as Pillow and Matplotlib
store them). Writing goes through :func:`convolab.outputs.atomic_open`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from convolab.checks import choice
from convolab.image._decode import _existing_image, _is_tiff, _read_pages
from convolab.outputs import atomic_open

__all__ = [
    "CONTRAST_PERCENTILE",
    "LOAD_MODES",
    "SCALES",
    "as_mode",
    "bit_depth",
    "encoder",
    "format_for",
    "load",
    "load_pages",
    "save",
    "save_pages",
    "to_uint8",
]

LOAD_MODES = ("gray", "rgb", "keep")
SCALES = ("clip", "minmax", "abs", "contrast")
CONTRAST_PERCENTILE = 99.0  # scale="contrast": this percentile of |a| is white
# ITU-R BT.601 luma, the weights Pillow's "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114])


def load(path: str | os.PathLike | BinaryIO, mode: str = "gray") -> np.ndarray:
    """Read an image file into a float32 array with values in ``[0, 1]``.

    PNG, JPEG, BMP, GIF and every other format Pillow reads; TIFF through
    tifffile (8, 16 and 32-bit integers, float, planar or interleaved colour).
    A multi-page file gives its first page (:func:`load_pages` reads them all as
    a batch). A camera's EXIF orientation tag is applied, so the array is the
    picture as viewers show it. 8-bit values are divided by 255, 16-bit by
    65535; floating-point TIFFs are returned unscaled. A 16-bit colour PNG
    (which Pillow decodes only at 8 bits) is refused rather than read shallower.

    Parameters
    ----------
    path : str, path-like or binary file object
        The image file (or its bytes, e.g. an ``io.BytesIO`` of an upload).
    mode : {'gray', 'rgb', 'keep'}
        ``gray``: ``(rows, columns)``; colour is mixed to luma
        ``Y = 0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601, as Pillow's ``L``),
        alpha is dropped. ``rgb``: ``(rows, columns, 3)``; gray is repeated,
        alpha dropped. ``keep``: the channels as stored: ``(rows, columns)``
        for gray, ``(..., 2)`` gray+alpha, ``(..., 3)`` RGB, ``(..., 4)`` RGBA;
        palette images become RGB (RGBA if they have transparency), or gray
        (gray + alpha) when every palette colour is a gray.

    Returns
    -------
    ndarray of float32

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not an image, is truncated or corrupt, is larger than the
        decompression-bomb guard allows, or ``mode`` is unknown.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ramp.png"
    >>> _ = save(p, np.linspace(0, 1, 6).reshape(2, 3))
    >>> load(p)
    array([[0. , 0.2, 0.4],
           [0.6, 0.8, 1. ]], dtype=float32)
    """
    mode = choice("mode", mode, LOAD_MODES)
    return as_mode(_read_pages(path, first_only=True)[0], mode)


def load_pages(path: str | os.PathLike, mode: str = "gray") -> np.ndarray:
    """Every page of a multi-page image (TIFF stack, animated GIF) as one batch.

    Returns ``(pages, rows, columns)`` or ``(pages, rows, columns, channels)``
    float32, each page read as :func:`load` reads the first. A single-page
    image gives a batch of one.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, tifffile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
    >>> tifffile.imwrite(p, np.zeros((3, 4, 5), np.uint16), photometric="minisblack")
    >>> load_pages(p).shape, load(p).shape
    ((3, 4, 5), (4, 5))
    """
    mode = choice("mode", mode, LOAD_MODES)
    pages = [as_mode(a, mode) for a in _read_pages(path, first_only=False)]
    if len({a.shape for a in pages}) > 1:
        raise ValueError(
            f"'{path}': its pages differ in size ({', '.join(str(a.shape) for a in pages)}); "
            "load them one by one"
        )
    return np.stack(pages)


def bit_depth(path: str | os.PathLike) -> int:
    """Bits per sample stored in an image file: 8, 16, or 32 for floating point.

    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "deep.png"
    >>> _ = save(p, np.zeros((2, 2)), bits=16)
    >>> bit_depth(p)
    16
    """
    path = _existing_image(path)
    if _is_tiff(path):
        import tifffile

        with tifffile.TiffFile(path) as tif:
            dtype = tif.pages.first.dtype
        if dtype is None:
            return 8
        return 32 if dtype.kind == "f" else min(8 * dtype.itemsize, 16)
    try:
        with Image.open(path) as im:
            m = im.mode
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"'{path}' is not an image ({exc})") from None
    return 16 if m.startswith("I;16") or m == "I" else 32 if m == "F" else 8


def as_mode(a: np.ndarray, mode: str) -> np.ndarray:
    """Decoded pixels (channels last) as ``gray``, ``rgb`` or ``keep``."""
    if mode == "keep":
        return np.ascontiguousarray(a)
    channels = 1 if a.ndim == 2 else a.shape[2]
    if mode == "gray":
        if channels <= 2:
            return np.ascontiguousarray(a if a.ndim == 2 else a[..., 0])
        return (a[..., :3] @ _LUMA.astype(np.float32)).astype(np.float32)
    # rgb
    if channels <= 2:
        g = a if a.ndim == 2 else a[..., 0]
        return np.repeat(g[..., None], 3, axis=2)
    return np.ascontiguousarray(a[..., :3])


def _scaled(a: np.ndarray, scale: str) -> np.ndarray:
    if scale == "clip":
        return np.clip(a, 0.0, 1.0)
    if scale in ("abs", "contrast"):
        a = np.abs(a)
        top = a.max()
        if scale == "contrast":  # a few strong responses must not darken every other edge
            top = np.percentile(a, CONTRAST_PERCENTILE) or top
        return np.minimum(a / top, 1.0) if top > 0 else np.zeros_like(a)
    lo, hi = a.min(), a.max()
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def format_for(path: Path) -> str:
    ext = path.suffix.lower()
    fmt = Image.registered_extensions().get(ext)
    if fmt is None or fmt not in Image.SAVE:
        common = ".png, .jpg, .bmp, .tif, .gif, .webp"
        raise ValueError(
            f"cannot tell the image format of '{path}' from its extension "
            f"{ext or '(none)'!r}; use one of {common}"
        )
    return fmt


def save(
    path: str | os.PathLike,
    array: Any,
    scale: str = "clip",
    *,
    bits: int = 8,
) -> Path:
    """Write an array as an image file; the format comes from the extension.

    The file is written to a temporary name in the same folder and renamed, so
    an error never leaves a half-written image (an existing file is replaced
    only on success).

    Parameters
    ----------
    path : str or path-like
        Destination (``.png``, ``.jpg``, ``.bmp``, ``.tif``, ``.gif``, ...).
    array : array_like
        ``(rows, columns)`` gray, or ``(rows, columns, c)`` with ``c`` = 1 (gray),
        2 (gray + alpha), 3 (RGB) or 4 (RGBA); values nominally in ``[0, 1]``.
    scale : {'clip', 'minmax', 'abs', 'contrast'}
        How values map to ``[0, 1]`` before quantizing: ``clip`` cuts at 0 and 1;
        ``minmax`` maps ``[min, max]`` linearly onto ``[0, 1]`` (all channels
        together); ``abs`` shows ``|a| / max|a|`` (zero black, the strongest
        response white): the way to look at edge responses, which are signed;
        ``contrast`` shows ``|a|`` with its 99th percentile white and anything
        stronger clipped, so that the edges of a photo stay visible when a few
        pixels respond much more than the rest.
        An alpha channel (the last of 2 or 4) is only clipped.
    bits : {8, 16, 32}
        Bits per sample: 16 for PNG (gray) and TIFF (gray or colour), 32 for
        float32 TIFF (values after ``scale``, not quantized).

    Returns
    -------
    Path
        ``path``, the file written (atomically: it appears complete or not at all).

    Raises
    ------
    ValueError
        For an unknown extension or ``scale``, a bad shape, NaN/inf values, or a
        combination the format cannot store (alpha in JPEG, 16-bit colour PNG,
        32-bit other than TIFF).
    OSError
        If the folder does not exist or is not writable.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "edges.png"
    >>> _ = save(p, np.array([[-2.0, 0.0, 1.0]]), scale="abs")
    >>> (load(p) * 255).round()
    array([[255.,   0., 128.]], dtype=float32)
    """
    path = Path(path)
    encode = encoder(path, array, scale, bits)
    with atomic_open(path) as fh:
        encode(fh)
    return path


def save_pages(path: str | os.PathLike, pages: Any, scale: str = "clip", *,
               bits: int = 8) -> Path:
    """Write a batch of images ``(pages, rows, columns[, channels])`` as one multi-page TIFF.

    Each page as :func:`save` writes one image; ``scale`` maps all pages together.

    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "stack.tif"
    >>> _ = save_pages(p, np.zeros((2, 3, 4)), bits=16)
    >>> load_pages(p).shape
    (2, 3, 4)
    """
    path = Path(path)
    encode = encoder(path, pages, scale, bits, pages=True)
    with atomic_open(path) as fh:
        encode(fh)
    return path


def encoder(
    path: Path, array: Any, scale: str, bits: int, *, pages: bool = False
) -> Callable[[IO[bytes]], None]:
    """What :func:`save` (or :func:`save_pages`) writes to ``path``: every check, no I/O.

    Returns a function that writes the encoded file to an open binary handle.
    """
    if pages and format_for(path) != "TIFF":
        raise ValueError(f"cannot save '{path}': only TIFF holds several pages; use .tif")
    q = _quantized(path, np.asarray(array), scale, bits, pages=pages)
    return _pixel_writer(path, q, q.ndim == (4 if pages else 3))


def to_uint8(array: Any, scale: str = "clip") -> np.ndarray:
    """The 8-bit pixels :func:`save` would write to a PNG: ``round(255 * scaled)`` as ``uint8``.

    For drawing an image without encoding a file (the lab draws them on a canvas).

    Parameters
    ----------
    array : array_like
        As for :func:`save`.
    scale : {'clip', 'minmax', 'abs', 'contrast'}
        As for :func:`save`.

    Returns
    -------
    numpy.ndarray of uint8, the shape of ``array`` (a trailing axis of 1 dropped)

    Examples
    --------
    >>> import numpy as np
    >>> to_uint8(np.array([[-2.0, 0.0, 1.0]]), scale="abs")
    array([[255,   0, 128]], dtype=uint8)
    """
    return _quantized(Path("array.png"), np.asarray(array), scale, 8, pages=False)


def _quantized(path: Path, a: np.ndarray, scale: str, bits: int, *, pages: bool) -> np.ndarray:
    """``a`` scaled and stored as the samples of ``path``'s format (uint8, uint16 or float32)."""
    scale = choice("scale", scale, SCALES)
    if bits not in (8, 16, 32) or isinstance(bits, bool):
        raise ValueError(f"`bits` must be 8, 16 or 32; got {bits!r}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"`array` must be a real numeric array; got dtype {a.dtype}")
    lead = 1 if pages else 0
    if a.ndim == 3 + lead and a.shape[-1] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 + lead or (a.ndim == 3 + lead and a.shape[-1] in (2, 3, 4))) or (
        a.size == 0
    ):
        what = "(pages, rows, columns[, 1|2|3|4])" if pages else "(rows, columns[, 1|2|3|4])"
        raise ValueError(f"`array` must be {what} and not empty; got shape {a.shape}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("`array` contains NaN or infinite values; cannot save it as an image")
    fmt = format_for(path)
    colour = a.ndim == 3 + lead
    has_alpha = colour and a.shape[-1] in (2, 4)
    if fmt == "JPEG" and has_alpha:
        raise ValueError(
            f"cannot save '{path}': JPEG has no alpha channel; drop it or use .png"
        )
    if bits == 16 and not (fmt == "TIFF" or (fmt == "PNG" and not colour)):
        raise ValueError(
            f"cannot save '{path}' with 16 bits: only gray PNG and TIFF images can be 16-bit"
        )
    if bits == 32 and fmt != "TIFF":
        raise ValueError(f"cannot save '{path}' with 32-bit float samples: only TIFF holds them")
    if has_alpha:  # alpha is opacity, not a response to rescale: only clipped
        a = np.concatenate([_scaled(a[..., :-1], scale), np.clip(a[..., -1:], 0.0, 1.0)], axis=-1)
    else:
        a = _scaled(a, scale)
    if bits == 32:
        return a.astype(np.float32)
    top = 65535 if bits == 16 else 255
    return np.round(a * top).astype(np.uint16 if bits == 16 else np.uint8)


def _pixel_writer(path: Path, q: np.ndarray, colour: bool) -> Callable[[IO[bytes]], None]:
    """Samples as ``path``'s format: TIFF through tifffile (any depth, pages), else Pillow."""
    fmt = format_for(path)
    if fmt == "TIFF":
        import tifffile

        channels = q.shape[-1] if colour else 1
        options: dict[str, Any] = {"photometric": "rgb" if channels >= 3 else "minisblack"}
        if colour:
            options["planarconfig"] = "contig"
        if channels in (2, 4):
            options["extrasamples"] = ["unassalpha"]

        def write(fh: IO[bytes]) -> None:
            buffer = io.BytesIO()
            tifffile.imwrite(buffer, q, **options)
            fh.write(buffer.getvalue())

        return write
    im = Image.fromarray(q)

    def write(fh: IO[bytes]) -> None:
        im.save(fh, format=fmt)

    return write
