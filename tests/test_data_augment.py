"""Augmentation (convolab.data.augment) against scipy.ndimage, and the default rule."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from convolab import data
from convolab._jit import sample
from convolab.data import augment


def _ndimage_each(x, fn, out_shape=None):
    """Apply ``fn(plane, n)`` to every (n, c) plane in float64: the oracle's loop."""
    out = np.empty(x.shape[:2] + (out_shape or x.shape[2:]), np.float64)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            out[n, c] = fn(x[n, c].astype(np.float64), n)
    return out


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    out=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    reach=st.floats(0.0, 4.0),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
    compiled=st.booleans(),
    bank=st.integers(0, 3),
)
def test_sample_bilinear_matches_map_coordinates(n, c, h, w, out, reach, dtype, seed, compiled,
                                                 bank):  # fmt: skip
    """Both forms (the compiled loop and NumPy's gathers), with or without an ``index``
    into a bank of ``bank`` extra images."""
    if compiled and not sample.LOOPS.serves(dtype):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n + bank, c, h, w)).astype(dtype)
    index = rng.integers(0, n + bank, n) if bank else None
    # positions inside, on and beyond the border (up to `reach` pixels out)
    coords = np.stack([rng.uniform(-1 - reach, h + reach, (n, *out)),
                       rng.uniform(-1 - reach, w + reach, (n, *out))], axis=1)  # fmt: skip
    coords[:, :, 0, 0] = [0.0, w - 1.0]  # a pixel centre exactly
    with mock.patch.object(sample.LOOPS, "serves", return_value=compiled):
        got = augment.sample_bilinear(x, coords, index=index)
    source = x if index is None else x[index]
    want = _ndimage_each(source, lambda p, k: ndimage.map_coordinates(
        p, coords[k], order=1, mode="grid-constant", cval=0.0), out)  # fmt: skip
    assert got.dtype == dtype and got.shape == (n, c, *out)
    np.testing.assert_allclose(got, want, atol=1e-5 if dtype == np.float32 else 1e-12)


def test_sample_bilinear_refuses_an_index_outside_the_bank():
    with pytest.raises(ValueError, match=r"`index` must hold integers in \[0, 2\); got 0 to 2"):
        augment.sample_bilinear(np.zeros((2, 1, 3, 3)), np.zeros((2, 2, 1, 1)), np.array([0, 2]))


def test_compiled_sampling_reads_a_nan_position_as_outside():
    if not sample.LOOPS.serves(np.float64):
        pytest.skip("needs the compiled loop")
    got = sample.bilinear(np.ones((1, 1, 2, 2)), np.array([0]), np.array([[[np.nan], [0.0]]]))
    assert got.tolist() == [[[0.0]]]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), h=st.integers(2, 12), w=st.integers(2, 12))
def test_warp_affine_matches_affine_transform(seed, h, w):
    rng = np.random.default_rng(seed)
    x = rng.random((3, 2, h, w))
    matrix = rng.uniform(-1.5, 1.5, (3, 2, 2))
    offset = rng.uniform(-3, 3, (3, 2))
    got = augment.warp_affine(x, matrix, offset)
    want = _ndimage_each(x, lambda p, k: ndimage.affine_transform(
        p, matrix[k], offset[k], order=1, mode="grid-constant", cval=0.0))  # fmt: skip
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_warp_affine_with_a_displacement_samples_the_displaced_grid():
    rng = np.random.default_rng(1)
    x = rng.random((2, 1, 6, 7))
    matrix, offset = rng.uniform(-1, 1, (2, 2, 2)), rng.uniform(-1, 1, (2, 2))
    shift = rng.uniform(-2, 2, (2, 2, 6, 7))
    got = augment.warp_affine(x, matrix, offset, shift)
    for k in range(2):
        coords = np.empty((2, 6, 7))
        for i in range(6):
            for j in range(7):
                coords[:, i, j] = matrix[k] @ (np.array([i, j]) + shift[k, :, i, j]) + offset[k]
        want = ndimage.map_coordinates(x[k, 0], coords, order=1, mode="grid-constant")
        np.testing.assert_allclose(got[k, 0], want, atol=1e-12)


