"""In-memory datasets and a seeded mini-batch loader."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from convolab.checks import check_labels
from convolab.data.augment import RandomShift  # its home is the augmentation module

__all__ = [
    "ArrayDataset",
    "DataLoader",
    "RandomShift",
    "channel_stats",
    "random_split",
    "random_subset",
]

# Samples per block of channel_stats: its float64 scratch stays a few MB (L2/L3-sized), where
# x.std(axis=..., dtype=float64) made a float64 copy of the whole set (376 MB for
# Fashion-MNIST, 1.5 s of page faults and passes in `convolab train`).
_STATS_BLOCK = 1 << 18


def channel_stats(x: np.ndarray) -> tuple[list[float], list[float]]:
    r"""Mean and standard deviation of every channel (axis 1) of ``x``, in float64.

    ``mean[c] = sum x[:, c] / M`` and ``std[c] = sqrt(sum (x[:, c] - mean[c])^2 / M)``
    over the ``M`` values of channel ``c`` (all samples and positions; the population
    deviation, as ``np.std``). Two passes over blocks of samples, so the float64
    scratch is a few megabytes whatever the size of ``x``; the numbers agree with
    ``x.mean/std(axis=(0, 2, ...), dtype=np.float64)`` to float64 rounding. These are
    the constants of :class:`convolab.nn.Standardize` (``convolab train --standardize``).

    Shape
    -----
    ``x``: ``(N, C, *spatial)`` with ``N >= 1``; two lists of ``C`` numbers.

    Examples
    --------
    >>> x = np.array([[[0.0, 1.0]], [[2.0, 3.0]]], np.float32)   # (2, 1, 2)
    >>> channel_stats(x)
    ([1.5], [1.118033988749895])
    """
    x = np.asarray(x)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"`x` must be (N, C, ...) with N >= 1; got shape {x.shape}")
    axes = (0, *range(2, x.ndim))
    per_sample = max(1, int(np.prod(x.shape[1:])))
    step = max(1, _STATS_BLOCK // per_sample)
    count = x.size // x.shape[1]
    total = np.zeros(x.shape[1])
    for i in range(0, len(x), step):
        total += x[i : i + step].sum(axis=axes, dtype=np.float64)
    mean = total / count
    centre = mean.reshape(1, -1, *([1] * (x.ndim - 2)))
    squares = np.zeros(x.shape[1])
    for i in range(0, len(x), step):
        block = x[i : i + step].astype(np.float64)
        block -= centre
        np.square(block, out=block)
        squares += block.sum(axis=axes)
    return [float(v) for v in mean], [float(v) for v in np.sqrt(squares / count)]


class ArrayDataset:
    """Inputs and integer labels held as two NumPy arrays of equal length.

    Parameters
    ----------
    x : array_like
        Inputs, first axis the sample axis, e.g. ``(N, 1, 28, 28)`` float32 in [0, 1].
    y : array_like
        Integer labels of shape ``(N,)``: class indices ``0..C-1`` (``C = len(classes)``
        when given); a negative label or one beyond the classes is an error naming it.
    classes : sequence of str, optional
        Names of the classes (``classes[k]`` is label ``k``).
    name : str, optional
        A short description used in messages and reports.
    extras : dict, optional
        Further per-sample arrays (e.g. ``positions`` for :func:`shapes1d`).

    Examples
    --------
    >>> ds = ArrayDataset(np.zeros((3, 1, 2, 2)), [0, 1, 1], classes=["a", "b"])
    >>> len(ds), ds.x.shape, ds.y.tolist(), ds.num_classes
    (3, (3, 1, 2, 2), [0, 1, 1], 2)
    >>> x, y = ds[1]
    >>> x.shape, int(y)
    ((1, 2, 2), 1)
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        classes: Sequence[str] | None = None,
        name: str = "",
        extras: dict[str, np.ndarray] | None = None,
    ) -> None:
        x = np.asarray(x)
        y = np.asarray(y)
        if x.ndim < 1 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"`x` and `y` must have the same number of samples and `y` must be 1-D; got "
                f"x.shape={x.shape}, y.shape={y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"`y` must hold integer labels; got dtype {y.dtype}")
        check_labels(y, None if classes is None else len(classes), f"{name or 'the data'} labels")
        self.x = x
        self.y = y.astype(np.int64, copy=False)
        n_seen = int(self.y.max()) + 1 if len(self.y) else 0
        self.classes = list(classes) if classes is not None else [str(k) for k in range(n_seen)]
        self.name = name
        self.extras = dict(extras or {})

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index):
        return self.x[index], self.y[index]

    def subset(self, index: np.ndarray) -> ArrayDataset:
        """The samples at ``index`` (an integer or boolean array) as a new dataset."""
        extras = {k: v[index] for k, v in self.extras.items()}
        return ArrayDataset(self.x[index], self.y[index], self.classes, self.name, extras)

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"ArrayDataset({label}{len(self)} samples, x {self.x.shape[1:]} {self.x.dtype}, "
            f"{self.num_classes} classes)"
        )


