"""The named classic kernels, the :class:`Kernel` array they return, and the registry by name.

The conventions (orientation, angles, correlation) are those of :mod:`convolab.kernels`,
which exports the public names.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
from collections.abc import Callable

import numpy as np

from convolab.checks import check_fits

# --------------------------------------------------------------------------- validation


def _int_at_least(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"`{name}` must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _real(name: str, value: object, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        what = "a positive number" if positive else "a real number"
        raise TypeError(f"`{name}` must be {what}; got {value!r}")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0):
        what = "a positive number" if positive else "a finite number"
        raise ValueError(f"`{name}` must be {what}; got {value!r}")
    return value


def _axis(value: object) -> int:
    if isinstance(value, str) and value.lower() in ("y", "x"):
        return 0 if value.lower() == "y" else 1
    if not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value in (
        0, 1, -1, -2,
    ):
        return int(value) % 2
    raise ValueError(f"`axis` must be 0 or 'y' (down the rows) or 1 or 'x' (along the columns); "
                     f"got {value!r}")


def _pair(name: str, value: object) -> tuple[object, object]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be a number or a pair (rows, columns); got {value!r}")
        return value[0], value[1]
    return value, value


def _fits(rows: int, cols: int, name: str) -> None:
    """Refuse a kernel that cannot fit in memory, before it is allocated."""
    check_fits((rows, cols), 8, f"the {name} kernel")


# --------------------------------------------------------------------------- Kernel


class Kernel(np.ndarray):
    """A kernel that shows itself in a notebook: an ``ndarray`` with a ``_repr_html_``.

    Everything else is the array's: it is an ``ndarray`` subclass whose text ``repr``
    is the plain array's, and whose arithmetic and NumPy results are plain arrays
    (``__array_wrap__``), so a Kernel never spreads into the results computed from
    it; views (``k.T``, slices) and copies stay Kernels. ``name`` records how it was
    built, e.g. ``'sobel(axis=0)'``.

    Parameters
    ----------
    values : array_like
        The weights.
    name : str, optional
        Shown in the notebook caption.

    Examples
    --------
    >>> k = Kernel([[0.0, 1.0], [-1.0, 0.0]], name="diagonal")
    >>> k
    array([[ 0.,  1.],
           [-1.,  0.]])
    >>> type(k * 2).__name__, type(k.sum()).__name__
    ('ndarray', 'float64')
    >>> "<table" in k._repr_html_() and "diagonal" in k._repr_html_()
    True
    """

    name: str | None

    def __new__(cls, values: object, name: str | None = None) -> Kernel:
        kernel = np.asarray(values).view(cls)
        kernel.name = name
        return kernel

    def __array_finalize__(self, obj: object) -> None:
        self.name = getattr(obj, "name", None)

    def __array_wrap__(
        self, array: np.ndarray, context: object = None, return_scalar: bool = False
    ) -> object:
        if return_scalar:
            return array[()]
        return array.view(np.ndarray)

    def __reduce__(self) -> tuple:  # pickled as the plain array it is
        return self.view(np.ndarray).__reduce__()

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))

    def _repr_html_(self) -> str:
        from convolab._html import kernel_html

        return kernel_html(self.view(np.ndarray), self.name)


def _kernel(func: Callable[..., np.ndarray]) -> Callable[..., Kernel]:
    """Make ``func`` return a :class:`Kernel` named by the call, e.g. ``'gaussian(sigma=2)'``."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def build(*args: object, **kwargs: object) -> Kernel:
        values = func(*args, **kwargs)  # first: a bad call fails exactly as before
        given = signature.bind(*args, **kwargs).arguments.items()
        return Kernel(values, f"{func.__name__}({', '.join(f'{k}={v!r}' for k, v in given)})")

    return build


# --------------------------------------------------------------------------- kernels


