"""Filtering arrays larger than memory, or on many cores and machines, in chunks on Dask.

Needs the optional extra ``convolab[scale]`` (``dask[array,distributed]``);
Dask is imported only when these functions run. :func:`convolab.image.filter_large`
is the image-level front; this module knows nothing of images, only of chunks,
halos and the engine's padding rules (:mod:`convolab.conv.boundary`, :mod:`convolab.conv.geometry`).

How :func:`map_padded` stays exact at every chunk seam and image border
-----------------------------------------------------------------------
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
   in ``valid`` mode.

Each output sample therefore sees exactly the padded neighbourhood it sees in
memory, so the results agree to rounding for every boundary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from convolab._optional import optional_import
from convolab.conv.boundary import check_boundary, pad_args
from convolab.conv.geometry import check_mode, mode_pads, output_length

__all__ = ["as_dask_array", "compute", "map_padded", "spatial_chunks"]


def _import_dask() -> Any:
    return optional_import("dask.array", "filter_large", "scale")


def spatial_chunks(chunks: Any, at_least: Sequence[int] = (1, 1)) -> tuple[int, int] | None:
    """``chunks`` (an int or a pair) as ``(rows, columns)``, each at least ``at_least``.

    A block's halo must come from its immediate neighbours, so a chunk smaller
    than the kernel is enlarged to it. ``None`` stays ``None`` (the array's own chunks).

    >>> spatial_chunks(8, at_least=(5, 11))
    (8, 11)
    """
    if chunks is None:
        return None
    if isinstance(chunks, int | np.integer) and not isinstance(chunks, bool):
        chunks = (int(chunks), int(chunks))
    if (
        not isinstance(chunks, tuple | list)
        or len(chunks) != 2
        or not all(isinstance(c, int | np.integer) and not isinstance(c, bool) for c in chunks)
    ):
        raise TypeError(
            f"`chunks` must be an int or a pair (rows, columns) of ints; got {chunks!r}"
        )
    if any(c < 1 for c in chunks):
        raise ValueError(f"`chunks` must be at least 1; got {chunks!r}")
    return max(int(chunks[0]), at_least[0]), max(int(chunks[1]), at_least[1])


def as_dask_array(array_or_path: Any, chunks: tuple[int, int] | None) -> Any:
    """The input as a Dask array ``(rows, columns[, channels])``; a ``.npy`` file is memory-mapped.

    Channels stay in one chunk; ``chunks`` (rows, columns) rechunks, default 1024
    for an array that is not a Dask array yet.
    """
    da = _import_dask()
    if isinstance(array_or_path, str | os.PathLike):
        path = Path(array_or_path)
        if path.suffix.lower() != ".npy":
            raise ValueError(f"`array_or_path` must be an array or a .npy file; got '{path}'")
        if not path.is_file():
            raise FileNotFoundError(f"array file '{path}' does not exist")
        array_or_path = np.load(path, mmap_mode="r", allow_pickle=False)
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


def map_padded(
    x: Any,
    kernel_shape: tuple[int, int],
    block_filter: Callable[[np.ndarray], np.ndarray],
    dtype: Any,
    *,
    mode: str = "same",
    boundary: str = "reflect",
    fill_value: float = 0.0,
) -> Any:
    """The lazy Dask array of ``block_filter`` run over ``x`` padded by ``mode`` and ``boundary``.

    Parameters
    ----------
    x : dask.array.Array, shape ``(rows, columns[, channels])``
    kernel_shape : (int, int)
        The kernel's size over rows and columns.
    block_filter : callable
        A ``valid``-mode filter of one padded block: a block of
        ``(r + K_r - 1, c + K_c - 1[, channels])`` samples to ``(r, c[, channels])``.
    dtype : dtype
        Of the result.
    mode, boundary, fill_value
        As in :func:`convolab.correlate`; the whole array is padded once.

    Returns
    -------
    dask.array.Array
        Of the shape the in-memory filter returns (see the module notes).
    """
    da = _import_dask()
    mode, boundary = check_mode(mode), check_boundary(boundary)
    dtype = np.dtype(dtype)
    pads, depth, out_chunks = [], {}, []
    for axis, (n, size) in enumerate(zip(x.shape[:2], kernel_shape)):
        if n < size:
            raise ValueError(
                f"filter_large needs the image at least as large as the kernel; got image shape "
                f"{tuple(x.shape[:2])} and kernel shape {tuple(kernel_shape)}"
            )
        before, after = mode_pads(mode, size)
        pads.append((before, after))
        depth[axis] = mode_pads("same", size)
        out_len = output_length(n, before, after, size)
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

    def block(b: np.ndarray) -> np.ndarray:
        return block_filter(b).astype(dtype, copy=False)

    return da.map_overlap(
        block,
        padded,
        depth=depth,
        boundary="none",
        trim=False,
        allow_rechunk=False,
        chunks=tuple(out_chunks) + tuple((c,) for c in channel),
        dtype=dtype,
        meta=np.empty((0,) * x.ndim, dtype=dtype),
    )


def compute(y: Any, client: Any = None) -> np.ndarray:
    """``y`` computed here (``client=None``), on a ``distributed.Client``, or on the scheduler
    at an address (a client opened for this and closed afterwards)."""
    owned = isinstance(client, str)
    if owned:
        from distributed import Client

        client = Client(client)
    try:
        if client is None:
            return y.compute()
        return client.compute(y).result()
    finally:
        if owned:
            client.close()
