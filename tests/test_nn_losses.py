"""The regression losses and the loss modules against PyTorch (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convolab import nn
from convolab.nn import Tensor
from convolab.nn import functional as F
from torch_oracle import assert_matches_torch

REGRESSION = [
    ("l1_loss", {}),
    ("mse_loss", {}),
    ("huber_loss", {"delta": 0.7}),
    ("huber_loss", {"delta": 2.5}),
    ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}),
]


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(REGRESSION),
    st.sampled_from(["mean", "sum", "none"]),
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    st.integers(0, 2**16),
)
def test_regression_losses_match_torch(torch, case, reduction, shape, seed):
    name, options = case
    rng = np.random.default_rng(seed)
    x, t = 2 * rng.standard_normal(shape), 2 * rng.standard_normal(shape)
    assert_matches_torch(
        torch,
        lambda a, b: getattr(F, name)(a, b, reduction=reduction, **options),
        lambda a, b: getattr(torch.nn.functional, name)(a, b, reduction=reduction, **options),
        [x, t],
    )


def test_huber_against_its_definition():
    d = np.array([-3.0, -1.0, -0.25, 0.0, 0.5, 2.0])
    delta = 1.0
    expected = np.where(np.abs(d) < delta, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta))
    got = F.huber_loss(d, np.zeros_like(d), reduction="none", delta=delta).data
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: F.huber_loss(np.ones(2), np.ones(2), delta=0), "`delta` must be a positive"),
        (lambda: F.smooth_l1_loss(np.ones(2), np.ones(2), beta=-1), "`beta` must be a positive"),
        (lambda: F.l1_loss(np.ones(2), np.ones(3)), "`target` must have the input's shape"),
        (lambda: nn.MSELoss(reduction="avg"), "reduction"),
    ],
)
def test_bad_loss_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _classes(rng, n=5, c=4):
    return rng.standard_normal((n, c)), rng.integers(0, c, n)


MODULES = [
    ("L1Loss", {}, "regression"),
    ("MSELoss", {"reduction": "sum"}, "regression"),
    ("HuberLoss", {"delta": 0.5}, "regression"),
    ("SmoothL1Loss", {"beta": 2.0, "reduction": "none"}, "regression"),
    ("CrossEntropyLoss", {}, "classes"),
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5, 1.0], "label_smoothing": 0.1}, "classes"),
    ("CrossEntropyLoss", {"ignore_index": 2, "reduction": "sum"}, "classes"),
    ("NLLLoss", {"weight": [0.5, 1.0, 2.0, 1.0]}, "log-probabilities"),
    ("BCEWithLogitsLoss", {"pos_weight": [2.0, 1.0, 0.5, 3.0]}, "binary"),
    ("BCEWithLogitsLoss", {"weight": [1.0, 0.0, 2.0, 1.0], "reduction": "none"}, "binary"),
]


@pytest.mark.parametrize(("name", "options", "data"), MODULES)
def test_loss_modules_match_torch(torch, name, options, data):
    rng = np.random.default_rng(7)
    if data == "regression":
        x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    elif data == "binary":
        x, t = rng.standard_normal((5, 4)), rng.integers(0, 2, (5, 4)).astype(float)
    else:
        x, t = _classes(rng)
        if data == "log-probabilities":
            x = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    ours = getattr(nn, name)(**options)
    theirs = getattr(torch.nn, name)(**{
        k: torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v
        for k, v in options.items()
    })  # fmt: skip
    assert repr(ours) == repr(theirs)
    xo, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo, t), theirs(xt, torch.tensor(t))
    np.testing.assert_allclose(yo.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    cot = rng.standard_normal(yo.shape)
    yo.backward(cot)
    yt.backward(torch.tensor(cot))
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert [k for k, v in ours.state_dict().items()] == [
        k for k, v in theirs.state_dict().items()
    ]


def test_a_loss_module_trains_a_layer():
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((32, 3)), rng.integers(0, 2, 32)
    layer, criterion = nn.Linear(3, 2, dtype="float64"), nn.CrossEntropyLoss()
    first = criterion(layer(x), y).item()
    opt = nn.optim.SGD(layer.parameters(), lr=0.5)
    for _ in range(20):
        opt.zero_grad()
        loss = criterion(layer(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < first
    assert criterion.kind == "loss"


def test_a_wrong_constructor_argument_names_the_class():
    with pytest.raises(TypeError, match=r"^HuberLoss\(\): got an unexpected keyword arg"):
        nn.HuberLoss(delt=1.0)
    with pytest.raises(TypeError, match=r"^MSELoss\(\): too many positional arguments"):
        nn.MSELoss("sum")  # options are keyword-only
    with pytest.raises(TypeError, match=r"^Conv2d\(\): got an unexpected keyword argument"):
        nn.Conv2d(1, 2, 3, strid=2)
