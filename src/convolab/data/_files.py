"""File helpers shared by the data and training code: atomic writes and checksums."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

__all__: list[str] = []


@contextlib.contextmanager
def _atomic_open(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    On any error the temporary file is removed and ``path`` is left untouched, so
    a reader never sees a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 -> what open() would have given
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: str | os.PathLike, write: Callable[[IO], object], mode="wb") -> Path:
    """Call ``write(handle)`` on a temporary file, then move it to ``path``."""
    with _atomic_open(path, mode) as handle:
        write(handle)
    return Path(path)


def _strict(value: object) -> object:
    """``value`` with NaN and infinities as ``None`` (strict JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def _write_json(path: str | os.PathLike, data: object) -> Path:
    """Write ``data`` as indented, strict JSON (NaN -> null), atomically."""
    text = json.dumps(_strict(data), indent=2, allow_nan=False)
    return _atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def _md5(path: str | os.PathLike) -> str:
    """MD5 hex digest of a file (integrity check against published checksums)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
