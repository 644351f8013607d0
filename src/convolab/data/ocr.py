"""Synthetic OCR digits rendered from TrueType fonts, MNIST style.

Each digit is drawn once per font and stroke width with Pillow (the glyph bank);
every sample is then one affine warp of a bank glyph (rotation, shear, scale,
aspect, shift) that puts the glyph's centre of mass at the image centre as
MNIST does, computed for a whole chunk of samples in one
:func:`convolab.data.augment.sample_bilinear` call at twice the resolution and
averaged down (anti-aliasing). Blur goes through the convolution engine, noise is added last.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from convolab.data.augment import _gaussian, sample_bilinear
from convolab.data.augment import elastic_field as _elastic_field
from convolab.data.loader import ArrayDataset

__all__ = ["find_fonts", "ocr_digits"]

_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "~/.local/share/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
# Symbol-only and size-variant fonts whose digit code points hold no digits.
_SKIP = ("cmex", "cmsy", "stixsiz", "stixnonuni", "lastresort", "symbol", "webding", "wingding",
         "emoji", "dingbat")  # fmt: skip
_CANVAS = 64  # glyph bank canvas (pixels)
_FONT_PX = 40  # font size used for the bank
_STROKES = (0, 1, 2)  # extra stroke width (pixels at bank size)
_BLURS = (0.0, 0.5, 0.8, 1.1)  # Gaussian sigma choices (pixels at 28x28)


def _fc_list() -> list[str]:
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--format", "%{file}\n"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip()]


def _bundled_fonts() -> list[str]:
    """Fonts shipped with Matplotlib (a dependency): DejaVu, STIX, Computer Modern."""
    try:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    except Exception:  # pragma: no cover - matplotlib is a dependency
        return []
    return [str(p) for p in folder.glob("*.ttf")]


def _digit_bitmaps(path: str) -> np.ndarray | None:
    """Render 0-9 with one font; ``None`` if the font cannot draw ten distinct digits."""
    try:
        font = ImageFont.truetype(path, _FONT_PX)
    except OSError:
        return None
    return _render_digits(font, 0)


def _render_digits(font, stroke: int) -> np.ndarray | None:
    out = np.zeros((10, _CANVAS, _CANVAS), dtype=np.float32)
    for d in range(10):
        image = Image.new("L", (_CANVAS, _CANVAS), 0)
        draw = ImageDraw.Draw(image)
        try:
            draw.text((_CANVAS / 2, _CANVAS / 2), str(d), fill=255, font=font, anchor="mm",
                      stroke_width=stroke, stroke_fill=255)  # fmt: skip
        except (ValueError, TypeError):  # bitmap fonts: no anchor / stroke support
            draw.text((_CANVAS / 4, _CANVAS / 4), str(d), fill=255, font=font)
        out[d] = np.asarray(image, dtype=np.float32) / 255.0
    ink = out.reshape(10, -1)
    if (ink.sum(axis=1) < 4.0).any():
        return None
    if len({row.tobytes() for row in ink > 0.5}) < 10:  # (np.unique(axis=0) is 50x slower)
        return None
    return out


def find_fonts(extra_dirs: Sequence[str | os.PathLike] = ()) -> list[Path]:
    """TrueType/OpenType fonts on this system that can draw the ten digits.

    Sources, in order: ``fc-list``, the usual font folders of Linux, macOS and
    Windows, ``extra_dirs``, and the fonts shipped with Matplotlib. Fonts whose
    digits are missing or indistinguishable (symbol fonts) are left out.

    Parameters
    ----------
    extra_dirs : sequence of path-like
        More folders to search.

    Returns
    -------
    list of pathlib.Path
        Sorted by file name, one per name (possibly empty).

    Examples
    --------
    >>> all(p.suffix.lower() in (".ttf", ".otf", ".ttc") for p in find_fonts())
    True
    """
    return list(_usable_fonts(tuple(str(d) for d in extra_dirs)))


@functools.lru_cache(maxsize=8)
def _usable_fonts(extra_dirs: tuple[str, ...]) -> tuple[Path, ...]:
    candidates = set(_fc_list())
    for folder in (*_FONT_DIRS, *extra_dirs):
        folder = Path(folder).expanduser()
        if folder.is_dir():
            candidates.update(str(p) for p in folder.rglob("*") if p.suffix.lower() in
                              _FONT_SUFFIXES)  # fmt: skip
    candidates.update(_bundled_fonts())
    keep = []
    for path in sorted(candidates):
        name = Path(path).name.lower()
        if Path(path).suffix.lower() not in _FONT_SUFFIXES or any(s in name for s in _SKIP):
            continue
        if _digit_bitmaps(path) is not None:
            keep.append(Path(path))
    # One copy of each font file name (system fonts first, then Matplotlib's copies).
    bundled = set(_bundled_fonts())
    unique: dict[str, Path] = {}
    for p in sorted(keep, key=lambda p: (str(p) in bundled, str(p))):
        unique.setdefault(p.name.lower(), p)
    # Ordered by file name, not path, so a data set does not depend on where Python lives.
    return tuple(sorted(unique.values(), key=lambda p: p.name.lower()))


def _load_font(path) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path is None:  # Pillow's built-in font (scalable since Pillow 10.1)
        try:
            return ImageFont.load_default(size=_FONT_PX)
        except TypeError:  # pragma: no cover - old Pillow
            return ImageFont.load_default()
    try:
        return ImageFont.truetype(str(path), _FONT_PX)
    except OSError as exc:
        raise ValueError(
            f"`fonts` entry {str(path)!r} is not a readable font file: {exc}"
        ) from exc


@functools.lru_cache(maxsize=4)
def _glyph_bank(fonts: tuple) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Glyphs (F*S*10, C, C), their (F*S*10,) font index, and the font names used."""
    glyphs, owner, names = [], [], []
    for path in fonts:
        font = _load_font(path)
        per_font = [_render_digits(font, s) for s in _STROKES]
        if any(g is None for g in per_font):
            if path is not None:
                raise ValueError(f"`fonts` entry {str(path)!r} cannot draw ten distinct digits")
            continue
        glyphs.extend(per_font)
        owner.extend([len(names)] * len(per_font) * 10)
        names.append("pillow-default" if path is None else Path(path).name)
    if not glyphs:
        raise ValueError("no font can draw the ten digits (not even Pillow's built-in font)")
    return np.concatenate(glyphs), np.asarray(owner), names


