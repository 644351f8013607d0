"""Layers declare what they are (``kind``, ``window()``); analysis and converters read that.

Nothing downstream may recognize a layer by its class name: a layer named like a
convolution but declaring nothing is not treated as one, and a custom layer that
declares a pooling window is.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convolab import analysis, nn
from convolab.conv.geometry import output_length, pool_length
from convolab.nn.modules.kind import KINDS, Window

EXPECTED = {
    "conv": ["Conv1d", "Conv2d", "Conv3d"],
    "conv_transpose": ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"],
    "pool": ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
             "LPPool1d", "LPPool2d"],
    "adaptive_pool": ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d"],
    "global_pool": ["GlobalMaxPool", "GlobalAvgPool"],
    "unpool": ["MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"],
    "norm": ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Standardize"],
    "linear": ["Linear"],
    "matmul": ["MatMul"],
    "permute": ["Permute"],
    "flatten": ["Flatten", "Unflatten"],
    "dropout": ["Dropout"],
    "identity": ["Identity"],
    "container": ["Sequential", "ModuleList"],
    "upsample": ["Upsample"],
    "pad": [f"{family}Pad{d}d" for family in ("Zero", "Constant", "Reflection", "Replication",
                                              "Circular") for d in (1, 2, 3)],
    "loss": ["L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss", "NLLLoss", "CrossEntropyLoss",
             "BCEWithLogitsLoss"],
}  # fmt: skip


def test_every_builtin_layer_declares_its_kind():
    builtin = {n: c for n, c in nn.module_registry().items() if c.__module__.startswith("convolab")}
    for kind, names in EXPECTED.items():
        for name in names:
            assert builtin[name].kind == kind, name
    declared = {n for names in EXPECTED.values() for n in names}
    for name, cls in builtin.items():
        assert cls.kind in KINDS, name
        if name not in declared:  # everything else shipped is an activation
            assert cls.kind == "activation", name
    assert nn.Module.kind == "other"


def test_windows_only_where_a_window_slides():
    for name, cls in nn.module_registry().items():
        if not cls.__module__.startswith("convolab") or cls.kind not in ("conv", "pool"):
            continue
        layer = cls(2, 2, 3) if cls.kind == "conv" else (
            cls(2.0, 3) if name.startswith("LP") else cls(3)
        )  # fmt: skip
        window = layer.window()
        assert isinstance(window, Window), name
        assert window.kernel_size == (3,) * len(window.kernel_size), name
    assert nn.ReLU().window() is None and nn.Linear(2, 2).window() is None
    assert nn.GlobalAvgPool().window() is None


@settings(max_examples=40, deadline=None)
@given(
    dims=st.integers(1, 3),
    k=st.integers(1, 4),
    s=st.integers(1, 3),
    d=st.integers(1, 2),
    p=st.integers(0, 2),
    n=st.integers(8, 11),
    ceil=st.booleans(),
)
def test_window_predicts_the_output_size(dims, k, s, d, p, n, ceil):
    """The declared window, through conv.geometry's formulas, gives the shape the layer makes."""
    p = min(p, (d * (k - 1) + 1) // 2)  # pooling's padding is at most half the window
    conv = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1](1, 1, k, stride=s, padding=p, dilation=d)
    pool = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[dims - 1](
        k, stride=s, padding=p, dilation=d, ceil_mode=ceil
    )
    x = np.zeros((1, 1) + (n,) * dims, dtype=np.float32)
    for layer, length in ((conv, output_length), (pool, None)):
        w = layer.window()
        pads = w.pads(x.shape[2:])
        expected = []
        for (before, after), e, stride in zip(pads, w.effective, w.stride):
            if length is None:
                expected.append(pool_length(n, before, after, e, stride, ceil))
            else:
                expected.append(length(n, before, after, e, stride))
        assert layer(x).shape[2:] == tuple(expected)
        assert w.effective == (d * (k - 1) + 1,) * dims


