"""Generated data sets (OCR digits, shapes1d, MNIST-1D), loaders and the name registry."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from convolab import data


def _centre_of_mass(images: np.ndarray) -> np.ndarray:
    return np.array([ndimage.center_of_mass(im) for im in images])


@pytest.fixture(scope="module")
def digits():
    return data.ocr_digits(300, seed=5)


def test_ocr_digits_shape_range_balance(digits):
    assert digits.x.shape == (300, 1, 28, 28) and digits.x.dtype == np.float32
    assert digits.x.min() >= 0.0 and digits.x.max() <= 1.0
    assert np.bincount(digits.y).tolist() == [30] * 10
    assert np.allclose(digits.x.reshape(300, -1).max(axis=1), 1.0, atol=0.1)
    assert digits.classes == [str(d) for d in range(10)]


def test_ocr_digits_deterministic_for_a_seed(digits):
    again = data.ocr_digits(300, seed=5)
    np.testing.assert_array_equal(again.x, digits.x)
    np.testing.assert_array_equal(again.y, digits.y)
    other = data.ocr_digits(300, seed=6)
    assert not np.array_equal(other.x, digits.x)


def test_ocr_digits_centred_by_mass_like_mnist():
    ds = data.ocr_digits(200, seed=1, max_shift=0.0, noise=0.0)
    com = _centre_of_mass(ds.x[:, 0])
    # MNIST places the centre of mass at pixel (14, 14); resampling leaves < 0.5 px error.
    np.testing.assert_allclose(com, 14.0, atol=0.5)
    shifted = data.ocr_digits(200, seed=1, max_shift=3.0, noise=0.0)
    spread = np.abs(_centre_of_mass(shifted.x[:, 0]) - 14.0).max()
    assert 1.5 < spread < 3.5


def test_ocr_digits_look_like_their_labels(digits):
    """Nearest class mean on one seed classifies another seed's digits far above chance."""
    test = data.ocr_digits(300, seed=9)
    means = np.stack([digits.x[digits.y == d].reshape(-1, 784).mean(0) for d in range(10)])
    dist = ((test.x.reshape(-1, 1, 784) - means[None]) ** 2).sum(-1)
    assert (dist.argmin(1) == test.y).mean() > 0.5


def test_ocr_digits_fonts_argument(tmp_path):
    fonts = data.find_fonts()
    if not fonts:
        pytest.skip("no TrueType fonts on this system")
    one = data.ocr_digits(20, fonts=fonts[:1], seed=0)
    assert set(one.extras["font"].tolist()) == {0}
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(ValueError, match="broken.ttf.*not a readable font"):
        data.ocr_digits(5, fonts=[bad])


def test_ocr_digits_pillow_builtin_font_fallback():
    ds = data.ocr_digits(20, fonts=[], seed=0)
    assert ds.name.startswith("ocr-digits (1 fonts)")
    assert ds.x.shape == (20, 1, 28, 28) and ds.x.max() > 0.9


def test_ocr_digits_other_size_and_errors():
    assert data.ocr_digits(10, size=32).x.shape == (10, 1, 32, 32)
    with pytest.raises(ValueError, match="`n` must be >= 1; got 0"):
        data.ocr_digits(0)
    with pytest.raises(TypeError, match="`size` must be an integer; got 2.5"):
        data.ocr_digits(3, size=2.5)


