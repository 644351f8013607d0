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
from convolab.conv.methods import direct, fft

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


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_long_signal_overlap_save(spy, boundary):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(60_000)
    k = rng.standard_normal(301)
    calls = spy(fft, "_overlap_save")
    got = convolab.correlate(x, k, "same", boundary=boundary, method="fft")
    assert calls, "the overlap-save path did not run"
    np.testing.assert_allclose(got, _reference(x, k, "same", boundary), rtol=0, atol=1e-9)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_image_in_fft_blocks(spy, boundary):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1100, 700)).astype(np.float32)
    k = rng.standard_normal((31, 17)).astype(np.float32)
    calls = spy(fft, "_overlap_save_nd")
    got = convolab.correlate(x, k, "same", boundary=boundary, method="fft")
    assert calls, "the blocked n-d FFT path did not run"
    assert got.dtype == np.float32
    ref = _reference(x.astype(np.float64), k.astype(np.float64), "same", boundary)
    np.testing.assert_allclose(got, ref, rtol=0, atol=2e-3)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("taps", [31, 129])
def test_medium_1d_kernel_as_toeplitz_product(spy, boundary, taps):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 40_000))
    k = rng.standard_normal(taps)
    calls = spy(direct, "_correlate_1d_toeplitz")
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


needs_numba = pytest.mark.skipif(
    not __import__("convolab._jit.conv1d", fromlist=["available"]).available(),
    reason="the compiled 1D loop needs Numba (pip install convolab[fast])",
)


@pytest.fixture
def loop_loaded():
    """The compiled 1D loop loaded (by default a plain correlate does not load it)."""
    from convolab._jit import conv1d

    assert conv1d.LOOPS.load() is not None


@needs_numba
@pytest.mark.parametrize("taps", [1, 2, 3, 4, 7, 11])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("boundary", ["constant", "reflect"])
def test_compiled_1d_loop_matches_scipy(spy, loop_loaded, taps, dtype, mode, boundary):
    rng = np.random.default_rng(taps)
    x = rng.standard_normal(250_003).astype(dtype)  # reaches the two-thread split
    k = rng.standard_normal(taps).astype(dtype)
    calls = spy(direct, "_correlate_1d_compiled")
    got = convolab.correlate(x, k, mode, boundary=boundary)
    assert calls and got.dtype == dtype
    expected = _reference(x.astype(np.float64), k.astype(np.float64), mode, boundary)
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * taps)
    np.testing.assert_allclose(convolab.convolve(x, k, mode, boundary=boundary),
                               _reference(x, k[::-1], mode, boundary), rtol=0, atol=tol * taps)


@needs_numba
def test_compiled_1d_loop_batches_and_propagates_nan(spy, loop_loaded):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 40_000))
    x[1, 20_000] = np.nan
    x[2, 30_000] = np.inf
    k = rng.standard_normal((3, 5))
    calls = spy(direct, "_correlate_1d_compiled")
    got = convolab.correlate(x, k, "same", axes=-1)
    assert calls
    for b in range(3):
        np.testing.assert_allclose(got[b], np.correlate(x[b], k[b], "same"), rtol=1e-12,
                                   atol=1e-12, equal_nan=True)
    assert np.isnan(got[1, 19_998:20_003]).all() and np.isfinite(got[0]).all()


def test_1d_short_kernels_without_numba(spy, monkeypatch):
    """Without the compiled loop the engine keeps numpy.correlate: same results."""
    from convolab._jit import conv1d

    monkeypatch.setattr(conv1d.LOOPS, "_value", False)
    calls = spy(direct, "_correlate_1d_compiled")
    x = np.random.default_rng(1).standard_normal(200_000)
    k = np.array([0.8, 0.1, 0.1])
    np.testing.assert_allclose(convolab.correlate(x, k, "same"), np.correlate(x, k, "same"))
    assert not calls


def test_compiled_loop_can_be_switched_off():
    import os
    import subprocess
    import sys

    code = "from convolab._jit import conv1d; print(conv1d.available())"
    env = dict(os.environ, CONVOLAB_NO_NUMBA="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
