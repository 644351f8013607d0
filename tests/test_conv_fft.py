"""The fft method's blocks, windows and transforms, against NumPy's padding and SciPy.

The overlap-save blocks read the padded input where they lie (``boundary.fill_window``)
instead of padding the whole input, transform in place through pocketfft's extension
(``conv.methods._transforms``) and check finiteness from each block's zero frequency;
each of those is compared here with an independent computation: ``np.pad`` followed by
``scipy.signal.correlate`` in float64, the direct method for NaN and inf, and the
public :mod:`scipy.fft` functions for the transforms.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import signal

import convolab
from convolab.conv.boundary import BOUNDARIES, fill_window
from convolab.conv.methods import _transforms, fft


def _reference(x, k, mode, boundary, fill_value=0.0):
    """np.pad by the boundary, then scipy.signal.correlate 'valid' in float64 or complex128."""
    pads = {
        "same": [(e // 2, (e - 1) // 2) for e in k.shape],
        "full": [(e - 1, e - 1) for e in k.shape],
        "valid": [(0, 0)] * x.ndim,
    }[mode]
    extra = {"constant_values": fill_value} if boundary == "constant" else {}
    xp = np.pad(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64), pads,
                mode=boundary, **extra)  # fmt: skip
    return signal.correlate(xp, k.astype(xp.dtype), "valid", method="fft")


def _relative_error(got, ref):
    return np.abs(got - ref).max() / np.abs(ref).max()


def test_fill_window_is_a_window_of_np_pad():
    """Every rule, windows inside, across and beyond the padding, 1 to 3 axes."""
    rng = np.random.default_rng(0)
    for trial in range(1500):
        m = int(rng.integers(1, 4))
        x = rng.standard_normal(tuple(rng.integers(1, 7, size=m)))
        pads = [tuple(int(v) for v in rng.integers(0, 12, size=2)) for _ in range(m)]
        boundary = BOUNDARIES[trial % len(BOUNDARIES)]
        extra = {"constant_values": 2.5} if boundary == "constant" else {}
        padded = np.pad(x, pads, mode=boundary, **extra)
        first = tuple(int(rng.integers(-3, n + 3)) for n in padded.shape)
        size = tuple(int(v) for v in rng.integers(1, 9, size=m))
        out = np.full(size, np.nan)
        fill_window(x, first, out, pads, boundary, 2.5)
        wider = np.pad(x, [(b + 20, a + 20) for b, a in pads], mode=boundary, **extra)
        expected = wider[tuple(slice(f + 20, f + 20 + s) for f, s in zip(first, size))]
        np.testing.assert_array_equal(out, expected, err_msg=f"{boundary} {pads} {first}")


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_blocks_match_scipy_on_every_boundary_and_mode(spy, boundary, mode):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((700, 900))
    k = rng.standard_normal((31, 24))
    fill = 1.5 if boundary == "constant" else 0.0
    calls = spy(fft, "_overlap_save_nd")
    got = convolab.correlate(x, k, mode, boundary=boundary, fill_value=fill, method="fft")
    assert calls, "the blocked path did not run"
    assert _relative_error(got, _reference(x, k, mode, boundary, fill)) < 1e-12


@pytest.mark.parametrize("dtype", ["float32", "complex64", "complex128"])
def test_blocks_keep_the_precision(spy, dtype):
    """float32 stays float32 (complex64 spectra) within float32's rounding of the output."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((600, 650))
    k = rng.standard_normal((21, 21))
    if dtype.startswith("complex"):
        x = x + 1j * rng.standard_normal(x.shape)
        k = k + 1j * rng.standard_normal(k.shape)
    x, k = x.astype(dtype), k.astype(dtype)
    calls = spy(fft, "_overlap_save_nd")
    got = convolab.correlate(x, k, "same", boundary="symmetric", method="fft")
    assert calls and got.dtype == np.dtype(dtype)
    tol = 1e-5 if dtype in ("float32", "complex64") else 1e-12
    assert _relative_error(got, _reference(x, k, "same", "symmetric")) < tol