def test_warp_affine_refuses_mismatched_maps():
    with pytest.raises(ValueError, match=r"`matrix` must be \(2, 2, 2\)"):
        augment.warp_affine(np.zeros((2, 1, 3, 3)), np.zeros((1, 2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"`coords` must have shape \(2, 2, H_out, W_out\)"):
        augment.sample_bilinear(np.zeros((2, 1, 3, 3)), np.zeros((2, 3, 3, 3)))


def test_random_affine_is_the_drawn_affine_map():
    rng = np.random.default_rng(0)
    x = rng.random((5, 1, 28, 28)).astype(np.float32)
    aug = data.RandomAffine(rotate=15, scale=0.2, shift=3)
    matrix, offset = aug.draw(5, (28, 28), np.random.default_rng(7))
    got = aug(x, np.random.default_rng(7))
    want = _ndimage_each(x, lambda p, k: ndimage.affine_transform(
        p, matrix[k], offset[k], order=1, mode="grid-constant"))  # fmt: skip
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert got.dtype == np.float32


def test_random_affine_draws_within_its_ranges():
    aug = data.RandomAffine(rotate=12, scale=0.1, shift=2)
    matrix, offset = aug.draw(2000, (28, 28), np.random.default_rng(3))
    forward = np.linalg.inv(matrix)  # A = s R(theta)
    s = np.sqrt(np.linalg.det(forward))
    theta = np.degrees(np.arctan2(forward[:, 1, 0], forward[:, 0, 0]))
    np.testing.assert_allclose(forward[:, 0, 0], forward[:, 1, 1])  # a rotation and a scale
    np.testing.assert_allclose(forward[:, 0, 1], -forward[:, 1, 0])
    assert 0.9 <= s.min() and s.max() <= 1.1 and s.max() - s.min() > 0.19
    assert np.abs(theta).max() <= 12 and np.abs(theta).max() > 11.5
    # output position of the input's centre c = 13.5: o = A (c - offset) ... = c + t
    centre = np.array([13.5, 13.5])
    moved = np.einsum("nij,nj->ni", forward, centre - offset) - centre
    assert np.abs(moved).max() <= 2 + 1e-9 and np.abs(moved).max() > 1.95


def test_random_affine_is_reproducible_and_zero_ranges_leave_images_alone():
    x = np.random.default_rng(0).random((4, 1, 10, 10)).astype(np.float32)
    aug = data.RandomAffine()
    a, b = aug(x, np.random.default_rng(5)), aug(x, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, aug(x, np.random.default_rng(6)))
    still = data.RandomAffine(rotate=0, scale=0, shift=0)(x, np.random.default_rng(0))
    np.testing.assert_allclose(still, x, atol=1e-6)


def test_random_affine_elastic_adds_the_drawn_field():
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    aug = data.RandomAffine(rotate=5, scale=0.05, shift=1, elastic=1.5, sigma=4)
    rng = np.random.default_rng(9)
    matrix, offset = aug.draw(3, (28, 28), rng)
    field = augment.elastic_field(rng, 3, 28, 4.0, 1.5)
    want = augment.warp_affine(x, matrix, offset, field)
    np.testing.assert_array_equal(aug(x, np.random.default_rng(9)), want)


def test_elastic_field_is_white_noise_blurred_and_scaled():
    field = augment.elastic_field(np.random.default_rng(4), 2, 28, 4.0, np.array([1.0, 2.0]))
    noise = np.random.default_rng(4).standard_normal((2, 2, 28, 28), dtype=np.float32)
    for k, rms in enumerate([1.0, 2.0]):
        smooth = np.stack([ndimage.gaussian_filter(noise[k, a].astype(np.float64), 4.0,
                                                   mode="wrap", truncate=3.0)
                           for a in range(2)])  # fmt: skip
        smooth -= smooth.mean(axis=(1, 2), keepdims=True)
        smooth *= rms / np.sqrt((smooth**2).mean())
        np.testing.assert_allclose(field[k], smooth, atol=1e-4)
        assert abs(field[k].mean()) < 1e-6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rotate": -1}, "`rotate` must be a number >= 0; got -1"),
        ({"scale": 1.0}, "`scale` must be below 1; got 1.0"),
        ({"shift": float("inf")}, "`shift` must be a number >= 0; got inf"),
        ({"sigma": 0}, "`sigma` must be > 0; got 0"),
        ({"elastic": "1"}, "`elastic` must be a number >= 0; got '1'"),
    ],
)
def test_random_affine_refuses_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.RandomAffine(**kwargs)


def test_random_affine_takes_image_batches_only():
    with pytest.raises(ValueError, match=r"takes images \(N, C, H, W\); got shape \(2, 1, 9\)"):
        data.RandomAffine()(np.zeros((2, 1, 9)), np.random.default_rng(0))


def test_default_augmentation_augments_small_image_sets_only():
    below = augment.AUGMENT_BELOW
    assert isinstance(data.default_augmentation((1, 28, 28), below - 1), data.RandomAffine)
    assert data.default_augmentation((1, 28, 28), below) is None
    assert data.default_augmentation((1, 128), 100) is None  # signals
    assert data.default_augmentation((3, 1, 1), 100) is None  # no image to warp


def test_random_shift_lives_in_the_augmentation_module():
    from convolab.data import loader

    assert data.RandomShift is augment.RandomShift is loader.RandomShift
