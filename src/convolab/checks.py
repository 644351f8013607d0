"""Checks of what a user gives: one home for the rules every command and function share.

Each check raises the library's usual error types (``ValueError``, ``TypeError``,
``FileNotFoundError``) with one line that names the argument, the value and what
was expected; the command line prints that line as ``convolab: error: ...`` with
exit code 2. The rules:

* **sizes that cannot fit are refused before allocating**, with the size named
  (:func:`check_fits`, :func:`memory_limit`);
* **no NaN or infinity slips in** where numbers are read (:func:`check_finite`);
* **labels are class indices** ``0..C-1`` (:func:`check_labels`);
* **a choice is one of its values** (:func:`choice`);
* **files are read defensively**: JSON names the file when broken
  (:func:`read_json`), a ``.npy`` must hold as many bytes as its header declares
  (:func:`read_npy`), and a ``.npz`` archive is refused from its declared sizes
  before anything is decompressed when it would expand far beyond its size on
  disk (:func:`read_npz`).

>>> check_labels([0, 2, 1], 3, "labels")
>>> check_labels([0, 3, 1], 3, "labels")
Traceback (most recent call last):
...
ValueError: labels: label 3 at index 1 is outside 0..2 (3 classes)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "check_finite",
    "check_fits",
    "check_labels",
    "choice",
    "format_bytes",
    "memory_limit",
    "read_json",
    "read_npy",
    "read_npz",
]

# A member of an archive may expand to at most this many times its stored size...
_MAX_RATIO = 50
# ...unless it stays below this many bytes (small, highly compressible members are harmless).
_SMALL_MEMBER = 16 << 20


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps the number >= 1.

    >>> format_bytes(512), format_bytes(3 * 2**30), format_bytes(466 * 2**40)
    ('512 B', '3.0 GiB', '466.0 TiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def memory_limit() -> int:
    """Bytes a single array may take: the memory available now (Linux) or the physical memory.

    >>> memory_limit() > 0
    True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 16 << 30


_ALWAYS_FITS = 64 << 20  # bytes: an array this small is never refused (no memory reading)


def check_fits(shape: int | Sequence[int], itemsize: int, what: str) -> None:
    """Refuse an array of ``shape`` (or that many values) that cannot fit in memory.

    Raises
    ------
    ValueError
        Naming ``what``, the shape and the bytes it would take.

    >>> check_fits((1000, 1000), 8, "the kernel")
    >>> check_fits((8000001, 8000001), 8, "the kernel")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the kernel would be 8000001 x 8000001 values (465.7 TiB); ...
    """
    dims = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    count = 1
    for d in dims:
        count *= max(d, 0)
    need = count * int(itemsize)
    if need <= _ALWAYS_FITS:  # reading /proc/meminfo cost 30 us: a third of a small call
        return
    limit = memory_limit()
    if need > limit:
        size = " x ".join(str(d) for d in dims)
        raise ValueError(
            f"{what} would be {size} values ({format_bytes(need)}); more than the "
            f"{format_bytes(limit)} of memory available"
        )


def check_finite(values: Any, what: str, hint: str = "", *, allow_nan: bool = False) -> None:
    """Refuse NaN (unless ``allow_nan``) or infinite values, naming the first one and its index.

    >>> check_finite([1.0, float("inf")], "signal.csv")
    Traceback (most recent call last):
    ...
    ValueError: signal.csv: sample 1 is inf (1 non-finite value in all); expected finite numbers
    """
    a = np.asarray(values)
    if a.dtype.kind not in "fc":
        return
    bad = np.isinf(a) if allow_nan else ~np.isfinite(a)
    if not bad.any():
        return
    index = np.unravel_index(int(np.flatnonzero(bad)[0]), a.shape)
    where = int(index[0]) if len(index) == 1 else tuple(int(i) for i in index)
    n = int(bad.sum())
    tail = f"; {hint}" if hint else "; expected finite numbers"
    raise ValueError(
        f"{what}: sample {where} is {a[index]} ({n} non-finite value{'s' * (n > 1)} in all){tail}"
    )


