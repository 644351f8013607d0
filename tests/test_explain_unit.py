"""explain_unit: one output of a convolution layer as its weighted sum, against the layer itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from convolab import nn
from convolab.explain import explain_unit


@st.composite
def conv_cases(draw):
    dims = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    k = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 2))
    dilation = draw(st.integers(1, 2))
    padding = draw(st.integers(0, 2))
    n = draw(st.integers(dilation * (k - 1) + 1, 7))
    seed = draw(st.integers(0, 10_000))
    bias = draw(st.booleans())
    return dims, groups, c_in, c_out, k, stride, dilation, padding, n, seed, bias


@given(conv_cases())
def test_every_unit_equals_the_layer_output(case):
    dims, groups, c_in, c_out, k, stride, dilation, padding, n, seed, bias = case
    layer_cls = nn.Conv1d if dims == 1 else nn.Conv2d
    nn.init.manual_seed(seed)
    layer = layer_cls(c_in, c_out, k, stride=stride, padding=padding, dilation=dilation,
                      groups=groups, bias=bias, dtype=np.float64)  # fmt: skip
    x = np.random.default_rng(seed).standard_normal((c_in,) + (n,) * dims)
    y = layer(nn.Tensor(x[None])).data[0]
    for index in np.ndindex(*y.shape):
        u = explain_unit(layer, x, index[0], index[1:])
        assert u.sum == pytest.approx(float(y[index]), abs=1e-10)
        assert u.patch.shape == u.weights.shape == (c_in // groups,) + (k,) * dims


def test_patch_reads_the_input_and_zeros_in_the_padding():
    layer = nn.Conv2d(2, 1, 3, padding=1, dtype=np.float64)
    x = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    u = explain_unit(layer, x, 0, (0, 3))
    # a plain-loop definition of the window at output (0, 3) with padding 1
    expected = np.zeros((2, 3, 3))
    for c in range(2):
        for i in range(3):
            for j in range(3):
                r, q = -1 + i, 2 + j
                if 0 <= r < 4 and 0 <= q < 4:
                    expected[c, i, j] = x[c, r, q]
    np.testing.assert_array_equal(u.patch, expected)
    np.testing.assert_array_equal(u.taps[0], [-1, 0, 1])
    np.testing.assert_array_equal(u.taps[1], [2, 3, 4])
    assert str(u).startswith("y[0, 0, 3] = (x[0] ⊙ w[0, 0]) + (x[1] ⊙ w[0, 1]) + ")


def test_a_negative_bias_is_written_in_parentheses():
    layer = nn.Conv1d(1, 1, 1)
    layer.weight.data[...] = 2.0
    layer.bias.data[...] = -0.25
    text = str(explain_unit(layer, [[1.0, 3.0]], 0, [1]))
    assert text == "y[0, 1] = (x[0] ⊙ w[0, 0]) + (-0.25) = 5.75"


def test_groups_read_their_own_channels():
    layer = nn.Conv1d(4, 2, 1, groups=2)
    u = explain_unit(layer, np.ones((4, 3)), 1, [0])
    assert u.in_channels == (2, 3)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((nn.ReLU(), np.ones((1, 4)), 0, (0,)), "convolution layer"),
        ((nn.Conv1d(1, 1, 3), np.ones((2, 4)), 0, (0,)), "C_in=1"),
        ((nn.Conv1d(1, 1, 3), np.ones((1, 4)), 1, (0,)), r"`channel` must be .* \[0, 1\)"),
        ((nn.Conv1d(1, 1, 3), np.ones((1, 4)), 0, (2,)), r"output of shape \(2,\)"),
        ((nn.Conv1d(1, 1, 3), np.ones((1, 4)), 0, (0, 0)), "`position`"),
    ],
)
def test_bad_arguments_are_refused(args, match):
    with pytest.raises(ValueError, match=match):
        explain_unit(*args)
