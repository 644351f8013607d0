"""Dask glue: filter images larger than memory, or on many cores and machines.

Needs the optional extra ``convolab[scale]`` (``dask[array,distributed]``);
Dask is imported only when these functions run.

How :func:`filter_large` stays exact at every chunk seam and image border
-------------------------------------------------------------------------
The in-memory filter pads the image by the boundary rule and then takes the
``valid`` correlation of the padded image. The chunked version does the same,
in that order:

1. pad the *whole* Dask array with the same rule (``dask.array.pad`` with the
   NumPy mode name, the names convolab uses), by the widths the ``mode`` implies;
2. rechunk the padded array so that output chunk ``j`` needs padded rows
   ``[start_j, stop_j + K - 1)``;
3. ``dask.array.map_overlap`` with an asymmetric halo of ``(K//2, (K-1)//2)``
   per axis (``K`` the kernel size) and ``boundary='none'`` (no extra border:
   the image border was already handled in step 1), and filter every block
   with the engine in ``valid`` mode.

Each output sample therefore sees exactly the padded neighbourhood it sees in
memory, so the results agree to rounding for every boundary.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from convolab._optional import optional_import
from convolab.conv.boundary import check_boundary, pad_args
from convolab.conv.geometry import check_mode, mode_pads, output_length

__all__ = ["filter_large"]


def _import_dask() -> Any:
    return optional_import("dask.array", "filter_large", "scale")


def _spatial_chunks(chunks: Any) -> tuple[int, int] | None:
    if chunks is None:
        return None
    if isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        chunks = (int(chunks), int(chunks))
    if (
        not isinstance(chunks, (tuple, list))
        or len(chunks) != 2
        or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in chunks)
    ):
        raise TypeError(
            f"`chunks` must be an int or a pair (rows, columns) of ints; got {chunks!r}"
        )
    if any(c < 1 for c in chunks):
        raise ValueError(f"`chunks` must be at least 1; got {chunks!r}")
    return int(chunks[0]), int(chunks[1])


def _as_dask(array_or_path: Any, chunks: tuple[int, int] | None, image_mode: str) -> Any:
    """The input as a Dask array: a ``.npy`` file is memory-mapped, an image file loaded."""
    da = _import_dask()
    if isinstance(array_or_path, (str, os.PathLike)):
        path = Path(array_or_path)
        if path.suffix.lower() == ".npy":
            if not path.is_file():
                raise FileNotFoundError(f"array file '{path}' does not exist")
            array_or_path = np.load(path, mmap_mode="r", allow_pickle=False)
        else:
            from convolab.image import load

            array_or_path = load(path, mode=image_mode)
    if isinstance(array_or_path, da.Array):
        x = array_or_path
    else:
        x = np.asarray(array_or_path)
        x = da.from_array(x, chunks=(chunks or (1024, 1024))[: x.ndim] + (-1,) * (x.ndim - 2))
    if x.dtype.kind not in "biuf":
        raise TypeError(f"`array_or_path` must hold a real numeric array; got dtype {x.dtype}")
    if x.ndim not in (2, 3) or 0 in x.shape:
        raise ValueError(
            "`array_or_path` must be a non-empty (rows, columns) or (rows, columns, channels) "
            f"array; got shape {x.shape}"
        )
    if x.ndim == 3:
        x = x.rechunk({2: -1})
    if chunks is not None:
        x = x.rechunk({0: chunks[0], 1: chunks[1]})
    return x


def _output_chunks(
    in_chunks: tuple[int, ...], n: int, out_len: int, size: int
) -> tuple[int, ...]:
    """Chunks of one output axis: the input's (same length) or evenly cut, none below ``size``.

    Every chunk but the last must be at least the kernel size so that a block's
    halo comes from its immediate neighbours only.
    """
    step = max(max(in_chunks), size, 1)
    if out_len == n and min(in_chunks[:-1], default=step) >= size:
        return tuple(in_chunks)
    full, rest = divmod(out_len, step)
    return (step,) * full + ((rest,) if rest else ())


def _result_dtype(x_dtype: np.dtype) -> np.dtype:
    if x_dtype.kind == "f" and x_dtype.itemsize <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _resolve_client(client: Any) -> tuple[Any, bool]:
    """``(client, owned)``: a scheduler address becomes a new client that we close afterwards."""
    if client is None or not isinstance(client, str):
        return client, False
    from distributed import Client

    return Client(client), True


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
    """Filter a large image in chunks with ``dask.array.map_overlap``; exact at every seam.

    The result equals :func:`convolab.image.filter` with the same options (to
    float rounding): the image is padded once by the boundary rule, and each
    chunk is filtered in ``valid`` mode with a halo of the kernel radius taken
    from its neighbours (see the module notes).

    Parameters
    ----------
    array_or_path : ndarray, dask.array.Array, str or path-like
        ``(rows, columns)`` or ``(rows, columns, channels)``. A ``.npy`` path is
        memory-mapped (never read whole); another path is read with
        :func:`convolab.image.load` using ``image_mode``.
    kernel : array_like or str
        A 2D kernel or a spec such as ``"gaussian:sigma=3"``.
    chunks : int or (int, int), optional
        Chunk size over rows and columns (default: a Dask array's own chunks,
        1024 otherwise). Chunks smaller than the kernel are enlarged to it.
    client : distributed.Client or str, optional
        Compute on this ``dask.distributed`` client, or on the scheduler at this
        address (e.g. ``"tcp://10.0.0.5:8786"``); default: Dask's local threads.
    mode, boundary, op, fill_value, method
        As in :func:`convolab.image.filter`.
    image_mode : {'keep', 'gray', 'rgb'}
        Passed to :func:`convolab.image.load` when a path to an image is given.
    compute : bool
        Return a NumPy array (default) or the lazy Dask array (to store it with
        ``dask.array.to_zarr``, ``to_npy_stack``, ... when it does not fit in memory;
        ``client`` is then not used: compute or store it where you like).

    Returns
    -------
    ndarray or dask.array.Array
        float32 for float32 input, float64 otherwise; shape as :func:`convolab.image.filter`.

    Examples
    --------
    >>> import numpy as np
    >>> from convolab import image
    >>> x = np.random.default_rng(1).random((30, 20)).astype(np.float32)
    >>> y = filter_large(x, "gaussian:sigma=1.5", chunks=(8, 7), boundary="symmetric")
    >>> bool(np.allclose(y, image.filter(x, "gaussian:sigma=1.5", boundary="symmetric"),
    ...                  atol=1e-6)), y.dtype
    (True, dtype('float32'))
    """
    from convolab import image

    da = _import_dask()
    mode = check_mode(mode)
    boundary = check_boundary(boundary)
    op = image._choice("op", op, image.OPS)
    spatial = _spatial_chunks(chunks)
    k = image._as_kernel(kernel, np.empty(0))
    if spatial is not None:  # a block's halo must come from its immediate neighbours
        spatial = (max(spatial[0], k.shape[0]), max(spatial[1], k.shape[1]))
    x = _as_dask(array_or_path, spatial, image_mode)
    k = image._as_kernel(k, np.empty(0, dtype=x.dtype))
    dtype = _result_dtype(x.dtype)

    pads, depth, out_chunks = [], {}, []
    for axis, (n, size) in enumerate(zip(x.shape[:2], k.shape)):
        before, after = mode_pads(mode, size)
        out_len = output_length(n, before, after, size)
        if n < size:
            raise ValueError(
                f"filter_large needs the image at least as large as the kernel; got image shape "
                f"{tuple(x.shape[:2])} and kernel shape {k.shape}"
            )
        pads.append((before, after))
        depth[axis] = mode_pads("same", size)
        out_chunks.append(_output_chunks(x.chunks[axis], n, out_len, size))
    channel = x.shape[2:]
    if channel:
        pads.append((0, 0))
        depth[2] = 0

    padded = da.pad(x, pads, **pad_args(boundary, fill_value))
    # Output chunk j needs padded samples [start_j, stop_j + K - 1): give the first
    # and last padded chunks the extra K//2 and (K-1)//2 samples.
    padded_chunks = []
    for axis in range(2):
        lo, hi = depth[axis]
        c = list(out_chunks[axis])
        c[0] += lo
        c[-1] += hi
        padded_chunks.append(tuple(c))
    padded = padded.rechunk(tuple(padded_chunks) + tuple((c,) for c in channel))

    def _block(block: np.ndarray) -> np.ndarray:
        return image.filter(block, k, "valid", boundary, op, method=method).astype(
            dtype, copy=False
        )

    y = da.map_overlap(
        _block,
        padded,
        depth=depth,
        boundary="none",
        trim=False,
        allow_rechunk=False,
        chunks=tuple(out_chunks) + tuple((c,) for c in channel),
        dtype=dtype,
        meta=np.empty((0,) * x.ndim, dtype=dtype),
    )
    if not compute:
        return y
    client, owned = _resolve_client(client)
    try:
        if client is None:
            return y.compute()
        return client.compute(y).result()
    finally:
        if owned:
            client.close()
