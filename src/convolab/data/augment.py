"""Data augmentation for image batches: random shifts, small affine warps, elastic distortion.

Each augmentation is a callable ``augment(x, rng) -> x`` on a whole batch
``(N, C, H, W)`` (shifts also take signals ``(N, C, L)``), vectorized in NumPy,
drawing its randomness from ``rng`` only, so the same generator state gives the
same batch. Pass one to :func:`convolab.train.fit` as ``augment=``;
:func:`default_augmentation` is the rule ``convolab train`` follows when neither
``--augment`` nor ``--no-augment`` is given.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "AUGMENT_BELOW",
    "RandomAffine",
    "RandomShift",
    "default_augmentation",
    "elastic_field",
    "is_image_shape",
    "sample_bilinear",
    "warp_affine",
]

# Training sets of images smaller than this are augmented by default. On 4,050 MNIST digits
# the affine warps added 0.7 points of held-out accuracy (30 epochs), while on the 60,000
# images of Fashion-MNIST shifts of 2 pixels cost 0.6 points in 10 epochs (the same LeNet-5
# in PyTorch, benchmarks/RESULTS.md). Nothing between those sizes was measured: 20,000 is a
# round number in the gap.
AUGMENT_BELOW = 20_000


def sample_bilinear(
    x: np.ndarray, coords: np.ndarray, index: np.ndarray | None = None
) -> np.ndarray:
    r"""Sample every image of a batch at its own real-valued positions, bilinearly.

    ``out[n, c, i, j] = sum_{a, b in {0, 1}} w_a w_b x[m, c, y0 + a, x0 + b]`` with
    ``m = index[n]`` (``n`` when ``index`` is not given), ``(y, x) = coords[n, :, i, j]``,
    ``y0 = floor(y)``, ``w_1 = y - y0``, ``w_0 = 1 - w_1`` (and alike for ``x``); pixels
    outside the image count as zero, so a position half a pixel past the border gets half
    the border's value (:func:`scipy.ndimage.map_coordinates` with ``order=1,
    mode='grid-constant'``). One compiled pass with Numba, NumPy gathers without it.

    Parameters
    ----------
    x : numpy.ndarray
        Images ``(M, C, H, W)``.
    coords : numpy.ndarray
        Positions ``(N, 2, H_out, W_out)``: row then column, in input pixel units
        (pixel centres at integers).
    index : numpy.ndarray, optional
        ``(N,)`` integers in ``[0, M)``: which image each output samples (a bank of
        glyphs, say); by default image ``n`` for output ``n`` (then ``N = M``).

    Returns
    -------
    numpy.ndarray
        ``(N, C, H_out, W_out)``, the dtype of ``x``.

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)
    >>> sample_bilinear(x, np.array([[[[0.5]], [[0.5]]]]))  # the centre: the mean
    array([[[[1.5]]]], dtype=float32)
    >>> sample_bilinear(x, np.array([[[[0.0]], [[1.0]]]] * 2), index=np.array([0, 0]))[:, 0, 0, 0]
    array([1., 1.], dtype=float32)
    """
    from convolab._jit import sample

    m, c, h, w = x.shape
    n = m if index is None else len(index)
    if coords.ndim != 4 or coords.shape[:2] != (n, 2):
        raise ValueError(f"`coords` must have shape ({n}, 2, H_out, W_out); got {coords.shape}")
    if index is None:
        index = np.arange(n)
    elif n and (np.min(index) < 0 or np.max(index) >= m):
        raise ValueError(f"`index` must hold integers in [0, {m}); got {np.min(index)} to "
                         f"{np.max(index)}")  # fmt: skip
    out_shape = coords.shape[2:]
    if sample.LOOPS.serves(x.dtype):
        return sample.bilinear(x, index, coords.reshape(n, 2, -1)).reshape(n, c, *out_shape)
    # A position beyond the zero border reads only zeros: clamp it onto the border, which
    # is one pixel of zeros before the image and two after it (for the right neighbour).
    y = np.clip(coords[:, 0].reshape(n, 1, -1), -1, h)
    xx = np.clip(coords[:, 1].reshape(n, 1, -1), -1, w)
    y0, x0 = np.floor(y), np.floor(xx)
    wy, wx = (y - y0).astype(x.dtype), (xx - x0).astype(x.dtype)
    width = w + 3
    flat = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 2))).reshape(-1)
    plane = (h + 3) * width
    base = (np.asarray(index, np.intp)[:, None] * c + np.arange(c)) * plane
    at = base[:, :, None] + ((y0.astype(np.intp) + 1) * width + x0.astype(np.intp) + 1)
    top = flat.take(at) * (1 - wx) + flat.take(at + 1) * wx
    bottom = flat.take(at + width) * (1 - wx) + flat.take(at + width + 1) * wx
    out = top * (1 - wy) + bottom * wy
    return out.reshape(n, c, *out_shape)


def _grid(h: int, w: int) -> np.ndarray:
    """Output pixel positions ``(2, h, w)``: row and column indices."""
    return np.stack(np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                                indexing="ij"))  # fmt: skip


def warp_affine(x: np.ndarray, matrix: np.ndarray, offset: np.ndarray,
                displacement: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    r"""Warp each image by its own affine map (bilinear, zeros outside).

    Output pixel ``o = (row, column)`` takes the input at ``matrix[n] @ (o + d) +
    offset[n]``, where ``d`` is ``displacement[n, :, row, column]`` (zero when not
    given), the convention of :func:`scipy.ndimage.affine_transform` (the map from
    output to input) with ``order=1, mode='grid-constant'``.

    Parameters
    ----------
    x : numpy.ndarray
        Images ``(N, C, H, W)``.
    matrix : numpy.ndarray
        ``(N, 2, 2)``, acting on (row, column).
    offset : numpy.ndarray
        ``(N, 2)``.
    displacement : numpy.ndarray, optional
        ``(N, 2, H, W)`` added to the output positions first (an elastic field).

    Returns
    -------
    numpy.ndarray
        ``(N, C, H, W)``, the dtype of ``x``.

    Examples
    --------
    >>> x = np.zeros((1, 1, 3, 3), np.float32); x[0, 0, 1, 2] = 1
    >>> turn = np.array([[[0.0, 1.0], [-1.0, 0.0]]])  # input (c, 2 - r): a quarter turn
    >>> warp_affine(x, turn, np.array([[0.0, 2.0]]))[0, 0]
    array([[0., 0., 0.],
           [0., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    n, _, h, w = x.shape
    matrix, offset = np.asarray(matrix, np.float64), np.asarray(offset, np.float64)
    if matrix.shape != (n, 2, 2) or offset.shape != (n, 2):
        raise ValueError(f"`matrix` must be ({n}, 2, 2) and `offset` ({n}, 2); got "
                         f"{matrix.shape} and {offset.shape}")  # fmt: skip
    gy, gx = _grid(h, w)
    if displacement is not None:
        gy, gx = gy + displacement[:, 0], gx + displacement[:, 1]
    m, t = matrix[:, :, :, None, None], offset[:, :, None, None]
    coords = np.stack([m[:, 0, 0] * gy + m[:, 0, 1] * gx + t[:, 0],
                       m[:, 1, 0] * gy + m[:, 1, 1] * gx + t[:, 1]], axis=1)  # fmt: skip
    return sample_bilinear(x, coords)


def _gaussian(sigma: float) -> np.ndarray:
    """The kernel bank's Gaussian, reaching 3 sigma (at least one pixel), in float32."""
    from convolab.kernels import gaussian

    return gaussian(sigma, size=2 * max(1, int(np.ceil(3 * sigma))) + 1).astype(np.float32)


def elastic_field(rng: np.random.Generator, n: int, size: int, sigma: float,
                  rms: np.ndarray | float) -> np.ndarray:  # fmt: skip
    """Smooth random displacements ``(n, 2, size, size)``, zero mean, RMS ``rms`` per sample.

    White noise low-passed by a Gaussian of standard deviation ``sigma`` pixels
    (through the convolution engine, periodic boundary), with its mean removed
    so the image as a whole does not move, then scaled to the requested RMS
    displacement: the elastic distortion of Simard et al. (2003).

    Examples
    --------
    >>> f = elastic_field(np.random.default_rng(0), 3, 28, 4.0, 1.5)
    >>> f.shape, np.sqrt((f**2).mean(axis=(1, 2, 3))).round(3).tolist()
    ((3, 2, 28, 28), [1.5, 1.5, 1.5])
    """
    import convolab

    noise = rng.standard_normal((n, 2, size, size), dtype=np.float32)
    field = convolab.correlate(noise, _gaussian(sigma)[None, None], mode="same",
                               boundary="wrap", axes=(-2, -1), method="fft")  # fmt: skip
    field -= field.mean(axis=(2, 3), keepdims=True)
    norm = np.sqrt((field**2).mean(axis=(1, 2, 3)))
    return field * (np.asarray(rms) / np.maximum(norm, 1e-12))[..., None, None, None]


class RandomShift:
    """Augmentation: move each image by a random whole number of pixels, zeros filling in.

    A batch ``(N, C, H, W)`` (or signals ``(N, C, L)``) is padded by ``max_shift`` on
    every side and each sample cropped back at a random offset, all in one
    fancy-indexing step. Pass it to :func:`convolab.train.fit` as ``augment=``.

    Parameters
    ----------
    max_shift : int
        Largest shift along each spatial axis, in pixels (>= 0).

    Examples
    --------
    >>> x = np.zeros((1, 1, 3, 3), np.float32); x[0, 0, 1, 1] = 1
    >>> y = RandomShift(1)(x, np.random.default_rng(0))
    >>> y.shape, float(y.sum())
    ((1, 1, 3, 3), 1.0)
    """

    def __init__(self, max_shift: int = 2) -> None:
        if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)):
            raise TypeError(f"`max_shift` must be an integer; got {max_shift!r}")
        if max_shift < 0:
            raise ValueError(f"`max_shift` must be >= 0; got {max_shift}")
        self.max_shift = int(max_shift)

    def __repr__(self) -> str:
        return f"RandomShift({self.max_shift})"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        p = self.max_shift
        if p == 0 or x.ndim < 3:
            return x
        n, spatial = x.shape[0], x.shape[2:]
        padded = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * len(spatial))
        offsets = rng.integers(0, 2 * p + 1, (n, len(spatial)))
        index: list[np.ndarray] = [np.arange(n).reshape((n,) + (1,) * (x.ndim - 1)),
                                   np.arange(x.shape[1]).reshape((1, -1) + (1,) * len(spatial))]
        for axis, size in enumerate(spatial):
            shape = [n, 1] + [1] * len(spatial)
            shape[2 + axis] = size
            index.append((offsets[:, axis, None] + np.arange(size)).reshape(shape))
        return padded[tuple(index)]


