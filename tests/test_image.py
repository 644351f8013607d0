"""Image I/O and filtering, checked against scipy.ndimage / scipy.signal and Pillow itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image
from scipy import ndimage, signal

from convolab import image, kernels
from oracle import NDIMAGE_MODE

BOUNDARIES = list(NDIMAGE_MODE)
RNG = np.random.default_rng(2026)
GRAY = RNG.random((23, 19))
RGB = RNG.random((17, 21, 3))


def _kernel_cases():
    cases = {name: kernels.get(name) for name in kernels.names()}
    cases["random4x4"] = RNG.standard_normal((4, 4))
    cases["random1x5"] = RNG.standard_normal((1, 5))
    cases["random6x3"] = RNG.standard_normal((6, 3))
    return cases


KERNELS = _kernel_cases()


def _nd_correlate(x, k, boundary, fill_value=0.0):
    """scipy.ndimage's correlate with our boundary name; channels filtered one by one."""
    mode = NDIMAGE_MODE[boundary]
    if x.ndim == 3:
        return np.stack(
            [_nd_correlate(x[..., c], k, boundary, fill_value) for c in range(x.shape[2])],
            axis=-1,
        )
    # ndimage centres a kernel of size k at k // 2: the same as scipy.signal's 'same'.
    return ndimage.correlate(x, k, mode=mode, cval=fill_value)


# --------------------------------------------------------------------------- filter


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_filter_equals_ndimage_for_every_kernel_and_boundary(name, boundary):
    k = KERNELS[name]
    ours = image.filter(GRAY, k, boundary=boundary, fill_value=0.25)
    np.testing.assert_allclose(ours, _nd_correlate(GRAY, k, boundary, 0.25), atol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("name", ["sobel", "emboss", "shift", "random4x4", "random6x3"])
def test_convolve_is_correlation_with_the_flipped_kernel(name, boundary):
    k = KERNELS[name]
    ours = image.filter(GRAY, k, boundary=boundary, op="convolve")
    np.testing.assert_allclose(ours, _nd_correlate(GRAY, k[::-1, ::-1], boundary), atol=1e-10)


def test_convolve_of_odd_kernels_equals_ndimage_convolve():
    k = kernels.sobel("x")
    np.testing.assert_allclose(
        image.filter(GRAY, k, op="convolve", boundary="edge"),
        ndimage.convolve(GRAY, k, mode="nearest"),
        atol=1e-12,
    )


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_colour_images_are_filtered_per_channel(boundary):
    k = KERNELS["random4x4"]
    ours = image.filter(RGB, k, boundary=boundary)
    assert ours.shape == RGB.shape
    np.testing.assert_allclose(ours, _nd_correlate(RGB, k, boundary), atol=1e-10)


def test_float32_stays_float32_and_integers_compute_in_float64():
    x32 = RGB.astype(np.float32)
    y = image.filter(x32, kernels.gaussian(1.0))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, _nd_correlate(RGB, kernels.gaussian(1.0), "reflect"),
                               atol=2e-6)
    xi = (GRAY * 255).astype(np.uint8)
    yi = image.filter(xi, kernels.box(3), boundary="edge")
    assert yi.dtype == np.float64
    np.testing.assert_allclose(yi, ndimage.uniform_filter(xi.astype(float), 3, mode="nearest"),
                               atol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_full_and_valid_modes(boundary):
    k = KERNELS["random6x3"]
    kh, kw = k.shape
    full = image.filter(GRAY, k, mode="full", boundary=boundary, fill_value=0.5)
    pad = ((kh - 1, kh - 1), (kw - 1, kw - 1))
    pad_kw = {"constant_values": 0.5} if boundary == "constant" else {}
    padded = np.pad(GRAY, pad, mode=boundary, **pad_kw)
    np.testing.assert_allclose(full, signal.correlate2d(padded, k, "valid"), atol=1e-10)
    valid = image.filter(GRAY, k, mode="valid", boundary=boundary)
    np.testing.assert_allclose(valid, signal.correlate2d(GRAY, k, "valid"), atol=1e-10)
    assert full.shape == (23 + kh - 1, 19 + kw - 1)
    assert valid.shape == (23 - kh + 1, 19 - kw + 1)


def test_the_articles_edge_detection_loop():
    """The articles' `convolve` + `run_kernel` loops, with the loop bounds that cover every
    position, are the valid-mode convolution."""
    img = (RNG.random((12, 10)) * 255).round()
    kernel = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    flipped = np.fliplr(np.flipud(kernel))
    rows, cols = img.shape[0] - 2, img.shape[1] - 2
    expected = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            expected[i, j] = sum(
                img[i + a][j + b] * flipped[a][b] for a in range(3) for b in range(3)
            )
    ours = image.filter(img, kernel, mode="valid", op="convolve")
    np.testing.assert_array_equal(ours, expected)


def test_the_articles_full_padding_example():
    f = np.array([[0, 3, 6, 3], [3, 6, 3, 6], [6, 3, 6, 3], [3, 6, 3, 0]], dtype=float)
    # 'full' sees f surrounded by two rows/columns of zeros (f_transformed in the article)
    ident = np.zeros((3, 3))
    ident[2, 2] = 1.0  # picks the bottom-right tap: full output = f_transformed[:-2, :-2]
    f_transformed = np.pad(f, 2)
    out = image.filter(f, ident, mode="full", boundary="constant")
    np.testing.assert_array_equal(out, f_transformed[2:, 2:])


@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=6, max_side=14),
                 elements=st.floats(-10, 10)),
    kshape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    boundary=st.sampled_from(BOUNDARIES),
    seed=st.integers(0, 2**16),
)
def test_filter_property_matches_ndimage(x, kshape, boundary, seed):
    k = np.random.default_rng(seed).standard_normal(kshape)
    np.testing.assert_allclose(image.filter(x, k, boundary=boundary),
                               _nd_correlate(x, k, boundary), atol=1e-9)


