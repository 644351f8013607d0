"""image.to_png and image.load of bytes: the same pixels as save and load of a file."""

from __future__ import annotations

import io

import numpy as np
import pytest

from convolab import image


@pytest.mark.parametrize("scale", image.SCALES)
def test_to_png_matches_save(tmp_path, scale):
    a = np.random.default_rng(0).standard_normal((7, 5))
    path = tmp_path / "a.png"
    image.save(path, a, scale=scale)
    np.testing.assert_array_equal(image.load(io.BytesIO(image.to_png(a, scale))), image.load(path))


@pytest.mark.parametrize("level", [0, 1, 9])
def test_every_compress_level_holds_the_same_pixels(level):
    a = np.random.default_rng(2).random((16, 16))
    np.testing.assert_array_equal(image.load(io.BytesIO(image.to_png(a, compress_level=level))),
                                  image.load(io.BytesIO(image.to_png(a))))  # fmt: skip
    with pytest.raises(ValueError, match="compress_level"):
        image.to_png(a, compress_level=10)


def test_load_of_bytes_reads_the_pixels():
    a = np.array([[0, 51, 255]], dtype=np.uint8) / 255.0
    np.testing.assert_allclose(image.load(io.BytesIO(image.to_png(a))), [[0, 0.2, 1]], atol=1e-7)


def test_load_of_bytes_that_are_no_image():
    with pytest.raises(ValueError, match="is not an image"):
        image.load(io.BytesIO(b"not an image"))


def test_to_png_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        image.to_png(np.array([[np.nan]]))