def check_labels(labels: Any, num_classes: int | None, what: str) -> None:
    """Refuse labels that are not class indices ``0..num_classes-1``.

    ``num_classes=None`` only asks for non-negative integers. The message names
    the first offending label and its index.
    """
    y = np.asarray(labels)
    if y.size == 0:
        return
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if y.dtype.kind not in "iub":
        bad = next((i for i, v in enumerate(y.ravel()) if not float(v).is_integer()), 0)
        raise ValueError(f"{what}: label {y.ravel()[bad]!r} at index {bad} is not a class "
                         "index (an integer)")  # fmt: skip
    y = y.ravel().astype(np.int64)
    top = None if num_classes is None else int(num_classes) - 1
    bad = y < 0 if top is None else (y < 0) | (y > top)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        span = "negative" if top is None else f"outside 0..{top} ({top + 1} classes)"
        raise ValueError(f"{what}: label {int(y[i])} at index {i} is {span}")


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``; else a ValueError listing them.

    >>> choice("--scale", "abs", ("clip", "minmax", "abs"))
    'abs'
    >>> choice("--scale", "log", ("clip", "minmax", "abs"))
    Traceback (most recent call last):
    ...
    ValueError: `--scale` must be one of 'clip', 'minmax', 'abs'; got 'log'
    """
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        expected = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`{name}` must be one of {expected}; got {value!r}")
    return value


def read_json(path: str | os.PathLike, what: str = "file") -> Any:
    """Parse a JSON file; a broken one is a ValueError naming the file, line and column."""
    import json  # here, not at import: json and zipfile cost 80 ms of `import convolab`

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{what} '{path}' is not UTF-8 text; expected JSON") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what} '{path}' is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})"
        ) from None


def _npy_header(read: Any, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from a ``.npy`` header, refusing pickled (object) arrays."""
    try:
        version = np.lib.format.read_magic(read)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(read)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(read)
    except (ValueError, OSError, SyntaxError, EOFError) as exc:
        raise ValueError(f"{what} is not a NumPy array file ({exc})") from None
    if dtype.hasobject:
        raise ValueError(f"{what} holds Python objects (a pickle), not numbers; it is refused")
    return tuple(shape), fortran, dtype


def read_npy(path: str | os.PathLike, what: str | None = None) -> np.ndarray:
    """Load a ``.npy`` file whose header agrees with its size on disk; never unpickles."""
    path = Path(path)
    what = what or f"'{path}'"
    if not path.is_file():
        raise FileNotFoundError(f"{what} does not exist")
    with open(path, "rb") as fh:
        shape, _, dtype = _npy_header(fh, what)
        need = int(np.prod(shape, dtype=object)) * dtype.itemsize
        have = path.stat().st_size - fh.tell()
    if need > have:
        raise ValueError(
            f"{what} declares a {dtype} array of shape {shape} ({format_bytes(need)}) but holds "
            f"only {format_bytes(have)}; it is truncated or corrupt"
        )
    return np.load(path, allow_pickle=False)


def read_npz(path: str | os.PathLike, what: str | None = None) -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` archive, checked from the declared sizes before decompressing.

    Refused, before a byte is decompressed: not a zip archive; a member that is
    not a ``.npy``; a member that would expand more than 50 times its stored
    size (and past 16 MiB) - a compression bomb; a member whose ``.npy`` header
    declares more bytes than the member holds; archives larger than memory.
    """
    import zipfile

    path = Path(path)
    what = what or f"'{path}'"
    if not path.is_file():
        raise FileNotFoundError(f"{what} does not exist")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(f"{what} is not a NumPy .npz archive ({exc})") from None
    with archive:
        members = archive.infolist()
        total = 0
        for m in members:
            if not m.filename.endswith(".npy"):
                raise ValueError(f"{what}: member {m.filename!r} is not a .npy array")
            stored = max(m.compress_size, 1)
            if m.file_size > _SMALL_MEMBER and m.file_size > _MAX_RATIO * stored:
                raise ValueError(
                    f"{what}: member {m.filename!r} would expand from {format_bytes(stored)} to "
                    f"{format_bytes(m.file_size)} ({m.file_size // stored}x); refused as a "
                    "compression bomb"
                )
            total += m.file_size
        check_fits(total, 1, f"the arrays of {what}")
        arrays: dict[str, np.ndarray] = {}
        for m in members:
            name = m.filename[: -len(".npy")]
            try:
                with archive.open(m) as fh:
                    shape, fortran, dtype = _npy_header(fh, f"{what}: member {m.filename!r}")
                    need = int(np.prod(shape, dtype=object)) * dtype.itemsize
                    if need > m.file_size:
                        raise ValueError(
                            f"{what}: member {m.filename!r} declares shape {shape} "
                            f"({format_bytes(need)}) but holds {format_bytes(m.file_size)}"
                        )
                    data = fh.read(need)
                    if len(data) != need:
                        raise ValueError(f"{what}: member {m.filename!r} is truncated")
                    flat = np.frombuffer(data, dtype=dtype)
                    order = "F" if fortran else "C"
                    arrays[name] = flat.reshape(shape, order=order).copy(order=order)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise ValueError(f"{what}: member {m.filename!r} is corrupt ({exc})") from None
            except Exception as exc:  # zlib.error and other decoder failures
                if isinstance(exc, ValueError):
                    raise
                raise ValueError(f"{what}: member {m.filename!r} is corrupt ({exc!r})") from None
    return arrays
