"""Decoding image files into float pixels: Pillow, and tifffile for TIFF (any depth, pages).

Private helpers of :mod:`convolab.image`, which holds the public readers
(:func:`convolab.image.load`, :func:`convolab.image.load_pages`).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from convolab.checks import check_fits

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF


def _pixels(im: Image.Image, path: Path) -> np.ndarray:
    """The decoded pixels of ``im`` as float32 in [0, 1], channels last, nothing dropped."""
    m = im.mode
    if m in ("P", "PA"):
        im = im.convert("RGBA" if m == "PA" or "transparency" in im.info else "RGB")
        rgba = np.asarray(im)
        if np.array_equal(rgba[..., 0], rgba[..., 1]) and np.array_equal(
            rgba[..., 0], rgba[..., 2]
        ):  # a gray palette (e.g. a gray GIF): keep it gray
            gray = rgba[..., [0, 3]] if rgba.shape[2] == 4 else rgba[..., 0]
            return gray.astype(np.float32) / np.float32(255)
    elif m in ("La",):
        im = im.convert("LA")
    elif m in ("RGBa", "RGBX"):
        im = im.convert("RGBA" if m == "RGBa" else "RGB")
    elif m in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    m = im.mode
    a = np.asarray(im)
    if m == "1":
        return a.astype(np.float32)
    if m.startswith("I;16"):
        return (a.astype(np.float32) / 65535).astype(np.float32)
    if m == "I":
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise ValueError(
                f"'{path}': 32-bit integer pixels outside 0..65535 are not supported"
            )
        return (a.astype(np.float64) / 65535).astype(np.float32)
    if m == "F":
        return a.astype(np.float32)
    if a.dtype != np.uint8:
        raise ValueError(f"'{path}': unsupported pixel mode {m!r}")
    return a.astype(np.float32) / np.float32(255)


def _existing_image(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"image file '{path}' does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a folder, not an image file")
    return path


def _is_tiff(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in _TIFF_MAGIC
    except PermissionError as exc:
        raise PermissionError(f"cannot read '{path}': {exc.strerror}") from None


def _bomb(path: Path, pixels: int) -> ValueError:
    return ValueError(
        f"'{path}' is refused by the decompression-bomb guard ({pixels} pixels is more than "
        f"{2 * Image.MAX_IMAGE_PIXELS}); for huge images save the pixels as .npy and use "
        "filter_large, which memory-maps them"
    )


def _read_pages(path: str | os.PathLike | BinaryIO, *, first_only: bool) -> list[np.ndarray]:
    """The decoded pages of an image file, float32 in [0, 1] (floats unscaled), channels last.

    ``path`` may also be an open binary file (an upload), decoded from memory.
    """
    if hasattr(path, "read"):
        source: Path | io.BytesIO = io.BytesIO(path.read())
        path = Path("<bytes>")
        tiff = source.getvalue()[:4] in _TIFF_MAGIC
    else:
        path = source = _existing_image(path)
        tiff = _is_tiff(path)
    if tiff:
        pages = _read_tiff(source, path, first_only)
        if pages is not None:
            return pages
    try:
        with Image.open(source) as im:
            _check_png_depth(source, path, im)
            frames = []
            for index in range(1 if first_only else getattr(im, "n_frames", 1)):
                im.seek(index)
                im.load()  # decodes now so that truncation is caught here
                upright = ImageOps.exif_transpose(im)  # camera orientation tag, if any
                frames.append(_pixels(upright if upright is not None else im, path))
    except UnidentifiedImageError:
        raise ValueError(f"'{path}' is not an image (no format Pillow or tifffile reads)") from None
    except Image.DecompressionBombError as exc:
        raise ValueError(
            f"'{path}' is refused by Pillow's decompression-bomb guard ({exc}); for huge "
            "images save the pixels as .npy and use filter_large, which memory-maps them"
        ) from None
    except PermissionError as exc:
        raise PermissionError(f"cannot read '{path}': {exc.strerror}") from None
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError(f"'{path}' is a truncated or corrupt image ({exc})") from None
    return frames


def _check_png_depth(source: Path | io.BytesIO, path: Path, im: Image.Image) -> None:
    """Pillow decodes 16-bit colour PNGs to 8 bits: refuse rather than lose the depth."""
    if im.format == "PNG" and im.mode in ("RGB", "RGBA", "LA"):
        if isinstance(source, io.BytesIO):
            header = source.getvalue()[:26]
        else:
            with open(source, "rb") as fh:
                header = fh.read(26)
        if len(header) > 24 and header[24] == 16:
            raise ValueError(
                f"'{path}' is a 16-bit colour PNG, which can only be read at 8 bits here; "
                "save it as a 16-bit TIFF to keep its depth"
            )


def _read_tiff(
    source: Path | io.BytesIO, path: Path, first_only: bool
) -> list[np.ndarray] | None:
    """TIFF pages through tifffile (any depth, float, multi-page); None if it cannot decode."""
    import tifffile

    try:
        with tifffile.TiffFile(source) as tif:
            pages = list(tif.pages)[:1] if first_only else list(tif.pages)
            out = []
            for page in pages:
                shape = page.shape
                pixels = int(np.prod(shape[-2:] if page.axes.startswith("S") else shape[:2]))
                if pixels > 2 * Image.MAX_IMAGE_PIXELS:
                    raise _bomb(path, pixels)
                check_fits(shape, 4, f"a page of '{path}'")
                out.append(_tiff_pixels(page.asarray(), page.axes, path))
    except ValueError as exc:
        if "imagecodecs" in str(exc):
            return None  # a compression only Pillow decodes here
        raise
    except (tifffile.TiffFileError, OSError, EOFError, IndexError) as exc:
        raise ValueError(f"'{path}' is a truncated or corrupt image ({exc})") from None
    return out


def _tiff_pixels(a: np.ndarray, axes: str, path: Path) -> np.ndarray:
    """One TIFF page as float32, channels last: integers scaled by their maximum, floats kept."""
    if axes.startswith("S") and a.ndim == 3:  # planar configuration: channels first
        a = np.moveaxis(a, 0, -1)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3):
        raise ValueError(f"'{path}': a page of shape {a.shape} is not an image")
    if a.dtype.kind == "b":
        return a.astype(np.float32)
    if a.dtype.kind == "u":
        return (a.astype(np.float64) / np.iinfo(a.dtype).max).astype(np.float32)
    if a.dtype.kind == "f":
        return a.astype(np.float32)
    raise ValueError(f"'{path}': {a.dtype} samples are not supported (unsigned or float only)")