def random_split(
    dataset: ArrayDataset, lengths: Sequence[int], seed: int = 0
) -> list[ArrayDataset]:
    """Split a dataset into disjoint random parts of the given lengths.

    Parameters
    ----------
    dataset : ArrayDataset
        What to split.
    lengths : sequence of int
        Sizes of the parts; they must sum to ``len(dataset)``.
    seed : int
        Seed of the permutation (the same seed gives the same parts). Each part
        keeps the random order, so its first samples are a random sample too.

    Returns
    -------
    list of ArrayDataset

    Examples
    --------
    >>> ds = ArrayDataset(np.arange(10), np.arange(10) % 2)
    >>> a, b = random_split(ds, [7, 3], seed=1)
    >>> len(a), len(b), sorted(np.concatenate([a.x, b.x]).tolist()) == list(range(10))
    (7, 3, True)
    """
    lengths = [int(n) for n in lengths]
    if any(n < 0 for n in lengths) or sum(lengths) != len(dataset):
        raise ValueError(
            f"`lengths` must be non-negative and sum to len(dataset)={len(dataset)}; got {lengths}"
        )
    order = np.random.default_rng(seed).permutation(len(dataset))
    bounds = np.cumsum([0, *lengths])
    return [dataset.subset(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def random_subset(dataset: ArrayDataset, n: int, seed: int = 0) -> ArrayDataset:
    """``n`` samples drawn at random without replacement, kept in the dataset's order.

    Files are often sorted by class, so the first ``n`` samples would not do. A dataset
    of ``n`` samples or fewer is returned as it is.

    Examples
    --------
    >>> ds = ArrayDataset(np.arange(10), np.arange(10) % 2)
    >>> part = random_subset(ds, 4, seed=1)
    >>> len(part), bool(np.all(np.diff(part.x) > 0)), random_subset(ds, 20) is ds
    (4, True, True)
    """
    if n >= len(dataset):
        return dataset
    return dataset.subset(np.sort(np.random.default_rng(seed).permutation(len(dataset))[:n]))


class DataLoader:
    """Iterate over a dataset in mini-batches of NumPy arrays.

    Parameters
    ----------
    dataset : ArrayDataset or tuple of arrays
        The data; a tuple ``(x, y)`` is wrapped in an :class:`ArrayDataset`.
    batch_size : int
        Samples per batch.
    shuffle : bool
        Visit the samples in a new random order each epoch.
    seed : int
        Seed of the shuffling. The order of epoch ``e`` depends only on ``(seed, e)``,
        so a run resumed at epoch ``e`` (set :attr:`epoch`) sees the same batches as
        an uninterrupted one.
    drop_last : bool
        Drop the last batch when it is smaller than ``batch_size``.

    Examples
    --------
    >>> ds = ArrayDataset(np.arange(5)[:, None], np.arange(5))
    >>> [yb.tolist() for _, yb in DataLoader(ds, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    >>> len(DataLoader(ds, batch_size=2, drop_last=True))
    2
    """

    def __init__(
        self,
        dataset: ArrayDataset | tuple[np.ndarray, np.ndarray],
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if isinstance(dataset, tuple):
            dataset = ArrayDataset(*dataset)
        if not isinstance(dataset, ArrayDataset):
            raise TypeError(
                f"`dataset` must be an ArrayDataset or a tuple (x, y); got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"`batch_size` must be an integer; got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1; got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0

    def __len__(self) -> int:
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def order(self, epoch: int | None = None) -> np.ndarray:
        """Sample indices in the order epoch ``epoch`` (default: the current one) visits them."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        epoch = self.epoch if epoch is None else epoch
        return np.random.default_rng([self.seed, epoch]).permutation(n)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = self.order()
        self.epoch += 1
        x, y = self.dataset.x, self.dataset.y
        for k in range(len(self)):
            index = order[k * self.batch_size : (k + 1) * self.batch_size]
            if self.shuffle:
                yield x[index], y[index]
            else:  # contiguous slices: views, no copy
                yield x[index[0] : index[-1] + 1], y[index[0] : index[-1] + 1]