def _non_negative(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
        raise ValueError(f"`{name}` must be a number >= 0; got {value!r}")
    return float(value)


class RandomAffine:
    r"""Augmentation: a small random rotation, scaling and shift of each image.

    For each image, ``theta ~ U(-rotate, rotate)`` degrees, ``s ~ U(1 - scale,
    1 + scale)`` and ``t ~ U(-shift, shift)`` pixels along each axis are drawn; the
    image is turned by ``theta`` and scaled by ``s`` about its centre ``c`` and moved
    by ``t``: output pixel ``o`` takes the input at ``A^{-1} (o - c - t) + c`` with
    ``A = s R(theta)`` (:func:`warp_affine`, bilinear, zeros outside). With
    ``elastic > 0`` each output position is first displaced by an
    :func:`elastic_field` of RMS ``elastic`` pixels (smoothing ``sigma`` pixels).
    The defaults are small enough that a handwritten digit stays the same digit
    (a 6 does not turn into a 9).

    Parameters
    ----------
    rotate : float
        Largest rotation, degrees.
    scale : float
        Largest relative change of size (0.1: 90% to 110%).
    shift : float
        Largest shift along each axis, pixels (real-valued).
    elastic : float
        RMS displacement of the elastic distortion, pixels (0: none).
    sigma : float
        Smoothness of the elastic field, pixels.

    Examples
    --------
    >>> x = np.zeros((2, 1, 28, 28), np.float32); x[:, 0, 8:20, 12:16] = 1
    >>> aug = RandomAffine()
    >>> aug
    RandomAffine(rotate=10.0, scale=0.1, shift=2.0, elastic=0.0, sigma=4.0)
    >>> y = aug(x, np.random.default_rng(0))
    >>> y.shape, y.dtype, bool(np.array_equal(y, aug(x, np.random.default_rng(0))))
    ((2, 1, 28, 28), dtype('float32'), True)
    """

    def __init__(self, rotate: float = 10.0, scale: float = 0.1, shift: float = 2.0,
                 elastic: float = 0.0, sigma: float = 4.0) -> None:  # fmt: skip
        self.rotate = _non_negative("rotate", rotate)
        self.scale = _non_negative("scale", scale)
        if self.scale >= 1:
            raise ValueError(f"`scale` must be below 1; got {scale!r}")
        self.shift = _non_negative("shift", shift)
        self.elastic = _non_negative("elastic", elastic)
        self.sigma = _non_negative("sigma", sigma)
        if self.sigma == 0:
            raise ValueError(f"`sigma` must be > 0; got {sigma!r}")

    def __repr__(self) -> str:
        return (f"RandomAffine(rotate={self.rotate}, scale={self.scale}, shift={self.shift}, "
                f"elastic={self.elastic}, sigma={self.sigma})")  # fmt: skip

    def draw(self, n: int, size: tuple[int, int],
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The maps for ``n`` images of ``size = (H, W)``: ``matrix (n, 2, 2)``, ``offset (n, 2)``.

        In the convention of :func:`warp_affine`; draws from ``rng`` exactly what
        ``__call__`` draws before its elastic field.
        """
        theta = np.deg2rad(rng.uniform(-self.rotate, self.rotate, n))
        s = rng.uniform(1 - self.scale, 1 + self.scale, n)
        t = rng.uniform(-self.shift, self.shift, (n, 2))
        cos, sin = np.cos(theta) / s, np.sin(theta) / s
        inverse = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], 1)  # A^-1
        centre = (np.asarray(size, np.float64) - 1) / 2
        offset = centre - np.einsum("nij,nj->ni", inverse, centre + t)
        return inverse, offset

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if x.ndim != 4:
            raise ValueError(f"RandomAffine takes images (N, C, H, W); got shape {x.shape}")
        n, _, h, w = x.shape
        matrix, offset = self.draw(n, (h, w), rng)
        field = None
        if self.elastic > 0:
            if h != w:
                raise ValueError(f"elastic distortion needs square images; got {h}x{w}")
            field = elastic_field(rng, n, h, self.sigma, self.elastic)
        return warp_affine(x, matrix, offset, field)


def is_image_shape(sample_shape: tuple[int, ...]) -> bool:
    """Whether samples of this shape (batch axis left out) are images ``(C, H, W)``.

    The rule the defaults of ``convolab train`` follow: images are standardized and,
    when few, augmented; signals ``(C, L)`` are left as they are.

    >>> is_image_shape((1, 28, 28)), is_image_shape((1, 128)), is_image_shape((3, 1, 1))
    (True, False, False)
    """
    return len(sample_shape) == 3 and min(sample_shape[1:]) > 1


def default_augmentation(x_shape: tuple[int, ...], n_train: int) -> RandomAffine | None:
    """The augmentation ``convolab train`` uses unless told: :class:`RandomAffine` or none.

    Images ``(N, C, H, W)`` with fewer than :data:`AUGMENT_BELOW` training samples
    are augmented with ``RandomAffine()``; larger sets and signals are not (a large
    set covers the variations itself, and within a fixed number of epochs the
    warps slow its fit more than they help).

    Examples
    --------
    >>> default_augmentation((1, 28, 28), 4050)
    RandomAffine(rotate=10.0, scale=0.1, shift=2.0, elastic=0.0, sigma=4.0)
    >>> default_augmentation((1, 28, 28), 60000) is None, default_augmentation((1, 40), 4000)
    (True, None)
    """
    if is_image_shape(tuple(x_shape)) and n_train < AUGMENT_BELOW:
        return RandomAffine()
    return None
