"""nn modules, init and optim: gradients, state dicts, PyTorch conventions, learning."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convolab import nn
from convolab.nn import Tensor
from convolab.nn import functional as F
from test_nn_tensor import check_gradients

rng = np.random.default_rng(3)


def r(*shape):
    return rng.standard_normal(shape)


def check_module_gradients(module, x):
    """Finite differences for the input and every parameter of a float64 module.

    The parameters are swapped for the tensors ``check_gradients`` builds, so that the
    same forward code is differentiated by autograd and by finite differences.
    """
    originals = dict(module.named_parameters())

    def owner_of(name):
        owner = module
        *path, leaf = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        return owner, leaf

    def call(xt, *params):
        try:
            for name, t in zip(originals, params, strict=True):
                owner, leaf = owner_of(name)
                owner._parameters[leaf] = t
            return module(xt)
        finally:
            for name, p in originals.items():
                owner, leaf = owner_of(name)
                owner._parameters[leaf] = p

    check_gradients(call, x, *(p.data.copy() for p in originals.values()))


# --------------------------------------------------------------------------- layer gradients


LAYERS = [
    # (constructor, input shape); every layer in float64 so finite differences are exact
    (lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2, dtype="float64"), (3, 2, 5, 6)),
    (
        lambda: nn.Conv2d(2, 3, (2, 3), padding="same", dilation=(2, 1), dtype="float64"),
        (2, 2, 5, 6),
    ),
    (lambda: nn.Conv1d(2, 2, 3, stride=2, dilation=2, dtype="float64"), (2, 2, 9)),
    (lambda: nn.Conv3d(1, 2, 2, stride=(1, 2, 1), padding=1, dtype="float64"), (1, 1, 3, 4, 3)),
    (lambda: nn.Linear(6, 3, dtype="float64"), (4, 6)),
    (lambda: nn.BatchNorm2d(2, dtype="float64"), (3, 2, 5, 6)),
    (lambda: nn.BatchNorm1d(6, dtype="float64"), (4, 6)),
    (lambda: nn.BatchNorm1d(2, momentum=None, dtype="float64"), (3, 2, 4)),
    (lambda: nn.BatchNorm3d(2, dtype="float64"), (2, 2, 3, 2, 3)),
    (lambda: nn.Conv2d(2, 2, 3, padding=2, padding_mode="reflect", dtype="float64"), (1, 2, 4, 5)),
    (lambda: nn.MaxPool1d(3, stride=2, padding=1), (2, 2, 9)),
    (lambda: nn.MaxPool2d(3, stride=2), (2, 2, 7, 7)),
    (lambda: nn.AvgPool1d(2), (2, 2, 9)),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 2, 7, 6)),
    (lambda: nn.AdaptiveAvgPool1d(3), (2, 2, 8)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 7)),
    (lambda: nn.Flatten(), (2, 3, 4)),
    (lambda: nn.Identity(), (2, 3)),
    (lambda: nn.ReLU(), (3, 4)),
    (lambda: nn.LeakyReLU(0.2), (3, 4)),
    (lambda: nn.Sigmoid(), (3, 4)),
    (lambda: nn.Tanh(), (3, 4)),
    (lambda: nn.Softmax(dim=1), (3, 4)),
    (lambda: nn.LogSoftmax(dim=0), (3, 4)),
]


@pytest.mark.parametrize(("make", "shape"), LAYERS, ids=[type(m()).__name__ for m, _ in LAYERS])
def test_layer_gradients_finite_differences(make, shape):
    layer = make()
    # distinct values away from 0: max pooling and ReLU are differentiable there
    x = rng.permutation(int(np.prod(shape))).reshape(shape) / 3.0 - np.prod(shape) / 6.0 + 0.25
    check_module_gradients(layer, x)


def test_dropout_module_gradient_is_its_mask():
    nn.init.manual_seed(4)
    layer = nn.Dropout(0.4)
    x = Tensor(r(50, 20), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    mask = (y.data != 0) / 0.6
    np.testing.assert_allclose(x.grad, mask)
    layer.eval()
    assert layer(x) is x


def test_small_cnn_gradients_finite_differences():
    nn.init.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, dtype="float64"),
        nn.BatchNorm2d(2, dtype="float64"),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * 3 * 3, 3, dtype="float64"),
    )
    x = r(4, 1, 6, 6)
    t = np.array([0, 2, 1, 2])

    class Loss(nn.Module):
        def forward(self, z):
            return F.cross_entropy(model(z), t)

    loss = Loss()
    loss.add_module("model", model)
    check_module_gradients(loss, x)


def test_module_outputs_float32_by_default():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 2 * 4, 2))
    for p in model.parameters():
        assert p.dtype == np.float32
    y = model(r(2, 1, 4, 6).astype(np.float32))
    assert y.dtype == np.float32


# ------------------------------------------------------------------- the layer is the filter


def test_conv2d_from_kernel_is_the_image_filter():
    from convolab import image, kernels

    img = rng.integers(0, 256, (20, 24)).astype(np.float64)  # integers: every sum is exact
    for k in (kernels.sobel("x"), kernels.sobel("y"), kernels.laplacian()):
        layer = nn.Conv2d.from_kernel(k, padding=1)
        out = layer(img[None, None]).data[0, 0]
        np.testing.assert_array_equal(out, image.filter(img, k, boundary="constant"))
        valid = nn.Conv2d.from_kernel(k)(img[None, None]).data[0, 0]
        np.testing.assert_array_equal(valid, image.filter(img, k, mode="valid"))
    layer = nn.Conv2d.from_kernel(kernels.sobel("x"))
    assert not layer.weight.requires_grad and layer.bias is None
    assert nn.Conv2d.from_kernel(np.stack([kernels.sobel(0), kernels.sobel(1)])).out_channels == 2


# --------------------------------------------------------------------------- Module mechanics


def test_parameter_names_and_state_dict_order():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Linear(3, 4))
    assert [n for n, _ in model.named_parameters()] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "3.weight",
        "3.bias",
    ]
    assert list(model.state_dict()) == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
        "3.weight",
        "3.bias",
    ]
    sd = model.state_dict()
    sd["0.weight"][...] = 7  # a copy: the model is untouched
    assert not np.any(model[0].weight.data == 7)


def test_load_state_dict_errors_and_non_strict():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    sd = model.state_dict()
    other = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    other.load_state_dict(sd)
    x = r(4, 2).astype(np.float32)
    np.testing.assert_array_equal(other(x).data, model(x).data)

    missing = {k: v for k, v in sd.items() if k != "2.bias"}
    with pytest.raises(ValueError, match=r"missing keys: \['2.bias'\]"):
        other.load_state_dict(missing)
    with pytest.raises(ValueError, match=r"unexpected keys: \['extra'\]"):
        other.load_state_dict({**sd, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(2, 3\)"):
        other.load_state_dict({**sd, "0.weight": np.zeros((2, 3))})
    result = other.load_state_dict({**missing, "extra": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]


def test_sequential_indexing_repr_and_train_eval():
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.5),
        nn.Flatten(),
        nn.Linear(6 * 2 * 2, 10),
    )
    assert len(model) == 6 and isinstance(model[0], nn.Conv2d) and isinstance(model[-1], nn.Linear)
    assert isinstance(model[1:3], nn.Sequential) and len(model[1:3]) == 2
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (3): Dropout(p=0.5, inplace=False)\n"
        "  (4): Flatten(start_dim=1, end_dim=-1)\n"
        "  (5): Linear(in_features=24, out_features=10, bias=True)\n"
        ")"
    )
    model.eval()
    assert not any(m.training for m in model.modules())
    x = r(2, 1, 4, 4).astype(np.float32)
    np.testing.assert_array_equal(model(x).data, model(x).data)  # no dropout in eval
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(IndexError):
        model[6]


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (
            nn.Conv2d(3, 8, 3, stride=2, padding=1, groups=1, bias=False),
            torch.nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
        ),
        (nn.Conv1d(4, 4, 5, dilation=2, groups=2), torch.nn.Conv1d(4, 4, 5, dilation=2, groups=2)),
        (nn.Linear(120, 84), torch.nn.Linear(120, 84)),
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.Dropout(0.25), torch.nn.Dropout(0.25)),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.LeakyReLU(0.1), torch.nn.LeakyReLU(0.1)),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_weights_exchange_with_torch_by_name():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 5),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 3 * 3, 5),
    )
    theirs.train()
    x = r(8, 1, 6, 6).astype(np.float32)
    theirs(torch.tensor(x))  # move the running statistics away from their start
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(x).data, expected, atol=1e-5)


def test_batchnorm_module_running_stats_and_modes():
    bn = nn.BatchNorm1d(3, momentum=None, dtype="float64")
    xs = [r(5, 3) + i for i in range(3)]
    for x in xs:
        bn(x)
    assert int(bn.num_batches_tracked) == 3
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(axis=0) for x in xs], axis=0))
    bn.eval()
    x = r(4, 3)
    expected = (x - bn.running_mean) / np.sqrt(bn.running_var + bn.eps)
    np.testing.assert_allclose(bn(x).data, expected)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) expects"):
        bn(r(4, 2))


def test_custom_module_records_config_and_parameters():
    class Block(nn.Module):
        def __init__(self, channels, scale=2.0):
            super().__init__()
            self.conv = nn.Conv2d(channels, channels, 3, padding=1)
            self.gain = nn.Parameter(np.full(channels, scale, dtype=np.float32))
            self.register_buffer("calls", np.zeros((), dtype=np.int64))

        def forward(self, x):
            return self.conv(x) * self.gain.reshape(1, -1, 1, 1)

    b = Block(3)
    assert b.get_config() == {"channels": 3, "scale": 2.0}
    assert [n for n, _ in b.named_parameters()] == ["gain", "conv.weight", "conv.bias"]
    assert list(b.state_dict()) == ["gain", "calls", "conv.weight", "conv.bias"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        b.missing  # noqa: B018


def test_constructor_validation():
    with pytest.raises(ValueError, match="`groups`=3 must divide"):
        nn.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(ValueError, match="`in_features` must be a positive int"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="floating dtype"):
        nn.Linear(2, 3, dtype="int32")
    with pytest.raises(ValueError, match="`p` must be a probability"):
        nn.Dropout(2)
    with pytest.raises(TypeError, match="Sequential takes Modules"):
        nn.Sequential(nn.ReLU(), 3)


# --------------------------------------------------------------------------- init


def test_init_statistics_and_reproducibility():
    w = Tensor(np.empty((256, 64, 3, 3), dtype=np.float32))
    fan_in, fan_out = 64 * 9, 256 * 9
    nn.init.kaiming_normal_(w, nonlinearity="relu", generator=0)
    assert abs(w.data.std() - math.sqrt(2 / fan_in)) < 0.02 * math.sqrt(2 / fan_in)
    nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=0)
    assert abs(np.abs(w.data).max() - math.sqrt(6 / fan_in)) < 1e-3 * math.sqrt(6 / fan_in)
    nn.init.xavier_uniform_(w, generator=0)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound
    nn.init.xavier_normal_(w, generator=np.random.default_rng(0))
    assert abs(w.data.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.02 * math.sqrt(
        2 / (fan_in + fan_out)
    )
    a = nn.init.kaiming_normal_(Tensor(np.empty((4, 4))), generator=5).data.copy()
    b = nn.init.kaiming_normal_(Tensor(np.empty((4, 4))), generator=5).data
    np.testing.assert_array_equal(a, b)
    nn.init.manual_seed(9)
    m1 = nn.Conv2d(2, 3, 3)
    nn.init.manual_seed(9)
    m2 = nn.Conv2d(2, 3, 3)
    np.testing.assert_array_equal(m1.weight.data, m2.weight.data)
    bound = 1 / math.sqrt(2 * 9)
    assert np.abs(m1.weight.data).max() <= bound and np.abs(m1.bias.data).max() <= bound
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(Tensor(np.empty(3)))
    with pytest.raises(ValueError, match="`nonlinearity`"):
        nn.init.calculate_gain("swish")


# --------------------------------------------------------------------------- optim


def _torch_optimizer_trajectory(torch, make_torch, w0, grads):
    tw = torch.nn.Parameter(torch.tensor(w0.copy()))
    opt = make_torch([tw])
    for g in grads:
        tw.grad = torch.tensor(g)
        opt.step()
    return tw.detach().numpy()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
            "SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)",
        ),
        (
            lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
            "SGD(p, lr=0.1, momentum=0.9, nesterov=True)",
        ),
        (
            lambda p: nn.optim.SGD(p, lr=0.05, momentum=0.5, dampening=0.3),
            "SGD(p, lr=0.05, momentum=0.5, dampening=0.3)",
        ),
        (
            lambda p: nn.optim.Adam(p, lr=0.01, weight_decay=0.1),
            "Adam(p, lr=0.01, weight_decay=0.1)",
        ),
        (
            lambda p: nn.optim.Adam(p, lr=0.01, betas=(0.8, 0.9), amsgrad=True),
            "Adam(p, lr=0.01, betas=(0.8, 0.9), amsgrad=True)",
        ),
        (
            lambda p: nn.optim.AdamW(p, lr=0.01, weight_decay=0.1),
            "AdamW(p, lr=0.01, weight_decay=0.1)",
        ),
    ],
)
def test_optimizers_match_torch(ours, theirs):
    torch = pytest.importorskip("torch")
    w0 = r(3, 2)
    grads = [r(3, 2) for _ in range(5)]
    w = nn.Parameter(w0.copy())
    opt = ours([w])
    for g in grads:
        w.grad = g
        opt.step()
    expected = _torch_optimizer_trajectory(
        torch, lambda p: eval("torch.optim." + theirs, {"torch": torch, "p": p}), w0, grads
    )
    np.testing.assert_allclose(w.data, expected, rtol=1e-10, atol=1e-12)


def test_sgd_and_adam_by_hand():
    # SGD with momentum on f(w) = w**2 / 2 (gradient w), written out step by step
    w = nn.Parameter(np.array([1.0]))
    opt = nn.optim.SGD([w], lr=0.1, momentum=0.5)
    expected, buf = 1.0, None
    for _ in range(4):
        w.grad = w.data.copy()
        opt.step()
        g = expected
        buf = g if buf is None else 0.5 * buf + g
        expected -= 0.1 * buf
    np.testing.assert_allclose(w.data, [expected])
    # Adam's bias correction makes every coordinate of the first step exactly lr
    p = nn.Parameter(np.array([5.0, -3.0, 0.1]))
    p.grad = np.array([100.0, -0.001, 3.0])
    nn.optim.Adam([p], lr=0.01, eps=0.0).step()
    np.testing.assert_allclose(p.data, [4.99, -2.99, 0.09])


@pytest.mark.parametrize("make", [
    lambda p: nn.optim.Adam(p, lr=1e-2),
    lambda p: nn.optim.Adam(p, lr=1e-2, weight_decay=0.1),
    lambda p: nn.optim.AdamW(p, lr=1e-2),
])  # fmt: skip
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_adam_gives_the_numpy_bits(monkeypatch, make, dtype):
    """Adam's compiled pass rounds operation by operation like its NumPy form."""
    from convolab._jit import optim as _optim_compiled

    def trajectory():
        rng = np.random.default_rng(4)
        w = nn.Parameter(rng.standard_normal((7, 5)).astype(dtype))
        opt = make([w])
        for _ in range(30):
            w.grad = rng.standard_normal((7, 5)).astype(dtype) * 10.0 ** rng.integers(-6, 3)
            opt.step()
        return w.data, opt.state_dict()

    got, got_state = trajectory()
    monkeypatch.setattr(_optim_compiled.LOOPS, "_value", False)  # the NumPy form
    want, want_state = trajectory()
    assert got.dtype == want.dtype and np.array_equal(got, want)
    for key in ("exp_avg", "exp_avg_sq"):
        assert np.array_equal(got_state["state"][0][key], want_state["state"][0][key])