@_kernel
def identity(size: int = 3) -> np.ndarray:
    """The kernel that leaves an image unchanged: a single 1 in the centre.

    Parameters
    ----------
    size : int
        Odd side length, so that the centre is a pixel.

    Returns
    -------
    ndarray
        ``(size, size)``; sums to 1.

    Examples
    --------
    >>> identity()
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]])
    """
    size = _int_at_least("size", size, 1)
    if size % 2 == 0:
        raise ValueError(f"`size` must be odd; got {size}")
    _fits(size, size, "identity")
    k = np.zeros((size, size))
    k[size // 2, size // 2] = 1.0
    return k


@_kernel
def box(size: int | tuple[int, int] = 3) -> np.ndarray:
    """Box (mean) blur: every weight ``1 / (rows * columns)``; sums to 1.

    Parameters
    ----------
    size : int or (int, int)
        Side of the square, or ``(rows, columns)``.

    Examples
    --------
    >>> box(3)
    array([[0.11111111, 0.11111111, 0.11111111],
           [0.11111111, 0.11111111, 0.11111111],
           [0.11111111, 0.11111111, 0.11111111]])
    >>> box((1, 4))
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    rows, cols = _pair("size", size)
    rows = _int_at_least("size", rows, 1)
    cols = _int_at_least("size", cols, 1)
    _fits(rows, cols, "box")
    return np.full((rows, cols), 1.0 / (rows * cols))


def _gaussian_1d(sigma: float, radius: int) -> np.ndarray:
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return w / w.sum()


@_kernel
def gaussian(
    sigma: float | tuple[float, float] = 1.0,
    size: int | tuple[int, int] | None = None,
    truncate: float = 4.0,
) -> np.ndarray:
    """Gaussian blur: the outer product of two normalized 1D Gaussians; sums to 1.

    ``g[i] = exp(-i**2 / (2 sigma**2)) / sum_j exp(-j**2 / (2 sigma**2))`` for
    ``i = -r..r`` and ``k = outer(g_y, g_x)``. The radius is
    ``r = int(truncate * sigma + 0.5)`` (the rule of
    :func:`scipy.ndimage.gaussian_filter`, which this kernel reproduces) unless
    ``size = 2r + 1`` is given.

    Parameters
    ----------
    sigma : float or (float, float)
        Standard deviation in pixels, or ``(sigma_y, sigma_x)``.
    size : int or (int, int), optional
        Odd side length (or ``(rows, columns)``) overriding ``truncate``.
    truncate : float
        Radius in standard deviations when ``size`` is not given.

    Examples
    --------
    >>> gaussian(0.5, size=3).round(4)
    array([[0.0113, 0.0838, 0.0113],
           [0.0838, 0.6193, 0.0838],
           [0.0113, 0.0838, 0.0113]])
    >>> gaussian(1.0).shape, gaussian(1.0, size=3).shape, gaussian((1.0, 2.0)).shape
    ((9, 9), (3, 3), (9, 17))
    """
    sy, sx = _pair("sigma", sigma)
    sy = _real("sigma", sy, positive=True)
    sx = _real("sigma", sx, positive=True)
    truncate = _real("truncate", truncate, positive=True)
    if size is None:
        ry, rx = int(truncate * sy + 0.5), int(truncate * sx + 0.5)
    else:
        rows, cols = _pair("size", size)
        rows = _int_at_least("size", rows, 1)
        cols = _int_at_least("size", cols, 1)
        if rows % 2 == 0 or cols % 2 == 0:
            raise ValueError(f"`size` must be odd so the Gaussian is centred; got {size!r}")
        ry, rx = rows // 2, cols // 2
    _fits(2 * ry + 1, 2 * rx + 1, "gaussian")
    return np.outer(_gaussian_1d(sy, ry), _gaussian_1d(sx, rx))


def _derivative(smooth: list[float], axis: object) -> np.ndarray:
    ax = _axis(axis)
    k = np.outer([-1.0, 0.0, 1.0], smooth)
    return k if ax == 0 else k.T.copy()


@_kernel
def sobel(axis: int | str = 1) -> np.ndarray:
    """Sobel derivative along ``axis``: ``[-1, 0, 1]`` times the smoothing ``[1, 2, 1]``.

    Correlating an image with ``sobel(axis)`` equals
    ``scipy.ndimage.sobel(image, axis=axis)``: positive where the intensity
    increases along the axis (down for ``axis=0``/``'y'``, right for
    ``axis=1``/``'x'``). Convolving flips the sign. Sums to 0.

    Parameters
    ----------
    axis : {0, 1, 'y', 'x'}
        The axis of the derivative.

    Returns
    -------
    ndarray
        ``(3, 3)``.

    Examples
    --------
    >>> sobel("x")
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    >>> sobel(0)
    array([[-1., -2., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  2.,  1.]])
    """
    return _derivative([1.0, 2.0, 1.0], axis)


@_kernel
def scharr(axis: int | str = 1) -> np.ndarray:
    """Scharr derivative along ``axis``: ``[-1, 0, 1]`` times the smoothing ``[3, 10, 3]``.

    Better rotational symmetry than Sobel; same sign and axis convention. Sums to 0.
    (OpenCV's ``Scharr`` uses these weights; scikit-image divides them by 32.)

    >>> scharr("x")
    array([[ -3.,   0.,   3.],
           [-10.,   0.,  10.],
           [ -3.,   0.,   3.]])
    """
    return _derivative([3.0, 10.0, 3.0], axis)


@_kernel
def prewitt(axis: int | str = 1) -> np.ndarray:
    """Prewitt derivative along ``axis``: ``[-1, 0, 1]`` times the smoothing ``[1, 1, 1]``.

    Correlating equals ``scipy.ndimage.prewitt(image, axis=axis)``. Sums to 0.

    >>> prewitt("y")
    array([[-1., -1., -1.],
           [ 0.,  0.,  0.],
           [ 1.,  1.,  1.]])
    """
    return _derivative([1.0, 1.0, 1.0], axis)


@_kernel
def laplacian(neighbours: int = 4) -> np.ndarray:
    """Edge detector: the *negative* discrete Laplacian, positive in the centre; sums to 0.

    ``neighbours=4`` gives ``[[0,-1,0],[-1,4,-1],[0,-1,0]]``, which is
    ``-scipy.ndimage.laplace``; ``neighbours=8`` gives the articles' edge kernel
    with 8 in the centre and -1 all around. A flat region maps to 0, an edge to
    a positive/negative pair.

    Parameters
    ----------
    neighbours : {4, 8}
        Compare each pixel with its 4 edge neighbours or all 8.

    Examples
    --------
    >>> laplacian()
    array([[ 0., -1.,  0.],
           [-1.,  4., -1.],
           [ 0., -1.,  0.]])
    >>> float(laplacian(8).sum())
    0.0
    """
    if neighbours == 4:
        return np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
    if neighbours == 8:
        k = -np.ones((3, 3))
        k[1, 1] = 8.0
        return k
    raise ValueError(f"`neighbours` must be 4 or 8; got {neighbours!r}")


@_kernel
def sharpen() -> np.ndarray:
    """Sharpen: identity plus the 4-neighbour edge kernel; sums to 1 (flat regions unchanged).

    >>> sharpen()
    array([[ 0., -1.,  0.],
           [-1.,  5., -1.],
           [ 0., -1.,  0.]])
    """
    return identity(3) + laplacian(4)


@_kernel
def emboss() -> np.ndarray:
    """Emboss: a diagonal derivative plus the identity, light from the top left; sums to 1.

    >>> emboss()
    array([[-2., -1.,  0.],
           [-1.,  1.,  1.],
           [ 0.,  1.,  2.]])
    """
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


@_kernel
def unsharp(sigma: float = 1.0, amount: float = 1.0, truncate: float = 4.0) -> np.ndarray:
    """Unsharp masking as one kernel: ``(1 + amount) * identity - amount * gaussian(sigma)``.

    Filtering with it gives ``x + amount * (x - blur(x))``; sums to 1.

    Parameters
    ----------
    sigma : float
        Standard deviation of the blur that defines the detail ``x - blur(x)``.
    amount : float
        How much detail to add back (0 is the identity).
    truncate : float
        Radius of the Gaussian in standard deviations.

    Examples
    --------
    >>> unsharp(0.5, 1.0, truncate=2.0).round(3)
    array([[-0.011, -0.084, -0.011],
           [-0.084,  1.381, -0.084],
           [-0.011, -0.084, -0.011]])
    """
    amount = _real("amount", amount)
    g = gaussian(sigma, truncate=truncate)
    k = -amount * g
    k[g.shape[0] // 2, g.shape[1] // 2] += 1.0 + amount
    return k


@_kernel
def motion_blur(length: float = 9, angle: float = 0.0) -> np.ndarray:
    """A line of ``length`` pixels through the centre at ``angle`` degrees; sums to 1.

    Each pixel's weight is its anti-aliased coverage by the segment:
    ``clip(length/2 + 1/2 - |t|, 0, 1) * max(0, 1 - |d|)`` with ``t`` the
    distance along the line and ``d`` across it, then normalized. The side is
    ``2 * ceil((length - 1) / 2) + 1``.

    Parameters
    ----------
    length : float
        Length of the streak in pixels, at least 1.
    angle : float
        Direction in degrees, counter-clockwise from the ``x`` axis (90 is vertical).

    Examples
    --------
    >>> motion_blur(3, 0)
    array([[0.        , 0.        , 0.        ],
           [0.33333333, 0.33333333, 0.33333333],
           [0.        , 0.        , 0.        ]])
    >>> motion_blur(3, 90)[:, 1]
    array([0.33333333, 0.33333333, 0.33333333])
    """
    length = _real("length", length, positive=True)
    if length < 1:
        raise ValueError(f"`length` must be at least 1 pixel; got {length!r}")
    angle = math.radians(_real("angle", angle))
    radius = math.ceil((length - 1) / 2 - 1e-9)
    _fits(2 * radius + 1, 2 * radius + 1, "motion_blur")
    off = np.arange(-radius, radius + 1, dtype=np.float64)
    y = -off[:, None]  # rows point down, y points up
    x = off[None, :]
    c, s = math.cos(angle), math.sin(angle)
    along = x * c + y * s
    across = -x * s + y * c
    w = np.clip(length / 2 + 0.5 - np.abs(along), 0.0, 1.0) * np.clip(1.0 - np.abs(across), 0, 1)
    w[np.abs(w) < 1e-12] = 0.0
    return w / w.sum()


@_kernel
def shift(dy: float = 0.0, dx: float = 0.0) -> np.ndarray:
    """Translate the image content by ``dy`` rows down and ``dx`` columns right (correlation).

    With :func:`convolab.image.filter`'s default ``op="correlate"`` the output is
    ``y[r, c] = x[r - dy, c - dx]``; convolution moves the other way.
    Fractional shifts split the weight bilinearly between the four nearest
    pixels (a "soft" shift). Sums to 1.

    Parameters
    ----------
    dy, dx : float
        Rows down and columns right (negative: up and left).

    Examples
    --------
    >>> shift(1, 0)
    array([[0., 1., 0.],
           [0., 0., 0.],
           [0., 0., 0.]])
    >>> shift(0, 0.5)
    array([[0. , 0. , 0. ],
           [0.5, 0.5, 0. ],
           [0. , 0. , 0. ]])
    """
    dy = _real("dy", dy)
    dx = _real("dx", dx)
    radius = math.ceil(max(abs(dy), abs(dx)))
    size = 2 * radius + 1
    _fits(size, size, "shift")
    k = np.zeros((size, size))
    # correlation: y[r] = sum_i x[r + i - radius] k[i]; need r + i - radius = r - dy
    ty, tx = radius - dy, radius - dx
    y0, x0 = math.floor(ty), math.floor(tx)
    fy, fx = ty - y0, tx - x0
    for oy, wy in ((0, 1.0 - fy), (1, fy)):
        for ox, wx in ((0, 1.0 - fx), (1, fx)):
            if wy * wx > 0:
                k[y0 + oy, x0 + ox] += wy * wx
    return k


@_kernel
def gabor(
    sigma: float = 2.0,
    theta: float = 0.0,
    wavelength: float = 4.0,
    phase: float = 0.0,
    aspect: float = 1.0,
    truncate: float = 3.0,
) -> np.ndarray:
    """Gabor filter (real part): a cosine wave under a Gaussian envelope.

    ``g(x, y) = exp(-(u**2 + aspect**2 * v**2) / (2 sigma**2)) * cos(2 pi u / wavelength + phase)``
    with ``u = x cos(theta) + y sin(theta)``, ``v = -x sin(theta) + y cos(theta)``,
    ``x`` the column offset (right), ``y`` the row offset *up*, ``theta`` in
    degrees. The wave runs along ``theta``, so it responds to stripes
    perpendicular to it. Radius ``ceil(truncate * sigma / min(aspect, 1))``.
    Not normalized: the sum is near 0 when ``wavelength`` is small against ``sigma``.

    Parameters
    ----------
    sigma : float
        Width of the Gaussian envelope in pixels.
    theta : float
        Direction of the wave in degrees, counter-clockwise from ``x``.
    wavelength : float
        Period of the cosine in pixels.
    phase : float
        Phase offset in radians (0: even, symmetric filter; pi/2: odd).
    aspect : float
        Ratio of the envelope's widths along and across the wave (``gamma``).
    truncate : float
        Radius in units of ``sigma / min(aspect, 1)``.

    Examples
    --------
    >>> k = gabor(sigma=1.0, theta=0.0, wavelength=4.0, truncate=1.0)
    >>> k.round(3)
    array([[0.   , 0.607, 0.   ],
           [0.   , 1.   , 0.   ],
           [0.   , 0.607, 0.   ]])
    """
    sigma = _real("sigma", sigma, positive=True)
    theta = math.radians(_real("theta", theta))
    wavelength = _real("wavelength", wavelength, positive=True)
    phase = _real("phase", phase)
    aspect = _real("aspect", aspect, positive=True)
    truncate = _real("truncate", truncate, positive=True)
    radius = math.ceil(truncate * sigma / min(aspect, 1.0))
    _fits(2 * radius + 1, 2 * radius + 1, "gabor")
    off = np.arange(-radius, radius + 1, dtype=np.float64)
    y = -off[:, None]
    x = off[None, :]
    u = x * math.cos(theta) + y * math.sin(theta)
    v = -x * math.sin(theta) + y * math.cos(theta)
    k = np.exp(-(u**2 + aspect**2 * v**2) / (2 * sigma**2)) * np.cos(
        2 * math.pi * u / wavelength + phase
    )
    k[np.abs(k) < 1e-15] = 0.0
    return k


# --------------------------------------------------------------------------- registry

_REGISTRY: dict[str, Callable[..., np.ndarray]] = {
    "box": box,
    "emboss": emboss,
    "gabor": gabor,
    "gaussian": gaussian,
    "identity": identity,
    "laplacian": laplacian,
    "motion_blur": motion_blur,
    "prewitt": prewitt,
    "scharr": scharr,
    "sharpen": sharpen,
    "shift": shift,
    "sobel": sobel,
    "unsharp": unsharp,
}


def names() -> list[str]:
    """Names of the registered kernels, sorted.

    >>> names()[:4]
    ['box', 'emboss', 'gabor', 'gaussian']
    """
    return sorted(_REGISTRY)


def _lookup(name: object) -> Callable[..., np.ndarray]:
    if isinstance(name, str):
        key = name.strip().lower().replace("-", "_")
        if key in _REGISTRY:
            return _REGISTRY[key]
    valid = ", ".join(names())
    hint = ""
    if isinstance(name, str):
        close = difflib.get_close_matches(name.lower(), names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown kernel {name!r}{hint}; expected one of: {valid}")


def get(name: str, **params: object) -> np.ndarray:
    """Build the kernel registered as ``name`` with keyword ``params``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or a bad value.
    TypeError
        For a parameter the kernel does not take (the message lists those it does).

    Examples
    --------
    >>> get("box", size=2)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    >>> get("gausian", sigma=1)
    Traceback (most recent call last):
    ...
    ValueError: unknown kernel 'gausian' (did you mean 'gaussian'?); expected one of: box, \
emboss, gabor, gaussian, identity, laplacian, motion_blur, prewitt, scharr, sharpen, shift, \
sobel, unsharp
    """
    func = _lookup(name)
    sig = inspect.signature(func)
    try:
        sig.bind(**params)
    except TypeError:
        allowed = ", ".join(sig.parameters) or "none"
        unknown = [p for p in params if p not in sig.parameters]
        if unknown:
            what = f"got an unexpected parameter {unknown[0]!r}"
        else:
            missing = [
                p.name
                for p in sig.parameters.values()
                if p.default is inspect.Parameter.empty and p.name not in params
            ]
            what = f"needs the parameter {missing[0]!r}"
        raise TypeError(
            f"kernel {func.__name__!r} {what}; its parameters are: {allowed}"
        ) from None
    return func(**params)