def test_filter_accepts_a_kernel_spec():
    np.testing.assert_array_equal(
        image.filter(GRAY, "gaussian:sigma=2"), image.filter(GRAY, kernels.gaussian(2))
    )


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"img": np.zeros(5)}, ValueError, r"`img` must be a non-empty 2D .* got shape \(5,\)"),
        ({"img": np.zeros((2, 2, 2, 2))}, ValueError, "got shape"),
        ({"img": np.zeros((0, 3))}, ValueError, "got shape"),
        ({"img": np.array([["a"]])}, TypeError, "`img` must be a real numeric array"),
        ({"kernel": np.ones(3)}, ValueError, r"`kernel` must be a non-empty 2D array"),
        ({"kernel": "nope"}, ValueError, "unknown kernel 'nope'"),
        ({"op": "conv"}, ValueError, "`op` must be one of 'correlate', 'convolve'; got 'conv'"),
        ({"mode": "ful"}, ValueError, "`mode` must be one of 'full', 'same', 'valid'; got 'ful'"),
        ({"boundary": "nearest"}, ValueError, "did you mean 'edge'"),
    ],
)
def test_filter_bad_input(kwargs, exc, pattern):
    args = {"img": GRAY, "kernel": kernels.box(3), **kwargs}
    with pytest.raises(exc, match=pattern):
        image.filter(**args)


# --------------------------------------------------------------------------- blur, edges, ...


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("sigma", [0.5, 1.0, 3.0, (1.0, 2.0)])
def test_blur_equals_ndimage_gaussian_filter(sigma, boundary):
    x = RGB.astype(np.float32)
    ours = image.blur(x, sigma, boundary)
    assert ours.dtype == np.float32
    expected = ndimage.gaussian_filter(RGB, sigma=(*np.broadcast_to(sigma, 2), 0),
                                       mode=NDIMAGE_MODE[boundary])
    np.testing.assert_allclose(ours, expected, atol=2e-6)
    # and the 2D kernel through filter() agrees
    np.testing.assert_allclose(image.filter(x, kernels.gaussian(sigma), boundary=boundary),
                               expected, atol=2e-6)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("operator", ["sobel", "prewitt"])
def test_edges_is_the_ndimage_gradient_magnitude(operator, boundary):
    mode = NDIMAGE_MODE[boundary]
    gx = getattr(ndimage, operator)(GRAY, axis=1, mode=mode)
    gy = getattr(ndimage, operator)(GRAY, axis=0, mode=mode)
    mag, direction = image.edges(GRAY, operator, boundary, return_direction=True)
    np.testing.assert_allclose(mag, np.sqrt(gx**2 + gy**2), atol=1e-10)
    # compare angles where there is an edge, modulo 2 pi (pi and -pi are one direction)
    strong = np.hypot(gx, gy) > 1e-6
    diff = np.angle(np.exp(1j * (direction - np.arctan2(-gy, gx))))
    assert strong.mean() > 0.9
    np.testing.assert_allclose(diff[strong], 0.0, atol=1e-9)


