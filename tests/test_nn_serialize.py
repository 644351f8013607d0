"""Pickle-free model files: exact round trips, and clean failures for bad files."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from convolab import nn


def _model():
    nn.init.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.2),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 5),
    )


def _x():
    return np.random.default_rng(0).standard_normal((3, 1, 6, 6)).astype(np.float32)


def _rewrite(path, change):
    """Rewrite the archive at ``path`` with ``change(name, bytes) -> bytes | None``."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            new = change(n, data)
            if new is not None:
                z.writestr(n, new)


def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _header_change(path, edit):
    def change(name, data):
        if name != "__convolab__.npy":
            return data
        arr = np.load(io.BytesIO(data))
        info = json.loads(arr.tobytes())
        edit(info)
        return _npy(np.frombuffer(json.dumps(info).encode(), dtype=np.uint8))

    _rewrite(path, change)


def test_round_trip_identical_outputs(tmp_path):
    model = _model()
    model(_x())  # training step: moves the batch-norm running statistics
    model.eval()
    path = tmp_path / "m.npz"
    nn.save(model, path, metadata={"classes": ["a", "b", "c", "d", "e"]})
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert not loaded.training
    np.testing.assert_array_equal(loaded(_x()).data, model(_x()).data)
    for (n1, a), (n2, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert n1 == n2 and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert nn.read_model_info(path)["metadata"] == {"classes": ["a", "b", "c", "d", "e"]}


def test_round_trip_float64_frozen_and_custom_registered(tmp_path):
    @nn.register_module
    class Scaled(nn.Module):
        def __init__(self, channels, factor=0.5):
            super().__init__()
            self.conv = nn.Conv2d(channels, channels, 3, padding="same", dtype="float64")
            self.factor = factor

        def forward(self, x):
            return self.conv(x) * self.factor

    edge = nn.Conv2d.from_kernel(np.array([[-1.0, 0.0, 1.0]] * 3))
    model = nn.Sequential(edge, Scaled(1, factor=2.0))
    path = tmp_path / "custom.npz"
    nn.save(model, path)
    loaded = nn.load(path)
    assert isinstance(loaded[1], Scaled) and loaded[1].factor == 2.0
    assert not loaded[0].weight.requires_grad and loaded[1].conv.weight.requires_grad
    x = np.random.default_rng(1).standard_normal((2, 1, 7, 7))
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    assert loaded(x).dtype == np.float64


def test_unregistered_class_cannot_be_saved(tmp_path):
    class Local(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="not registered"):
        nn.save(nn.Sequential(Local()), tmp_path / "x.npz")
    with pytest.raises(TypeError, match="must be a convolab.nn.Module"):
        nn.save({"w": 1}, tmp_path / "x.npz")


def test_altered_weights_are_detected(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model(), path)

    def flip(name, data):
        if name == "0.weight.npy":
            b = bytearray(data)
            b[-1] ^= 0x01  # one bit of the last weight; the zip is rewritten with valid CRCs
            return bytes(b)
        return data

    _rewrite(path, flip)
    with pytest.raises(nn.ModelFileError, match="'0.weight' fails its SHA-256 check"):
        nn.load(path)


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99])
def test_truncated_file(tmp_path, cut):
    path = tmp_path / "m.npz"
    nn.save(_model(), path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(nn.ModelFileError, match="not a readable convolab model file"):
        nn.load(path)


def test_not_a_model_file(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"hello, this is not a zip")
    with pytest.raises(nn.ModelFileError):
        nn.load(path)
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.zeros(3))
    with pytest.raises(nn.ModelFileError, match="no convolab model description"):
        nn.load(plain)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "missing.npz")


def test_unknown_class_in_description(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model(), path)

    def edit(info):
        info["architecture"]["config"]["layers"][2]["class"] = "os.system"

    _header_change(path, edit)
    with pytest.raises(nn.ModelFileError, match="unknown module class 'os.system'"):
        nn.load(path)


def test_mismatched_architecture(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model(), path)

    def edit(info):
        info["architecture"]["config"]["layers"][6]["config"]["out_features"] = 7

    _header_change(path, edit)
    with pytest.raises(nn.ModelFileError, match=r"'6.weight' has shape \(5, 36\)"):
        nn.load(path)


def test_pickled_array_is_refused_and_never_executed(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model(), path)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = np.empty(1, dtype=object)
    evil[0] = Payload()
    buf = io.BytesIO()
    np.save(buf, evil, allow_pickle=True)

    def swap(name, data):
        return buf.getvalue() if name == "0.bias.npy" else data

    _rewrite(path, swap)
    with pytest.raises(nn.ModelFileError):
        nn.load(path)
    assert not marker.exists()


