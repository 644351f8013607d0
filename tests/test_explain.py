"""Tests for convolab.explain: rows checked against the engine and the articles' tables."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import convolab
from convolab.explain import explain, explain_animation
from oracle import BOUNDARIES, MODES, boundary_index

F = [0, 0, 0, 3, 4, 5, 4, 3, 0, 0]

# "Convolutions and Neural Networks", bonus section: shifting f by a 'same' sum with g.
# Each row: (products as (f value, g value) pairs, sum), transcribed from the article.
RIGHT_SHIFT_TABLE = [
    ([(0, 1), (0, 0), (0, 0)], 0),
    ([(0, 1), (0, 0), (0, 0)], 0),
    ([(0, 1), (0, 0), (3, 0)], 0),
    ([(0, 1), (3, 0), (4, 0)], 0),
    ([(3, 1), (4, 0), (5, 0)], 3),
    ([(4, 1), (5, 0), (4, 0)], 4),
    ([(5, 1), (4, 0), (3, 0)], 5),
    ([(4, 1), (3, 0), (0, 0)], 4),
    ([(3, 1), (0, 0), (0, 0)], 3),
    ([(0, 1), (0, 0), (0, 0)], 0),
]
LEFT_SHIFT_TABLE = [
    ([(0, 0), (0, 0), (0, 1)], 0),
    ([(0, 0), (0, 0), (0, 1)], 0),
    ([(0, 0), (0, 0), (3, 1)], 3),
    ([(0, 0), (3, 0), (4, 1)], 4),
    ([(3, 0), (4, 0), (5, 1)], 5),
    ([(4, 0), (5, 0), (4, 1)], 4),
    ([(5, 0), (4, 0), (3, 1)], 3),
    ([(4, 0), (3, 0), (0, 1)], 0),
    ([(3, 0), (0, 0), (0, 1)], 0),
    ([(0, 0), (0, 0), (0, 1)], 0),
]


def _article_line(t, products, total):
    terms = " + ".join(f"({a} × {b})" for a, b in products)
    return f"(f ⋆ g)(t = {t}) = {terms} = {total}"


@pytest.mark.parametrize(
    ("g", "table", "result"),
    [
        ([1, 0, 0], RIGHT_SHIFT_TABLE, [0, 0, 0, 0, 3, 4, 5, 4, 3, 0]),
        ([0, 0, 1], LEFT_SHIFT_TABLE, [0, 0, 3, 4, 5, 4, 3, 0, 0, 0]),
    ],
)
def test_article_shift_tables_row_by_row(g, table, result):
    e = explain(F, g, op="correlate", mode="same")
    assert len(e.rows) == len(table)
    lines = str(e).splitlines()
    for t, (row, (products, total)) in enumerate(zip(e.rows, table, strict=True)):
        assert row.t == t
        assert row.products == tuple((float(a), float(b)) for a, b in products)
        assert row.sum == total
        assert lines[t] == _article_line(t, products, total)
    assert lines[-1] == "(f ⋆ g) = [" + ", ".join(str(v) for v in result) + "]"
    np.testing.assert_array_equal(e.output, result)


def test_issue_example_line():
    e = explain(F, [1, 0, 0], op="correlate", mode="same")
    assert str(e).splitlines()[4] == "(f ⋆ g)(t = 4) = (3 × 1) + (4 × 0) + (5 × 0) = 3"


def test_convolve_lists_flipped_kernel_and_symbol():
    e = explain([1, 2, 3], [1, 2], op="convolve", mode="full")
    # full convolution: y = [1, 4, 7, 6]; row 1 covers (1, 2) with the flipped kernel (2, 1)
    assert e.rows[1].products == ((1.0, 2.0), (2.0, 1.0))
    np.testing.assert_array_equal(e.output, np.convolve([1, 2, 3], [1, 2]))
    assert str(e).splitlines()[1] == "(f ∗ g)(t = 1) = (1 × 2) + (2 × 1) = 4"
    assert str(e.render(ascii=True)).splitlines()[1] == "(f * g)(t = 1) = (1 x 2) + (2 x 1) = 4"
    assert e.rows[0].indices == (None, 0)


def test_non_integers_rendered_compactly():
    e = explain([0.5, -1.25], [0.1], op="correlate", mode="valid")
    assert str(e).splitlines()[:2] == [
        "(f ⋆ g)(t = 0) = (0.5 × 0.1) = 0.05",
        "(f ⋆ g)(t = 1) = (-1.25 × 0.1) = -0.125",
    ]


def _engine(op, x, k, mode, boundary, fill_value, stride, dilation):
    fn = convolab.convolve if op == "convolve" else convolab.correlate
    return fn(
        np.asarray(x, dtype=np.float64), np.asarray(k, dtype=np.float64), mode,
        boundary=boundary, fill_value=fill_value, stride=stride, dilation=dilation,
    )


def _check_rows_follow_boundary(e, x, boundary, fill_value):
    """Every (sample, index) pair in every row obeys the boundary rule (loop oracle)."""
    x = np.asarray(x, dtype=np.float64)
    for row in e.rows:
        for (sample, _w), src in zip(row.products, row.indices, strict=True):
            if src is None:
                assert sample == fill_value
                assert boundary == "constant"
            else:
                assert sample == x[src]


@pytest.mark.parametrize("op", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_rows_equal_engine_1d_every_mode_and_boundary(op, mode, boundary):
    rng = np.random.default_rng(hash((op, mode, boundary)) % 2**32)
    for n, k in [(7, 3), (8, 4), (5, 5), (4, 6), (1, 2), (9, 1)]:
        if mode == "valid" and k > n:
            continue
        x = rng.normal(size=n)
        g = rng.normal(size=k)
        e = explain(x, g, op, mode, boundary=boundary, fill_value=0.75)
        want = _engine(op, x, g, mode, boundary, 0.75, 1, 1)
        sums = np.array([row.sum for row in e.rows])
        np.testing.assert_allclose(sums, want, rtol=1e-12, atol=1e-12)
        _check_rows_follow_boundary(e, x, boundary, 0.75)


def _window_indices_oracle(n, k, mode, boundary, stride, dilation):
    """Source index of every tap of every output, from the padding rule (tests.oracle)."""
    big = dilation * (k - 1) + 1
    before = {"full": big - 1, "same": big // 2, "valid": 0}[mode]
    total = {"full": 2 * (big - 1), "same": big - 1, "valid": 0}[mode]
    m = (n + total - big) // stride + 1
    return [
        tuple(boundary_index(t * stride + i * dilation - before, n, boundary) for i in range(k))
        for t in range(m)
    ]


@given(
    n=st.integers(1, 12),
    k=st.integers(1, 6),
    op=st.sampled_from(["convolve", "correlate"]),
    mode=st.sampled_from(MODES),
    boundary=st.sampled_from(BOUNDARIES),
    stride=st.integers(1, 3),
    dilation=st.integers(1, 3),
    seed=st.integers(0, 2**31),
)
def test_rows_equal_engine_property(n, k, op, mode, boundary, stride, dilation, seed):
    big = dilation * (k - 1) + 1
    if mode == "valid" and big > n:
        with pytest.raises(ValueError, match="valid"):
            explain(np.ones(n), np.ones(k), op, mode, dilation=dilation)
        return
    rng = np.random.default_rng(seed)
    x = rng.integers(-9, 10, size=n).astype(float)
    g = rng.integers(-3, 4, size=k).astype(float)
    e = explain(x, g, op, mode, boundary=boundary, fill_value=-2.0, stride=stride,
                dilation=dilation)
    want = _engine(op, x, g, mode, boundary, -2.0, stride, dilation)
    assert e.output.shape == want.shape
    np.testing.assert_allclose(e.output, want, rtol=1e-12, atol=1e-9)
    assert [row.indices for row in e.rows] == _window_indices_oracle(
        n, k, mode, boundary, stride, dilation)
    _check_rows_follow_boundary(e, x, boundary, -2.0)
    applied = g[::-1] if op == "convolve" else g
    for row in e.rows:
        np.testing.assert_array_equal(row.weights, applied)


@pytest.mark.parametrize("op", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_rows_equal_engine_2d(op, mode, boundary):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(5, 6))
    g = rng.normal(size=(3, 2))
    e = explain(x, g, op, mode, boundary=boundary, stride=(1, 2), dilation=(2, 1))
    want = _engine(op, x, g, mode, boundary, 0.0, (1, 2), (2, 1))
    assert e.output.shape == want.shape
    np.testing.assert_allclose(e.output, want, rtol=1e-12, atol=1e-12)
    _check_rows_follow_boundary(e, x, boundary, 0.0)
    for row in e.rows:
        for (sample, _w), src in zip(row.products, row.indices, strict=True):
            if src is not None:
                i, j = src
                assert sample == x[i, j]


def test_2d_rendering_patch_and_kernel():
    f = [[0, 3, 6, 3], [3, 6, 3, 6], [6, 3, 6, 3], [3, 6, 3, 0]]  # the article's 4x4 image
    lap = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]
    e = explain(f, lap, "correlate", "valid")
    text = str(e)
    assert text.splitlines()[0].startswith("(f ⋆ g)(t = (0, 0)) = sum(patch ⊙ g) = (0 × -1)")
    assert "0 3 6    -1 -1 -1" in text
    assert "3 6 3  ⊙ -1  8 -1" in text
    np.testing.assert_allclose(e.output, convolab.correlate(np.array(f), np.array(lap), "valid"))
    assert e.rows[3].t == (1, 1)


def test_size_limit_refuses_clearly():
    with pytest.raises(ValueError, match=r"300 rows of 5 products \(1500 > `limit`=1000\)"):
        explain(np.zeros(300), np.ones(5), mode="same", limit=1000)
    assert len(explain(np.zeros(300), np.ones(5), mode="same", limit=1500)) == 300


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"op": "conv"}, ValueError, r"`op` must be one of 'convolve', 'correlate'; got 'conv'"),
        ({"mode": "ful"}, ValueError, r"`mode` must be one of .*got 'ful'"),
        ({"boundary": "nearest"}, ValueError, r"did you mean 'edge'"),
        ({"stride": 0}, ValueError, r"`stride` must be a positive integer"),
        ({"dilation": (1, 2)}, ValueError, r"`dilation` must have one entry per axis"),
        ({"limit": 0}, ValueError, r"`limit` must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        explain([1, 2, 3], [1, 1], **kwargs)


def test_bad_arrays():
    with pytest.raises(ValueError, match=r"`x` must not be empty"):
        explain([], [1])
    with pytest.raises(TypeError, match=r"`k` must be real"):
        explain([1, 2], [1j])
    with pytest.raises(TypeError, match=r"`x` must be an array of real numbers"):
        explain(["a", "b"], [1])
    with pytest.raises(ValueError, match=r"`k` must have as many dimensions as `x` \(1\)"):
        explain([1, 2, 3], [[1]])
    with pytest.raises(ValueError, match=r"1D or 2D"):
        explain(np.ones((2, 2, 2)), np.ones((1, 1, 1)))
    with pytest.raises(ValueError, match=r"mode 'valid' has no position"):
        explain([1, 2], [1, 2, 3], mode="valid")


def test_nan_propagates_like_the_definition():
    e = explain([1.0, np.nan, 2.0], [1.0, 1.0], "correlate", "valid")
    assert np.isnan(e.rows[0].sum) and np.isnan(e.rows[1].sum)
    assert "nan" in str(e).splitlines()[0]


@pytest.mark.parametrize(
    ("x", "k", "kwargs", "frames"),
    [
        (F, [1, 0, 0], {"op": "correlate", "mode": "same"}, 10),
        (F, [1, 0, 0], {"op": "convolve", "mode": "full", "stride": 2}, 6),
        (np.arange(12.0).reshape(3, 4), [[1, 0], [0, -1]], {"mode": "valid"}, 6),
        (np.arange(9.0).reshape(3, 3), np.ones((3, 3)), {"mode": "same", "boundary": "wrap"}, 9),
    ],
)
def test_animation_writes_gif_with_one_frame_per_output(tmp_path, x, k, kwargs, frames):
    path = tmp_path / "slide.gif"
    assert explain_animation(x, k, path, **kwargs) == frames
    with Image.open(path) as im:
        assert im.format == "GIF"
        assert im.n_frames == frames
        first = np.asarray(im.convert("RGB"))
        im.seek(frames - 1)
        last = np.asarray(im.convert("RGB"))
    assert first.shape[0] > 50 and first.shape[1] >= 480
    assert not np.array_equal(first, last)  # the kernel moved and the output filled in


def test_long_signal_animation_scrolls_within_a_bounded_width(tmp_path):
    x = np.round(np.random.default_rng(0).normal(size=60), 2)
    path = tmp_path / "long.gif"
    assert explain_animation(x, [0.25, 0.5, 0.25], path, mode="same", duration=50) == 60
    with Image.open(path) as im:
        assert im.n_frames == 60 and im.size[0] <= 1800
        im.seek(55)  # near the end: visible only because the view scrolls
        middle = np.asarray(im.convert("RGB"))
    # the highlighted window (orange edge) is in view
    edge = np.all(middle == (232, 89, 12), axis=-1)
    assert edge.any()


def test_animation_refuses_too_many_frames(tmp_path):
    with pytest.raises(ValueError, match=r"1000 frames .* more than 400"):
        explain_animation(np.zeros(1000), [1.0], tmp_path / "x.gif", mode="same")
    assert not (tmp_path / "x.gif").exists()
