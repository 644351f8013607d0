"""Data sets by name (what the command line's ``--data`` accepts)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from convolab.data.loader import ArrayDataset, random_split
from convolab.data.mnist import fashion_mnist, idx_folder, idx_splits, mnist
from convolab.data.ocr import ocr_digits
from convolab.data.signals import mnist1d, shapes1d

__all__ = ["DATASET_NAMES", "load", "load_splits"]

DATASET_NAMES: tuple[str, ...] = ("mnist", "fashion-mnist", "ocr-digits", "mnist1d", "shapes1d")
# Default sizes (train, test) of the generated data sets.
_SYNTHETIC_SIZES = {"ocr-digits": (10000, 2000), "shapes1d": (4000, 1000)}


def _split_seed(seed: int, split: str) -> int:
    """Independent seeds for the train and test parts of a generated data set."""
    state = np.random.SeedSequence([int(seed), 0 if split == "train" else 1]).generate_state(1)
    return int(state[0])


def load(
    name: str | os.PathLike,
    split: str = "train",
    *,
    root: str | os.PathLike | None = None,
    download: bool = False,
    n: int | None = None,
    seed: int = 0,
) -> ArrayDataset:
    """Load a data set by name, or a folder of MNIST-format files by path.

    Parameters
    ----------
    name : str or path-like
        One of :data:`DATASET_NAMES`, or a folder of IDX files.
    split : {'train', 'test'}
        Which part.
    root : path-like, optional
        Cache folder for downloads (see :func:`convolab.data.cache_dir`).
    download : bool
        Download MNIST / Fashion-MNIST when missing.
    n : int, optional
        Number of samples of a generated set (``ocr-digits``, ``shapes1d``); default
        10,000/2,000 and 4,000/1,000 for train/test.
    seed : int
        Seed of a generated set (train and test parts use independent streams).

    Returns
    -------
    ArrayDataset

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or a folder without IDX files.

    Examples
    --------
    >>> load("shapes1d", "test", n=10).x.shape
    (10, 1, 128)
    >>> load("cifar")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown data set 'cifar'; expected one of 'mnist', 'fashion-mnist', ...
    """
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be one of 'train', 'test'; got {split!r}")
    key = str(name)
    if key == "mnist":
        return mnist(root, split, download)
    if key == "fashion-mnist":
        return fashion_mnist(root, split, download)
    if key == "mnist1d":
        return mnist1d(split)
    if key in _SYNTHETIC_SIZES:
        count = n if n is not None else _SYNTHETIC_SIZES[key][split == "test"]
        make = ocr_digits if key == "ocr-digits" else shapes1d
        return make(count, seed=_split_seed(seed, split))
    path = Path(key).expanduser()
    if path.is_dir():
        return idx_folder(path, split)
    valid = ", ".join(repr(d) for d in DATASET_NAMES)
    raise ValueError(
        f"unknown data set {key!r}; expected one of {valid}, or a folder of MNIST-format files"
    )


def load_splits(
    name: str | os.PathLike,
    *,
    root: str | os.PathLike | None = None,
    download: bool = False,
    n: int | None = None,
    seed: int = 0,
    test_fraction: float = 0.1,
) -> tuple[ArrayDataset, ArrayDataset]:
    """The train and test parts of a data set.

    A folder holding only one split (like ``../shared/data/mnist-5k``) is split at
    random (seeded) into ``1 - test_fraction`` for training and ``test_fraction``
    for testing.

    Examples
    --------
    >>> train, test = load_splits("shapes1d", n=20)
    >>> len(train), len(test)
    (20, 20)
    """
    path = Path(str(name)).expanduser()
    if str(name) in DATASET_NAMES or not path.is_dir():
        return (
            load(name, "train", root=root, download=download, n=n, seed=seed),
            load(name, "test", root=root, download=download, n=n, seed=seed),
        )
    splits = idx_splits(path)
    if len(splits) == 2:
        return idx_folder(path, "train"), idx_folder(path, "test")
    if not splits:
        return idx_folder(path, "train"), idx_folder(path, "test")  # raises the folder's error
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"`test_fraction` must be in (0, 1); got {test_fraction}")
    full = idx_folder(path, splits[0])
    n_test = max(1, int(round(len(full) * test_fraction)))
    train, test = random_split(full, [len(full) - n_test, n_test], seed=seed)
    return train, test
