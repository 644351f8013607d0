"""Figures that teach: readable kernel values, honest matches, integer epochs, own score axis,
and the README's edge example giving an image one can see."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_helpers import run
from convolab import image, kernels, signal, viz

README = Path(__file__).resolve().parents[1] / "README.md"


# --------------------------------------------------------------------------- kernel values


def _value_boxes(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    out = []
    for ax in fig.axes:
        if not ax.images or not ax.texts:
            continue
        rows, cols = ax.images[0].get_array().shape
        box = ax.get_window_extent(renderer)
        cell_w, cell_h = box.width / cols, box.height / rows
        out.append((cell_w, cell_h, [t.get_window_extent(renderer) for t in ax.texts]))
    return out


@pytest.mark.parametrize("weights, figsize", [
    (np.random.default_rng(0).normal(0, 0.2, (6, 1, 5, 5)), None),     # LeNet's C1
    (np.random.default_rng(1).normal(0, 0.02, (4, 1, 5, 5)), (4.0, 1.6)),  # a small figure
    (np.random.default_rng(2).normal(0, 30.0, (3, 3)), (2.0, 2.0)),
    (np.random.default_rng(3).normal(0, 1e-3, (16, 3, 3)), None),
])  # fmt: skip
def test_kernel_values_fit_their_cells_or_are_left_out(weights, figsize):
    fig = viz.plot_kernels(weights, figsize=figsize, annotate=True)
    panels = _value_boxes(fig)
    for cell_w, cell_h, boxes in panels:
        for b in boxes:
            assert b.width < cell_w and b.height < cell_h  # inside one cell
        for i, a in enumerate(boxes):  # no two values overlap
            for b in boxes[i + 1:]:
                assert not a.overlaps(b)
        assert all(b.height > 0 for b in boxes)
    if panels:  # written values are the weights, to the digits shown
        texts = [t.get_text() for t in next(ax for ax in fig.axes if ax.texts).texts]
        places = max(len(t.split(".")[1]) if "." in t else 0 for t in texts)
        half_unit = 0.5 * 10.0**-places
        assert half_unit <= 0.05 * np.abs(weights).max()  # two significant digits at least
        first = np.asarray(weights, dtype=float).reshape(-1, *np.shape(weights)[-2:])[0]
        np.testing.assert_allclose([float(t) for t in texts], first.ravel(),
                                   atol=half_unit * 1.001)  # fmt: skip


def test_kernel_values_are_left_out_when_cells_are_tiny():
    fig = viz.plot_kernels(np.ones((2, 5, 5)) * 0.123, figsize=(1.2, 0.8), dpi=50, annotate=True)
    assert all(not ax.texts for ax in fig.axes)


def test_integer_kernels_are_written_as_integers():
    fig = viz.plot_kernels(kernels.laplacian(8))
    assert sorted({t.get_text() for t in fig.axes[0].texts}) == ["-1", "8"]


# --------------------------------------------------------------------------- learned vs classic


def test_a_weak_match_is_not_drawn_as_a_classic_kernel():
    unlike = np.array([[0.9, -0.1, 0.4], [-0.7, 0.2, 0.8], [0.1, 0.6, -0.9]])
    best = max(abs(c) for c in [np.sum(unlike * k) / np.linalg.norm(unlike) / np.linalg.norm(k)
                                for k in [kernels.box(3)]])  # fmt: skip
    assert best < 0.7
    fig = viz.plot_filters_vs_classic(np.stack([unlike, kernels.sobel(0)]))
    assert fig.axes[1].get_title() == "no close match" and not fig.axes[1].images
    assert fig.axes[1].texts[0].get_text().startswith("best: ")
    assert fig.axes[3].get_title() == "sobel(axis=0)\ncos = 1.00" and fig.axes[3].images
    drawn = viz.plot_filters_vs_classic(unlike[None], min_cosine=0.0)
    assert drawn.axes[1].images and "cos = " in drawn.axes[1].get_title()
    with pytest.raises(ValueError, match="min_cosine"):
        viz.plot_filters_vs_classic(unlike[None], min_cosine=1.5)


# --------------------------------------------------------------------------- epochs


@pytest.mark.parametrize("n", [2, 3, 7])
def test_epoch_axes_have_integer_ticks(n):
    fig = viz.plot_history({"loss": np.linspace(2, 1, n), "accuracy": np.linspace(0.3, 0.9, n)})
    fig.canvas.draw()
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks)


# --------------------------------------------------------------------------- detect --plot


def test_detect_plot_puts_the_score_on_its_own_axis(tmp_path, capsys, monkeypatch):
    import matplotlib.pyplot as plt

    made = []
    real = plt.subplots

    def recording(*args, **kwargs):
        fig, axes = real(*args, **kwargs)
        made.append(fig)
        return fig, axes

    monkeypatch.setattr(plt, "subplots", recording)
    scene = signal.make_shape_signal(seed=0)
    np.savetxt(tmp_path / "x.csv", scene.signal)
    template = ",".join(f"{v:.6f}" for v in scene.template)
    code, out, err = run(["signal", "detect", tmp_path / "x.csv", "--template", f"[{template}]",
                          "--plot", tmp_path / "d.png"], capsys)  # fmt: skip
    assert code == 0, err
    (fig,) = made
    top, bottom = fig.axes
    found = signal.detect(scene.signal, scene.template)
    assert [line.get_label() for line in top.lines][0] == "input"
    np.testing.assert_allclose(top.lines[0].get_ydata(), scene.signal)
    score = [line for line in bottom.lines if line.get_label() == "score"]
    np.testing.assert_allclose(score[0].get_ydata(), found.score, atol=1e-6)
    assert not any(line.get_label() == "score" for line in top.lines)
    assert bottom.get_ylabel() == "score"


# --------------------------------------------------------------------------- README edge example


def _photo_like(size=128, seed=0):
    """Soft shapes of low contrast, fine noise and a few isolated bright pixels (dust)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    img = 0.3 + 0.2 * x
    img = np.where((x - 0.4) ** 2 + (y - 0.5) ** 2 < 0.25**2, img + 0.3, img)
    img = img + rng.normal(0, 0.005, img.shape)
    dust = rng.choice(size * size, 40, replace=False)
    img.ravel()[dust] = 1.0
    return np.clip(img, 0, 1)


def test_readme_edge_example_gives_a_visible_image(tmp_path, capsys):
    command = re.search(r"`(convolab filter photo\.png [^`]*)`", README.read_text()).group(1)
    argv = command.split()[1:]
    image.save(tmp_path / "photo.png", _photo_like())
    argv = [str(tmp_path / a) if a.endswith(".png") else a for a in argv]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    edges = np.asarray(Image.open(tmp_path / "edges.png").convert("L"), dtype=float)
    ring = _ring_mask(128)
    # the disc's outline, where the picture has its edges, is bright
    assert np.median(edges[ring]) > 128
    assert np.median(edges[~ring]) < 64  # and the flat parts stay dark
    # `--scale abs` on the same photo: the dust takes the white, the outline is near black
    dark = tmp_path / "abs.png"
    code, _, err = run([*argv[:2], "-o", dark, *argv[4:-2], "--scale", "abs"], capsys)
    assert code == 0, err
    assert np.median(np.asarray(Image.open(dark).convert("L"), dtype=float)[ring]) < 64


def _ring_mask(size):
    y, x = np.mgrid[0:size, 0:size] / size
    r = np.sqrt((x - 0.4) ** 2 + (y - 0.5) ** 2)
    return np.abs(r - 0.25) < 0.5 / size