def test_edges_scharr_and_laplacian():
    mode = "mirror"
    gx = ndimage.correlate1d(ndimage.correlate1d(GRAY, [-1, 0, 1], axis=1, mode=mode),
                             [3, 10, 3], axis=0, mode=mode)
    gy = ndimage.correlate1d(ndimage.correlate1d(GRAY, [-1, 0, 1], axis=0, mode=mode),
                             [3, 10, 3], axis=1, mode=mode)
    np.testing.assert_allclose(image.edges(GRAY, "scharr"), np.hypot(gx, gy), atol=1e-10)
    # 8-neighbour Laplacian: 8 x - (sum of the 8 neighbours) = 9 x - (3x3 sum)
    lap = 9 * GRAY - 9 * ndimage.uniform_filter(GRAY, 3, mode=mode)
    np.testing.assert_allclose(image.edges(GRAY, "laplacian"), np.abs(lap), atol=1e-10)
    with pytest.raises(ValueError, match="no direction"):
        image.edges(GRAY, "laplacian", return_direction=True)
    with pytest.raises(ValueError, match="`operator` must be one of 'sobel'"):
        image.edges(GRAY, "canny")


def test_edges_direction_points_towards_brighter():
    y, x = np.mgrid[0:9, 0:9].astype(float)
    up = image.edges(-y, return_direction=True, boundary="edge")[1]  # brighter upwards
    np.testing.assert_allclose(up[2:-2, 2:-2], np.pi / 2)
    right = image.edges(x, return_direction=True, boundary="edge")[1]
    np.testing.assert_allclose(right[2:-2, 2:-2], 0.0)


def test_edges_of_colour_images_per_channel():
    mag = image.edges(RGB.astype(np.float32))
    assert mag.shape == RGB.shape and mag.dtype == np.float32
    np.testing.assert_allclose(mag[..., 1], image.edges(RGB[..., 1]), atol=1e-5)


def test_sharpen_and_unsharp_mask():
    np.testing.assert_allclose(image.sharpen(GRAY, "symmetric"),
                               GRAY - ndimage.laplace(GRAY, mode="reflect"), atol=1e-12)
    blurred = ndimage.gaussian_filter(GRAY, 1.5, mode="mirror")
    np.testing.assert_allclose(image.unsharp_mask(GRAY, 1.5, 0.7),
                               GRAY + 0.7 * (GRAY - blurred), atol=1e-10)
    x32 = GRAY.astype(np.float32)
    assert image.unsharp_mask(x32).dtype == np.float32
    np.testing.assert_allclose(image.unsharp_mask(x32, 1.0, 2.0),
                               image.filter(x32, kernels.unsharp(1.0, 2.0)), atol=1e-5)


# --------------------------------------------------------------------------- I/O


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".gif"])
def test_lossless_8bit_gray_round_trip(tmp_path, ext):
    raw = RNG.integers(0, 256, size=(13, 17), dtype=np.uint8)
    p = tmp_path / f"g{ext}"
    image.save(p, raw / 255.0)
    with Image.open(p) as im:  # what is on disk, read by Pillow alone
        np.testing.assert_array_equal(np.asarray(im.convert("L")), raw)
    back = image.load(p, "keep")
    assert back.dtype == np.float32 and back.shape == raw.shape
    np.testing.assert_array_equal(np.round(back * 255).astype(np.uint8), raw)


@pytest.mark.parametrize(("channels", "pil_mode"), [(2, "LA"), (3, "RGB"), (4, "RGBA")])
def test_colour_round_trips_keep_every_channel(tmp_path, channels, pil_mode):
    raw = RNG.integers(0, 256, size=(9, 11, channels), dtype=np.uint8)
    p = tmp_path / "c.png"
    image.save(p, raw / 255.0)
    with Image.open(p) as im:
        assert im.mode == pil_mode
        np.testing.assert_array_equal(np.asarray(im), raw)
    np.testing.assert_array_equal(np.round(image.load(p, "keep") * 255), raw)


def test_16bit_png_and_tiff(tmp_path):
    raw = RNG.integers(0, 65536, size=(10, 12), dtype=np.uint16)
    for ext in (".png", ".tif"):
        p = tmp_path / f"in{ext}"
        Image.fromarray(raw).save(p)  # written by Pillow, 16-bit gray
        x = image.load(p)
        assert x.dtype == np.float32
        np.testing.assert_allclose(x, raw / 65535.0, atol=1e-7)
        out = tmp_path / f"out{ext}"
        image.save(out, raw / 65535.0, bits=16)
        with Image.open(out) as im:
            np.testing.assert_array_equal(np.asarray(im).astype(np.uint16), raw)