def test_float32_parameters_stay_float32_under_optimizers():
    for make in (lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9), nn.optim.Adam, nn.optim.AdamW):
        w = nn.Parameter(np.ones(3, dtype=np.float32))
        w.grad = np.ones(3, dtype=np.float32)
        make([w]).step()
        assert w.data.dtype == np.float32


def test_schedulers_param_groups_and_state_dict():
    a, b = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    opt = nn.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=1.0, momentum=0.9)
    sched = nn.optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    seen = []
    for _ in range(4):
        sched.step()
        seen.append(sched.get_last_lr())
    for t, (la, lb) in enumerate(seen, start=1):
        c = (1 + math.cos(math.pi * t / 4)) / 2
        assert la == pytest.approx(0.1 + 0.9 * c) and lb == pytest.approx(0.1 + 0.4 * c)
    step = nn.optim.StepLR(nn.optim.SGD([a], lr=1.0), step_size=3, gamma=0.1)
    lrs = []
    for _ in range(7):
        step.step()
        lrs.append(step.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])

    a.grad = np.ones(1)
    b.grad = np.ones(1)
    opt.step()
    saved = opt.state_dict()
    opt2 = nn.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=1.0, momentum=0.9)
    opt2.load_state_dict(saved)
    np.testing.assert_array_equal(opt2.state[id(a)]["momentum_buffer"], [1.0])
    with pytest.raises(ValueError, match="empty"):
        nn.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        nn.optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"`betas\[0\]`"):
        nn.optim.Adam([a], betas=(1.0, 0.9))


