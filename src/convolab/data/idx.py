"""The IDX file format of MNIST: read and write, gzip-compressed or raw.

An IDX file is a 4-byte magic number ``00 00 TT NN`` (``TT`` the element type,
``NN`` the number of dimensions), then ``NN`` big-endian 32-bit sizes, then the
elements in C order, big-endian.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from convolab.outputs import write_bytes

__all__ = ["read_idx", "write_idx"]

# IDX type code -> big-endian NumPy dtype.
_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"IDX file {str(path)!r} is a corrupt or truncated gzip stream: {exc}"
        ) from exc


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or raw) into a NumPy array.

    Parameters
    ----------
    path : str or path-like
        The file. Gzip compression is detected from the content, not the name.

    Returns
    -------
    numpy.ndarray
        An array of the stored shape in native byte order (``uint8`` for MNIST).

    Raises
    ------
    ValueError
        If the magic number is wrong, the type code unknown, or the data is
        shorter or longer than the header announces.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    >>> p = write_idx(os.path.join(d, "a-idx2-ubyte.gz"), a)
    >>> read_idx(p)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    path = Path(path)
    raw = _read_bytes(path)
    name = str(path)
    if len(raw) < 4:
        raise ValueError(f"IDX file {name!r} is too short ({len(raw)} bytes) to hold a header")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in _CODES or ndim == 0:
        raise ValueError(
            f"IDX file {name!r} has a bad magic number 0x{raw[:4].hex()}; expected 0x0000TTNN "
            f"with type TT in {{{', '.join(f'{c:02x}' for c in _CODES)}}} and NN >= 1 dimensions"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"IDX file {name!r} is truncated inside its {ndim}-dimension header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _CODES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual != expected:
        what = "truncated" if actual < expected else "longer than its header says"
        raise ValueError(
            f"IDX file {name!r} is {what}: header shape {shape} needs {expected} data bytes, "
            f"found {actual}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write an array as an IDX file, gzip-compressed when the name ends in ``.gz``.

    The file is written to a temporary name and renamed into place, so an
    existing file is never left half-written.

    Parameters
    ----------
    path : str or path-like
        Destination (missing folders are created).
    array : array_like
        Data of dtype uint8, int8, int16, int32, float32 or float64, at least 1-D.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If the dtype has no IDX type code.
    ValueError
        If the array is 0-D or has more than 255 dimensions.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> d = tempfile.mkdtemp()
    >>> p = write_idx(os.path.join(d, "labels-idx1-ubyte"), np.array([7, 2], np.uint8))
    >>> p.read_bytes()
    b'\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x02\\x07\\x02'
    """
    array = np.asarray(array)
    by_dtype = {dt.newbyteorder("="): code for code, dt in _CODES.items()}
    code = by_dtype.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"`array` dtype must be one of uint8, int8, int16, int32, float32, float64 to be "
            f"stored as IDX; got {array.dtype}"
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"`array` must have 1 to 255 dimensions for IDX; got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_CODES[code]).tobytes()
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_bytes(path, payload)
