"""Data: the IDX format, MNIST and Fashion-MNIST, synthetic OCR digits, 1D sets, loaders.

>>> from convolab import data
>>> train = data.shapes1d(8, seed=0)
>>> xb, yb = next(iter(data.DataLoader(train, batch_size=4)))
>>> xb.shape, yb.shape
((4, 1, 128), (4,))
"""

from __future__ import annotations

from convolab.data.augment import RandomAffine, RandomShift, default_augmentation, is_image_shape
from convolab.data.idx import read_idx, write_idx
from convolab.data.loader import (
    ArrayDataset,
    DataLoader,
    channel_stats,
    random_split,
    random_subset,
)
from convolab.data.mnist import (
    FASHION_MNIST_MIRRORS,
    MNIST_MIRRORS,
    cache_dir,
    fashion_mnist,
    idx_folder,
    idx_splits,
    mnist,
)
from convolab.data.ocr import find_fonts, ocr_digits
from convolab.data.preprocess import load_image, to_mnist
from convolab.data.registry import DATASET_NAMES, load, load_splits
from convolab.data.signals import mnist1d, shape_template, shapes1d

__all__ = [
    "ArrayDataset",
    "DATASET_NAMES",
    "DataLoader",
    "FASHION_MNIST_MIRRORS",
    "MNIST_MIRRORS",
    "RandomAffine",
    "RandomShift",
    "cache_dir",
    "channel_stats",
    "default_augmentation",
    "fashion_mnist",
    "find_fonts",
    "idx_folder",
    "idx_splits",
    "is_image_shape",
    "load",
    "load_image",
    "load_splits",
    "mnist",
    "mnist1d",
    "ocr_digits",
    "random_split",
    "random_subset",
    "read_idx",
    "shape_template",
    "shapes1d",
    "to_mnist",
    "write_idx",
]