class Conv2d(nn.Module):
    """Named like a convolution, declares nothing: analysis must not take it for one."""

    def __init__(self):
        super().__init__()
        self.kernel_size = (5, 5)
        self.stride = (2, 2)

    def forward(self, x):
        return x


class StridedPick(nn.Module):
    """A custom pooling layer (every second sample) that declares its window."""

    kind = "pool"

    def window(self):
        return Window((1,), (2,), 0, (1,))

    def forward(self, x):
        return nn.Tensor(np.asarray(getattr(x, "data", x))[..., ::2])


def test_analysis_reads_declarations_not_class_names():
    x_shape = (1, 16, 16)
    mimic = nn.Sequential(nn.Conv2d(1, 1, 3), Conv2d())
    fields = analysis.receptive_field(mimic, x_shape)
    assert fields[1].size == (3, 3)  # the mimic changes nothing: same shape, no window
    assert analysis.flops(mimic, x_shape) == 2 * 14 * 14 * 9 + 14 * 14  # 1 per element

    picked = nn.Sequential(nn.Conv1d(1, 1, 3), StridedPick(), nn.Conv1d(1, 1, 3))
    fields = analysis.receptive_field(picked, (1, 20))
    assert [f.size for f in fields] == [(3,), (3,), (7,)]
    assert [f.jump for f in fields] == [(1,), (2,), (2,)]


def test_global_pooling_sees_the_whole_map():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.GlobalAvgPool())
    fields = analysis.receptive_field(model, (1, 10, 10))
    assert fields[-1].size == (10, 10)
    assert analysis.flops(nn.GlobalMaxPool(), (3, 4, 5)) == 3 * 4 * 5


@pytest.mark.parametrize("stride, groups", [(1, 1), (2, 1), (2, 2)])
def test_transposed_conv_flops_equal_its_adjoint_conv(stride, groups):
    """A transposed convolution does the multiply-adds of the convolution it is the adjoint of."""
    up = nn.ConvTranspose2d(4, 6, 3, stride=stride, groups=groups)
    down = nn.Conv2d(6, 4, 3, stride=stride, groups=groups)
    x_shape = (4, 5, 7)
    y_shape = up(np.zeros((1, *x_shape), np.float32)).shape[1:]
    assert down(np.zeros((1, *y_shape), np.float32)).shape[1:] == x_shape
    assert analysis.flops(up, x_shape) == analysis.flops(down, y_shape)


def test_onnx_export_registers_by_class():
    from convolab.nn import onnx as export

    class MyConv(nn.Conv2d):  # a subclass may compute something else: not exported silently
        pass

    assert nn.Conv2d in export._CONVERTERS and MyConv not in export._CONVERTERS
    assert all(isinstance(c, type) and issubclass(c, nn.Module) for c in export._CONVERTERS)
    with pytest.raises(ValueError, match="no conversion for MyConv"):
        export._check_supported(nn.Sequential(MyConv(1, 1, 3)))


def test_torch_twins_register_by_class():
    from convolab.nn import torch_bridge

    twins = torch_bridge._TWINS
    assert all(isinstance(c, type) and issubclass(c, nn.Module) for c in twins)
    onnx_classes = set(__import__("convolab.nn.onnx", fromlist=["x"])._CONVERTERS)
    # every layer that has a PyTorch twin except the reshape Unflatten also exports to ONNX
    assert set(twins) - onnx_classes == {nn.Unflatten}
    torch = pytest.importorskip("torch")
    for cls in twins:
        assert isinstance(getattr(torch.nn, cls.__name__), type), cls


def test_matmul_flops_count_the_contracted_axis():
    """(7, 5) @ (5, 3): 7 * 3 outputs of 5 multiply-adds each, 2 FLOPs per multiply-add."""
    assert analysis.flops(nn.Sequential(nn.MatMul((5, 3))), (7, 5)) == 2 * 7 * 3 * 5
    assert analysis.flops(nn.Sequential(nn.MatMul((5,))), (7, 5)) == 2 * 7 * 5
    assert analysis.flops(nn.Sequential(nn.Permute((0, 2, 1))), (4, 6)) == 0
