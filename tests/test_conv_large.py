"""Inputs large enough to reach the engine's blocked paths (overlap-save FFT blocks, grouped
1D blocks, Toeplitz products, in-place rows), checked against SciPy on every boundary.

The small shapes of the property tests never leave the single-tile paths; these cases are
sized so that each blocked path runs, and a spy confirms that it did.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

import convolab
from convolab.conv import direct, fft

BOUNDARIES = ["constant", "edge", "reflect", "symmetric", "wrap"]


def _reference(x, k, mode, boundary):
    """np.pad with the boundary, then scipy.signal.correlate 'valid' (the definition)."""
    eff = np.array(k.shape)
    if mode == "same":
        pads = [(e // 2, (e - 1) // 2) for e in eff]
    elif mode == "full":
        pads = [(e - 1, e - 1) for e in eff]
    else:
        pads = [(0, 0)] * x.ndim
    xp = np.pad(x, pads, mode=boundary) if boundary != "constant" else np.pad(x, pads)
    return signal.correlate(xp, k, "valid", method="direct" if x.ndim == 1 else "fft")


def _spy(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def wrapped(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_long_signal_overlap_save(monkeypatch, boundary):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(60_000)
    k = rng.standard_normal(301)
    calls = _spy(monkeypatch, fft, "_overlap_save")
    got = convolab.correlate(x, k, "same", boundary=boundary, method="fft")
    assert calls, "the overlap-save path did not run"
    np.testing.assert_allclose(got, _reference(x, k, "same", boundary), rtol=0, atol=1e-9)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_image_in_fft_blocks(monkeypatch, boundary):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1100, 700)).astype(np.float32)
    k = rng.standard_normal((31, 17)).astype(np.float32)
    calls = _spy(monkeypatch, fft, "_overlap_save_nd")
    got = convolab.correlate(x, k, "same", boundary=boundary, method="fft")
    assert calls, "the blocked n-d FFT path did not run"
    assert got.dtype == np.float32
    ref = _reference(x.astype(np.float64), k.astype(np.float64), "same", boundary)
    np.testing.assert_allclose(got, ref, rtol=0, atol=2e-3)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("taps", [31, 129])
def test_medium_1d_kernel_as_toeplitz_product(monkeypatch, boundary, taps):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 40_000))
    k = rng.standard_normal(taps)
    calls = _spy(monkeypatch, direct, "_correlate_1d_toeplitz")
    got = convolab.correlate(x, k, "same", boundary=boundary, axes=-1, method="direct")
    assert calls, "the Toeplitz path did not run"
    for row, expected in zip(got, [_reference(r, k, "same", boundary) for r in x]):
        np.testing.assert_allclose(row, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_wide_kernel_rows_on_an_image(boundary, mode):
    """Kernel rows of 9 or more taps run as matrix products over the flattened rows."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 517))
    k = rng.standard_normal((5, 13))
    for method in ("direct", "separable"):
        got = convolab.correlate(x, k, mode, boundary=boundary, method=method)
        np.testing.assert_allclose(got, _reference(x, k, mode, boundary), rtol=0, atol=1e-9)