def _span(mask: np.ndarray) -> np.ndarray:
    """Length of the run from the first to the last True of each row of ``mask``."""
    return (mask.shape[1] - mask[:, ::-1].argmax(axis=1) - mask.argmax(axis=1)).astype(float)


def _blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a stack (N, H, W) through the convolution engine."""
    import convolab

    kernel = _gaussian(sigma)[None]
    return convolab.correlate(images, kernel, mode="same", axes=(-2, -1)).astype(np.float32)


def _warp(bank, com, extent, params, size, rng, chunk=512) -> np.ndarray:
    """Sample every glyph through its affine map (and elastic field) into (N, size, size)."""
    glyph, angle, shear, height, aspect, shift, elastic = params
    n = len(glyph)
    centre = size / 2.0  # MNIST puts the centre of mass at pixel (14, 14) of 28x28
    # Output grid at 2x resolution, in output-pixel coordinates (pixel centres at integers).
    sub = (np.arange(2 * size) + 0.5) / 2.0 - 0.5 - centre
    py, px = np.meshgrid(sub, sub, indexing="ij")
    out = np.empty((n, size, size), dtype=np.float32)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        g = glyph[a:b]
        scale = height[a:b] / extent[g]
        c, s = np.cos(angle[a:b]), np.sin(angle[a:b])
        # Forward map M = R(angle) @ Shear(shear) @ diag(scale, scale * aspect), acting on (y, x).
        m = np.empty((b - a, 2, 2))
        sy, sx = scale, scale * aspect[a:b]
        m[:, 0, 0] = c * sy
        m[:, 0, 1] = (c * shear[a:b] - s) * sx
        m[:, 1, 0] = s * sy
        m[:, 1, 1] = (s * shear[a:b] + c) * sx
        inv = np.linalg.inv(m)
        qy = py[None] - shift[a:b, 0, None, None]
        qx = px[None] - shift[a:b, 1, None, None]
        if elastic.any():  # smooth field at output resolution, repeated onto the 2x grid
            field = _elastic_field(rng, b - a, size, 4.0 * size / 28, elastic[a:b] * size / 28)
            field = field.repeat(2, axis=2).repeat(2, axis=3)
            qy = qy + field[:, 0]
            qx = qx + field[:, 1]
        coords = np.empty((b - a, 2, *qy.shape[1:]))
        for row in range(2):  # (uy, ux) = inv @ (qy, qx) + the glyph's centre of mass
            np.multiply(inv[:, row, 0, None, None], qy, out=coords[:, row])
            coords[:, row] += inv[:, row, 1, None, None] * qx
            coords[:, row] += com[g, row, None, None]
        fine = sample_bilinear(bank[:, None], coords, index=g)
        out[a:b] = fine.reshape(b - a, size, 2, size, 2).mean(axis=(2, 4))
    return out


def _recentre(images: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Move each image's centre of mass to ``centre`` (per image, (N, 2)) by bilinear resampling."""
    n, h, w = images.shape
    mass = np.maximum(images.sum(axis=(1, 2)), 1e-12)
    com = np.stack([images.sum(axis=2) @ np.arange(h), images.sum(axis=1) @ np.arange(w)], 1)
    offset = centre - com / mass[:, None]
    yy, xx = np.meshgrid(np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij")
    coords = np.stack([yy[None] - offset[:, 0, None, None], xx[None] - offset[:, 1, None, None]], 1)
    return sample_bilinear(images[:, None], coords)[:, 0]


def ocr_digits(
    n: int,
    size: int = 28,
    fonts: Sequence[str | os.PathLike] | None = None,
    seed: int = 0,
    *,
    max_rotation: float = 12.0,
    max_shear: float = 0.25,
    max_shift: float = 1.0,
    noise: float = 0.05,
    elastic: float = 1.5,
) -> ArrayDataset:
    """A synthetic OCR data set: digits 0-9 rendered from fonts, MNIST style.

    Parameters
    ----------
    n : int
        Number of samples (labels balanced, in random order).
    size : int
        Output images are ``size x size`` (MNIST: 28); the digit's bounding box is
        about 15/28 to 21/28 of it, as MNIST's 20-pixel box.
    fonts : sequence of path-like, optional
        Font files; default :func:`find_fonts`, or Pillow's built-in font when no
        font is found.
    seed : int
        The same seed (and the same fonts) gives identical images.
    max_rotation : float
        Rotation drawn uniformly in ``[-max_rotation, max_rotation]`` degrees.
    max_shear : float
        Horizontal shear factor range (slanted handwriting).
    max_shift : float
        Shift of the centre of mass from the image centre, pixels at 28x28 scale.
    noise : float
        Largest standard deviation of the additive Gaussian noise (each image draws one).
    elastic : float
        Largest RMS displacement (pixels at 28x28 scale) of the elastic distortion: a
        smooth random field (white noise blurred with a Gaussian of sigma 4 pixels),
        which bends strokes the way handwriting does. 0 turns it off.

    Returns
    -------
    ArrayDataset
        ``x`` float32 ``(n, 1, size, size)`` in [0, 1] (white digit on black like MNIST),
        ``y`` int64 digit labels; ``extras['font']`` the index of each sample's font
        in ``fonts`` (or :func:`find_fonts`).

    Raises
    ------
    ValueError
        If ``n < 1``, ``size < 8`` or a given font cannot draw the digits.

    Notes
    -----
    Per sample: a glyph (font, digit, stroke width 0-2 pixels at 40 px), then the
    affine map ``p = c + t + R(theta) Sh(s) diag(h/e, a h/e) (u - m)``, where ``m`` is
    the glyph's centre of mass, ``e`` its larger bounding-box side, ``h`` the target
    size, ``a`` an aspect jitter, ``c`` the image centre and ``t`` the random shift;
    the centre of mass of an image moves with an affine map, so the digit ends up
    centred by mass as MNIST's are. An elastic displacement field bends the strokes
    (the sampling point ``p`` moves by a smooth random field of RMS up to
    ``elastic`` pixels), after which each image is shifted back so that its centre
    of mass is again at ``c + t``. Then a Gaussian blur of random width (sigma in
    {0, 0.5, 0.8, 1.1} pixels, through :func:`convolab.correlate`), a rescale to
    peak 1, and noise clipped to [0, 1].

    Examples
    --------
    >>> ds = ocr_digits(20, seed=1)
    >>> ds.x.shape, ds.x.dtype, sorted(set(ds.y.tolist())) == list(range(10))
    ((20, 1, 28, 28), dtype('float32'), True)
    >>> bool(np.array_equal(ds.x, ocr_digits(20, seed=1).x))
    True
    """
    for label, value, low in (("n", n, 1), ("size", size, 8)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"`{label}` must be an integer; got {value!r}")
        if value < low:
            raise ValueError(f"`{label}` must be >= {low}; got {value}")
    font_list = list(fonts) if fonts is not None else find_fonts()
    bank, _, names = _glyph_bank(tuple(font_list) or (None,))
    ink = bank.sum(axis=(1, 2))
    grid = np.arange(_CANVAS, dtype=np.float64)
    com = np.stack([(bank.sum(axis=2) @ grid) / ink, (bank.sum(axis=1) @ grid) / ink], axis=1)
    extent = np.maximum(_span(bank.max(axis=2) > 0.3), _span(bank.max(axis=1) > 0.3))

    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10)
    n_fonts = len(names)
    font = rng.integers(0, n_fonts, n)
    stroke = rng.integers(0, len(_STROKES), n)
    glyph = (font * len(_STROKES) + stroke) * 10 + labels
    k = size / 28.0
    params = (
        glyph,
        np.deg2rad(rng.uniform(-max_rotation, max_rotation, n)),
        rng.uniform(-max_shear, max_shear, n),
        rng.uniform(15.0, 21.0, n) * k,
        rng.uniform(0.85, 1.15, n),
        rng.uniform(-max_shift, max_shift, (n, 2)) * k,
        rng.uniform(0.0, elastic, n),
    )
    blur = rng.integers(0, len(_BLURS), n)
    sigma_noise = rng.uniform(0.0, noise, n).astype(np.float32)
    noise_field = rng.standard_normal((n, size, size), dtype=np.float32)

    images = _warp(bank, com, extent, params, size, rng)
    if elastic > 0:  # a bent glyph's centre of mass moves a little: put it back
        images = _recentre(images, size / 2.0 + params[5])
    for b, sigma in enumerate(_BLURS):
        pick = blur == b
        if sigma > 0 and pick.any():
            images[pick] = _blur(images[pick], sigma * k)
    peak = images.reshape(n, -1).max(axis=1)
    images /= np.maximum(peak, 1e-6)[:, None, None]
    images += sigma_noise[:, None, None] * noise_field
    np.clip(images, 0.0, 1.0, out=images)
    return ArrayDataset(
        images[:, None],
        labels.astype(np.int64),
        classes=[str(d) for d in range(10)],
        name=f"ocr-digits ({n_fonts} fonts)",
        extras={"font": font},
    )

