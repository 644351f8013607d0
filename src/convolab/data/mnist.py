"""MNIST, Fashion-MNIST and any folder of MNIST-format (IDX) files.

Downloads try each mirror in turn, verify the published MD5 checksum while
streaming, and move the file into the cache only once it is complete and
correct: a corrupt download is never cached.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from convolab._docs import fill
from convolab.data.idx import read_idx
from convolab.data.loader import ArrayDataset
from convolab.outputs import atomic_open

__all__ = [
    "MNIST_MIRRORS",
    "FASHION_MNIST_MIRRORS",
    "cache_dir",
    "mnist",
    "fashion_mnist",
    "idx_folder",
    "idx_splits",
]

MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MNIST_MIRRORS: tuple[str, ...] = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
# Published MD5 checksums of the gzip files.
_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
_FASHION_MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
_FASHION_SYSTEM_DIRS = ("/usr/share/datasets/fashion-mnist",)
FASHION_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
_SPLITS = ("train", "test")
_PREFIX = {"train": "train", "test": "t10k"}
_TIMEOUT_S = 30.0


def cache_dir(root: str | os.PathLike | None = None) -> Path:
    """Where downloaded data lives: ``root``, else ``$CONVOLAB_DATA``, else ``~/.cache/convolab``.

    Examples
    --------
    >>> cache_dir("/tmp/somewhere").as_posix()
    '/tmp/somewhere'
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("CONVOLAB_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "convolab"


def _check_split(split: str) -> str:
    if split not in _SPLITS:
        raise ValueError(f"`split` must be one of 'train', 'test'; got {split!r}")
    return split


def _download(filename: str, md5: str, mirrors: Sequence[str], folder: Path) -> Path:
    """Fetch ``filename`` from the first mirror that serves it with checksum ``md5``."""
    target = folder / filename
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            digest = hashlib.md5(usedforsecurity=False)
            with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:  # noqa: S310
                with atomic_open(target) as out:
                    for block in iter(lambda r=response: r.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
                    if digest.hexdigest() != md5:
                        raise _ChecksumError(f"MD5 {digest.hexdigest()} != expected {md5}")
            return target
        except (_ChecksumError, urllib.error.URLError, OSError, ValueError) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                reason = f"HTTP {exc.code} {exc.reason}"
            else:
                reason = getattr(exc, "reason", None) or exc
            failures.append(f"{url} ({reason})")
    raise ConnectionError(
        f"could not download {filename}; tried: " + "; ".join(failures or ["no mirrors given"])
    )


class _ChecksumError(Exception):
    pass


def _find(filename: str, folders: Sequence[Path]) -> Path | None:
    stem = filename.removesuffix(".gz")
    for folder in folders:
        for name in (filename, stem):
            if (folder / name).is_file():
                return folder / name
    return None


def _load_pair(images: Path, labels: Path, classes, name: str) -> ArrayDataset:
    x = read_idx(images)
    y = read_idx(labels)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(
            f"{name}: images {str(images)!r} must be (N, H, W) and labels {str(labels)!r} (N,) "
            f"with the same N; got {x.shape} and {y.shape}"
        )
    if x.dtype == np.uint8:  # one pass (astype, then divide, made a second 188 MB array)
        x = np.divide(x, np.float32(255.0), dtype=np.float32)
    # reshape, not x[:, None]: a new axis gets stride 0, and batches drawn from it keep
    # strides that PyTorch reads as channels-last (its batch norm then takes a slow path)
    x = np.ascontiguousarray(x, dtype=np.float32).reshape(len(x), 1, *x.shape[1:])
    return ArrayDataset(x, y.astype(np.int64), classes, name)


@dataclass(frozen=True)
class _Standard:
    """One of the standard IDX data sets: its cache folder's name, the published MD5 of each
    file, its mirrors (read at each call: the module's public ``*_MIRRORS`` may be changed),
    the system folders that may hold it, its class names."""

    name: str
    md5s: dict[str, str]
    mirrors: Callable[[], Sequence[str]]
    system_dirs: Sequence[str] = ()
    classes: Sequence[str] | None = None

    def load(
        self, root: Any, split: str, download: bool, mirrors: Sequence[str] | None
    ) -> ArrayDataset:
        split = _check_split(split)
        folder = cache_dir(root) / self.name
        folders = [folder, *(Path(d) for d in self.system_dirs)]
        paths = []
        for kind in ("images", "labels"):
            filename = f"{_PREFIX[split]}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz"
            found = _find(filename, folders)
            if found is None:
                if not download:
                    where = ", ".join(str(f) for f in folders)
                    raise FileNotFoundError(
                        f"{self.name} {split} {kind} ({filename}) not found in {where}; pass "
                        f"download=True (CLI: --download) or give a folder of IDX files"
                    )
                found = _download(filename, self.md5s[filename], mirrors or self.mirrors(), folder)
            paths.append(found)
        return _load_pair(paths[0], paths[1], self.classes, f"{self.name}-{split}")

    def loader(self, public_name: str, doc: str) -> Callable[..., ArrayDataset]:
        """The public function that loads this data set, named ``public_name``, documented by
        ``doc`` (with the sections both data sets share in place of ``%(sections)s``)."""

        def load(
            root: str | os.PathLike | None = None,
            split: str = "train",
            download: bool = False,
            mirrors: Sequence[str] | None = None,
        ) -> ArrayDataset:
            return self.load(root, split, download, mirrors)

        load.__name__ = load.__qualname__ = public_name
        load.__doc__ = fill(doc, _SECTIONS)
        return load


# What mnist and fashion_mnist share, from Parameters to Raises.
_SECTIONS = {
    "sections": """Parameters
----------
root : path-like, optional
    Cache folder (the files go in a sub-folder named after the data set);
    default :func:`cache_dir`.
split : {'train', 'test'}
    Which part.
download : bool
    Fetch missing files from the data set's mirrors (:data:`MNIST_MIRRORS`,
    :data:`FASHION_MNIST_MIRRORS`), tried in order, each checked against its
    published MD5 before it is cached.
mirrors : sequence of str, optional
    Base URLs to use instead of the data set's mirrors.

Returns
-------
ArrayDataset
    ``x`` float32 of shape ``(N, 1, 28, 28)`` in [0, 1]; ``y`` int64 labels 0-9.

Raises
------
FileNotFoundError
    If the files are absent and ``download`` is false.
ConnectionError
    If no mirror delivered a correct file (the message lists the URLs tried)."""
}


mnist = _Standard("mnist", _MNIST_MD5, lambda: MNIST_MIRRORS).loader(
    "mnist",
    """The MNIST handwritten digits (60,000 train / 10,000 test, 28x28).

    Files are looked for in the cache (``root/mnist``).

    %(sections)s

    Examples
    --------
    >>> mnist(root="/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: mnist train images (train-images-idx3-ubyte.gz) not found in ...
    """,
)


fashion_mnist = _Standard(
    "fashion-mnist",
    _FASHION_MD5,
    lambda: FASHION_MNIST_MIRRORS,
    _FASHION_SYSTEM_DIRS,
    FASHION_CLASSES,
).loader(
    "fashion_mnist",
    """Zalando's Fashion-MNIST (10 clothing classes, MNIST's format and sizes).

    Looks in the cache (``root/fashion-mnist``) and in Debian's
    ``/usr/share/datasets/fashion-mnist`` (package ``dataset-fashion-mnist``)
    before downloading.

    %(sections)s

    Examples
    --------
    >>> FASHION_CLASSES[9]
    'Ankle boot'
    """,
)


_IDX_NAME = re.compile(r"^(train|t10k|test)[-_.]?(images|labels)[-_.]idx([13])[-_.]ubyte(\.gz)?$")


def _scan(path: Path) -> dict[tuple[str, str], Path]:
    if not path.is_dir():
        raise FileNotFoundError(f"`path` {str(path)!r} is not a folder")
    found: dict[tuple[str, str], Path] = {}
    for entry in sorted(path.iterdir()):
        match = _IDX_NAME.match(entry.name)
        if match and entry.is_file():
            split = "train" if match.group(1) == "train" else "test"
            found.setdefault((split, match.group(2)), entry)
    return found


def idx_splits(path: str | os.PathLike) -> tuple[str, ...]:
    """The splits (``'train'``, ``'test'``) for which a folder has both images and labels.

    Examples
    --------
    >>> import tempfile
    >>> idx_splits(tempfile.mkdtemp())
    ()
    """
    found = _scan(Path(path))
    return tuple(s for s in _SPLITS if (s, "images") in found and (s, "labels") in found)


def idx_folder(
    path: str | os.PathLike, split: str = "train", classes: Sequence[str] | None = None
) -> ArrayDataset:
    """Load one split of a folder of MNIST-format files.

    The folder holds ``train-images-idx3-ubyte[.gz]`` and ``train-labels-idx1-ubyte[.gz]``
    and/or the ``t10k-`` (or ``test-``) pair, e.g. ``../shared/data/mnist-5k``.

    Parameters
    ----------
    path : path-like
        The folder.
    split : {'train', 'test'}
        Which pair of files to read.
    classes : sequence of str, optional
        Class names.

    Returns
    -------
    ArrayDataset
        ``x`` float32 ``(N, 1, H, W)`` in [0, 1] (uint8 files are divided by 255), ``y`` int64.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a folder.
    ValueError
        If the folder has no IDX files, or lacks the requested split.

    Examples
    --------
    >>> import tempfile, os
    >>> from convolab.data import write_idx
    >>> d = tempfile.mkdtemp()
    >>> _ = write_idx(os.path.join(d, "t10k-images-idx3-ubyte"), np.zeros((2, 4, 4), np.uint8))
    >>> _ = write_idx(os.path.join(d, "t10k-labels-idx1-ubyte"), np.array([3, 1], np.uint8))
    >>> idx_folder(d, "test").x.shape
    (2, 1, 4, 4)
    """
    split = _check_split(split)
    path = Path(path)
    found = _scan(path)
    if not found:
        raise ValueError(
            f"folder {str(path)!r} has no MNIST-format IDX files (expected "
            f"train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] and/or the t10k- pair)"
        )
    if (split, "images") not in found or (split, "labels") not in found:
        have = idx_splits(path)
        raise ValueError(
            f"folder {str(path)!r} has no complete {split!r} split (images and labels); "
            f"splits present: {list(have)}"
        )
    name = f"{path.name}-{split}"
    return _load_pair(found[(split, "images")], found[(split, "labels")], classes, name)
