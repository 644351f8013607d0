"""Weight exchange with PyTorch: to_torch / from_torch give the same outputs and state dicts."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from convolab import models, nn  # noqa: E402
from convolab.nn.torch_bridge import from_torch, to_torch  # noqa: E402

TOL = 1e-5


def _bn_dropout_model() -> nn.Module:
    nn.init.manual_seed(11)
    model = nn.Sequential(
        nn.Conv2d(2, 6, 3, padding="same"),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Dropout(0.3),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 4 * 4, 10),
        nn.BatchNorm1d(10, momentum=None),
        nn.Sigmoid(),
        nn.Linear(10, 4),
        nn.LogSoftmax(dim=1),
    )
    rng = np.random.default_rng(0)
    for m in (model[1], model[7]):
        m.running_mean[:] = rng.normal(size=m.num_features)
        m.running_var[:] = rng.uniform(0.5, 2.0, m.num_features)
        m.weight.data[:] = rng.normal(1.0, 0.3, m.num_features)
        m.num_batches_tracked[...] = 17
    return model


def _mixed_model() -> nn.Module:
    nn.init.manual_seed(12)
    return nn.Sequential(
        nn.Conv1d(4, 6, 4, padding="same", dilation=2, groups=2),
        nn.LeakyReLU(0.2),
        nn.MaxPool1d(3, stride=2, padding=1, dilation=2),
        nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False),
        nn.Sequential(nn.Conv1d(6, 6, 3, stride=2, bias=False), nn.Identity()),
        nn.AdaptiveAvgPool1d(3),
        nn.Flatten(),
        nn.Linear(18, 5),
        nn.Softmax(dim=-1),
    )


CASES = {
    "lenet5-classic": (lambda: models.lenet5("classic", seed=1), (1, 28, 28)),
    "lenet5-modern": (lambda: models.lenet5("modern", seed=2), (1, 28, 28)),
    "lenet5-bn": (lambda: models.lenet5("modern", seed=6, batch_norm=True), (1, 28, 28)),
    "cnn1d": (lambda: models.cnn1d(seed=3), (1, 40)),
    "detector1d": (lambda: models.detector1d(kernel_size=10, length=50, seed=4), (1, 50)),
    "batchnorm-dropout": (_bn_dropout_model, (2, 8, 8)),
    "mixed-1d": (_mixed_model, (4, 33)),
    "conv3d-adaptive2d": (
        lambda: nn.Sequential(nn.Conv3d(1, 2, 2), nn.Flatten(1, 2), nn.AdaptiveAvgPool2d((2, 3))),
        (1, 4, 5, 6),
    ),
}


def _torch_out(module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


def _assert_same_state(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for key in a:
        va, vb = np.asarray(a[key]), np.asarray(b[key])
        assert va.dtype == vb.dtype, key
        np.testing.assert_array_equal(va, vb, err_msg=key)


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip(name):
    build, shape = CASES[name]
    model = build().eval()
    x = np.random.default_rng(len(name)).standard_normal((5, *shape)).astype(np.float32)
    twin = to_torch(model)
    assert not twin.training
    want = model(x).data
    np.testing.assert_allclose(_torch_out(twin, x), want, rtol=0, atol=TOL)
    torch_state = {k: v.numpy() for k, v in twin.state_dict().items()}
    _assert_same_state(model.state_dict(), torch_state)

    back = from_torch(twin)
    _assert_same_state(model.state_dict(), back.state_dict())
    np.testing.assert_allclose(back(x).data, want, rtol=0, atol=TOL)
    assert repr(back) == repr(model)


def test_torch_built_model_runs_the_same_in_convolab():
    """An independent oracle: weights initialized by PyTorch, computed by both libraries."""
    torch.manual_seed(0)
    tnn = torch.nn
    module = tnn.Sequential(OrderedDict([
        ("conv1", tnn.Conv2d(1, 4, 5, padding=2)),
        ("bn1", tnn.BatchNorm2d(4)),
        ("act1", tnn.ReLU()),
        ("pool1", tnn.MaxPool2d(2)),
        ("conv2", tnn.Conv2d(4, 8, 3, stride=2, dilation=1)),
        ("act2", tnn.Tanh()),
        ("gap", tnn.AdaptiveAvgPool2d(1)),
        ("flat", tnn.Flatten()),
        ("drop", tnn.Dropout(0.5)),
        ("fc", tnn.Linear(8, 3)),
    ]))  # fmt: skip
    with torch.no_grad():
        module.bn1.running_mean.uniform_(-1, 1)
        module.bn1.running_var.uniform_(0.5, 2)
    module.eval()
    ours = from_torch(module)
    assert list(ours.state_dict()) == list(module.state_dict())
    x = np.random.default_rng(1).standard_normal((6, 1, 16, 16)).astype(np.float32)
    np.testing.assert_allclose(ours(x).data, _torch_out(module, x), rtol=0, atol=TOL)


def test_training_mode_and_frozen_parameters_carry_over():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.0), nn.Linear(4, 2))
    model.train()
    model[1].eval()
    model[0].weight.requires_grad = False
    twin = to_torch(model)
    assert [m.training for m in twin] == [True, False, True, True]
    assert not twin[0].weight.requires_grad and twin[0].bias.requires_grad
    back = from_torch(twin)
    assert [m.training for m in back] == [True, False, True, True]
    assert not back[0].weight.requires_grad and back[3].weight.requires_grad


def test_batch_norm_in_training_mode_agrees():
    """Batch statistics and the running-average update match after conversion."""
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, momentum=0.3)).train()
    twin = to_torch(model)
    x = np.random.default_rng(2).standard_normal((4, 2, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(model(x).data, _torch_out(twin, x), rtol=0, atol=TOL)
    np.testing.assert_allclose(model[1].running_var, twin[1].running_var.numpy(), atol=TOL)
    assert int(model[1].num_batches_tracked) == int(twin[1].num_batches_tracked) == 1


def test_float64_weights_keep_their_dtype():
    model = nn.Sequential(nn.Conv1d(1, 2, 3, dtype="float64"), nn.BatchNorm1d(2, dtype="float64"))
    twin = to_torch(model)
    assert twin[0].weight.dtype == torch.float64 and twin[1].running_mean.dtype == torch.float64
    back = from_torch(twin)
    assert back[0].weight.dtype == np.float64 and back[1].running_var.dtype == np.float64


def test_random_generators_are_left_alone():
    model = models.lenet5(seed=0)
    nn.init.manual_seed(5)
    torch.manual_seed(5)
    from_torch(to_torch(model))
    after = nn.init.default_generator().random(3), torch.rand(3)
    nn.init.manual_seed(5)
    torch.manual_seed(5)
    np.testing.assert_array_equal(nn.init.default_generator().random(3), after[0])
    assert torch.equal(torch.rand(3), after[1])


class _Doubler(nn.Module):
    def forward(self, x):
        return x * 2


def test_unsupported_layers_are_named():
    with pytest.raises(ValueError, match=r"layer '1\.0' \(_Doubler\) to PyTorch.*supported"):
        to_torch(nn.Sequential(nn.ReLU(), nn.Sequential(_Doubler())))
    gru = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GRU(2, 2))
    with pytest.raises(ValueError, match=r"layer '1' \(GRU\) from PyTorch.*Conv2d"):
        from_torch(gru)
    with pytest.raises(ValueError, match=r"per-side"):
        to_torch(nn.MaxPool1d(3, padding=((0, 1),)))
    with pytest.raises(ValueError, match=r"dim=None"):
        from_torch(torch.nn.Softmax())

    class MyReLU(torch.nn.ReLU):
        pass

    with pytest.raises(ValueError, match=r"\(MyReLU\)"):
        from_torch(MyReLU())


def test_wrong_argument_types():
    with pytest.raises(TypeError, match="`model` must be a convolab.nn.Module"):
        to_torch(torch.nn.ReLU())
    with pytest.raises(TypeError, match="`module` must be a torch.nn.Module"):
        from_torch(nn.ReLU())


def test_named_sequential_survives_save_and_load(tmp_path):
    named = torch.nn.Sequential(OrderedDict(fc=torch.nn.Linear(2, 3), act=torch.nn.ReLU()))
    model = from_torch(named)
    assert list(model.state_dict()) == ["fc.weight", "fc.bias"]
    nn.save(model, tmp_path / "named.npz")
    again = nn.load(tmp_path / "named.npz")
    _assert_same_state(model.state_dict(), again.state_dict())


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install convolab\[torch\]"):
        to_torch(nn.ReLU())
    with pytest.raises(ImportError, match=r"convolab\[torch\]"):
        from_torch(object())


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("cls", "shape", "padding"),
    [("Conv1d", (2, 2, 7), 2), ("Conv2d", (2, 2, 5, 6), "same"), ("Conv3d", (1, 2, 4, 4, 5), 1)],
)
def test_padding_modes_cross_the_bridge(mode, cls, shape, padding):
    theirs = getattr(torch.nn, cls)(2, 3, 3, padding=padding, padding_mode=mode).double()
    ours = from_torch(theirs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(4).standard_normal(shape)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-12)
    back = to_torch(ours)
    assert back.padding_mode == mode
    np.testing.assert_allclose(back(torch.tensor(x)).detach().numpy(), ours(x).data, atol=1e-12)