def test_shapes1d_positions_and_labels():
    ds = data.shapes1d(400, length=96, noise=0.05, seed=2)
    pos, spike = ds.extras["position"], ds.extras["spike"]
    assert ds.x.shape == (400, 1, 96)
    assert ds.y.sum() == 200 and ((pos >= 0) == (ds.y == 1)).all()
    template = data.shape_template(24)
    rows = np.flatnonzero(ds.y == 1)
    segments = ds.x[rows, 0][np.arange(len(rows))[:, None], pos[rows, None] + np.arange(24)]
    clean = segments.copy()
    hit = spike[rows, None] == pos[rows, None] + np.arange(24)
    clean[hit] = 0.0  # ignore the spike where it falls inside the shape
    amp = (clean * template).sum(1) / (template**2).sum()
    assert (amp > 0.8).all() and (amp < 1.7).all()  # the shape is there with its amplitude
    # A matched filter (the articles' detector, computed with numpy) separates the classes.
    score = np.array([np.correlate(s, template, "valid").max() for s in ds.x[:, 0]])
    threshold = np.median(score)
    assert ((score > threshold) == (ds.y == 1)).mean() > 0.98
    # ...which a plain threshold on the raw signal cannot do (the spikes).
    peak = ds.x[:, 0].max(1)
    assert ((peak > np.median(peak)) == (ds.y == 1)).mean() < 0.95


def test_shapes1d_deterministic_and_checked():
    a, b = data.shapes1d(10, seed=4), data.shapes1d(10, seed=4)
    np.testing.assert_array_equal(a.x, b.x)
    with pytest.raises(ValueError, match="`length` must be at least"):
        data.shapes1d(10, length=20, width=16)
    with pytest.raises(ValueError, match="`width` must be an integer >= 4"):
        data.shape_template(2)


def test_mnist1d_generated_locally_and_leaves_global_rng_alone():
    np.random.seed(123)  # noqa: NPY002 - the point is to check the legacy global state
    random.seed(7)
    expected_np, expected_py = np.random.random(), random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    random.seed(7)
    train, test = data.mnist1d("train"), data.mnist1d("test")
    assert np.random.random() == expected_np and random.random() == expected_py  # noqa: NPY002
    assert train.x.shape == (4000, 1, 40) and test.x.shape == (1000, 1, 40)
    assert set(train.y.tolist()) == set(range(10))
    with pytest.raises(ValueError, match="`split` must be one of"):
        data.mnist1d("valid")


def test_dataloader_epochs_cover_everything_once():
    ds = data.ArrayDataset(np.arange(23)[:, None], np.arange(23))
    loader = data.DataLoader(ds, batch_size=5, shuffle=True, seed=3)
    first = np.concatenate([yb for _, yb in loader])
    second = np.concatenate([yb for _, yb in loader])
    assert sorted(first.tolist()) == list(range(23)) == sorted(second.tolist())
    assert not np.array_equal(first, second)  # a new order each epoch
    replay = data.DataLoader(ds, batch_size=5, shuffle=True, seed=3)
    replay.epoch = 1  # resuming at epoch 1 replays exactly that epoch's order
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in replay]), second)
    batches = [len(yb) for _, yb in data.DataLoader(ds, batch_size=5, drop_last=True)]
    assert batches == [5, 5, 5, 5]


def test_dataloader_errors():
    ds = data.ArrayDataset(np.zeros((3, 1)), np.zeros(3, int))
    with pytest.raises(ValueError, match="`batch_size` must be >= 1; got 0"):
        data.DataLoader(ds, batch_size=0)
    with pytest.raises(TypeError, match="`dataset` must be an ArrayDataset"):
        data.DataLoader([1, 2, 3])
    with pytest.raises(ValueError, match="same number of samples"):
        data.ArrayDataset(np.zeros((3, 1)), np.zeros(2, int))
    with pytest.raises(TypeError, match="integer labels"):
        data.ArrayDataset(np.zeros((3, 1)), np.zeros(3))


def test_random_split_disjoint_and_seeded():
    ds = data.ArrayDataset(np.arange(50), np.arange(50) % 5)
    a, b = data.random_split(ds, [40, 10], seed=1)
    assert not set(a.x.tolist()) & set(b.x.tolist())
    assert set(a.x.tolist()) | set(b.x.tolist()) == set(range(50))
    c, _ = data.random_split(ds, [40, 10], seed=1)
    np.testing.assert_array_equal(a.x, c.x)
    with pytest.raises(ValueError, match="sum to len"):
        data.random_split(ds, [10, 10])