def test_wrong_format_version(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(_model(), path)
    _header_change(path, lambda info: info.update(version=99))
    with pytest.raises(nn.ModelFileError, match="format version 99"):
        nn.load(path)


def test_tuple_arguments_survive_json(tmp_path):
    model = nn.Sequential(
        nn.Conv2d(1, 2, (3, 2), stride=(2, 1), padding=(1, 0)),
        nn.MaxPool2d((2, 1), stride=(1, 1)),
        nn.AvgPool2d((1, 2)),
        nn.AdaptiveAvgPool2d((2, 1)),
        nn.Conv2d(2, 2, 3, padding="same"),
    )
    nn.save(model, tmp_path / "t.npz")
    loaded = nn.load(tmp_path / "t.npz")
    assert repr(loaded) == repr(model)
    x = np.random.default_rng(2).standard_normal((1, 1, 9, 8)).astype(np.float32)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


BUILT_INS = [
    nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
    nn.Conv2d(3, 6, (3, 5), padding="same", dtype="float64"),
    nn.Conv3d(1, 2, 2),
    nn.Linear(5, 4, bias=False),
    nn.MaxPool1d(3, stride=2, padding=1),
    nn.MaxPool2d(2),
    nn.AvgPool1d(2),
    nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    nn.AdaptiveAvgPool1d(4),
    nn.AdaptiveAvgPool2d((2, 3)),
    nn.BatchNorm1d(4, eps=1e-3, momentum=None),
    nn.BatchNorm2d(3, affine=False),
    nn.Dropout(0.3),
    nn.Flatten(2, 3),
    nn.Identity(),
    nn.ReLU(),
    nn.LeakyReLU(0.2),
    nn.Sigmoid(),
    nn.Tanh(),
    nn.Softmax(dim=1),
    nn.LogSoftmax(dim=0),
]


@pytest.mark.parametrize("module", BUILT_INS, ids=lambda m: type(m).__name__)
def test_every_built_in_rebuilds_from_its_description(module):
    spec = json.loads(json.dumps(nn.describe_module(module)))  # through real JSON
    rebuilt = nn.build_module(spec)
    assert type(rebuilt) is type(module)
    assert repr(rebuilt) == repr(module)
    assert rebuilt.get_config() == module.get_config()
    shapes = {k: v.shape for k, v in module.state_dict().items()}
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == shapes
    assert type(module).__name__ in nn.module_registry()


def test_sequential_with_named_children_round_trips(tmp_path):
    """Children named like a PyTorch OrderedDict Sequential keep their names in the file."""
    seq = nn.Sequential()
    seq.add_module("fc", nn.Linear(3, 2))
    seq.add_module("act", nn.Tanh())
    x = nn.Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    nn.save(seq, tmp_path / "named.npz")
    again = nn.load(tmp_path / "named.npz")
    assert list(again.state_dict()) == ["fc.weight", "fc.bias"]
    np.testing.assert_array_equal(again(x).data, seq(x).data)


def test_load_accepts_a_run_folder(tmp_path):
    """``nn.load(RUN_DIR)`` reads the run folder's model.npz; an empty folder is a clear error."""
    model = nn.Sequential(nn.Linear(3, 2))
    run = tmp_path / "run"
    run.mkdir()
    nn.save(model, run / "model.npz")
    x = nn.Tensor(np.ones((1, 3), np.float32))
    np.testing.assert_array_equal(nn.load(run)(x).data, model(x).data)
    with pytest.raises(FileNotFoundError, match="has no model.npz"):
        nn.load(tmp_path)


def test_resumed_adam_keeps_float32(tmp_path):
    """An optimizer restored from its state dict keeps step counts as numbers, so a float32
    update stays float32 and equals the uninterrupted run."""
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(64).astype(np.float32) for _ in range(40)]

    def run(resume_after=None):
        p = nn.Parameter(np.linspace(-1, 1, 64, dtype=np.float32))
        opt = nn.optim.Adam([p], lr=0.01)
        for i, g in enumerate(grads):
            if i == resume_after:
                state = opt.state_dict()
                opt = nn.optim.Adam([p], lr=0.01)
                opt.load_state_dict(state)
            p.grad = g.copy()
            opt.step()
        return p.data

    resumed = run(resume_after=3)
    assert resumed.dtype == np.float32
    np.testing.assert_array_equal(resumed, run())
