"""`convolab.viz`: saved figures are real, non-blank PNGs, and they draw the right numbers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import convolab
from convolab import kernels, models, nn, train, viz

RNG = np.random.default_rng(11)
SMALL = {"figsize": (4, 3), "dpi": 50}  # -> 200 x 150 pixels


def assert_png(path, size=(200, 150)):
    """A valid PNG of ``size`` pixels whose pixels are not all the same."""
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == size
        pixels = np.asarray(im.convert("L"), dtype=float)
    assert pixels.std() > 5.0  # a blank (single-colour) image has std 0


# --------------------------------------------------------------------------- plot_convolution

SIGNAL = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]  # the articles' noisy signal


def test_convolution_png(tmp_path):
    fig = viz.plot_convolution(SIGNAL, np.ones(3) / 3, path=tmp_path / "c.png", **SMALL)
    assert isinstance(fig, Figure)
    assert_png(tmp_path / "c.png")


@pytest.mark.parametrize("op", ["correlate", "convolve"])
def test_convolution_kernel_drawn_on_its_window(op):
    k = np.array([1.0, 2.0, 4.0])
    fig = viz.plot_convolution(SIGNAL, k, op=op, at=4)
    bars = fig.axes[1].patches
    # output 4 of a 3-tap 'same' result uses x[3], x[4], x[5]
    assert [round(b.get_x() + b.get_width() / 2) for b in bars] == [3, 4, 5]
    heights = [b.get_height() for b in bars]
    assert heights == ([1.0, 2.0, 4.0] if op == "correlate" else [4.0, 2.0, 1.0])
    # the highlighted output is the weighted sum of that window
    want = sum(h * v for h, v in zip(heights, SIGNAL[3:6]))
    assert fig.axes[2].get_title() == f"y[4] = {want:.4g}"


@pytest.mark.parametrize("mode, first", [("valid", 1.0), ("same", 0.0), ("full", -1.0)])
def test_convolution_outputs_aligned_with_window_centres(mode, first):
    fig = viz.plot_convolution(SIGNAL, np.ones(3), mode=mode)
    xs = fig.axes[2].containers[0].markerline.get_xdata()
    n_out = {"valid": 8, "same": 10, "full": 12}[mode]
    np.testing.assert_array_equal(xs, first + np.arange(n_out))


def test_convolution_2d(tmp_path):
    x = np.zeros((12, 12))
    x[3:9, 3:9] = 1.0
    fig = viz.plot_convolution(x, kernels.sobel(1), at=(5, 3), path=tmp_path / "c2.png", **SMALL)
    assert_png(tmp_path / "c2.png")
    y = fig.axes[2].images[0].get_array()
    np.testing.assert_allclose(y, convolab.correlate(x, kernels.sobel(1), mode="same"))


@pytest.mark.parametrize(
    "kwargs, exc, fragment",
    [
        ({"x": SIGNAL, "k": np.ones((2, 2))}, ValueError, "same ndim"),
        ({"x": SIGNAL, "k": [1, 1], "y": np.ones(4)}, ValueError, "expected 11"),
        ({"x": SIGNAL, "k": [1, 1], "mode": "ful"}, ValueError, "mode"),
        ({"x": SIGNAL, "k": [1, 1], "op": "conv"}, ValueError, "op"),
        ({"x": SIGNAL, "k": [1, 1], "at": 10}, ValueError, "at"),
        ({"x": ["a", "b"], "k": [1]}, TypeError, "x"),
        ({"x": SIGNAL, "k": [np.nan]}, ValueError, "finite"),
        ({"x": SIGNAL, "k": [1], "figsize": (0, 2)}, ValueError, "figsize"),
    ],
)
def test_convolution_errors(kwargs, exc, fragment):
    with pytest.raises(exc, match=fragment):
        viz.plot_convolution(**kwargs)


def test_bad_path_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"cannot write .\.docx. files"):
        viz.plot_convolution(SIGNAL, [1], path=tmp_path / "figure.docx")


# --------------------------------------------------------------------------- plot_kernels


def _images(fig):
    return [ax.images[0] for ax in fig.axes if ax.images]


def test_kernels_of_a_layer_on_a_symmetric_scale(tmp_path):
    layer = nn.Conv2d(1, 6, 5)
    fig = viz.plot_kernels(layer, path=tmp_path / "k.png", **SMALL)
    assert_png(tmp_path / "k.png")
    images = _images(fig)
    assert len(images) == 6
    vmax = float(np.abs(layer.weight.data).max())
    for o, im in enumerate(images):
        assert im.get_clim() == pytest.approx((-vmax, vmax))  # 0 at the centre of the map
        np.testing.assert_array_equal(im.get_array(), layer.weight.data[o, 0])


def test_kernels_grid_rows_outputs_columns_inputs():
    layer = nn.Conv2d(2, 3, 3)
    fig = viz.plot_kernels(layer)
    images = _images(fig)
    assert len(images) == 6
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["0,0", "0,1", "1,0", "1,1", "2,0", "2,1"]
    np.testing.assert_array_equal(images[3].get_array(), layer.weight.data[1, 1])


def test_kernels_dict_1d_layer_and_annotations():
    fig = viz.plot_kernels({"sobel": kernels.sobel(1), "laplacian": kernels.laplacian()})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [f"{v:.2g}" for v in kernels.sobel(1).ravel()]
    fig = viz.plot_kernels([[1, -1], [0, 2]])  # a nested list is one kernel
    assert [im.get_array().shape for im in _images(fig)] == [(2, 2)]
    fig = viz.plot_kernels([np.ones((3, 3)), np.ones((5, 5))])  # different shapes
    assert [im.get_array().shape for im in _images(fig)] == [(3, 3), (5, 5)]
    fig = viz.plot_kernels(nn.Conv1d(1, 4, 7))
    assert [im.get_array().shape for im in _images(fig)] == [(1, 7)] * 4


def test_many_kernels_tiled_in_one_image_and_capped(tmp_path):
    layer = nn.Conv2d(6, 16, 5)  # 96 kernels: one mosaic, rows = outputs, columns = inputs
    fig = viz.plot_kernels(layer, path=tmp_path / "m.png", **SMALL)
    assert_png(tmp_path / "m.png")
    (image,) = _images(fig)
    mosaic = image.get_array()
    assert mosaic.shape == (16 * 6 - 1, 6 * 6 - 1)  # 5x5 kernels, one gap pixel between
    w = layer.weight.data
    np.testing.assert_array_equal(mosaic[2 * 6:2 * 6 + 5, 4 * 6:4 * 6 + 5], w[2, 4])
    assert np.ma.getmaskarray(mosaic)[5, :].all()  # the gap, masked (NaN) so drawn blank
    fig = viz.plot_kernels(nn.Conv2d(16, 120, 5), max_kernels=64)
    (image,) = _images(fig)
    assert image.get_array().shape == (4 * 6 - 1, 16 * 6 - 1)  # 64 // 16 = 4 output channels
    assert fig.get_suptitle() == "kernels (first 64 of 1920 kernels)"


@pytest.mark.parametrize(
    "value, exc, fragment",
    [
        (np.zeros((1, 1, 1, 1, 1)), ValueError, "kernels_or_layer"),
        ({}, ValueError, "empty"),
        (np.array([["a"]]), TypeError, "kernels_or_layer"),
        (nn.Conv3d(1, 1, 2), ValueError, "3D kernels"),
    ],
)
def test_kernels_errors(value, exc, fragment):
    with pytest.raises(exc, match=fragment):
        viz.plot_kernels(value)


# --------------------------------------------------------------------------- feature maps


def test_feature_maps_of_lenet5(tmp_path):
    model = models.lenet5("modern")
    img = np.zeros((28, 28), np.float32)
    img[5:23, 12:16] = 1.0
    fig = viz.plot_feature_maps(model, img, max_maps=4, path=tmp_path / "f.png", **SMALL)
    assert_png(tmp_path / "f.png")
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == [
        "input\n(1, 28, 28)", "0 Conv2d\n(6, 28, 28)\n4 of 6\nchannels shown",
        "2 MaxPool2d\n(6, 14, 14)\n4 of 6\nchannels shown",
        "3 Conv2d\n(16, 10, 10)\n4 of 16\nchannels shown",
        "5 MaxPool2d\n(16, 5, 5)\n4 of 16\nchannels shown", "6 Conv2d\n(120, 1, 1)",
    ]  # fmt: skip
    # the first conv row shows the layer's real output: correlate(image, w) + b, padding 2
    conv = model[0]
    row = [ax for ax in fig.axes if ax.get_ylabel().startswith("0 Conv2d")][0]
    want = convolab.correlate(img.astype(np.float64), conv.weight.data[0, 0].astype(np.float64),
                              mode="same") + conv.bias.data[0]  # fmt: skip
    np.testing.assert_allclose(row.images[0].get_array(), want, atol=1e-5)
    # C5's 120 maps of 1x1 are one bar per channel, heights the layer's outputs, no image
    bars = [ax for ax in fig.axes if ax.get_ylabel().startswith("6 Conv2d")][0]
    assert not bars.images
    c5 = model[:7](img[None, None]).data.reshape(120)  # layers 0..6: C5's output
    np.testing.assert_allclose([p.get_height() for p in bars.patches], c5, atol=1e-5)
    assert (c5 < 0).any()  # a signed output: bars below the axis too


def test_feature_maps_take_a_batch_of_one():
    model = models.lenet5("modern")
    img = np.random.default_rng(3).random((28, 28)).astype(np.float32)
    one = viz.plot_feature_maps(model, img[None])
    batch = viz.plot_feature_maps(model, img[None, None])
    grab = [ax.images[0].get_array() for ax in one.axes if ax.images]
    again = [ax.images[0].get_array() for ax in batch.axes if ax.images]
    assert len(grab) == len(again) > 0
    for a, b in zip(grab, again):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"batch of one .*\(2, 1, 28, 28\)"):
        viz.plot_feature_maps(model, np.zeros((2, 1, 28, 28)))
    fig = viz.plot_receptive_field(model, (1, 28, 28), image=img[None, None])
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), img)


def test_feature_maps_of_a_signal_of_length_one_are_bars():
    model = models.detector1d(kernel_size=8, length=32)
    fig = viz.plot_feature_maps(model, np.sin(np.arange(32) / 3.0)[None, None])
    last = [ax for ax in fig.axes if ax.get_ylabel().startswith("1 MaxPool1d")][0]
    assert not last.images and len(last.patches) == 1


def test_feature_maps_1d():
    model = models.cnn1d(channels=4, length=40)
    fig = viz.plot_feature_maps(model, np.sin(np.arange(40) / 3.0))
    shapes = [ax.images[0].get_array().shape for ax in fig.axes if ax.images and ax.get_ylabel()]
    assert shapes == [(1, 40), (4, 19), (4, 10), (4, 5)]


def test_feature_maps_errors():
    with pytest.raises(ValueError, match="no convolution"):
        viz.plot_feature_maps(models.mlp(in_features=4, hidden=[3]), np.zeros(4))
    with pytest.raises(ValueError, match="image"):
        viz.plot_feature_maps(models.lenet5(), np.zeros((1, 1, 1, 28, 28)))
    with pytest.raises(ValueError, match="max_maps"):
        viz.plot_feature_maps(models.lenet5(), np.zeros((28, 28)), max_maps=0)


# --------------------------------------------------------------------------- learned vs classic


def test_filters_vs_classic(tmp_path):
    stack = np.stack([kernels.sobel(1), -kernels.laplacian(), 3 * kernels.gaussian(1.0, size=3)])
    layer = nn.Conv2d.from_kernel(stack)
    fig = viz.plot_filters_vs_classic(layer, path=tmp_path / "v.png", **SMALL)
    assert_png(tmp_path / "v.png")
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == [
        "learned 0", "sobel(axis=1)\ncos = 1.00",
        "learned 1", "-laplacian(neighbours=4)\ncos = 1.00",
        "learned 2", "gaussian(sigma=1)\ncos = 1.00",
    ]  # fmt: skip
    # the negated classic kernel is drawn, so it looks like the learned one
    np.testing.assert_allclose(_images(fig)[3].get_array(), -kernels.laplacian())


def test_filters_vs_classic_scores_random_kernels():
    w = RNG.standard_normal((4, 1, 5, 5))
    fig = viz.plot_filters_vs_classic(w, max_filters=2, min_cosine=0.0)  # draw every best match
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert len(titles) == 4
    for i in range(2):
        classic = _images(fig)[2 * i + 1].get_array()
        cos = abs((w[i, 0] * classic).sum()) / (np.linalg.norm(w[i, 0]) * np.linalg.norm(classic))
        assert titles[2 * i + 1].endswith(f"cos = {cos:.2f}")


# --------------------------------------------------------------------------- history, confusion


def test_history_png_and_series(tmp_path):
    rows = [
        {"epoch": 1, "loss": 2.0, "val_loss": 2.2, "accuracy": 0.3, "val_accuracy": 0.25},
        {"epoch": 2, "loss": 1.0, "val_loss": 1.4, "accuracy": 0.6, "val_accuracy": 0.55},
        {"epoch": 3, "loss": 0.5, "val_loss": 0.9, "accuracy": 0.8, "val_accuracy": 0.7},
    ]
    fig = viz.plot_history(rows, path=tmp_path / "h.png", **SMALL)
    assert_png(tmp_path / "h.png")
    loss_ax, acc_ax = fig.axes
    assert {ln.get_label(): list(ln.get_ydata()) for ln in loss_ax.lines} == {
        "loss": [2.0, 1.0, 0.5], "val_loss": [2.2, 1.4, 0.9]
    }
    assert list(acc_ax.lines[1].get_xdata()) == [1, 2, 3]
    fig = viz.plot_history({"loss": [3, 2], "lr": [0.1, 0.01]})
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "other"]
    # what convolab.train.fit returns, and its JSON form
    history = train.History(epochs=rows)
    for value in (history, history.to_dict()):
        loss_ax = viz.plot_history(value).axes[0]
        assert list(loss_ax.lines[0].get_ydata()) == [2.0, 1.0, 0.5]


@pytest.mark.parametrize(
    "metrics, exc, fragment",
    [
        ({"loss": [1, 2], "accuracy": [0.5]}, ValueError, "equal lengths"),
        ({"name": ["a", "b"]}, ValueError, "no numeric"),
        ("loss", TypeError, "metrics"),
        ([], TypeError, "metrics"),
    ],
)
def test_history_errors(metrics, exc, fragment):
    with pytest.raises(exc, match=fragment):
        viz.plot_history(metrics)


def test_confusion(tmp_path):
    cm = np.array([[50, 2, 3], [4, 40, 6], [0, 5, 45]])
    fig = viz.plot_confusion(cm, ["a", "b", "c"], path=tmp_path / "m.png", **SMALL)
    assert_png(tmp_path / "m.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == [str(v) for v in cm.ravel()]
    assert ax.get_title() == "accuracy = 135/155 = 87.1%"  # (50 + 40 + 45) / 155
    fig = viz.plot_confusion(cm, normalize=True)
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown.sum(axis=1), 1.0)
    assert shown[1, 1] == pytest.approx(40 / 50)


@pytest.mark.parametrize(
    "cm, labels, exc, fragment",
    [
        (np.ones((2, 3)), None, ValueError, "square"),
        (np.ones((2, 2)), ["a"], ValueError, "labels"),
        (-np.ones((2, 2)), None, ValueError, "non-negative"),
        (np.ones(3), None, ValueError, "cm"),
    ],
)
def test_confusion_errors(cm, labels, exc, fragment):
    with pytest.raises(exc, match=fragment):
        viz.plot_confusion(cm, labels)


def test_no_pyplot_state():
    code = (
        "import sys, numpy as np; from convolab import viz; "
        "viz.plot_kernels(np.eye(3)); viz.plot_history({'loss': [1, 0.5]}); "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- analysis figures


def test_receptive_field_rectangles_for_lenet5(tmp_path):
    fig = viz.plot_receptive_field(models.lenet5(), (1, 28, 28), path=tmp_path / "r.png", **SMALL)
    assert_png(tmp_path / "r.png")
    boxes = fig.axes[0].patches
    # by hand (see test_analysis): C1 5, S2 6, C3 14, S4 16, C5 32 pixels
    assert [(b.get_width(), b.get_height()) for b in boxes] == [
        (5, 5), (6, 6), (14, 14), (16, 16), (32, 32)
    ]
    # C5's single output is centred at 13.5 and sees 13.5 - 15.5 = -2 .. 29 (the padded image)
    assert boxes[-1].get_xy() == (-2.5, -2.5)
    # C1's centre output (14, 14) with padding 2 sees 12 .. 16
    assert boxes[0].get_xy() == (11.5, 11.5)


def test_receptive_field_1d_and_errors():
    fig = viz.plot_receptive_field(models.cnn1d(length=40), (1, 40), image=np.ones(40))
    spans = [ln.get_xdata() for ln in fig.axes[0].lines[1:]]
    assert [float(b - a) for a, b in spans] == [5.0, 9.0, 17.0]  # see test_analysis
    with pytest.raises(ValueError, match="no convolution"):
        viz.plot_receptive_field(models.mlp(in_features=4, hidden=[3]), (1, 4))
    with pytest.raises(ValueError, match="image"):
        viz.plot_receptive_field(models.lenet5(), (1, 28, 28), image=np.zeros((5, 5)))


def test_mlp_cnn_curves(tmp_path):
    fig = viz.plot_mlp_cnn([8, 28, 256], channels=3, path=tmp_path / "p.png", **SMALL)
    assert_png(tmp_path / "p.png")
    mlp_line, conv_line = fig.axes[0].lines
    assert [int(v) for v in mlp_line.get_ydata()] == [3 * n**4 for n in (8, 28, 256)]
    assert [int(v) for v in conv_line.get_ydata()] == [3 * 3 * 3] * 3
    with pytest.raises(ValueError, match="sizes"):
        viz.plot_mlp_cnn([8, 0])


def test_information_bars(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2))
    x = RNG.standard_normal((32, 1, 6, 6)).astype(np.float32)
    info = convolab.analysis.information_per_layer(model, x, labels=np.arange(32) % 2, bins=8)
    fig = viz.plot_information(info, path=tmp_path / "i.png", **SMALL)
    assert_png(tmp_path / "i.png")
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [i.i_xt for i in info] + [i.i_ty for i in info]
    with pytest.raises(TypeError, match="LayerInformation"):
        viz.plot_information([1.0, 2.0])


def test_equivariance_curves(tmp_path):
    conv = nn.Conv1d(1, 2, 5, dtype="float64")
    conv.weight.data = RNG.integers(-3, 4, conv.weight.shape).astype(np.float64)
    x = RNG.integers(-4, 5, (1, 1, 48)).astype(np.float64)
    fig = viz.plot_equivariance({"conv": conv, "pool": nn.MaxPool1d(2)}, x, shifts=range(5),
                                path=tmp_path / "e.png", **SMALL)  # fmt: skip
    assert_png(tmp_path / "e.png")
    conv_line, pool_line = fig.axes[0].lines
    assert list(conv_line.get_ydata()) == [0.0] * 5
    pool = pool_line.get_ydata()
    assert pool[0] == pool[2] == pool[4] == 0.0 and pool[1] > 0 and pool[3] > 0
    with pytest.raises(ValueError, match="batch"):
        viz.plot_equivariance(conv, np.zeros(8))
