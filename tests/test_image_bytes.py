"""image.to_uint8 and image.load of bytes: the same pixels as save and load of a file."""

from __future__ import annotations

import io

import numpy as np
import pytest

from convolab import image


def png_bytes(a, tmp_path, scale="clip"):
    """The bytes of the PNG file :func:`convolab.image.save` writes."""
    path = tmp_path / "a.png"
    image.save(path, a, scale=scale)
    return path.read_bytes()


@pytest.mark.parametrize("scale", image.SCALES)
def test_to_uint8_is_what_save_writes(tmp_path, scale):
    a = np.random.default_rng(0).standard_normal((7, 5))
    written = image.load(io.BytesIO(png_bytes(a, tmp_path, scale)))
    np.testing.assert_array_equal(image.to_uint8(a, scale), np.round(written * 255))


def test_to_uint8_by_hand():
    a = np.array([[-1.0, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(image.to_uint8(a), [[0, 0, 128, 255]])
    np.testing.assert_array_equal(image.to_uint8(a, "minmax"), [[0, 85, 128, 255]])
    assert image.to_uint8(a).dtype == np.uint8


def test_load_of_bytes_reads_the_pixels(tmp_path):
    a = np.array([[0, 51, 255]], dtype=np.uint8) / 255.0
    np.testing.assert_allclose(image.load(io.BytesIO(png_bytes(a, tmp_path))), [[0, 0.2, 1]],
                               atol=1e-7)  # fmt: skip


def test_load_of_bytes_that_are_no_image():
    with pytest.raises(ValueError, match="is not an image"):
        image.load(io.BytesIO(b"not an image"))


def test_to_uint8_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        image.to_uint8(np.array([[np.nan]]))
