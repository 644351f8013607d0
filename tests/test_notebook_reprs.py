"""What a notebook shows: `_repr_html_` tables holding the objects' own numbers, PNG figures."""

from __future__ import annotations

import io
import pickle
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

import convolab
from convolab import analysis, kernels, models, nn, viz
from convolab.explain import explain


class Tables(HTMLParser):
    """Every <table> of a page as a list of rows of cell texts, with its caption."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []
            self.tables[-1]["rows"][-1].append({"style": dict(attrs).get("style", "")})
        elif tag == "caption":
            self._caption = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1]["rows"][-1][-1]["text"] = "".join(self._cell)
            self._cell = None
        elif tag == "caption":
            self.tables[-1]["caption"] = "".join(self._caption)
            self._caption = None

    def handle_data(self, data):
        for part in (self._cell, self._caption):
            if part is not None:
                part.append(data)

    def texts(self, i: int) -> list[list[str]]:
        return [[c["text"] for c in row] for row in self.tables[i]["rows"]]


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_model_html_is_the_summary_of_the_model():
    model = models.lenet5("classic")
    page = Tables(model._repr_html_())
    rows = page.texts(0)
    assert rows[0] == ["Layer (type)", "Output shape", "Param #", "Receptive field", "FLOPs"]
    want = analysis.summary(model, (1, 28, 28))
    assert len(rows) - 1 == len(want.layers) == 12
    for cells, layer in zip(rows[1:], want.layers):
        assert cells[0] == f"{layer.name} ({layer.layer})"
        assert cells[1] == str(layer.output_shape)
        # parameters and FLOPs counted here, independently of analysis
        params = sum(p.data.size for p in model[int(layer.name)].parameters())
        assert number(cells[2]) == params
        assert number(cells[4]) == layer.flops
    totals = dict(page.texts(1)[1:])
    assert number(totals["Total params"]) == 61706
    assert number(totals["FLOPs per sample"]) == sum(number(c[4]) for c in rows[1:])
    assert "(1, 28, 28)" in page.tables[0]["caption"]


def test_model_without_input_shape_lists_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    page = Tables(model._repr_html_())
    assert page.texts(0) == [["Layer (type)", "Param #"], ["0 (Linear)", "16"], ["1 (ReLU)", "0"],
                             ["2 (Linear)", "10"]]  # fmt: skip
    assert "not recorded" in page.tables[0]["caption"]


def test_model_whose_recorded_shape_no_longer_fits_still_shows_its_parameters():
    model = nn.Sequential(nn.Linear(3, 2))
    model.input_shape = (5,)
    page = Tables(model._repr_html_())
    assert page.texts(0) == [["Layer (type)", "Param #"], ["0 (Linear)", "8"]]


def test_conv_layer_html_shows_its_kernels():
    layer = nn.Conv2d(2, 3, 3)
    page = Tables(layer._repr_html_())
    grids = page.tables[2:]
    assert len(grids) == 6  # one per (out, in) pair
    w = layer.weight.data.astype(np.float64)
    for grid, (o, i) in zip(grids, [(o, i) for o in range(3) for i in range(2)]):
        assert grid["caption"] == f"{o},{i}"
        values = np.array([[float(c["text"]) for c in row] for row in grid["rows"]])
        np.testing.assert_allclose(values, w[o, i], rtol=1e-3, atol=1e-6)
        # positive weights red, negative blue
        for row, cells in zip(w[o, i], grid["rows"]):
            for v, cell in zip(row, cells):
                bg = cell["style"].split("background:")[1][:7]
                red, blue = int(bg[1:3], 16), int(bg[5:7], 16)
                assert (red - blue) * v >= 0
                if abs(v) > 0.02 * np.abs(w).max():
                    assert red != blue


def test_large_conv_layer_html_says_how_many_kernels_it_shows():
    html = nn.Conv2d(6, 16, 5)._repr_html_()
    assert "16 of 96 shown" in html
    assert len(Tables(html).tables) == 2 + 16


def test_explanation_html_rows_are_the_weighted_sums():
    e = explain([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], [1, 0, 0], op="correlate", mode="same")
    rows = Tables(e._repr_html_()).texts(0)
    assert rows[0] == ["t", "weighted sum", "output"]
    assert [number(r[2]) for r in rows[1:]] == [0, 0, 0, 0, 3, 4, 5, 4, 3, 0]
    assert rows[5][1] == "(3 × 1) + (4 × 0) + (5 × 0)"
    # each written sum adds up to its output
    for _t, terms, out in rows[1:]:
        pairs = [p.strip(" ()").split(" × ") for p in terms.split(" + ")]
        assert sum(float(a) * float(b) for a, b in pairs) == number(out)


def test_long_explanation_html_is_cut_and_says_so():
    e = explain(np.arange(200.0), [1.0, 2.0])
    page = Tables(e._repr_html_())
    assert len(page.texts(0)) == 1 + 60
    assert "first 60 of 201 outputs" in page.tables[0]["caption"]


def test_2d_explanation_html_names_positions():
    e = explain(np.arange(16.0).reshape(4, 4), np.ones((2, 2)), mode="valid")
    rows = Tables(e._repr_html_()).texts(0)
    assert rows[1][0] == "0, 0" and number(rows[1][2]) == 0 + 1 + 4 + 5


@pytest.mark.parametrize("make", [
    lambda: viz.plot_convolution([1, 2, 3, 2, 1], [1, 0, -1], figsize=(4, 3), dpi=50),
    lambda: viz.plot_kernels(np.eye(3), figsize=(4, 3), dpi=50),
])  # fmt: skip
def test_viz_figures_display_inline_as_png(make):
    fig = make()
    png = fig._repr_png_()
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.size == (200, 150)
        assert np.asarray(im.convert("L")).std() > 5  # something drawn


def _cell_colour_sign(style: str) -> int:
    bg = style.split("background:")[1][:7]
    return int(np.sign(int(bg[1:3], 16) - int(bg[5:7], 16)))


@pytest.mark.parametrize("name", kernels.names())
def test_named_kernels_draw_their_weights_and_stay_plain_arrays(name):
    params = {"gabor": {"sigma": 1.0}}.get(name, {})
    k = kernels.get(name, **params)
    plain = np.asarray(k)
    assert isinstance(k, kernels.Kernel) and type(plain) is np.ndarray
    assert repr(k) == repr(plain)  # the text repr of the array, unchanged
    grid = Tables(k._repr_html_()).tables[0]
    assert grid["caption"].startswith(f"{name}(")
    assert f"{k.shape[0]}×{k.shape[1]}, sum {float(plain.sum()):.4g}" in grid["caption"]
    values = np.array([[float(c["text"]) for c in row] for row in grid["rows"]])
    np.testing.assert_allclose(values, plain, rtol=1e-3, atol=1e-12)
    signs = [[_cell_colour_sign(c["style"]) for c in row] for row in grid["rows"]]
    big = np.abs(plain) > 0.02 * np.abs(plain).max()
    np.testing.assert_array_equal(np.where(big, signs, 0), np.where(big, np.sign(plain), 0))


def test_kernel_results_are_plain_arrays_and_values_unchanged():
    k = kernels.sobel(0)
    assert k.name == "sobel(axis=0)" and kernels.gaussian(sigma=2).name == "gaussian(sigma=2)"
    for result in (k + 1, k * k, -k, np.abs(k), k @ k, np.outer(k[0], k[0]), np.pad(k, 1),
                   convolab.correlate(np.ones((5, 5)), k)):  # fmt: skip
        assert type(result) is np.ndarray
    assert type(k.sum()) is np.float64 and type(k.max()) is np.float64
    np.testing.assert_array_equal(k + 1, np.asarray(k) + 1)
    assert type(pickle.loads(pickle.dumps(k))) is np.ndarray
    assert isinstance(k.T, kernels.Kernel) and k.T.name == k.name  # a view is the kernel


def test_large_kernel_html_is_a_heatmap_with_its_weights_on_hover():
    k = kernels.gaussian(4.0)  # 33 x 33
    page = Tables(k._repr_html_())
    cells = page.tables[0]["rows"]
    assert len(cells) == 33 and all(len(row) == 33 for row in cells)
    assert all(c["text"] == "" for row in cells for c in row)  # no numbers drawn
    html = k._repr_html_()
    titles = np.array([float(t) for t in re.findall(r'title="([^"]+)"', html)]).reshape(33, 33)
    np.testing.assert_allclose(titles, k, rtol=1e-3)
    assert "33×33, sum 1" in html and "hover" in html