def test_clip_grad_norm():
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    p.grad, q.grad = np.array([3.0, 0.0]), np.array([4.0])
    total = nn.optim.clip_grad_norm([p, q], max_norm=1.0)
    assert total == pytest.approx(5.0)
    norm = math.sqrt((p.grad**2).sum() + (q.grad**2).sum())
    assert norm == pytest.approx(1.0, rel=1e-5)
    p.grad, q.grad = np.array([3.0, 0.0]), np.array([-4.0])
    assert nn.optim.clip_grad_norm([p, q], 10.0, norm_type=math.inf) == 4.0
    np.testing.assert_array_equal(q.grad, [-4.0])  # below the limit: untouched


# --------------------------------------------------------------------------- learning


def test_tiny_cnn_overfits_one_batch():
    nn.init.manual_seed(0)
    data = np.random.default_rng(0)
    x = data.standard_normal((16, 1, 8, 8)).astype(np.float32)
    t = np.arange(16) % 4
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 4),
    )
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < first / 100


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def _fit_xor(model, steps=500):
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(XOR_X), XOR_Y)
        loss.backward()
        opt.step()
    return (model(XOR_X).data.argmax(axis=1) == XOR_Y).mean(), loss.item()


def test_xor_needs_depth():
    nn.init.manual_seed(1)
    deep_acc, deep_loss = _fit_xor(nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2)))
    assert deep_acc == 1.0 and deep_loss < 0.05
    nn.init.manual_seed(1)
    lin_acc, lin_loss = _fit_xor(nn.Sequential(nn.Linear(2, 2)))
    assert lin_acc <= 0.75  # no line separates XOR
    assert lin_loss > 0.6  # stuck near log 2