@pytest.mark.parametrize("boundary", ["constant", "reflect"])
def test_large_kernel_on_an_image_matches_scipy(boundary):
    """63 x 63 on float32: the block sizes the planner picks for the benchmark's workload."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1300, 1100)).astype(np.float32)
    k = rng.standard_normal((63, 63)).astype(np.float32)
    method, reason = convolab.choose_method(x, k, mode="same", boundary=boundary)
    assert method == "fft" and "overlap-save" in reason, reason
    got = convolab.correlate(x, k, "same", boundary=boundary)
    assert got.dtype == np.float32
    assert _relative_error(got, _reference(x, k, "same", boundary)) < 1e-5


def test_blocks_with_a_kernel_per_image(spy):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 400, 500))
    k = rng.standard_normal((3, 17, 33))
    calls = spy(fft, "_overlap_save_nd")
    got = convolab.correlate(x, k, "same", boundary="wrap", axes=(1, 2), method="fft")
    assert calls
    for b in range(3):
        assert _relative_error(got[b], _reference(x[b], k[b], "same", "wrap")) < 1e-12


@pytest.mark.parametrize("boundary", ["constant", "edge", "wrap"])
def test_blocks_in_three_dimensions(spy, boundary):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((70, 80, 90))
    k = rng.standard_normal((9, 7, 11))
    calls = spy(fft, "_overlap_save_nd")
    got = convolab.correlate(x, k, "same", boundary=boundary, method="fft")
    assert calls
    assert _relative_error(got, _reference(x, k, "same", boundary)) < 1e-12


@pytest.mark.parametrize("where", [(0, 0), (350, 420), (699, 899)])
def test_nan_and_inf_in_a_block_stay_local(spy, where):
    """A block whose zero frequency is not finite sends the call to the direct method."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((700, 900))
    x[where] = np.nan
    x[100, 100] = np.inf
    k = np.abs(rng.standard_normal((21, 21))) + 0.1
    calls = spy(fft, "_overlap_save_nd")
    got = convolab.correlate(x, k, "same", boundary="reflect", method="fft")
    assert calls
    expected = convolab.correlate(x, k, "same", boundary="reflect", method="direct")
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    assert np.isfinite(got).mean() > 0.9


def test_nan_on_the_1d_blocks_stays_local(spy):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(200_000)
    x[12_345] = np.nan
    k = rng.standard_normal(1001)
    calls = spy(fft, "_overlap_save")
    got = convolab.correlate(x, k, "same", method="fft")
    assert calls
    nan = np.isnan(got)
    assert nan.sum() == 1001 and nan[12_345 - 500 : 12_345 + 501].all()
    ok = ~nan
    np.testing.assert_allclose(got[ok], np.correlate(x, k, "same")[ok], rtol=0, atol=1e-9)


def test_the_public_scipy_fft_functions_give_the_same_results(monkeypatch):
    """Where the extension is not usable, :mod:`scipy.fft`'s public functions serve."""
    rng = np.random.default_rng(7)
    cases = [
        (
            rng.standard_normal((500, 600)).astype(np.float32),
            rng.standard_normal((25, 25)).astype(np.float32),
        ),
        (rng.standard_normal(100_000), rng.standard_normal(701)),  # 1D blocks
        (rng.standard_normal((90, 80)), rng.standard_normal((40, 40))),  # one transform
        (rng.standard_normal((300, 300)) + 1j, rng.standard_normal((31, 31)) - 2j),
    ]
    with_extension = [convolab.correlate(x, k, "same", method="fft") for x, k in cases]
    monkeypatch.setattr(_transforms, "_MODULE", False)
    assert _transforms.engine() == "scipy.fft"
    for (x, k), y in zip(cases, with_extension):
        got = convolab.correlate(x, k, "same", method="fft")
        assert got.dtype == y.dtype
        assert _relative_error(got, y) < (1e-6 if y.dtype == np.float32 else 1e-12)
        tol = 1e-5 if y.dtype == np.float32 else 1e-12
        assert _relative_error(got, _reference(x, k, "same", "constant")) < tol


def test_the_transforms_are_unnormalized_and_write_into_out():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((6, 8)).astype(np.float32)
    spec = np.empty((6, 5), np.complex64)
    assert _transforms.r2c(x, (1,), out=spec) is spec
    np.testing.assert_allclose(spec, np.fft.rfft(x, axis=1), rtol=1e-5, atol=1e-5)
    _transforms.c2c(spec, (0,), True, out=spec)
    np.testing.assert_allclose(spec, np.fft.rfft2(x), rtol=1e-5, atol=1e-4)
    _transforms.c2c(spec, (0,), False, out=spec)
    back = _transforms.c2r(spec, (1,), 8, out=np.empty((6, 8), np.float32))
    np.testing.assert_allclose(back, 48 * x, rtol=1e-5, atol=1e-4)


