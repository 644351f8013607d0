"""Files in the formats scientists use: safetensors model files, TIFF stacks, 16-bit and float.

Each result is compared with an independent reader (safetensors itself, tifffile,
Pillow), never with convolab's own output.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from cli_helpers import assert_one_line_error, run
from convolab import image, models, nn

safetensors_numpy = pytest.importorskip("safetensors.numpy")
RNG = np.random.default_rng(7)


# ----------------------------------------------------------------------------- safetensors


def test_safetensors_file_is_real_and_round_trips(tmp_path):
    model = models.build("lenet5-bn", [1, 28, 28], 10, seed=3)
    path = tmp_path / "m.safetensors"
    nn.save(model, path, metadata={"classes": list("0123456789")})
    assert path.read_bytes()[8:9] == b"{"  # not a zip archive
    tensors = safetensors_numpy.load_file(str(path))  # the ecosystem's own reader
    state = model.state_dict()
    assert set(tensors) == set(state)
    for name, value in state.items():
        np.testing.assert_array_equal(tensors[name], value)
        assert tensors[name].dtype == value.dtype
    from safetensors import safe_open

    with safe_open(str(path), "np") as fh:
        info = json.loads(fh.metadata()["__convolab__"])
    assert info["architecture"]["class"] == "Sequential"
    assert info["metadata"]["classes"][3] == "3"
    again = nn.load(path)
    x = RNG.random((2, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(again(x).data, model.eval()(x).data)
    assert nn.read_model_info(path)["metadata"]["classes"][9] == "9"


def test_safetensors_and_npz_hold_the_same_model(tmp_path):
    model = models.build("cnn1d", [1, 40], 10, seed=1)
    nn.save(model, tmp_path / "a.npz")
    nn.save(model, tmp_path / "a.safetensors")
    a, b = nn.load(tmp_path / "a.npz"), nn.load(tmp_path / "a.safetensors")
    x = RNG.random((3, 1, 40), dtype=np.float32)
    np.testing.assert_array_equal(a(x).data, b(x).data)


@pytest.mark.parametrize("name", ["m.pt", "m.safetensor", "m", "m.npy", "m.json"])
def test_the_extension_decides_the_format_or_the_save_is_refused(tmp_path, name):
    with pytest.raises(ValueError, match="use .npz .NumPy. or .safetensors"):
        nn.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_a_tampered_safetensors_file_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    model = nn.Sequential(nn.Linear(3, 2))
    nn.save(model, path)
    tensors = safetensors_numpy.load_file(str(path))
    tensors["0.weight"] = tensors["0.weight"] + 1
    from safetensors import safe_open

    with safe_open(str(path), "np") as fh:
        meta = fh.metadata()
    safetensors_numpy.save_file(tensors, str(path), metadata=meta)
    with pytest.raises(nn.ModelFileError, match="SHA-256"):
        nn.load(path)
    safetensors_numpy.save_file(tensors, str(tmp_path / "plain.safetensors"))
    with pytest.raises(nn.ModelFileError, match="no convolab model description"):
        nn.load(tmp_path / "plain.safetensors")


# ----------------------------------------------------------------------------- TIFF and depth


SKIMAGE_TIFF = Path(pytest.importorskip("skimage").__file__).parent / "data" / "multipage_rgb.tif"


def test_scikit_image_multipage_rgb_tiff_loads():
    want = tifffile.imread(SKIMAGE_TIFF)  # (pages, 3, rows, columns): planar RGB
    assert want.shape[:2] == (2, 3)
    pages = image.load_pages(SKIMAGE_TIFF, "keep")
    assert pages.shape == (2, want.shape[2], want.shape[3], 3)
    np.testing.assert_allclose(pages, np.moveaxis(want, 1, -1).astype(np.float32))
    np.testing.assert_allclose(image.load(SKIMAGE_TIFF, "keep"), pages[0])
    assert image.bit_depth(SKIMAGE_TIFF) == 32


def test_float32_tiff_is_read_unscaled(tmp_path):
    a = RNG.standard_normal((6, 7)).astype(np.float32) * 100
    tifffile.imwrite(tmp_path / "f.tif", a)
    np.testing.assert_array_equal(image.load(tmp_path / "f.tif"), a)
    image.save(tmp_path / "g.tif", a / 1000, scale="minmax", bits=32)
    got = tifffile.imread(tmp_path / "g.tif")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, (a - a.min()) / (a.max() - a.min()), atol=1e-6)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16bit_gray_is_kept_at_depth(tmp_path, suffix):
    raw = RNG.integers(0, 65536, (9, 11), dtype=np.uint16)
    Image.fromarray(raw).save(tmp_path / f"in{suffix}")  # written by Pillow
    x = image.load(tmp_path / f"in{suffix}")
    np.testing.assert_array_equal(np.round(x.astype(np.float64) * 65535).astype(np.uint16), raw)
    assert image.bit_depth(tmp_path / f"in{suffix}") == 16


def test_16bit_colour_tiff_round_trips(tmp_path):
    raw = RNG.integers(0, 65536, (5, 6, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "c.tif", raw, photometric="rgb")
    x = image.load(tmp_path / "c.tif", "keep")
    np.testing.assert_array_equal(np.round(x.astype(np.float64) * 65535).astype(np.uint16), raw)
    image.save(tmp_path / "d.tif", x, bits=16)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "d.tif"), raw)


def test_16bit_colour_png_is_refused_not_read_at_8_bits(tmp_path):
    cv2 = pytest.importorskip("cv2")
    cv2.imwrite(str(tmp_path / "c.png"), RNG.integers(0, 65536, (4, 5, 3), dtype=np.uint16))
    with pytest.raises(ValueError, match="16-bit colour PNG"):
        image.load(tmp_path / "c.png")


def test_filtering_a_16bit_image_stays_16bit(tmp_path, capsys):
    raw = RNG.integers(0, 65536, (12, 10), dtype=np.uint16)
    Image.fromarray(raw).save(tmp_path / "in.png")
    code, _, err = run(["filter", tmp_path / "in.png", "-o", tmp_path / "out.png", "-k",
                        "identity"], capsys)  # fmt: skip
    assert code == 0, err
    with Image.open(tmp_path / "out.png") as im:
        assert im.mode.startswith("I;16")
        np.testing.assert_array_equal(np.asarray(im).astype(np.uint16), raw)
    code, _, err = run(["filter", tmp_path / "in.png", "-o", tmp_path / "out8.png", "-k",
                        "identity", "--bits", "8"], capsys)  # fmt: skip
    assert code == 0, err
    with Image.open(tmp_path / "out8.png") as im:
        assert im.mode == "L"


def test_filtering_a_tiff_stack_keeps_every_page(tmp_path, capsys):
    stack = RNG.integers(0, 65536, (3, 8, 9), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    code, _, err = run(["filter", tmp_path / "s.tif", "-o", tmp_path / "o.tif", "-k", "identity"],
                       capsys)  # fmt: skip
    assert code == 0, err
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "o.tif"), stack)
    code, _, err = run(["filter", tmp_path / "s.tif", "-o", tmp_path / "o.png", "-k", "identity"],
                       capsys)  # fmt: skip
    assert_one_line_error(code, err, "has 3 pages", ".tif")
    assert not (tmp_path / "o.png").exists()
