"""`convolab.analysis` against values worked out by hand and independent oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convolab import analysis, kernels, models, nn

RNG = np.random.default_rng(7)


# --------------------------------------------------------------------------- LeNet-5 by hand

# Shapes of LeNet-5 on a 28x28 image, C1 padded by 2 (LeNet's 32x32):
#   C1 5x5 pad 2: 28 + 4 - 5 + 1 = 28      S2 2x2/2: 14
#   C3 5x5:       14 - 5 + 1 = 10          S4 2x2/2: 5
#   C5 5x5:       5 - 5 + 1 = 1            then 120 -> 84 -> 10
LENET_SHAPES = [
    (6, 28, 28), (6, 28, 28), (6, 14, 14),
    (16, 10, 10), (16, 10, 10), (16, 5, 5),
    (120, 1, 1), (120, 1, 1), (120,),
    (84,), (84,), (10,),
]  # fmt: skip

# Parameters, weights + biases:
#   C1: 6 * (1 * 5 * 5) + 6    = 156
#   C3: 16 * (6 * 5 * 5) + 16  = 2,416
#   C5: 120 * (16 * 5 * 5) + 120 = 48,120
#   F6: 84 * 120 + 84          = 10,164
#   out: 10 * 84 + 10          = 850
LENET_PARAMS = [156, 0, 0, 2416, 0, 0, 48120, 0, 0, 10164, 0, 850]
LENET_TOTAL = 156 + 2416 + 48120 + 10164 + 850  # 61,706

# Receptive field r, jump j and centre c of output 0, from r = 1, j = 1, c = 0:
#   C1 k5 p2: r = 1 + 4*1 = 5,   j = 1, c = 0 + (2 - 2)*1 = 0
#   S2 k2 s2: r = 5 + 1*1 = 6,   j = 2, c = 0 + (0.5 - 0)*1 = 0.5
#   C3 k5:    r = 6 + 4*2 = 14,  j = 2, c = 0.5 + 2*2 = 4.5
#   S4 k2 s2: r = 14 + 1*2 = 16, j = 4, c = 4.5 + 0.5*2 = 5.5
#   C5 k5:    r = 16 + 4*4 = 32, j = 4, c = 5.5 + 2*4 = 13.5 (the centre of 0..27)
# Activations keep the field; Flatten/Linear on a 1x1 map keep r = 32.
LENET_RF = [5, 5, 6, 14, 14, 16, 32, 32, 32, 32, 32, 32]
LENET_JUMP = [1, 1, 2, 2, 2, 4, 4, 4]
LENET_CENTRE = [0.0, 0.0, 0.5, 4.5, 4.5, 5.5, 13.5, 13.5]


@pytest.mark.parametrize("variant", ["classic", "modern"])
def test_lenet5_receptive_fields_by_hand(variant):
    fields = analysis.receptive_field(models.lenet5(variant), (1, 28, 28))
    assert [f.output_shape for f in fields] == LENET_SHAPES
    assert [f.size for f in fields] == [(r, r) for r in LENET_RF]
    assert [f.jump for f in fields[:8]] == [(j, j) for j in LENET_JUMP]
    assert [f.start for f in fields[:8]] == [(c, c) for c in LENET_CENTRE]


@pytest.mark.parametrize("variant", ["classic", "modern"])
def test_lenet5_parameters_by_hand(variant):
    model = models.lenet5(variant)
    assert analysis.param_count(model) == LENET_TOTAL == 61706
    s = analysis.summary(model, (1, 28, 28))
    assert [r.params for r in s.layers] == LENET_PARAMS
    assert s.total_params == s.trainable_params == LENET_TOTAL
    assert s.output_shape == (10,)


def test_lenet5_flops_by_hand():
    # 2 FLOPs per multiply-add:
    #   C1: 2 * (6*28*28) * 25       = 235,200
    #   C3: 2 * (16*10*10) * (6*25)  = 480,000
    #   C5: 2 * 120 * (16*25)        = 96,000
    #   F6: 2 * 84 * 120 = 20,160;  out: 2 * 10 * 84 = 1,680
    # ReLU one per element: 4,704 + 1,600 + 120 + 84; max-pool 4 per output: 6*14*14*4 + 16*5*5*4
    macs = 235_200 + 480_000 + 96_000 + 20_160 + 1_680
    relu = 6 * 28 * 28 + 16 * 10 * 10 + 120 + 84
    pools = 6 * 14 * 14 * 4 + 16 * 5 * 5 * 4
    assert analysis.flops(models.lenet5("modern"), (1, 28, 28)) == macs + relu + pools
    rows = analysis.summary(models.lenet5("modern"), (1, 28, 28)).layers
    assert [rows[i].flops for i in (0, 3, 6, 9, 11)] == [235_200, 480_000, 96_000, 20_160, 1_680]


def test_lenet5_against_pytorch_counts():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    tn = torch.nn
    ref = tn.Sequential(
        tn.Conv2d(1, 6, 5, padding=2), tn.ReLU(), tn.MaxPool2d(2),
        tn.Conv2d(6, 16, 5), tn.ReLU(), tn.MaxPool2d(2),
        tn.Conv2d(16, 120, 5), tn.ReLU(), tn.Flatten(),
        tn.Linear(120, 84), tn.ReLU(), tn.Linear(84, 10),
    )  # fmt: skip
    x = torch.zeros(1, 1, 28, 28)
    shapes = []
    with FlopCounterMode(display=False) as counter:
        for layer in ref:
            x = layer(x)
            shapes.append(tuple(x.shape[1:]))
    s = analysis.summary(models.lenet5("modern"), (1, 28, 28))
    assert [r.output_shape for r in s.layers] == shapes
    assert s.total_params == sum(p.numel() for p in ref.parameters())
    # PyTorch counts 2 FLOPs per multiply-add in convolutions and matrix products only
    dense = sum(r.flops for r in s.layers if r.layer in ("Conv2d", "Linear"))
    assert dense == counter.get_total_flops()


def test_chain_arithmetic_matches_hand_values():
    chain = analysis.receptive_field_chain([(5, 1, 2), (2, 2), (5, 1), (2, 2), (5, 1)])
    assert [f.size for f in chain] == LENET_RF[:1] + LENET_RF[2:4] + LENET_RF[5:7]
    # dilation 2 spreads a 3-tap kernel over 5 pixels; two stride-2 3x3 layers: 3 then 3 + 2*2 = 7
    assert analysis.receptive_field_chain([(3, 1, 0, 2)])[0].size == 5
    assert [f.size for f in analysis.receptive_field_chain([(3, 2), (3, 2)])] == [3, 7]
    assert [f.jump for f in analysis.receptive_field_chain([(3, 2), (3, 2)])] == [2, 4]


def _gradient_support(model, shape, index):
    """Input pixels an output depends on, found by back-propagation (an independent oracle)."""
    x = nn.Tensor(np.zeros((1, *shape)), requires_grad=True)
    y = model(x)
    seed = np.zeros(y.shape)
    seed[index] = 1.0
    y.backward(seed)
    nz = np.nonzero(x.grad[0, 0])
    return [(int(a.min()), int(a.max())) for a in nz]


def test_receptive_field_agrees_with_backpropagated_support():
    # Positive weights and average pools: the gradient of one output is non-zero on
    # exactly its receptive field (no cancellation), so its extent is an oracle.
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, dilation=1, dtype="float64"),
        nn.AvgPool2d(2),
        nn.Conv2d(2, 2, 3, stride=2, dilation=2, dtype="float64"),
        nn.AvgPool2d(3, stride=1),
    )
    for m in model:
        if hasattr(m, "weight"):
            m.weight.data[...] = 1.0
    shape = (1, 40, 40)
    field = analysis.receptive_field(model, shape)[-1]
    lo0 = np.array(field.start) - (np.array(field.size) - 1) / 2
    for o in ((0, 0, 3, 2), (0, 1, 4, 5)):
        support = _gradient_support(model, shape, o)
        for axis, (a, b) in enumerate(support):
            want_lo = lo0[axis] + o[2 + axis] * field.jump[axis]
            assert (a, b - a + 1) == (want_lo, field.size[axis])


def test_receptive_field_without_spatial_axes_and_1d():
    fields = analysis.receptive_field(models.mlp(in_features=20, hidden=[8]), (20,))
    assert all(f.size is None for f in fields)
    # cnn1d: k5 s2 p1 -> r 5, j 2; k3 s2 -> 5 + 2*2 = 9, j 4; k3 s2 -> 9 + 2*4 = 17, j 8;
    # Flatten over the 5 remaining positions: 17 + 4*8 = 49.
    sizes = [f.size for f in analysis.receptive_field(models.cnn1d(length=40), (1, 40))]
    assert sizes == [(5,), (5,), (9,), (9,), (17,), (17,), (49,), (49,)]


def test_param_count_trainable_and_shared():
    fixed = nn.Conv2d.from_kernel(kernels.sobel(1))  # 9 frozen weights, no bias
    head = nn.Linear(4, 2)  # 4*2 + 2 = 10
    model = nn.Sequential(fixed, nn.Flatten(), head, nn.ReLU(), head)  # head shared
    assert analysis.param_count(model) == 9 + 10
    assert analysis.param_count(model, trainable_only=True) == 10


def test_summary_table_text():
    s = analysis.summary(models.lenet5(), (1, 28, 28))
    text = str(s)
    assert "Total params: 61,706" in text
    assert text.splitlines()[4].split()[:2] == ["0", "(Conv2d)"]


def test_activations_restore_mode_and_forward():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Dropout(0.5))
    model.train()
    acts = analysis.activations(model, RNG.standard_normal((2, 1, 6, 6)).astype(np.float32))
    assert [a.kind for a in acts] == ["Conv2d", "BatchNorm2d", "Dropout"]
    assert all(m.training for m in model.modules())
    assert all("forward" not in m.__dict__ for m in model.modules())
    # eval mode inside: dropout is the identity
    np.testing.assert_array_equal(acts[2].output, acts[1].output)


@pytest.mark.parametrize(
    "call, exc, fragment",
    [
        (lambda: analysis.receptive_field(models.lenet5(), (1, 0, 28)), ValueError, "input_shape"),
        (lambda: analysis.receptive_field(models.lenet5(), "1,28,28"), TypeError, "input_shape"),
        (lambda: analysis.param_count(np.zeros(3)), TypeError, "model"),
        (lambda: analysis.receptive_field_chain([(3,)]), ValueError, "layers[0]"),
        (lambda: analysis.receptive_field_chain([(0, 1)]), ValueError, "kernel"),
    ],
)
def test_model_errors(call, exc, fragment):
    with pytest.raises(exc, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        call()


# --------------------------------------------------------------------------- MLP vs CNN


def test_compare_mlp_cnn_reproduces_the_articles():
    # "If each image is 3x256x256 pixels ... a single neuron ... would have 196,608 weights."
    cmp = analysis.compare_mlp_cnn((3, 256, 256))
    assert cmp.weights_per_neuron == 196_608
    assert cmp.conv_weights == 3 * 3 * 3 and cmp.conv_weights_per_neuron == 27
    # "If the hidden layer is also of size n^2: n^2 x n^2 = n^4"
    for n in (4, 28, 100):
        assert analysis.compare_mlp_cnn((n, n)).mlp_weights == n**4
    c = analysis.compare_mlp_cnn((1, 28, 28), hidden_units=100, kernel_size=5, out_channels=6)
    assert (c.mlp_params, c.conv_params) == (784 * 100 + 100, 6 * 25 + 6)
    assert c.ratio == pytest.approx((784 * 100 + 100) / 156)
    assert "196,608" in str(cmp)


def test_compare_mlp_cnn_errors():
    with pytest.raises(ValueError, match="image_shape"):
        analysis.compare_mlp_cnn((1, 2, 3, 4))
    with pytest.raises(ValueError, match="kernel_size"):
        analysis.compare_mlp_cnn((28, 28), kernel_size=0)


# --------------------------------------------------------------------------- mutual information


def _entropy_bits(counts):
    p = np.asarray(counts, dtype=float)
    p = p[p > 0] / p.sum()
    return float(-(p * np.log2(p)).sum())


def test_mi_of_x_with_itself_is_entropy_of_binned_x():
    x = RNG.standard_normal(5000)
    counts, _ = np.histogram(x, bins=30)  # 30 equal bins from min to max
    h = _entropy_bits(counts)
    assert analysis.mutual_information(x, x, bins=30) == pytest.approx(h, abs=1e-12)
    assert analysis.entropy(x, bins=30) == pytest.approx(h, abs=1e-12)
    # an affine map keeps the bins (edges from each array's own range)
    assert analysis.mutual_information(x, 3 * x - 1, bins=30) == pytest.approx(h, abs=1e-12)


def test_mi_multidimensional_rows_are_patterns():
    x = RNG.uniform(size=(4000, 2))
    edges = np.linspace(x.min(), x.max(), 11)  # one set of edges for every unit
    joint, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=[edges, edges])
    assert analysis.mutual_information(x, x, bins=10) == pytest.approx(
        _entropy_bits(joint.ravel()), abs=1e-12
    )


def test_mi_of_independent_variables_is_near_zero():
    n, k = 20_000, 8
    x = RNG.uniform(size=n)
    t = RNG.uniform(size=n)
    # Plug-in bias for independent variables: (k-1)^2 / (2 n ln 2) = 49 / 27,726 = 0.0018 bits.
    bias = (k - 1) ** 2 / (2 * n * math.log(2))
    mi = analysis.mutual_information(x, t, bins=k)
    assert 0.0 <= mi < 5 * bias < 0.01


def test_mi_labels_symmetry_and_bounds():
    y = np.repeat(np.arange(4), 50)  # four balanced classes: H = 2 bits
    assert analysis.mutual_information(y, y) == 2.0
    t = RNG.standard_normal((200, 3))
    a, b = analysis.mutual_information(t, y), analysis.mutual_information(y, t)
    assert a == pytest.approx(b, abs=1e-12)
    assert a <= min(2.0, analysis.entropy(t)) + 1e-12
    # a deterministic, invertible function of the label keeps all of it
    assert analysis.mutual_information(y, (y * 7) % 4 + 10) == 2.0
    # a constant keeps nothing
    assert analysis.mutual_information(y, np.ones(200)) == 0.0


@pytest.mark.parametrize(
    "x, t, bins, exc, fragment",
    [
        (np.zeros(3), np.zeros(4), 30, ValueError, "rows"),
        (np.array([0.0, np.nan]), np.zeros(2), 30, ValueError, "finite"),
        (np.zeros(3), np.zeros(3), 0, ValueError, "bins"),
        (np.zeros(3), np.zeros(3), 2.5, TypeError, "bins"),
        (np.array(["a", "b"]), np.zeros(2), 30, TypeError, "numeric"),
        (np.zeros((0, 2)), np.zeros((0, 2)), 30, ValueError, "at least one sample"),
    ],
)
def test_mi_errors(x, t, bins, exc, fragment):
    with pytest.raises(exc, match=fragment):
        analysis.mutual_information(x, t, bins=bins)


def test_information_per_layer_deterministic_net():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    x = RNG.standard_normal((64, 1, 8, 8)).astype(np.float32)
    y = np.arange(64) % 2
    info = analysis.information_per_layer(model, x, labels=y, bins=10)
    acts = analysis.activations(model, x)
    assert [i.layer for i in info] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten"]
    for i, a in zip(info, acts):
        # distinct inputs and a deterministic layer: I(X;T) = H(T) <= log2(64) = 6
        assert i.i_xt == pytest.approx(analysis.entropy(a.output, bins=10), abs=1e-9)
        assert 0.0 <= i.i_xt <= 6.0 + 1e-9
        assert 0.0 <= i.i_ty <= 1.0 + 1e-9


# --------------------------------------------------------------------------- equivariance


def _integer_conv(dims, **kw):
    cls = nn.Conv1d if dims == 1 else nn.Conv2d
    layer = cls(2, 3, 3, dtype="float64", **kw)
    layer.weight.data = RNG.integers(-3, 4, layer.weight.shape).astype(np.float64)
    layer.bias.data = RNG.integers(-3, 4, layer.bias.shape).astype(np.float64)
    return layer


@pytest.mark.parametrize("shift", [(1, 2), (-2, 1), (3, -3)])
@pytest.mark.parametrize("padding", [0, 1])
def test_conv_is_exactly_equivariant_in_the_interior(shift, padding):
    # Integer weights and inputs: every product and sum is exact in float64, so the
    # only possible difference is a real failure of equivariance.
    layer = _integer_conv(2, padding=padding)
    x = RNG.integers(-5, 6, (2, 2, 12, 11)).astype(np.float64)
    assert analysis.equivariance_error(layer, x, shift) == 0.0
    assert analysis.invariance_error(layer, x, shift) > 0.1


def test_conv1d_and_dilated_stride_chain_exactly_equivariant():
    x = RNG.integers(-5, 6, (1, 2, 40)).astype(np.float64)
    assert analysis.equivariance_error(_integer_conv(1, dilation=2), x, 5) == 0.0
    # total stride 2: a shift of 4 input pixels is a shift of 2 outputs
    chain = nn.Sequential(_integer_conv(1, stride=2), nn.ReLU())
    assert analysis.equivariance_error(chain, x, 4) == 0.0


def test_strided_pool_is_not_equivariant_except_for_multiples_of_its_stride():
    x = RNG.standard_normal((2, 3, 16, 16))
    for pool in (nn.MaxPool2d(2), nn.AvgPool2d(2)):
        assert analysis.equivariance_error(pool, x, (1, 0)) > 1e-2
        assert analysis.equivariance_error(pool, x, (2, 4)) == 0.0


def test_pooling_trades_equivariance_for_invariance():
    # Isolated spikes at positions p with p % 4 in {0, 1, 2}: shifted by one they stay
    # in the same 4-wide pooling window, so max-pooling does not change at all, while
    # the unpooled signal changes by ||S x - x|| / ||x|| = sqrt(2).
    x = np.zeros((1, 1, 64))
    x[0, 0, [8, 21, 34, 49]] = [1.0, 2.0, 3.0, 4.0]  # 8%4=0, 21%4=1, 34%4=2, 49%4=1
    assert analysis.invariance_error(nn.Identity(), x, 1) == pytest.approx(math.sqrt(2))
    assert analysis.invariance_error(nn.MaxPool1d(4), x, 1) == 0.0
    assert analysis.invariance_error(nn.AdaptiveAvgPool1d(1), x, 5) == 0.0


@pytest.mark.parametrize(
    "layer, x, shift, exc, fragment",
    [
        (nn.Conv1d(1, 1, 3), np.zeros((1, 8)), 1, ValueError, "spatial axis"),
        (nn.Conv1d(1, 1, 3), np.zeros((1, 1, 8)), 8, ValueError, "smaller than its size"),
        (nn.Conv1d(1, 1, 3), np.zeros((1, 1, 8)), 1.5, TypeError, "shift"),
        (nn.Conv2d(1, 1, 3), np.zeros((1, 1, 8, 8)), (1, 2, 3), TypeError, "shift"),
        (lambda v: v, np.zeros((1, 1, 8)), 1, TypeError, "layer"),
        (nn.Conv1d(1, 1, 7), np.zeros((1, 1, 8)), 3, ValueError, "interior"),
        (nn.Sequential(nn.Flatten()), np.zeros((1, 1, 8)), 1, ValueError, "spatial axes"),
    ],
)
def test_equivariance_errors(layer, x, shift, exc, fragment):
    with pytest.raises(exc, match=fragment):
        analysis.equivariance_error(layer, x, shift)


# --------------------------------------------------------------------------- classic kernels


def _cos(a, b):
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_nearest_classic_finds_the_kernel_and_its_sign():
    m = analysis.nearest_classic(kernels.sobel(1))
    assert (m.name, m.cosine) == ("sobel(axis=1)", pytest.approx(1.0))
    m = analysis.nearest_classic(-2.5 * kernels.laplacian(8))
    assert m.name == "laplacian(neighbours=8)" and m.cosine == pytest.approx(-1.0)
    noisy = kernels.prewitt(0) + 0.1 * RNG.standard_normal((3, 3))
    m = analysis.nearest_classic(noisy)
    assert m.cosine == pytest.approx(_cos(noisy, m.kernel))
    assert m.name.endswith("(axis=0)") and m.cosine > 0.9


def test_classic_bank_fits_shapes():
    bank = analysis.classic_bank((5, 5))
    assert all(k.shape == (5, 5) for k in bank.values())
    # a 3x3 Sobel embedded in the centre of 5x5 zeros
    np.testing.assert_array_equal(bank["sobel(axis=1)"][1:4, 1:4], kernels.sobel(1))
    assert np.abs(bank["sobel(axis=1)"]).sum() == np.abs(kernels.sobel(1)).sum()
    assert analysis.nearest_classic([-1.0, 0.0, 1.0]).name == "derivative"
    with pytest.raises(ValueError, match="kernel"):
        analysis.nearest_classic(np.zeros((2, 2, 2)))


def test_docs_examples_run():
    import doctest
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "inspect.md"
    result = doctest.testfile(str(doc), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 10
    assert result.failed == 0
