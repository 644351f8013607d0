"""Tests for convolab.signal, each against an independent oracle (SciPy, NumPy or loops)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage
from scipy.signal import find_peaks

from convolab.signal import (
    SHAPES,
    detect,
    make_shape,
    make_shape_signal,
    match,
    shift,
    smooth,
    soft_shift,
)
from oracle import BOUNDARIES, NDIMAGE_MODE, pad_ref

F = [0, 0, 0, 3, 4, 5, 4, 3, 0, 0]
NOISY = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]  # "From Convolution to Neural Network"


# ----------------------------------------------------------------------------- smooth


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("width", [1, 3, 5, 9])
def test_box_matches_ndimage_uniform_filter(boundary, width):
    x = np.random.default_rng(width).normal(size=23)
    got = smooth(x, "box", width, boundary=boundary, fill_value=0.5)
    want = ndimage.uniform_filter1d(x, width, mode=NDIMAGE_MODE[boundary], cval=0.5)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.5])
def test_gaussian_matches_ndimage_gaussian_filter(boundary, sigma):
    x = np.random.default_rng(3).normal(size=40)
    got = smooth(x, "gaussian", sigma=sigma, boundary=boundary)
    want = ndimage.gaussian_filter1d(x, sigma, mode=NDIMAGE_MODE[boundary], truncate=4.0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_gaussian_with_explicit_width_is_a_truncated_normalized_gaussian():
    x = np.zeros(11)
    x[5] = 1.0
    got = smooth(x, "gaussian", width=5, sigma=1.0, boundary="constant")
    w = np.exp(-0.5 * np.arange(-2, 3) ** 2)
    np.testing.assert_allclose(got[3:8], w / w.sum(), rtol=1e-12)
    assert np.all(got[:3] == 0) and np.all(got[8:] == 0)


def test_article_noisy_signal_dip_is_damped():
    x = np.array(NOISY, dtype=float)
    y = smooth(x, "box", 3)
    # loop oracle: mean of the three neighbours, 'reflect' ends (x[-1] = x[1], x[n] = x[n-2])
    ext = np.concatenate(([x[1]], x, [x[-2]]))
    np.testing.assert_allclose(y, [ext[t : t + 3].mean() for t in range(10)], rtol=1e-12)
    # the dip at index 5 (9 below its neighbours) is cut to a third of its depth ...
    assert y[5] == pytest.approx(7.0)
    assert (10 - y[5]) <= (10 - x[5]) / 3
    # ... and the signal is calmer overall: the largest jump between samples shrinks
    assert np.abs(np.diff(y)).max() < np.abs(np.diff(x)).max() / 2
    g = smooth(x, "gaussian", sigma=1.0)
    assert g.min() > 5 and g[5] == g.min()


def test_smooth_keeps_float32_and_integers_give_float64():
    assert smooth(np.ones(8, dtype=np.float32)).dtype == np.float32
    assert smooth(np.ones(8, dtype=np.float32), "gaussian", sigma=2).dtype == np.float32
    assert smooth([1, 2, 3, 4]).dtype == np.float64


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match_"),
    [
        ((), {"kind": "median"}, ValueError, r"`kind` must be one of 'box', 'gaussian'; got"),
        ((), {"width": 4}, ValueError, r"`width` must be an odd positive integer .* got 4"),
        ((), {"width": 0}, ValueError, r"`width` must be an odd positive integer"),
        ((), {"width": 2.5}, TypeError, r"`width` must be an integer; got 2.5"),
        ((), {"sigma": 1.0}, ValueError, r"`sigma` applies to kind='gaussian' only"),
        ((), {"kind": "gaussian", "sigma": -1}, ValueError, r"`sigma` must be a positive"),
        ((), {"boundary": "mirror"}, ValueError, r"did you mean 'reflect'"),
    ],
)
def test_smooth_errors(args, kwargs, exc, match_):
    with pytest.raises(exc, match=match_):
        smooth(np.arange(10.0), *args, **kwargs)


def test_signal_input_errors():
    with pytest.raises(ValueError, match=r"`x` must be a 1D signal; got shape \(2, 3\)"):
        smooth(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"`x` must not be empty"):
        shift([], 1)
    with pytest.raises(TypeError, match=r"`x` must be a 1D array of real numbers; got complex"):
        smooth([1j, 2])
    with pytest.raises(TypeError, match=r"`x` must be a 1D array of real numbers"):
        smooth(["a", "b"])


# ----------------------------------------------------------------------------- shift


def test_article_shifts():
    np.testing.assert_array_equal(shift(F, 1), [0, 0, 0, 0, 3, 4, 5, 4, 3, 0])
    np.testing.assert_array_equal(shift(F, -1), [0, 0, 3, 4, 5, 4, 3, 0, 0, 0])


@given(
    x=st.lists(st.integers(-100, 100), min_size=1, max_size=30),
    n=st.integers(-70, 70),
)
def test_circular_shift_equals_roll(x, n):
    np.testing.assert_array_equal(shift(x, n, circular=True), np.roll(x, n))


@given(
    x=st.lists(st.integers(-100, 100), min_size=1, max_size=30),
    n=st.integers(-40, 40),
    fill=st.sampled_from([0.0, -1.5]),
)
def test_shift_with_fill_follows_definition(x, n, fill):
    m = len(x)
    want = [x[t - n] if 0 <= t - n < m else fill for t in range(m)]
    np.testing.assert_array_equal(shift(x, n, fill_value=fill), want)


def test_shift_dtypes_and_errors():
    assert shift(np.arange(5, dtype=np.float32), 2).dtype == np.float32
    with pytest.raises(TypeError, match=r"`n` must be an integer number of samples; got 1.5"):
        shift([1, 2, 3], 1.5)
    with pytest.raises(TypeError, match=r"`n` must be an integer"):
        shift([1, 2, 3], True)


# ----------------------------------------------------------------------------- soft shift


def _soft_shift_oracle(x, w, circular, fill=0.0):
    """sum_j w[j] * (x moved m - j samples to the right), by explicit indexing."""
    x = np.asarray(x, dtype=float)
    n, m = len(x), len(w) // 2
    y = np.zeros(n)
    for t in range(n):
        for j, wj in enumerate(w):
            src = t + j - m
            if circular:
                y[t] += wj * x[src % n]
            else:
                y[t] += wj * (x[src] if 0 <= src < n else fill)
    return y


def test_article_soft_shift_weights():
    np.testing.assert_array_equal(soft_shift(F, [1, 0, 0]), shift(F, 1))
    np.testing.assert_array_equal(soft_shift(F, [0, 0, 1]), shift(F, -1))
    np.testing.assert_array_equal(soft_shift(F, [0, 1, 0]), F)
    y = soft_shift(F, [0.8, 0.1, 0.1])
    np.testing.assert_allclose(y, _soft_shift_oracle(F, [0.8, 0.1, 0.1], False), rtol=1e-12)
    # most of the mass moved one step right: the peak (5 at index 5) now sits at index 6
    assert int(np.argmax(y)) == 6


@given(
    x=st.lists(st.floats(-100, 100), min_size=1, max_size=25),
    raw=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4),
    seed=st.integers(0, 1000),
)
def test_circular_soft_shift_conserves_sum(x, raw, seed):
    w = np.array(raw + raw[:-1][::-1]) if len(raw) > 1 else np.array(raw)  # odd length
    if w.sum() == 0:
        w = np.ones_like(w)
    w = np.random.default_rng(seed).permutation(w / w.sum())
    y = soft_shift(x, w, circular=True)
    assert y.sum() == pytest.approx(np.sum(x), abs=1e-9 * (1 + np.abs(x).sum()))
    np.testing.assert_allclose(y, _soft_shift_oracle(x, w, True), atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("circular", [False, True])
def test_soft_shift_matches_oracle(circular):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=12), rng.random(5)
    np.testing.assert_allclose(soft_shift(x, w, circular, fill_value=0.0),
                               _soft_shift_oracle(x, w, circular), rtol=1e-12, atol=1e-12)


def test_soft_shift_errors():
    with pytest.raises(ValueError, match=r"`weights` must have an odd number of entries.*got 2"):
        soft_shift([1, 2, 3], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"`weights` must be a 1D signal"):
        soft_shift([1, 2, 3], [[1.0]])


# ----------------------------------------------------------------------------- match


def _ncc_oracle(x, t, mode="valid", boundary="constant", fill=0.0):
    """Pearson correlation of each window with the template (loops; 0 for flat windows)."""
    x, t = np.asarray(x, float), np.asarray(t, float)
    k = len(t)
    if mode == "same":
        x = pad_ref(x, [(k // 2, (k - 1) // 2)], boundary, fill)
    out = []
    for i in range(len(x) - k + 1):
        w = x[i : i + k]
        wc, tc = w - w.mean(), t - t.mean()
        den = np.sqrt((wc**2).sum() * (tc**2).sum())
        out.append(0.0 if np.sqrt((wc**2).sum()) < 1e-9 else (wc * tc).sum() / den)
    return np.array(out)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", ["same", "valid"])
def test_match_equals_windowed_pearson(mode, boundary):
    rng = np.random.default_rng(5)
    x = 100.0 + rng.normal(size=30)  # a large offset tests the accuracy of the box sums
    t = rng.normal(size=6)
    got = match(x, t, mode=mode, boundary=boundary, fill_value=100.0)
    want = _ncc_oracle(x, t, mode, boundary, 100.0)
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_match_unnormalized_is_the_plain_correlation():
    rng = np.random.default_rng(6)
    x, t = rng.normal(size=20), rng.normal(size=4)
    np.testing.assert_allclose(match(x, t, normalize=False, mode="valid"),
                               np.correlate(x, t, "valid"), rtol=1e-12)


def test_match_properties():
    x = np.array([0, 0, 1, 2, 1, 0, 0, 5, 5, 5, 5], dtype=float)
    r = match(x, [1, 2, 1], mode="valid")
    assert r[2] == pytest.approx(1.0)  # exact copy of the template
    np.testing.assert_allclose(match(3 * x + 7, [1, 2, 1], mode="valid"), r, atol=1e-12)
    assert r[-1] == 0.0  # a flat window scores 0
    assert np.all(np.abs(r) <= 1.0)
    assert match(x.astype(np.float32), [1, 2, 1]).dtype == np.float32


def test_match_errors():
    with pytest.raises(ValueError, match=r"`template` must vary"):
        match([1, 2, 3, 4], [2, 2])
    with pytest.raises(ValueError, match=r"`template` \(length 5\) is longer than `x`"):
        match([1, 2, 3], [1, 2, 3, 4, 5], mode="valid")
    with pytest.raises(ValueError, match=r"`mode` must be one of"):
        match([1, 2, 3], [1, 2], mode="ful")


# ----------------------------------------------------------------------------- detect


def _matched(found, truth, tol):
    """Count true positives: each true centre matched by at most one detection within tol."""
    used = np.zeros(len(found), dtype=bool)
    hits = 0
    for c in truth:
        d = np.abs(np.asarray(found) - c)
        d[used] = tol + 1
        if len(d) and d.min() <= tol:
            used[int(np.argmin(d))] = True
            hits += 1
    return hits


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_detection_beats_thresholding_the_raw_signal(shape, seed):
    s = make_shape_signal(3000, positions=30, shape=shape, noise=0.15, spike_at="random",
                          spike_height=4.0, seed=seed)
    w = len(s.template)
    tol = w // 4
    d = detect(s.signal, s.template)
    tp = _matched(d.positions, s.positions, tol)
    precision, recall = tp / max(len(d.positions), 1), tp / len(s.positions)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    assert np.min(np.abs(d.positions - s.spike_at)) > tol  # the detector ignores the spike
    assert d.detected and d.probability > 0.5
    fp_budget = len(d.positions) - tp

    # Thresholding the raw signal: to recall every shape the threshold must stay below
    # the weakest shape's peak, and then it fires on the spike.
    def raw(h):
        return find_peaks(s.signal, height=h, distance=w)[0]

    half = w // 2
    need = min(s.signal[c - half : c + half + 1].max() for c in s.positions)
    fired = raw(need - 1e-9)
    assert np.min(np.abs(fired - s.spike_at)) == 0
    # Given the detector's false-positive budget instead, the threshold must clear the
    # spike (and whatever else is not a shape) and then it recalls almost nothing.
    peaks = find_peaks(s.signal, distance=w)[0]
    is_shape = np.array([np.min(np.abs(p - s.positions)) <= half for p in peaks])
    false_heights = np.sort(s.signal[peaks[~is_shape]])[::-1]
    h = false_heights[fp_budget] if fp_budget < len(false_heights) else -np.inf
    at_budget = raw(h + 1e-9)
    assert np.min(np.abs(at_budget - s.spike_at)) > 0 if len(at_budget) else True
    raw_recall = _matched(at_budget, s.positions, half) / len(s.positions)
    assert raw_recall < 0.5 <= recall


def test_detect_probability_is_the_articles_formula():
    s = make_shape_signal(200, positions=(50, 150), spike_at=100, seed=3)
    score = _ncc_oracle(s.signal, s.template, "same")
    for beta, gain, g in ((-0.9, None, 25.0), (-0.5, 1.0, 1.0), (0.0, 3.0, 3.0), (0.7, 1.0, 1.0)):
        d = detect(s.signal, s.template, beta=beta, gain=gain)
        want = 1.0 / (1.0 + np.exp(-max(g * (score.max() + beta), 0.0)))
        assert d.probability == pytest.approx(want, rel=1e-9) and d.gain == g
        np.testing.assert_allclose(
            d.curve, 1.0 / (1.0 + np.exp(-np.maximum(g * (score + beta), 0.0))), rtol=1e-9)
    # raw matched filter: (K ⋆ x)(t) itself
    d = detect(s.signal, s.template, beta=-5.0, normalize=False)
    raw = np.correlate(np.pad(s.signal, (10, 10)), s.template, "valid")
    assert d.probability == pytest.approx(1 / (1 + np.exp(-max(raw.max() - 5.0, 0))), rel=1e-9)
    assert d.positions.tolist() == [50, 150]


def test_detect_calibration_a_perfect_match_is_probable():
    # gain 1 caps a perfect normalized match at sigmoid(1 + beta) = 0.55 for beta -0.8;
    # the default gain lets it reach sigmoid(25 * 0.2) while noise stays at 0.5
    t = make_shape("wave", 21)
    x = np.concatenate([np.zeros(30), t, np.zeros(30)])
    assert detect(x, t, gain=1.0).probability == pytest.approx(1 / (1 + np.exp(-0.2)))
    assert detect(x, t).probability == pytest.approx(1 / (1 + np.exp(-5.0)))
    assert detect(t, t).probability > 0.99
    noise = make_shape_signal(2000, positions=(), spike_at=None, noise=1.0, seed=5).signal
    assert detect(noise, t).probability == pytest.approx(0.5)


def test_detect_template_longer_than_signal_is_an_error():
    with pytest.raises(ValueError, match=r"`template` \(length 5\) is longer than `x`"):
        detect([1.0, 2.0, 1.0], [0.0, 1.0, 2.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="`gain` must be a positive number"):
        detect(np.arange(10.0), [0.0, 1.0, 0.0], gain=0.0)


def test_detect_nothing_in_pure_noise_and_min_distance():
    s = make_shape_signal(2000, positions=(), spike_at=None, noise=1.0, seed=11)
    d = detect(s.signal, make_shape("wave", 21))
    assert d.positions.size == 0 and not d.detected and d.probability == pytest.approx(0.5)
    # two copies 12 samples apart, the second weaker: min_distance decides whether both
    # are reported (raw matched filter, so that the weaker copy scores lower)
    t = make_shape("bump", 9)
    x = np.zeros(80)
    x[20 - 4 : 20 + 5] += t
    x[32 - 4 : 32 + 5] += 0.9 * t
    beta = -0.5 * float(t @ t)
    assert detect(x, t, beta, normalize=False, min_distance=5).positions.tolist() == [20, 32]
    assert detect(x, t, beta, normalize=False, min_distance=20).positions.tolist() == [20]


def test_detect_errors():
    with pytest.raises(ValueError, match=r"`threshold` must be a probability in \[0, 1\); got 1"):
        detect([1, 2, 3, 2, 1], [1, 2, 1], threshold=1)
    with pytest.raises(ValueError, match=r"`min_distance` must be at least 1; got 0"):
        detect([1, 2, 3, 2, 1], [1, 2, 1], min_distance=0)
    with pytest.raises(TypeError, match=r"`beta` must be a real number; got 'x'"):
        detect([1, 2, 3, 2, 1], [1, 2, 1], beta="x")


# ----------------------------------------------------------------------------- scenario


def test_shape_signal_without_noise_is_the_sum_of_its_parts():
    s = make_shape_signal(300, positions=(35, 255), shape="triangle", noise=0.0,
                          spike_at=150, spike_height=4.0)
    want = np.zeros(300)
    for c in (35, 255):
        for i, v in enumerate(s.template):
            want[c - 10 + i] += v
    want[150] += 4.0
    np.testing.assert_array_equal(s.signal, want)
    assert s.positions.tolist() == [35, 255] and s.spike_at == 150


@given(count=st.integers(0, 25), seed=st.integers(0, 10**6), width=st.sampled_from([5, 21]))
def test_random_placement_is_valid(count, seed, width):
    s = make_shape_signal(1500, positions=count, shape="square", width=width, noise=0.0,
                          spike_at="random", seed=seed)
    p = s.positions
    assert len(p) == count
    assert np.all(np.diff(p) >= width)
    assert p.size == 0 or (p[0] >= width // 2 and p[-1] + width - width // 2 <= 1500)
    assert p.size == 0 or np.min(np.abs(p - s.spike_at)) >= width
    assert s.signal.sum() == pytest.approx(count * s.template.sum() + 4.0)


@given(count=st.integers(1, 6), seed=st.integers(0, 10**6))
def test_random_shapes_keep_clear_of_a_fixed_spike(count, seed):
    s = make_shape_signal(300, positions=count, spike_at=150, noise=0.0, seed=seed)
    assert np.min(np.abs(s.positions - 150)) >= len(s.template)
    assert s.spike_at == 150 and s.signal[150] == 4.0


def test_shape_signal_is_reproducible_and_named_shapes():
    a = make_shape_signal(seed=5)
    b = make_shape_signal(seed=5)
    np.testing.assert_array_equal(a.signal, b.signal)
    for name in SHAPES:
        t = make_shape(name, 21)
        assert t.shape == (21,) and t.max() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize(
    ("kwargs", "match_"),
    [
        ({"positions": (5,)}, r"between 10 and 289; got \[5\]"),
        ({"positions": (50, 60)}, r"at least the shape's length \(21\) apart"),
        ({"spike_at": 40}, r"`spike_at`=40 must be at least the shape's length"),
        ({"spike_at": 400}, r"`spike_at` must be in \[0, 300\); got 400"),
        ({"positions": 40}, r"40 shapes of length 21 do not fit"),
        ({"noise": -1.0}, r"`noise` must be >= 0"),
        ({"shape": "circle"}, r"`shape` must be one of 'bump', 'triangle'"),
        ({"spike_at": "somewhere"}, r"`spike_at` must be an index, 'random' or None"),
    ],
)
def test_shape_signal_errors(kwargs, match_):
    with pytest.raises(ValueError, match=match_):
        make_shape_signal(**kwargs)
