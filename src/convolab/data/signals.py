"""One-dimensional data sets: the articles' shape-detection task and MNIST-1D."""

from __future__ import annotations

import functools
import random

import numpy as np

from convolab._optional import optional_import
from convolab.data.loader import ArrayDataset

__all__ = ["shape_template", "shapes1d", "mnist1d"]


def shape_template(width: int = 16) -> np.ndarray:
    """The shape to detect: one period of a sine under a Hann window (up, then down).

    Parameters
    ----------
    width : int
        Number of samples (>= 4).

    Returns
    -------
    numpy.ndarray
        float64 array of length ``width``, zero at both ends.

    Examples
    --------
    >>> k = shape_template(8)
    >>> k.shape, float(abs(k).max()) < 1, float(k[0]), bool(k[:4].sum() > 0 > k[4:].sum())
    ((8,), True, 0.0, True)
    """
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 4:
        raise ValueError(f"`width` must be an integer >= 4; got {width!r}")
    t = np.arange(width) / (width - 1)
    return np.sin(2 * np.pi * t) * np.sin(np.pi * t) ** 2


def shapes1d(
    n: int,
    length: int = 128,
    width: int = 24,
    *,
    noise: float = 0.2,
    amplitude: tuple[float, float] = (1.0, 1.5),
    spike: tuple[float, float] = (1.0, 2.5),
    seed: int = 0,
) -> ArrayDataset:
    """The articles' detection task: is the shape in the signal, and where?

    Half the signals (at random) contain :func:`shape_template` once, scaled by an
    amplitude drawn from ``amplitude``, at a uniform random position. Every signal
    has white Gaussian noise, and half of them (independently) a single-sample
    spike of height drawn from ``spike`` — the distractor that defeats plain
    thresholding but not a matched filter.

    Parameters
    ----------
    n : int
        Number of signals.
    length : int
        Samples per signal.
    width : int
        Length of the shape.
    noise : float
        Standard deviation of the noise.
    amplitude, spike : (float, float)
        Ranges of the shape's scale and the spike's height.
    seed : int
        Seed; the same seed gives identical data.

    Returns
    -------
    ArrayDataset
        ``x`` float32 ``(n, 1, length)``, ``y`` int64 (1 = shape present),
        ``extras['position']`` the index where the shape starts (-1 when absent),
        ``extras['spike']`` the spike's index (-1 when none).

    Examples
    --------
    >>> ds = shapes1d(6, length=64, seed=3)
    >>> ds.x.shape, ds.y.tolist() == (ds.extras["position"] >= 0).astype(int).tolist()
    ((6, 1, 64), True)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"`n` must be an integer >= 1; got {n!r}")
    template = shape_template(width)
    if length < 2 * width:
        raise ValueError(f"`length` must be at least 2 * width = {2 * width}; got {length}")
    rng = np.random.default_rng(seed)
    present = rng.permutation(np.arange(n) % 2).astype(bool)
    position = np.where(present, rng.integers(0, length - width + 1, n), -1)
    scale = rng.uniform(*amplitude, n)
    has_spike = rng.random(n) < 0.5
    spike_at = np.where(has_spike, rng.integers(0, length, n), -1)
    spike_height = rng.uniform(*spike, n) * rng.choice([-1.0, 1.0], n)
    x = noise * rng.standard_normal((n, length))
    rows = np.flatnonzero(present)
    cols = position[rows, None] + np.arange(width)
    x[rows[:, None], cols] += scale[rows, None] * template
    rows = np.flatnonzero(has_spike)
    x[rows, spike_at[rows]] += spike_height[rows]
    return ArrayDataset(
        x[:, None].astype(np.float32),
        present.astype(np.int64),
        classes=["absent", "present"],
        name="shapes1d",
        extras={"position": position, "spike": spike_at},
    )


@functools.lru_cache(maxsize=2)
def _mnist1d_arrays(num_samples: int, seed: int) -> dict:
    mnist1d_data = optional_import("mnist1d.data", "mnist1d()", "mnist1d")
    get_dataset_args, make_dataset = mnist1d_data.get_dataset_args, mnist1d_data.make_dataset
    args = get_dataset_args()
    args.num_samples = int(num_samples)
    args.seed = int(seed)
    # The package seeds the global generators; leave the caller's state as it was.
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        return make_dataset(args)
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)


def mnist1d(split: str = "train", num_samples: int = 5000, seed: int = 42) -> ArrayDataset:
    """MNIST-1D (Greydanus 2020), generated locally by the ``mnist1d`` package.

    Ten 1-D digit templates, padded, shifted, scaled, sheared and noised into
    signals of length 40. With the defaults this is the paper's data set: 4,000
    training and 1,000 test signals.

    Parameters
    ----------
    split : {'train', 'test'}
        Which part (80% / 20%).
    num_samples : int
        Total samples generated before the split.
    seed : int
        Generator seed (the paper's is 42).

    Returns
    -------
    ArrayDataset
        ``x`` float32 ``(N, 1, 40)``, ``y`` int64 labels 0-9.

    Examples
    --------
    >>> ds = mnist1d("test", num_samples=100)
    >>> ds.x.shape, ds.x.dtype
    ((20, 1, 40), dtype('float32'))
    """
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be one of 'train', 'test'; got {split!r}")
    data = _mnist1d_arrays(num_samples, seed)
    key = "" if split == "train" else "_test"
    x = np.asarray(data["x" + key], dtype=np.float32)[:, None]
    y = np.asarray(data["y" + key], dtype=np.int64)
    return ArrayDataset(x, y, classes=[str(d) for d in range(10)], name=f"mnist1d-{split}")
