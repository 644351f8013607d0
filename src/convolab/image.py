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

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

import convolab
from convolab import kernels as _kernels
from convolab._image_decode import _existing_image, _is_tiff, _read_pages
from convolab.checks import choice as _choice
from convolab.outputs import atomic_open

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

LOAD_MODES = ("gray", "rgb", "keep")
SCALES = ("clip", "minmax", "abs", "contrast")
CONTRAST_PERCENTILE = 99.0  # scale="contrast": this percentile of |a| is white
OPS = ("correlate", "convolve")
_EDGE_OPERATORS = ("sobel", "scharr", "prewitt", "laplacian")
# ITU-R BT.601 luma, the weights Pillow's "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114])


# --------------------------------------------------------------------------- I/O


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
    mode = _choice("mode", mode, LOAD_MODES)
    return _as_mode(_read_pages(path, first_only=True)[0], mode)


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
    mode = _choice("mode", mode, LOAD_MODES)
    pages = [_as_mode(a, mode) for a in _read_pages(path, first_only=False)]
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


def _as_mode(a: np.ndarray, mode: str) -> np.ndarray:
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


def _format_for(path: Path) -> str:
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
        ``path``.

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
    encode = _encoder(path, array, scale, bits)
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
    encode = _encoder(path, pages, scale, bits, pages=True)
    with atomic_open(path) as fh:
        encode(fh)
    return path


def _encoder(
    path: Path, array: Any, scale: str, bits: int, *, pages: bool = False
) -> Callable[[IO[bytes]], None]:
    """What :func:`save` (or :func:`save_pages`) writes to ``path``: every check, no I/O.

    Returns a function that writes the encoded file to an open binary handle.
    """
    if pages and _format_for(path) != "TIFF":
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
    scale = _choice("scale", scale, SCALES)
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
    fmt = _format_for(path)
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
    fmt = _format_for(path)
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


# --------------------------------------------------------------------------- filtering


def _as_image(img: Any) -> np.ndarray:
    a = np.asarray(img)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"`img` must be a real numeric array; got dtype {a.dtype}")
    if a.ndim not in (2, 3) or a.size == 0:
        raise ValueError(
            "`img` must be a non-empty 2D (rows, columns) or 3D (rows, columns, channels) "
            f"array; got shape {a.shape}"
        )
    return a


def _as_kernel(kernel: Any, img: np.ndarray) -> np.ndarray:
    """The kernel as a 2D array in the image's float dtype (float32 images stay float32)."""
    if isinstance(kernel, str):
        k = _kernels.from_spec(kernel)
    else:
        k = np.asarray(kernel)
        if k.dtype.kind not in "biuf":
            raise TypeError(f"`kernel` must be a real numeric array or a name; got dtype {k.dtype}")
    if k.ndim != 2 or k.size == 0:
        raise ValueError(f"`kernel` must be a non-empty 2D array; got shape {k.shape}")
    if img.dtype.kind == "f" and img.dtype.itemsize <= 4:
        return k.astype(np.float32)
    return k.astype(np.float64)


def _engine(op: str):
    return convolab.correlate if op == "correlate" else convolab.convolve


def _filter_planes(
    a: np.ndarray,
    k: np.ndarray,
    mode: str = "same",
    boundary: str = "reflect",
    op: str = "correlate",
    fill_value: float = 0.0,
    method: str = "auto",
) -> np.ndarray:
    """The engine over the two spatial axes of ``(rows, columns[, channels])``; channels broadcast.

    The channels stay interleaved: the engine's stencil method filters them in
    place (other methods move them to the front and back themselves).
    """
    return _engine(op)(
        a, k, mode, boundary=boundary, fill_value=fill_value, axes=(0, 1), method=method
    )


