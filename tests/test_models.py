"""Models: architectures checked against independent NumPy/SciPy forward passes and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from convolab import models, nn


def _conv2d_ref(x, w, b, pad=0):
    """Plain cross-correlation layer with scipy (N, C, H, W) -> (N, O, H', W')."""
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.stack([
        np.stack([sum(signal.correlate(x[n, c], w[o, c], mode="valid") for c in range(x.shape[1]))
                  + b[o] for o in range(w.shape[0])])
        for n in range(x.shape[0])
    ])  # fmt: skip
    return out


def _pool_ref(x, how):
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    return blocks.max(axis=(3, 5)) if how == "max" else blocks.mean(axis=(3, 5))


@pytest.mark.parametrize("variant", ["classic", "modern"])
def test_lenet5_matches_reference_forward(variant):
    model = models.lenet5(variant, seed=3)
    p = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    act = np.tanh if variant == "classic" else (lambda a: np.maximum(a, 0))
    pool = "mean" if variant == "classic" else "max"
    x = np.random.default_rng(0).random((2, 1, 28, 28))
    h = _pool_ref(act(_conv2d_ref(x, p["0.weight"], p["0.bias"], pad=2)), pool)  # 32x32 -> C1
    assert h.shape == (2, 6, 14, 14)
    h = _pool_ref(act(_conv2d_ref(h, p["3.weight"], p["3.bias"])), pool)
    assert h.shape == (2, 16, 5, 5)
    h = act(_conv2d_ref(h, p["6.weight"], p["6.bias"])).reshape(2, 120)
    h = act(h @ p["9.weight"].T + p["9.bias"])
    expected = h @ p["11.weight"].T + p["11.bias"]
    got = model(x.astype(np.float32)).data
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_lenet5_parameter_count_and_layers():
    model = models.lenet5("classic")
    expected = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (120 * 16 * 25 + 120) + (120 * 84 + 84) + (
        84 * 10 + 10)  # fmt: skip
    assert sum(p.size for p in model.parameters()) == expected
    kinds = [type(m).__name__ for m in model]
    assert kinds.count("Tanh") == 4 and kinds.count("AvgPool2d") == 2
    modern = [type(m).__name__ for m in models.lenet5("modern")]
    assert modern.count("ReLU") == 4 and modern.count("MaxPool2d") == 2
    assert models.lenet5(num_classes=26)(np.zeros((1, 1, 28, 28), np.float32)).shape == (1, 26)


def test_detector1d_is_max_of_correlation_plus_beta():
    model = models.detector1d(kernel_size=7, length=50, seed=1)
    k, beta = model[0].weight.data[0, 0].astype(np.float64), float(model[0].bias.data[0])
    x = np.random.default_rng(2).standard_normal((4, 1, 50))
    expected = np.array([np.correlate(s[0], k, "valid").max() + beta for s in x])
    np.testing.assert_allclose(model(x.astype(np.float32)).data[:, 0], expected, rtol=1e-5,
                               atol=1e-5)  # fmt: skip


def test_cnn1d_shapes_follow_the_paper():
    model = models.cnn1d()
    x = np.zeros((3, 1, 40), np.float32)
    lengths = []
    h = nn.Tensor(x)
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.Conv1d):
            lengths.append(h.shape[-1])
    assert lengths == [19, 10, 5] and h.shape == (3, 10)
    assert model[-1].weight.shape == (10, 125)


def test_seed_controls_initial_weights():
    a, b, c = models.lenet5(seed=1), models.lenet5(seed=1), models.lenet5(seed=2)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[key])
    assert not np.array_equal(a.state_dict()["0.weight"], c.state_dict()["0.weight"])


def test_build_by_name_and_errors():
    assert isinstance(models.build("lenet5-classic")[1], nn.Tanh)
    assert models.build("mlp", (1, 40))(np.zeros((2, 1, 40), np.float32)).shape == (2, 10)
    assert models.build("detector1d", (1, 64))(np.zeros((2, 1, 64), np.float32)).shape == (2, 1)
    with pytest.raises(ValueError, match="unknown model 'vgg'; expected one of 'lenet5'"):
        models.build("vgg")
    with pytest.raises(ValueError, match=r"needs \(C, 28, 28\) inputs; the data has \(1, 40\)"):
        models.build("lenet5", (1, 40))
    with pytest.raises(ValueError, match="needs \\(1, L\\) signals"):
        models.build("cnn1d", (1, 28, 28))
    with pytest.raises(ValueError, match="`variant` must be one of 'modern', 'classic'"):
        models.lenet5("tiny")


def test_models_round_trip_through_model_files(tmp_path):
    for model, x in ((models.lenet5("classic"), np.ones((1, 1, 28, 28), np.float32)),
                     (models.detector1d(), np.ones((1, 1, 128), np.float32))):  # fmt: skip
        nn.save(model, tmp_path / "m.npz")
        again = nn.load(tmp_path / "m.npz")
        np.testing.assert_array_equal(again(x).data, model(x).data)


def test_weights_exchange_with_pytorch():
    torch = pytest.importorskip("torch")
    ours = models.lenet5("modern", seed=4)
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 120, 5), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(120, 84), torch.nn.ReLU(), torch.nn.Linear(84, 10),
    )  # fmt: skip
    theirs.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(5).random((3, 1, 28, 28), dtype=np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=1e-4, atol=1e-5)
