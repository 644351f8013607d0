"""Turning arbitrary pictures into MNIST-style inputs (what `convolab predict` does)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from convolab.data import idx_folder, load_image, to_mnist


def test_a_photographed_mnist_digit_comes_back(mnist_5k):
    """Scale MNIST digits up 3x, print them dark on light paper off-centre: to_mnist undoes it."""
    digits = idx_folder(mnist_5k).x[::500, 0]  # one of each class
    for digit in digits:
        paper = np.full((130, 110), 0.9, np.float32)
        big = np.kron(digit, np.ones((3, 3), np.float32))
        paper[30:114, 5:89] -= 0.8 * big
        out = to_mnist(paper)[0]
        assert np.allclose(ndimage.center_of_mass(out), 14.0, atol=0.6)
        corr = np.corrcoef(out.ravel(), digit.ravel())[0, 1]
        assert corr > 0.8, corr


def test_box_and_centre_of_mass():
    img = np.zeros((60, 40), np.float32)
    img[5:45, 10:20] = 1.0  # a 40 x 10 bar: the long side becomes 20 pixels
    out = to_mnist(img)[0]
    rows = np.flatnonzero(out.max(1) > 0.5)
    assert 19 <= rows[-1] - rows[0] + 1 <= 21
    np.testing.assert_allclose(ndimage.center_of_mass(out), 14.0, atol=0.3)
    assert out.max() == pytest.approx(1.0)


def test_blank_and_bad_shapes():
    with pytest.raises(ValueError, match="blank"):
        to_mnist(np.full((20, 20), 0.7))
    with pytest.raises(ValueError, match=r"2-D grayscale image; got shape \(3, 4, 4\)"):
        to_mnist(np.zeros((3, 4, 4)))


def test_load_image_files(tmp_path):
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[2:8, 3:6] = [0, 0, 0, 255]  # opaque black ink on transparent background
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    gray = load_image(tmp_path / "t.png")
    assert gray.shape == (10, 12) and gray[0, 0] == 1.0 and gray[4, 4] == 0.0
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ValueError, match="x.png.* (truncated or corrupt|not an image)"):
        load_image(tmp_path / "x.png")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image(tmp_path / "missing.png")