def filter(  # noqa: A001 - the natural name; shadows the builtin only inside this module
    img: Any,
    kernel: Any,
    mode: str = "same",
    boundary: str = "reflect",
    op: str = "correlate",
    *,
    fill_value: float = 0.0,
    method: str = "auto",
) -> np.ndarray:
    r"""Filter a gray or colour image with a 2D kernel, every channel alike.

    ``op='correlate'`` (the default, what the kernels in :mod:`convolab.kernels`
    are written for): :math:`y[r, c] = \sum_{i,j} x[r + i - p_0, c + j - p_1]\, k[i, j]`;
    ``op='convolve'`` flips the kernel first. Samples beyond the border come from
    ``boundary`` (``numpy.pad`` names: ``reflect`` is ``dcb|abcd|cba`` without
    repeating the edge, i.e. ``scipy.ndimage``'s ``mirror``).

    Parameters
    ----------
    img : array_like
        ``(rows, columns)`` or ``(rows, columns, channels)``.
    kernel : array_like or str
        A 2D kernel, or a name spec such as ``"gaussian:sigma=2"`` (see
        :func:`convolab.kernels.from_spec`).
    mode : {'same', 'full', 'valid'}
        Output size (see Shape).
    boundary : {'reflect', 'constant', 'edge', 'symmetric', 'wrap'}
        Border rule, ``fill_value`` for ``constant``.
    op : {'correlate', 'convolve'}
    fill_value : float
    method : str
        Engine algorithm, ``'auto'`` by default (see :func:`convolab.choose_method`).

    Returns
    -------
    ndarray
        float32 for float32 (or smaller float) images, float64 otherwise.

    Notes
    -----
    Shape: a ``k_r x k_c`` kernel gives ``(rows, columns)`` for ``same``,
    ``(rows + k_r - 1, columns + k_c - 1)`` for ``full`` and
    ``(rows - k_r + 1, columns - k_c + 1)`` for ``valid``; channels are kept.
    ``valid`` with a kernel larger than the image is an error (the engine, on
    plain arrays, follows SciPy and slides the larger operand over the smaller).
    ``same`` is centred like :func:`scipy.signal.correlate` (for an even kernel
    the extra row/column of padding goes before).

    Examples
    --------
    >>> import numpy as np
    >>> filter(np.arange(9.0).reshape(3, 3), np.ones((1, 2)), mode="valid")
    array([[ 1.,  3.],
           [ 7.,  9.],
           [13., 15.]])
    >>> filter(np.ones((4, 4, 3)), "box:size=3", boundary="constant")[..., 0]
    array([[0.44444444, 0.66666667, 0.66666667, 0.44444444],
           [0.66666667, 1.        , 1.        , 0.66666667],
           [0.66666667, 1.        , 1.        , 0.66666667],
           [0.44444444, 0.66666667, 0.66666667, 0.44444444]])
    """
    a = _as_image(img)
    op = _choice("op", op, OPS)
    k = _as_kernel(kernel, a)
    if mode == "valid" and (k.shape[0] > a.shape[0] or k.shape[1] > a.shape[1]):
        raise ValueError(
            f"the kernel ({k.shape[0]} x {k.shape[1]}) is larger than the image "
            f"({a.shape[0]} x {a.shape[1]}): mode 'valid' has no position where it fits"
        )
    return _filter_planes(a, k, mode, boundary, op, fill_value, method)


def blur(
    img: Any,
    sigma: float | tuple[float, float] = 1.0,
    boundary: str = "reflect",
    *,
    truncate: float = 4.0,
    fill_value: float = 0.0,
) -> np.ndarray:
    r"""Gaussian blur: one engine call with the separable kernel :math:`k = g_y g_x^T`.

    Equal to :func:`filter` with :func:`convolab.kernels.gaussian`, and to
    ``scipy.ndimage.gaussian_filter`` with the matching border mode. The engine
    sees that the kernel has rank 1 and runs it as two 1D sums (in one pass over
    the image for small kernels: the ``stencil`` method).

    Parameters
    ----------
    img : array_like
        ``(rows, columns)`` or ``(rows, columns, channels)``.
    sigma : float or (float, float)
        Standard deviation in pixels (or ``(sigma_y, sigma_x)``).
    boundary, fill_value
        As in :func:`filter`.
    truncate : float
        Kernel radius ``int(truncate * sigma + 0.5)``.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import kernels
    >>> x = np.zeros((5, 5)); x[2, 2] = 1.0       # an impulse: the blur shows the kernel
    >>> bool(np.allclose(blur(x, 0.5, truncate=2.0)[1:4, 1:4], kernels.gaussian(0.5, size=3)))
    True
    """
    a = _as_image(img)
    g = _kernels.gaussian(sigma, truncate=truncate)
    dtype = np.float32 if a.dtype.kind == "f" and a.dtype.itemsize <= 4 else np.float64
    gy = g.sum(axis=1, keepdims=True).astype(dtype)  # (k_r, 1)
    gx = g.sum(axis=0, keepdims=True).astype(dtype)  # (1, k_c)
    return _filter_planes(a, gy * gx, "same", boundary, fill_value=fill_value)


def sharpen(img: Any, boundary: str = "reflect") -> np.ndarray:
    """Sharpen with :func:`convolab.kernels.sharpen` (``[[0,-1,0],[-1,5,-1],[0,-1,0]]``).

    The result is ``x + (4-neighbour edge response)``: flat regions are
    unchanged, edges are steepened (values may leave ``[0, 1]``).

    >>> import numpy as np
    >>> sharpen(np.array([[0.0, 0.0, 1.0, 1.0]]), boundary="edge")
    array([[ 0., -1.,  2.,  1.]])
    """
    return filter(img, _kernels.sharpen(), "same", boundary)


