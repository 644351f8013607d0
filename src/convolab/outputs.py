"""Where convolab writes: one set of rules for every file it creates.

Every command and every library function that writes a file goes through this
module, so the rules hold everywhere:

1. **No input is ever written over**, not even with ``--force``: a target that is
   the same file as something the command reads (by any spelling: a symlink,
   ``..``, a hard link) is refused (:func:`check_target`).
2. **No existing file is replaced without ``force``** (:func:`check_target`).
3. **The format follows the extension**, or the call is refused (``suffixes=``).
4. **Files appear whole or not at all**: each is written to a hidden temporary
   file in the target's folder and renamed over the target when complete
   (:func:`atomic_open`); an error removes the temporary file. :class:`Staged`
   does the same for several files at once: all of them appear, or none.
5. **New files get the user's umask** (``0o666 & ~umask``), like any file made
   with ``open()``.

Library functions (``image.save``, ``nn.save``, figure saving) replace an
existing file, as Python's own writers do; the commands check their targets
with :func:`check_target` first.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = write_text(os.path.join(folder, "notes.txt"), "hello\\n")
>>> open(path).read()
'hello\\n'
>>> try:
...     check_target(path, force=False, option="-o")
... except OutputRefused as refused:
...     print(str(refused).replace(folder, "FOLDER"))
-o 'FOLDER/notes.txt' exists; use --force to replace it
>>> sorted(os.listdir(folder))      # no temporary file is left behind
['notes.txt']
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "OutputRefused",
    "Staged",
    "atomic_open",
    "check_suffix",
    "check_target",
    "same_file",
    "save_figure",
    "write_bytes",
    "write_json",
    "write_text",
]

PathLike = str | os.PathLike
TEMP_SUFFIX = ".part"  # every temporary file is ".<name>.<random>.part" beside its target


class OutputRefused(ValueError):
    """A target that would lose a user's file, or whose name does not fit its format."""


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` name the same file: same real path, or the same inode.

    >>> same_file("x/../y.txt", "y.txt")
    True
    """
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_suffix(path: PathLike, suffixes: Iterable[str], option: str = "path") -> str:
    """The lower-case extension of ``path``, refused unless it is one of ``suffixes``.

    >>> check_suffix("run/model.ONNX", [".onnx"], "OUT")
    '.onnx'
    >>> check_suffix("t.xlsx", [".csv", ".npy"], "-o")
    Traceback (most recent call last):
    ...
    convolab.outputs.OutputRefused: -o 't.xlsx': cannot write '.xlsx' files; use .csv or .npy
    """
    allowed = [s.lower() for s in suffixes]
    ext = Path(path).suffix.lower()
    if ext not in allowed:
        names = ", ".join(allowed[:-1]) + (" or " if len(allowed) > 1 else "") + allowed[-1]
        shown = repr(ext) if ext else "no"
        raise OutputRefused(
            f"{option} '{os.fspath(path)}': cannot write {shown} files; use {names}"
        )
    return ext


def check_target(
    path: PathLike,
    *,
    reads: Iterable[PathLike | None] = (),
    force: bool = False,
    option: str = "output",
    suffixes: Iterable[str] | None = None,
) -> Path:
    """Refuse a file target that would overwrite an input or an existing file.

    Parameters
    ----------
    path : path-like
        The file the command is about to write.
    reads : iterable of path-like
        Everything the command reads (inputs, models, kernel files); ``None``
        entries and names that are not files are skipped.
    force : bool
        Allow replacing an existing file that is not an input (``-f/--force``).
    option : str
        The flag or argument the user typed, for the message.
    suffixes : iterable of str, optional
        The extensions whose format the command writes (see :func:`check_suffix`).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputRefused
        The target is an input (whatever ``force``), exists without ``force``, is
        a folder, sits in a missing folder, or has an extension not in ``suffixes``.
    """
    target = Path(path)
    if suffixes is not None:
        check_suffix(target, suffixes, option)
    for source in reads:
        if source is not None and os.path.lexists(source) and same_file(source, target):
            also = "" if os.fspath(source) == os.fspath(target) else f" '{source}'"
            raise OutputRefused(
                f"{option} '{target}' is the input file{also}; choose another name "
                "(--force never replaces an input)"
            )
    if target.is_dir():
        raise OutputRefused(f"{option} '{target}' is a folder; expected a file name")
    folder = target.parent
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise OutputRefused(f"{option} '{target}': cannot write there, '{folder}' {why}")
    if os.path.lexists(target) and not force:
        raise OutputRefused(f"{option} '{target}' exists; use --force to replace it")
    return target


class Staged:
    """Write several files all-or-nothing.

    Each :meth:`open` writes a hidden temporary file beside its target. Leaving
    the ``with`` block normally renames them all into place; an exception
    removes them (and any folder :meth:`folder` created), so the targets are
    either all written or untouched.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "out")
    >>> try:
    ...     with Staged() as stage:
    ...         _ = stage.folder(out)
    ...         with stage.open(os.path.join(out, "a.txt")) as f:
    ...             _ = f.write(b"a")
    ...         raise RuntimeError("the second file fails")
    ... except RuntimeError:
    ...     pass
    >>> os.path.exists(out)
    False
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []  # (temporary, target)
        self._made: list[Path] = []  # folders this stage created, outermost first

    def folder(self, path: PathLike) -> Path:
        """Create the folder ``path`` (and missing parents); removed again on failure."""
        path = Path(path)
        missing = []
        p = path
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        for p in reversed(missing):
            p.mkdir()
            self._made.append(p)
        if not path.is_dir():
            raise OutputRefused(f"'{path}' exists and is not a folder")
        return path

    @contextlib.contextmanager
    def open(
        self, path: PathLike, mode: str = "wb", *, encoding: str | None = None,
        newline: str | None = None,
    ) -> Iterator[IO[Any]]:  # fmt: skip
        """A handle on a new temporary file that will replace ``path`` on commit."""
        target = Path(path)
        fd, tmp = _temporary_beside(target)
        self._pending.append((tmp, target))
        text = "b" not in mode
        try:
            with os.fdopen(fd, mode, encoding=encoding if text else None,
                           newline=newline if text else None) as handle:  # fmt: skip
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:  # this file failed: it must not be committed with the others
            self._pending.remove((tmp, target))
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def commit(self) -> list[Path]:
        """Move every temporary file over its target; the targets written."""
        done = []
        for tmp, target in self._pending:
            os.replace(tmp, target)
            done.append(target)
        self._pending.clear()
        self._made.clear()
        return done

    def discard(self) -> None:
        """Remove the temporary files and the folders this stage created (if empty)."""
        for tmp, _ in self._pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._pending.clear()
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._made.clear()

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def _temporary_beside(target: Path) -> tuple[int, Path]:
    """Create ``.<name>.<random>.part`` in ``target``'s folder with mode 0o666 & ~umask."""
    folder = target.parent
    if not folder.exists():
        raise FileNotFoundError(f"cannot write '{target}': the folder '{folder}' does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write '{target}': '{folder}' is not a folder")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write '{target}': it is a folder")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:  # the kernel applies the umask to 0o666, as for open()
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise PermissionError(f"cannot write '{target}': {exc.strerror or exc}") from None


@contextlib.contextmanager
def atomic_open(
    path: PathLike, mode: str = "wb", *, encoding: str | None = None, newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it over ``path`` when the block ends.

    On any error the temporary file is removed and ``path`` is left as it was,
    so nobody ever sees a half-written file.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> with atomic_open(p) as f:
    ...     _ = f.write(b"\\x00\\x01")
    >>> os.path.getsize(p)
    2
    """
    with Staged() as stage, stage.open(path, mode, encoding=encoding, newline=newline) as handle:
        yield handle


def write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``Path(path)``."""
    with atomic_open(path) as handle:
        handle.write(data)
    return Path(path)


def write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically; returns ``Path(path)``."""
    return write_bytes(path, text.encode("utf-8"))


def save_figure(fig: Any, path: PathLike, **options: Any) -> Path:
    """Save a Matplotlib figure atomically, in the format its extension names.

    ``options`` go to ``fig.savefig`` (``dpi``, ``facecolor``, ...).

    Raises
    ------
    OutputRefused
        An extension Matplotlib cannot write (``.docx``, no extension, ...).

    Examples
    --------
    >>> import os, tempfile
    >>> from matplotlib.figure import Figure
    >>> p = save_figure(Figure(figsize=(1, 1)), os.path.join(tempfile.mkdtemp(), "f.svg"))
    >>> p.read_text()[:5]
    '<?xml'
    """
    formats = sorted(fig.canvas.get_supported_filetypes())
    ext = check_suffix(path, ["." + f for f in formats], "`path`").lstrip(".")
    with atomic_open(path) as handle:
        fig.savefig(handle, format=ext, **options)
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


def write_json(path: PathLike, data: object) -> Path:
    """Write ``data`` as indented, strict JSON (NaN and infinities become null), atomically.

    >>> import json, os, tempfile
    >>> p = write_json(os.path.join(tempfile.mkdtemp(), "m.json"), {"loss": float("nan")})
    >>> json.loads(p.read_text())
    {'loss': None}
    """
    return write_text(path, json.dumps(_strict(data), indent=2, allow_nan=False))