def test_registry_names_and_folder_split(tmp_path):
    with pytest.raises(ValueError, match="'mnist', 'fashion-mnist', 'ocr-digits'"):
        data.load("imagenet")
    rng = np.random.default_rng(0)
    data.write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 255, (50, 4, 4),
                                                                          dtype=np.uint8))
    data.write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(50, dtype=np.uint8) % 10)
    train, test = data.load_splits(tmp_path, test_fraction=0.2, seed=0)
    assert (len(train), len(test)) == (40, 10)
    full = data.idx_folder(tmp_path).x.reshape(50, -1)
    rows = {r.tobytes() for r in full}
    got = [r.tobytes() for r in np.concatenate([train.x, test.x]).reshape(50, -1)]
    assert set(got) == rows and len(set(got)) == len(rows)
    tr, te = data.load_splits("ocr-digits", n=20, seed=0)
    assert not np.array_equal(tr.x, te.x)  # independent streams for train and test
    assert Path(str(tmp_path)).is_dir()


def test_random_shift_matches_a_per_sample_crop():
    rng = np.random.default_rng(0)
    x = rng.random((6, 2, 5, 7)).astype(np.float32)
    got = data.RandomShift(2)(x, np.random.default_rng(42))
    offsets = np.random.default_rng(42).integers(0, 5, (6, 2))
    for i, (dy, dx) in enumerate(offsets):
        padded = np.pad(x[i], ((0, 0), (2, 2), (2, 2)))
        np.testing.assert_array_equal(got[i], padded[:, dy : dy + 5, dx : dx + 7])
    signals = rng.random((3, 1, 9))
    assert data.RandomShift(1)(signals, rng).shape == (3, 1, 9)
    assert data.RandomShift(0)(x, rng) is x
    with pytest.raises(ValueError, match="`max_shift` must be >= 0; got -1"):
        data.RandomShift(-1)


def test_find_fonts_skips_fonts_without_digits(tmp_path):
    import matplotlib

    stix = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "STIXSizOneSymReg.ttf"
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    if not (stix.is_file() and dejavu.is_file()):
        pytest.skip("Matplotlib's bundled fonts not found")
    folder = tmp_path / "fonts"
    folder.mkdir()
    (folder / "brackets-only.ttf").write_bytes(stix.read_bytes())  # no digit glyphs
    (folder / "plain-digits.ttf").write_bytes(dejavu.read_bytes())
    names = {p.name for p in data.find_fonts(extra_dirs=[folder])}
    assert "plain-digits.ttf" in names and "brackets-only.ttf" not in names


def _fsum_stats(x: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and population std by exactly rounded sums (math.fsum), in float64."""
    import math

    means, stds = [], []
    for c in range(x.shape[1]):
        values = x[:, c].astype(np.float64).ravel().tolist()
        mean = math.fsum(values) / len(values)
        means.append(mean)
        stds.append(math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values)))
    return means, stds


@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 1, 4, 4), (700, 3, 5, 7), (2, 2, 300, 500),
                                   (5000, 2, 9)])  # fmt: skip
def test_channel_stats_against_exact_sums(shape):
    # shapes below, at and across the block size (whole samples per block, one sample > block)
    x = (np.random.default_rng(len(shape)).random(shape, dtype=np.float32) * 3 + 0.5)
    x[:, -1] *= 10  # channels of different scales stay apart
    mean, std = data.channel_stats(x)
    exact_mean, exact_std = _fsum_stats(x)
    np.testing.assert_allclose(mean, exact_mean, rtol=1e-13, atol=0)
    np.testing.assert_allclose(std, exact_std, rtol=1e-11, atol=1e-15)


def test_channel_stats_float64_constant_and_errors():
    x = np.full((4, 2, 3), 0.1)
    mean, std = data.channel_stats(x)
    assert mean == pytest.approx([0.1, 0.1], rel=1e-15) and std == pytest.approx([0, 0], abs=1e-16)
    for bad in (np.zeros((0, 1, 2)), np.zeros(5)):
        with pytest.raises(ValueError, match=r"`x` must be \(N, C, \.\.\.\)"):
            data.channel_stats(bad)