def test_a_first_fft_call_does_not_import_scipy_fft():
    """The extension is loaded alone (about 1 ms), from the file a later import of
    :mod:`scipy.fft` uses (CPython 3.11 then hands back the very same module object)."""
    code = (
        "import sys, numpy as np, convolab\n"
        "from convolab.conv.methods import _transforms\n"
        "x = np.random.default_rng(0).standard_normal((600, 600)).astype(np.float32)\n"
        "y = convolab.correlate(x, np.ones((31, 31), np.float32), 'same', method='fft')\n"
        "print('scipy.fft' in sys.modules, _transforms.engine())\n"
        "import scipy.fft\n"
        "print(scipy.fft._pocketfft.pypocketfft.__file__ == _transforms._module().__file__)\n"
        "print(np.allclose(y, convolab.correlate(x, np.ones((31, 31), np.float32), 'same',\n"
        "                                        method='direct'), atol=1e-3))\n"
    )
    env = {**os.environ, "CONVOLAB_JIT": "lazy"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "pocketfft", "True", "True"]


def test_block_plan_prefers_fast_lengths_and_even_rounds():
    shape, count, _ = fft.block_plan((2048, 2048), (63, 63), ((31, 31), (31, 31)), workers=2)
    assert shape == [576, 576] and count == 16  # 4 x 4 tiles of 514: 8 rounds of two
    for n in range(1, 3000):
        N = fft.block_length(n)
        rest = N
        while rest % 2 == 0:
            rest //= 2
        assert N >= n and rest in (1, 3, 9), n
        assert all(fft.block_length(n) != c for c in range(n, N) if _smooth(c)), n
    assert fft.block_plan((64, 64), (15, 15), ((7, 7), (7, 7))) is None
    shape, count, _ = fft.block_plan((64, 100_000), (15, 15), ((7, 7), (7, 7)), workers=2)
    assert shape[0] == 96 and shape[1] > 96  # square blocks, cut to the short axis


def _smooth(n: int) -> bool:
    """``n = 2**a * 3**b`` with ``b <= 2`` (the oracle of block_length)."""
    while n % 2 == 0:
        n //= 2
    return n in (1, 3, 9)


def test_a_kernel_spectrum_serves_the_next_call_with_the_same_kernel(monkeypatch):
    """The spectrum of a kernel is kept for the next call with the same kernel and block
    size (read-only); a kernel changed in place, another dtype or another block size gets
    its own, and the spectra kept stay within their bound."""
    from convolab.conv import profile

    monkeypatch.setattr(fft, "_SPECTRA", {})
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 260))
    k = rng.standard_normal((1, 9, 15))
    kflip = k[:, ::-1, ::-1]
    first = fft._kernel_spectra(kflip, [64, 48], np.dtype(np.float64))
    assert not first.flags.writeable
    assert fft._kernel_spectra(kflip.copy(), [64, 48], np.dtype(np.float64)) is first
    assert fft._kernel_spectra(kflip, [64, 64], np.dtype(np.float64)) is not first
    single = fft._kernel_spectra(kflip.astype(np.float32), [64, 48], np.dtype(np.float32))
    assert single.dtype == np.complex64
    want = np.fft.rfft2(np.pad(kflip[0], ((0, 55), (0, 33)))) / (64 * 48)
    np.testing.assert_allclose(first[0], want, rtol=1e-12, atol=1e-15)

    kernel = k[0].copy()
    once = convolab.correlate(x, kernel, "same", boundary="reflect", method="fft")
    kernel *= 2.0  # in place: the same array, other values
    twice = convolab.correlate(x, kernel, "same", boundary="reflect", method="fft")
    np.testing.assert_allclose(twice, 2.0 * once, rtol=1e-12, atol=1e-12)
    ref = signal.correlate(np.pad(x, ((4, 4), (7, 7)), mode="reflect"),
                           kernel, mode="valid")  # fmt: skip
    np.testing.assert_allclose(twice, ref, rtol=1e-9, atol=1e-9)

    monkeypatch.setattr(profile, "SPECTRUM_CACHE_BYTES", first.nbytes + 1)
    for size in ([32, 32], [64, 32], [64, 48]):
        fft._kernel_spectra(kflip, size, np.dtype(np.float64))
    assert sum(a.nbytes for a in fft._SPECTRA.values()) <= first.nbytes + 1