def test_jpeg_is_close(tmp_path):
    y, x = np.mgrid[0:32, 0:32] / 31.0
    rgb = np.stack([x, y, (x + y) / 2], axis=-1)
    p = tmp_path / "smooth.jpg"
    image.save(p, rgb)
    back = image.load(p, "rgb")
    assert back.shape == rgb.shape
    assert np.abs(back - rgb).mean() < 2 / 255


def test_gray_and_rgb_conversions(tmp_path):
    raw = RNG.integers(0, 256, size=(6, 7, 4), dtype=np.uint8)
    p = tmp_path / "rgba.png"
    Image.fromarray(raw, "RGBA").save(p)
    rgb = raw[..., :3] / 255.0
    np.testing.assert_allclose(image.load(p, "rgb"), rgb, atol=1e-7)
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(image.load(p, "gray"), luma, atol=1e-6)
    # Pillow's own L conversion agrees to its 8-bit rounding
    with Image.open(p) as im:
        pil_l = np.asarray(im.convert("L")) / 255.0
    assert np.abs(image.load(p, "gray") - pil_l).max() <= 1 / 255 + 1e-6
    g = tmp_path / "g.png"
    Image.fromarray(raw[..., 0]).save(g)
    three = image.load(g, "rgb")
    assert three.shape == (6, 7, 3)
    np.testing.assert_array_equal(three[..., 0], three[..., 2])


def test_palette_bilevel_and_first_gif_frame(tmp_path):
    frames = [Image.fromarray(np.full((5, 6), v, dtype=np.uint8)) for v in (10, 200)]
    p = tmp_path / "anim.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100)
    with Image.open(p) as im:
        assert im.n_frames == 2
    np.testing.assert_allclose(image.load(p), 10 / 255, atol=1e-7)
    b = tmp_path / "bits.png"
    Image.fromarray(np.eye(4, dtype=bool)).save(b)
    np.testing.assert_array_equal(image.load(b), np.eye(4))
    t = tmp_path / "palette.png"
    pal = Image.fromarray(np.array([[0, 1], [1, 0]], dtype=np.uint8), "P")
    pal.putpalette([255, 0, 0, 0, 0, 255])
    pal.info["transparency"] = 0
    pal.save(t, transparency=0)
    rgba = image.load(t, "keep")
    assert rgba.shape == (2, 2, 4)
    np.testing.assert_array_equal(rgba[0, 0], [1, 0, 0, 0])
    np.testing.assert_array_equal(rgba[0, 1], [0, 0, 1, 1])


@pytest.mark.parametrize(
    ("scale", "expected"),
    [
        ("clip", [0, 0, 128, 255]),
        ("minmax", [0, 85, 128, 255]),  # (a + 1) / 3 * 255, 127.5 rounds to 128
        ("abs", [128, 0, 64, 255]),  # |a| / 2 * 255
    ],
)
def test_save_scales(tmp_path, scale, expected):
    a = np.array([[-1.0, 0.0, 0.5, 2.0]])
    p = tmp_path / "s.png"
    image.save(p, a, scale=scale)
    with Image.open(p) as im:
        np.testing.assert_array_equal(np.asarray(im)[0], expected)


def test_save_constant_image_with_minmax_and_abs(tmp_path):
    for scale in ("minmax", "abs"):
        image.save(tmp_path / "z.png", np.zeros((3, 3)), scale=scale)
        assert image.load(tmp_path / "z.png").max() == 0


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.png' does not exist"):
        image.load(tmp_path / "nothing.png")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        image.load(tmp_path)
    text = tmp_path / "notes.png"
    text.write_text("hello, not an image")
    with pytest.raises(ValueError, match="notes.png' is not an image"):
        image.load(text)
    good = tmp_path / "good.png"
    image.save(good, RNG.random((64, 64)))
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="cut.png' is a truncated or corrupt image"):
        image.load(cut)
    with pytest.raises(ValueError, match="`mode` must be one of 'gray', 'rgb', 'keep'"):
        image.load(good, mode="grey")