def test_nn_imports_without_torch_or_onnx():
    import subprocess
    import sys

    code = (
        "import sys, convolab.nn as nn\n"
        "nn.onnx, nn.torch_bridge\n"
        "assert 'torch' not in sys.modules and 'onnx' not in sys.modules, 'heavy import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_standardize_layer():
    rng = np.random.default_rng(9)
    x = rng.random((3, 2, 4, 5))
    layer = nn.Standardize([0.25, -1.0], [0.5, 4.0])
    expected = (x - np.array([0.25, -1.0])[:, None, None]) / np.array([0.5, 4.0])[:, None, None]
    t = nn.Tensor(x, requires_grad=True)
    y = layer(t)
    np.testing.assert_allclose(y.data, expected, rtol=1e-14)
    assert y.dtype == np.float64 and layer(x.astype(np.float32)).dtype == np.float32
    y.backward(np.ones_like(x))  # dy/dx = 1 / std per channel
    np.testing.assert_allclose(t.grad[:, 0], 2.0)
    np.testing.assert_allclose(t.grad[:, 1], 0.25)
    assert not list(layer.parameters())  # constants, not trained
    one = nn.Standardize(0.5, 0.25)  # one value for every channel
    np.testing.assert_allclose(one(x).data, (x - 0.5) / 0.25)
    rebuilt = nn.build_module(nn.describe_module(layer))
    np.testing.assert_array_equal(rebuilt(x).data, y.data)
    with pytest.raises(ValueError, match="`std`"):
        nn.Standardize(0.0, 0.0)
    with pytest.raises(ValueError, match="one value per channel"):
        nn.Standardize([0.0, 1.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="expects"):
        layer(np.zeros((2, 3, 4)))


def test_module_list_holds_parameters_and_round_trips(tmp_path):
    blocks = nn.ModuleList([nn.Linear(3, 3), nn.ReLU()])
    blocks.append(nn.Linear(3, 2)).extend([nn.Tanh()])
    assert len(blocks) == 4 and isinstance(blocks[-1], nn.Tanh)
    assert isinstance(blocks[1:3], nn.ModuleList) and len(blocks[1:3]) == 2
    assert [n for n, _ in blocks.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(NotImplementedError, match="ModuleList does not define forward"):
        blocks(np.zeros((1, 3)))
    with pytest.raises(TypeError, match="ModuleList takes Modules; argument 0 is int"):
        nn.ModuleList([1])
    with pytest.raises(IndexError, match="out of range for ModuleList of length 4"):
        blocks[4]
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(*blocks))
    path = tmp_path / "m.npz"
    nn.save(nn.Sequential(blocks[0], blocks[1]), path)
    again = nn.build_module({"class": "ModuleList", "config": blocks.get_config()})
    assert repr(again) == repr(blocks)
    assert model(np.ones((1, 3), dtype=np.float32)).shape == (1, 2)


def test_batch_norm_3d_matches_torch_in_training():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm3d(3, momentum=0.3, dtype="float64")
    theirs = torch.nn.BatchNorm3d(3, momentum=0.3).double()
    x = r(2, 3, 3, 4, 2)
    for _ in range(2):
        expected = theirs(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(ours(x).data, expected, atol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="BatchNorm3d"):
        ours(x[0])