def unsharp_mask(
    img: Any,
    sigma: float = 1.0,
    amount: float = 1.0,
    boundary: str = "reflect",
) -> np.ndarray:
    """Unsharp masking: ``x + amount * (x - blur(x, sigma))``.

    The same as filtering with :func:`convolab.kernels.unsharp` but computed with
    the separable blur. Values may leave ``[0, 1]``; :func:`save` clips them.

    >>> import numpy as np
    >>> x = np.full((4, 4), 0.5)
    >>> bool(np.allclose(unsharp_mask(x, 1.0, 2.0), x))   # flat images are unchanged
    True
    """
    a = _as_image(img)
    amount = float(amount)
    b = blur(a, sigma, boundary)
    a = a.astype(b.dtype, copy=False)
    return a + b.dtype.type(amount) * (a - b)


def edges(
    img: Any,
    operator: str = "sobel",
    boundary: str = "reflect",
    *,
    return_direction: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r"""Edge strength: gradient magnitude :math:`\sqrt{g_x^2 + g_y^2}` from two engine correlations.

    ``g_x`` and ``g_y`` are the correlations with ``operator(axis='x')`` and
    ``operator(axis='y')`` (Sobel, Scharr or Prewitt; see
    :mod:`convolab.kernels`). ``operator='laplacian'`` returns ``|x ⋆ L|`` with
    the articles' 8-neighbour kernel instead (it has no direction).

    Parameters
    ----------
    img : array_like
        ``(rows, columns)`` or ``(rows, columns, channels)`` (one magnitude per channel).
    operator : {'sobel', 'scharr', 'prewitt', 'laplacian'}
    boundary : str
        As in :func:`filter`.
    return_direction : bool
        Also return the gradient direction ``arctan2(-g_y, g_x)`` in radians,
        counter-clockwise from the ``x`` axis with ``y`` pointing *up* the
        screen (``g_y`` is the derivative down the rows).

    Returns
    -------
    magnitude : ndarray
    direction : ndarray, only with ``return_direction=True``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((4, 4)); x[:, 2:] = 1.0
    >>> edges(x, boundary="edge")
    array([[0., 4., 4., 0.],
           [0., 4., 4., 0.],
           [0., 4., 4., 0.],
           [0., 4., 4., 0.]])
    >>> float(edges(x, return_direction=True)[1][0, 1])   # brighter to the right: angle 0
    0.0
    """
    operator = _choice("operator", operator, _EDGE_OPERATORS)
    if operator == "laplacian":
        if return_direction:
            raise ValueError("`return_direction=True` needs a gradient operator; "
                             "the Laplacian has no direction")
        return np.abs(filter(img, _kernels.laplacian(8), "same", boundary))
    a = _as_image(img)
    make = getattr(_kernels, operator)
    kx, ky = _as_kernel(make("x"), a), _as_kernel(make("y"), a)
    if not return_direction:  # both correlations and the norm in one pass, where it applies
        from convolab.conv.stencil import gradient_norm

        mag = gradient_norm(a, kx, ky, boundary)
        if mag is not None:
            return mag
    gx = _filter_planes(a, kx, "same", boundary)
    gy = _filter_planes(a, ky, "same", boundary)
    direction = None
    if return_direction:
        # + 0.0 turns -0.0 into 0.0
        direction = np.arctan2(np.negative(gy), gx) + 0.0
    # |g| <= sum|k| * max|x|: when g_x**2 + g_y**2 cannot overflow, skip hypot's care (3x faster)
    top = max(float(a.max()), -float(a.min())) * float(np.abs(kx).sum())
    mag = _magnitude(gx, gy, safe=2 * top * top < float(np.finfo(gx.dtype).max))
    return (mag, direction) if return_direction else mag


def _magnitude(gx: np.ndarray, gy: np.ndarray, *, safe: bool) -> np.ndarray:
    """``sqrt(gx**2 + gy**2)`` in place in ``gx``; ``np.hypot`` unless no square can overflow."""
    if not safe:
        return np.hypot(gx, gy, out=gx)
    np.multiply(gx, gx, out=gx)
    np.multiply(gy, gy, out=gy)
    np.add(gx, gy, out=gx)
    return np.sqrt(gx, out=gx)


def filter_large(
    array_or_path: Any,
    kernel: Any,
    chunks: int | tuple[int, int] | None = None,
    client: Any = None,
    **filter_options: Any,
) -> Any:
    """Filter an image too large for memory (or for one core) in chunks on Dask.

    Same result as :func:`filter` with the same ``mode``/``boundary``/``op``/
    ``fill_value`` options, at chunk seams and image borders alike. Needs the
    optional extra ``convolab[scale]`` (Dask). See
    :func:`convolab.distributed.filter_large` for the parameters.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((50, 40))
    >>> y = filter_large(x, "sobel:axis=x", chunks=16, boundary="wrap")
    >>> bool(np.allclose(y, filter(x, "sobel:axis=x", boundary="wrap")))
    True
    """
    from convolab.distributed import filter_large as _filter_large

    return _filter_large(array_or_path, kernel, chunks=chunks, client=client, **filter_options)
