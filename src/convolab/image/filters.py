"""Classic filtering of images on the convolution engine: any kernel, blur, sharpen, edges.

:func:`filter` runs :func:`convolab.correlate` (or :func:`convolab.convolve`) over
the two spatial axes, every channel at once through the engine's ``axes=``
broadcasting, so colour images need no loop. :func:`filter_large` does the same
in chunks on Dask (:mod:`convolab.scale.tiles`), exact at every seam.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

import convolab
import convolab.scale.tiles as tiles
from convolab import kernels as _kernels
from convolab.checks import choice
from convolab.conv.boundary import check_boundary
from convolab.conv.geometry import check_mode
from convolab.image.io import load

__all__ = ["OPS", "as_kernel", "blur", "edges", "filter", "filter_large", "sharpen",
           "unsharp_mask"]  # fmt: skip

OPS = ("correlate", "convolve")
_EDGE_OPERATORS = ("sobel", "scharr", "prewitt", "laplacian")


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


def as_kernel(kernel: Any, img: np.ndarray) -> np.ndarray:
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
    a: np.ndarray, k: np.ndarray, mode: str = "same", op: str = "correlate", **options: Any
) -> np.ndarray:
    """The engine over the two spatial axes of ``(rows, columns[, channels])``; channels
    broadcast and stay interleaved: the engine's stencil method filters them in place
    (other methods move them to the front and back themselves).

    ``options`` are the engine's: ``boundary``, ``fill_value``, ``method``.
    """
    return _engine(op)(a, k, mode, axes=(0, 1), **options)


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
    op = choice("op", op, OPS)
    k = as_kernel(kernel, a)
    if mode == "valid" and (k.shape[0] > a.shape[0] or k.shape[1] > a.shape[1]):
        raise ValueError(
            f"the kernel ({k.shape[0]} x {k.shape[1]}) is larger than the image "
            f"({a.shape[0]} x {a.shape[1]}): mode 'valid' has no position where it fits"
        )
    return _filter_planes(a, k, mode, op, boundary=boundary, fill_value=fill_value, method=method)


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
    the image for small kernels with the ``stencil`` method).

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
    return _filter_planes(a, gy * gx, boundary=boundary, fill_value=fill_value)


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
    operator = choice("operator", operator, _EDGE_OPERATORS)
    if operator == "laplacian":
        if return_direction:
            raise ValueError("`return_direction=True` needs a gradient operator; "
                             "the Laplacian has no direction")
        return np.abs(filter(img, _kernels.laplacian(8), "same", boundary))
    a = _as_image(img)
    make = getattr(_kernels, operator)
    kx, ky = as_kernel(make("x"), a), as_kernel(make("y"), a)
    if not return_direction:  # both correlations and the norm in one pass, where it applies
        from convolab.conv.methods.stencil import gradient_norm

        mag = gradient_norm(a, kx, ky, boundary)
        if mag is not None:
            return mag
    gx = _filter_planes(a, kx, boundary=boundary)
    gy = _filter_planes(a, ky, boundary=boundary)
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
    *,
    mode: str = "same",
    boundary: str = "reflect",
    op: str = "correlate",
    fill_value: float = 0.0,
    method: str = "auto",
    image_mode: str = "keep",
    compute: bool = True,
) -> Any:
    """Filter an image too large for memory (or for one core) in chunks on Dask; exact at seams.

    The result equals :func:`filter` with the same options (to float rounding):
    the image is padded once by the boundary rule, and each chunk is filtered in
    ``valid`` mode with a halo of the kernel radius taken from its neighbours
    (:func:`convolab.scale.tiles.map_padded`). Needs the optional extra
    ``convolab[scale]`` (Dask).

    Parameters
    ----------
    array_or_path : ndarray, dask.array.Array, str or path-like
        ``(rows, columns)`` or ``(rows, columns, channels)``. A ``.npy`` path is
        memory-mapped (never read whole); another path is read with :func:`load`
        using ``image_mode``.
    kernel : array_like or str
        A 2D kernel or a spec such as ``"gaussian:sigma=3"``.
    chunks : int or (int, int), optional
        Chunk size over rows and columns (default: a Dask array's own chunks,
        1024 otherwise). Chunks smaller than the kernel are enlarged to it.
    client : distributed.Client or str, optional
        Compute on this ``dask.distributed`` client, or on the scheduler at this
        address (e.g. ``"tcp://10.0.0.5:8786"``); default: Dask's local threads.
    mode, boundary, op, fill_value, method
        As in :func:`filter`.
    image_mode : {'keep', 'gray', 'rgb'}
        Passed to :func:`load` when a path to an image is given.
    compute : bool
        Return a NumPy array (default) or the lazy Dask array (to store it with
        ``dask.array.to_zarr``, ``to_npy_stack``, ... when it does not fit in memory;
        ``client`` is then not used: compute or store it where you like).

    Returns
    -------
    ndarray or dask.array.Array
        float32 for float32 input, float64 otherwise; shape as :func:`filter`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((50, 40))
    >>> y = filter_large(x, "sobel:axis=x", chunks=16, boundary="wrap")
    >>> bool(np.allclose(y, filter(x, "sobel:axis=x", boundary="wrap")))
    True
    >>> x = np.random.default_rng(1).random((30, 20)).astype(np.float32)
    >>> y = filter_large(x, "gaussian:sigma=1.5", chunks=(8, 7), boundary="symmetric")
    >>> bool(np.allclose(y, filter(x, "gaussian:sigma=1.5", boundary="symmetric"),
    ...                  atol=1e-6)), y.dtype
    (True, dtype('float32'))
    """
    mode, boundary = check_mode(mode), check_boundary(boundary)
    op = choice("op", op, OPS)
    k = as_kernel(kernel, np.empty(0))
    is_path = isinstance(array_or_path, str | os.PathLike)
    if is_path and Path(array_or_path).suffix.lower() != ".npy":  # .npy: memory-mapped by tiles
        array_or_path = load(array_or_path, mode=image_mode)
    x = tiles.as_dask_array(array_or_path, tiles.spatial_chunks(chunks, at_least=k.shape))
    k = as_kernel(k, np.empty(0, dtype=x.dtype))  # in the image's float dtype

    def block(b: np.ndarray) -> np.ndarray:
        return filter(b, k, "valid", boundary, op, method=method)

    y = tiles.map_padded(x, k.shape, block, k.dtype, mode=mode, boundary=boundary,
                         fill_value=fill_value)  # fmt: skip
    return tiles.compute(y, client) if compute else y
