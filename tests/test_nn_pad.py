"""``nn.functional.pad`` against PyTorch (values and gradients) and numpy.pad."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convolab.conv.boundary import REGISTRY
from convolab.nn import Tensor
from convolab.nn import functional as F
from torch_oracle import assert_matches_torch


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@st.composite
def pad_cases(draw):
    """An input shape, a PyTorch ``pad`` tuple and a mode that PyTorch accepts."""
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    m = draw(st.integers(1, 3))
    lead = draw(st.integers(1, 2)) if mode != "constant" else draw(st.integers(0, 2))
    shape = tuple(draw(st.integers(1, 3)) for _ in range(lead)) + tuple(
        draw(st.integers(1, 5)) for _ in range(m)
    )
    widths = []
    for n in reversed(shape[-m:]):  # PyTorch's order: the last axis first
        top = {"reflect": n - 1, "circular": n}.get(mode, 4)
        pair = [draw(st.integers(-n + 1 if mode != "constant" else -n, top)) for _ in range(2)]
        assume(n + sum(pair) >= (1 if mode != "constant" else 0))
        widths += pair
    value = draw(st.sampled_from([None, 1.5])) if mode == "constant" else None
    return shape, tuple(widths), mode, value


@settings(max_examples=80, deadline=None)
@given(pad_cases(), st.integers(0, 2**16))
def test_pad_matches_torch(torch, case, seed):
    shape, widths, mode, value = case
    if mode == "circular":  # PyTorch reads memory it never wrote for a crop wider than a pad
        assume(all(w >= 0 for w in widths))
    x = np.random.default_rng(seed).standard_normal(shape)
    options = {"mode": mode} if value is None else {"mode": mode, "value": value}
    assert_matches_torch(
        torch,
        lambda t: F.pad(t, widths, **options),
        lambda t: torch.nn.functional.pad(t, widths, **options),
        [x],
    )


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(list(REGISTRY)),
    st.integers(1, 6),
    st.integers(0, 12),
    st.integers(0, 12),
)
def test_every_torch_mode_pads_as_numpy_pad(boundary, n, before, after):
    rule = REGISTRY[boundary]
    assume(rule.torch_mode is not None)
    if rule.torch_mode == "reflect":
        assume(max(before, after) < n)
    if rule.torch_mode == "circular":
        assume(max(before, after) <= n)
    x = np.arange(1.0, n + 1).reshape(1, n)
    got = F.pad(x, (before, after), mode=rule.torch_mode).data
    np.testing.assert_array_equal(got, np.pad(x, [(0, 0), (before, after)], mode=rule.numpy_mode))


def test_reflect_gradient_counts_every_copy():
    x = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    # y = [3, 2, 1, 2, 3, 2, 1]: x0 appears twice, x1 three times, x2 twice
    np.testing.assert_array_equal(x.grad, [[2.0, 3.0, 2.0]])


@pytest.mark.parametrize(
    ("shape", "widths", "options", "match"),
    [
        ((2, 3), (1,), {}, "even number"),
        ((2, 3), (1.5, 1), {}, "even number"),
        ((3,), (1, 1, 1, 1), {}, "pads 2 axes but the input has only 1"),
        ((1, 3), (1, 1), {"mode": "nearest"}, "`mode` must be one of"),
        ((1, 3), (1, 1), {"mode": "reflect", "value": 1.0}, "`value` goes with"),
        ((1, 3), (3, 0), {"mode": "reflect"}, "below the axis length"),
        ((1, 3), (4, 0), {"mode": "circular"}, "at most the axis length"),
        ((3,), (1, 1), {"mode": "replicate"}, "one or two more axes"),
        ((1, 1, 2, 3), (1, 1), {"mode": "replicate"}, "one or two more axes"),
        ((1, 3), (-2, -1), {"mode": "replicate"}, "leaves nothing"),
    ],
)
def test_bad_pad_arguments(shape, widths, options, match):
    with pytest.raises(ValueError, match=match):
        F.pad(np.zeros(shape), widths, **options)


def test_constant_crop_to_nothing_is_empty():
    assert F.pad(np.zeros((2, 3)), (-2, -1)).shape == (2, 0)