@pytest.mark.parametrize(
    ("name", "array", "kwargs", "exc", "pattern"),
    [
        ("a.xyz", np.zeros((2, 2)), {}, ValueError, "cannot tell the image format"),
        ("noext", np.zeros((2, 2)), {}, ValueError, "cannot tell the image format"),
        ("a.png", np.full((2, 2), np.nan), {}, ValueError, "NaN or infinite"),
        ("a.jpg", np.zeros((2, 2, 4)), {}, ValueError, "JPEG has no alpha"),
        ("a.png", np.zeros((2, 2, 3)), {"bits": 16}, ValueError, "only gray PNG and TIFF"),
        ("a.png", np.zeros((2, 2)), {"bits": 12}, ValueError, "`bits` must be 8, 16 or 32"),
        ("a.png", np.zeros((2, 2, 5)), {}, ValueError, r"got shape \(2, 2, 5\)"),
        ("a.png", np.zeros(4), {}, ValueError, r"got shape \(4,\)"),
        ("a.png", np.zeros((2, 2)), {"scale": "log"}, ValueError, "`scale` must be one of"),
    ],
)
def test_save_errors_leave_nothing(tmp_path, name, array, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        image.save(tmp_path / name, array, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_save_into_missing_or_non_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="folder .*missing' does not exist"):
        image.save(tmp_path / "missing" / "a.png", np.zeros((2, 2)))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        image.save(blocker / "a.png", np.zeros((2, 2)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "keep.png"
    image.save(p, np.ones((4, 4)))
    before = p.read_bytes()

    def broken(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        image.save(p, np.zeros((4, 4)))
    assert p.read_bytes() == before
    assert [q.name for q in tmp_path.iterdir()] == ["keep.png"]


def test_saved_file_gets_normal_permissions(tmp_path):
    import os

    p = tmp_path / "perm.png"
    image.save(p, np.zeros((2, 2)))
    umask = os.umask(0)
    os.umask(umask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask


def test_docs_examples_run():
    import doctest
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "image.md"
    result = doctest.testfile(str(doc), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0


def test_exif_orientation_is_applied(tmp_path):
    raw = np.zeros((4, 6), dtype=np.uint8)
    raw[0, :] = 255  # a bright top row
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    p = tmp_path / "camera.jpg"
    Image.fromarray(raw).save(p, exif=exif, quality=100)
    upright = image.load(p)
    assert upright.shape == (6, 4)
    assert upright[:, -1].mean() > 0.8 and upright[:, 0].mean() < 0.2  # top row now on the right


def test_decompression_bomb_is_a_one_line_value_error(tmp_path, monkeypatch):
    p = tmp_path / "big.png"
    image.save(p, np.zeros((40, 40)))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 1600 > 2 * 100 pixels
    with pytest.raises(ValueError, match="decompression-bomb guard"):
        image.load(p)


def test_scaling_leaves_alpha_alone(tmp_path):
    a = np.zeros((1, 3, 4))
    a[0, :, 0] = [-2.0, 0.0, 2.0]  # a signed response in red
    a[0, :, 3] = [0.5, 1.0, 1.5]  # opacity
    p = tmp_path / "rgba.png"
    image.save(p, a, scale="minmax")
    with Image.open(p) as im:
        got = np.asarray(im)
    np.testing.assert_array_equal(got[0, :, 0], [0, 128, 255])
    np.testing.assert_array_equal(got[0, :, 3], [128, 255, 255])


def test_edges_magnitude_does_not_overflow_for_huge_values():
    x = np.zeros((5, 5), dtype=np.float32)
    x[:, 3:] = 3e37  # squares of the gradient would overflow float32
    mag = image.edges(x, boundary="edge")
    assert np.all(np.isfinite(mag))
    np.testing.assert_allclose(mag[2, 2:4], 4 * 3e37, rtol=1e-6)
    with np.errstate(invalid="ignore"):
        x[0, 0] = np.nan
        assert np.isnan(image.edges(x)[0, 0])


def test_every_filter_is_one_engine_call_for_all_channels(monkeypatch):
    import convolab

    calls = []
    real = convolab.correlate

    def spy(x, k, *args, **kwargs):
        calls.append(np.shape(x))
        return real(x, k, *args, **kwargs)

    monkeypatch.setattr(convolab, "correlate", spy)
    image.filter(RGB, kernels.box(3))
    assert calls == [(17, 21, 3)]  # the interleaved channels in one call
    calls.clear()
    image.edges(RGB)
    assert len(calls) in (0, 2)  # g_x and g_y, or both and their norm in one stencil pass
    calls.clear()
    image.blur(RGB, 1.0)
    assert len(calls) == 1  # one call with the rank-1 kernel
