"""Kernels given as text: the command line's ``NAME[:param=value,...]`` and kernel files."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np

from convolab.checks import read_npy
from convolab.kernels.classic import Kernel, get

__all__ = ["from_spec", "load_file"]


_PAIR = re.compile(r"\s*([-+]?\d+(?:\.\d*)?)\s*[xX]\s*([-+]?\d+(?:\.\d*)?)\s*")


def _parse_value(text: str) -> object:
    pair = _PAIR.fullmatch(text)
    if pair:
        return tuple(_parse_value(g) for g in pair.groups())
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def from_spec(spec: str) -> np.ndarray:
    """Build a kernel from the text form ``NAME[:param=value,...]`` used on the command line.

    Values are read as integers, then floats, then left as text; ``AxB`` gives the
    pair ``(A, B)`` (e.g. ``box:size=3x5``).

    >>> from_spec("laplacian:neighbours=8")[1]
    array([-1.,  8., -1.])
    >>> from_spec("box:size=1x2")
    array([[0.5, 0.5]])
    >>> from_spec("sobel:axis")
    Traceback (most recent call last):
    ...
    ValueError: kernel spec 'sobel:axis': expected param=value, got 'axis'
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"kernel spec must be a text NAME[:param=value,...]; got {spec!r}")
    name, _, rest = spec.partition(":")
    params: dict[str, object] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise ValueError(f"kernel spec {spec!r}: expected param=value, got {item!r}")
        params[key.strip()] = _parse_value(value)
    return get(name.strip(), **params)


def _read_text_kernel(path: Path) -> np.ndarray:
    delimiter = "," if path.suffix.lower() == ".csv" else None
    rows: list[list[float]] = []
    with open(path, newline="", encoding="utf-8") as fh:
        try:
            text = fh.read()
        except UnicodeDecodeError:
            raise ValueError(f"kernel file '{path}' is not a text file") from None
    lines = [(n, line.split("#", 1)[0].strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line]
    if delimiter:
        cells_per_line = [(n, next(csv.reader([line]))) for n, line in lines]
    else:
        cells_per_line = [(n, line.replace(",", " ").split()) for n, line in lines]
    first_n = None
    for n, cells in cells_per_line:
        cells = [c.strip() for c in cells]
        if delimiter and cells and cells[-1] == "":
            cells = cells[:-1]  # trailing comma
        row = []
        for cell in cells:
            try:
                row.append(float(cell))
            except ValueError:
                raise ValueError(
                    f"kernel file '{path}', line {n}: {cell!r} is not a number"
                ) from None
        if rows and len(row) != len(rows[0]):
            raise ValueError(
                f"kernel file '{path}', line {n}: {len(row)} values, but line {first_n} has "
                f"{len(rows[0])} (rows must all have the same length)"
            )
        if not rows:
            first_n = n
        rows.append(row)
    if not rows or not rows[0]:
        raise ValueError(f"kernel file '{path}' is empty: expected rows of numbers")
    return np.array(rows, dtype=np.float64)


def load_file(path: str | os.PathLike) -> np.ndarray:
    """Read a kernel from a text (``.txt``, ``.csv``) or NumPy (``.npy``) file as a 2D array.

    Text files hold one row per line, values separated by spaces or commas;
    ``#`` starts a comment. ``.npy`` files are read with ``allow_pickle=False``
    and must hold a real 1D or 2D array. A 1D kernel becomes one row.

    Raises
    ------
    ValueError
        For an empty file, ragged rows, a cell that is not a number, non-finite
        values or an unsupported extension (the message names the file and line).
    OSError
        When the file cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "edge.txt"
    >>> _ = p.write_text("-1 -1 -1\\n-1 8 -1\\n-1 -1 -1  # the articles' kernel\\n")
    >>> load_file(p)
    array([[-1., -1., -1.],
           [-1.,  8., -1.],
           [-1., -1., -1.]])
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".csv", ".npy"):
        raise ValueError(
            f"kernel file '{path}': extension must be .txt, .csv or .npy; got {suffix or 'none'!r}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"kernel file '{path}' does not exist")
    if suffix == ".npy":
        try:
            k = read_npy(path, f"kernel file '{path}'")
        except ValueError as exc:
            if str(path) in str(exc):
                raise
            raise ValueError(f"kernel file '{path}' is not a readable .npy array ({exc})") from None
        if not isinstance(k, np.ndarray) or k.dtype.kind not in "biuf":
            raise ValueError(f"kernel file '{path}' must hold a real numeric array; "
                             f"got dtype {getattr(k, 'dtype', type(k))}")
        if k.size == 0:
            raise ValueError(f"kernel file '{path}' is empty: expected a 1D or 2D array")
        if k.ndim not in (1, 2):
            raise ValueError(
                f"kernel file '{path}' must hold a 1D or 2D array; got shape {k.shape}"
            )
        k = np.atleast_2d(k.astype(np.float64))
    else:
        k = _read_text_kernel(path)
    if not np.all(np.isfinite(k)):
        raise ValueError(f"kernel file '{path}' contains NaN or infinite values")
    return Kernel(k, path.name)
