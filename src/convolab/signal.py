"""1D signal tools, each one a convolution: smoothing, shifting, template matching, detection.

Everything here runs on :func:`convolab.correlate` / :func:`convolab.convolve`:

* :func:`smooth` removes noise with a box or Gaussian kernel;
* :func:`shift` moves a signal by correlating with ``[1, 0, 0]``-style kernels
  (``circular=True`` wraps around, the engine's ``boundary='wrap'``);
  :func:`soft_shift` spreads it over several shifts, as a Neural Turing Machine
  does with ``[0.8, 0.1, 0.1]``;
* :func:`match` slides a template along the signal (normalized
  cross-correlation), and :func:`detect` turns it into the one-layer CNN
  detector ``Pr = sigmoid(ReLU(max_t (K ⋆ x)(t) + β))`` plus the positions of
  the occurrences;
* :func:`make_shape_signal` makes the test scenario: a shape at chosen places in
  noise, plus one tall isolated spike that fools a plain threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from convolab.conv import correlate
from convolab.conv.boundary import check_boundary
from convolab.conv.geometry import check_mode
from convolab.kernels import gaussian

__all__ = [
    "SHAPES",
    "Detection",
    "ShapeSignal",
    "detect",
    "make_shape",
    "make_shape_signal",
    "match",
    "shift",
    "smooth",
    "soft_shift",
]

SHAPES = ("bump", "triangle", "square", "wave")
_KINDS = ("box", "gaussian")


# ----------------------------------------------------------------------------- smoothing


def smooth(
    x: Sequence[float] | np.ndarray,
    kind: str = "box",
    width: int | None = None,
    sigma: float | None = None,
    *,
    boundary: str = "reflect",
    fill_value: float = 0.0,
    truncate: float = 4.0,
) -> np.ndarray:
    r"""Smooth a 1D signal with a normalized box or Gaussian kernel (``same`` size).

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal.
    kind : {'box', 'gaussian'}
        ``box``: the mean of ``width`` neighbouring samples; ``gaussian``: weights
        :math:`\propto e^{-i^2 / (2\sigma^2)}` for offsets ``|i| <= width // 2``.
    width : int, optional
        Odd number of taps (the kernel is centred on each sample). Defaults to 3
        for ``box`` and ``2 * round(truncate * sigma) + 1`` for ``gaussian``.
    sigma : float, optional
        Standard deviation of the Gaussian in samples (default 1); ``gaussian`` only.
    boundary : {'reflect', 'constant', 'edge', 'symmetric', 'wrap'}
        How the signal is extended past its ends (``numpy.pad`` names). The default
        ``reflect`` (``cb|abcd|cb``) keeps the ends from sagging towards zero.
    fill_value : float
        The constant for ``boundary='constant'``.
    truncate : float
        For ``gaussian`` without ``width``: the kernel reaches ``truncate`` sigmas.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``y[t] = sum_i w[i] x[t + i - width // 2]`` with ``sum(w) = 1``; float32
        stays float32, integers give float64.

    Raises
    ------
    ValueError
        Unknown ``kind``/``boundary``, an even or non-positive ``width``, a
        non-positive ``sigma``, ``sigma`` given with ``kind='box'``, or a signal
        that is not 1D or is empty.
    TypeError
        Non-numeric or complex input.

    Examples
    --------
    The noisy signal of "From Convolution to Neural Network": the dip at index 5
    is spread out and damped.

    >>> smooth([10, 9, 10, 9, 10, 1, 10, 9, 10, 8], "box", 3).round(2)
    array([9.33, 9.67, 9.33, 9.67, 6.67, 7.  , 6.67, 9.67, 9.  , 9.33])
    """
    xa = _signal(x, "x")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"`kind` must be one of 'box', 'gaussian'; got {kind!r}")
    boundary = check_boundary(boundary)
    if kind == "box":
        if sigma is not None:
            raise ValueError(f"`sigma` applies to kind='gaussian' only; got sigma={sigma!r}")
        w = 3 if width is None else _odd_width(width)
        taps = np.full(w, 1.0 / w)
    else:
        s = 1.0 if sigma is None else _positive(sigma, "sigma")
        t = _positive(truncate, "truncate")
        w = 2 * int(t * s + 0.5) + 1 if width is None else _odd_width(width)
        taps = gaussian(s, size=(1, w))[0]  # the kernel bank's, as one row
    return correlate(
        xa, taps.astype(_float(xa)), "same", boundary=boundary, fill_value=_real(fill_value)
    )


# ----------------------------------------------------------------------------- shifting


def shift(
    x: Sequence[float] | np.ndarray,
    n: int,
    circular: bool = False,
    *,
    fill_value: float = 0.0,
) -> np.ndarray:
    """Shift a signal ``n`` samples to the right (left for ``n < 0``) by a correlation.

    The kernel is the articles' ``[1, 0, 0]`` (right) or ``[0, 0, 1]`` (left) with
    its taps ``|n|`` samples apart (dilation ``|n|``), correlated in ``same`` mode.

    Parameters
    ----------
    x : array_like, shape (m,)
        The signal.
    n : int
        Number of samples to move by; positive moves towards higher indices.
    circular : bool
        Wrap around (boundary ``wrap``): equals ``numpy.roll(x, n)``. Otherwise
        the vacated samples become ``fill_value``.
    fill_value : float
        What enters at the border when ``circular`` is false.

    Returns
    -------
    numpy.ndarray, shape (m,)
        ``y[t] = x[t - n]`` (``x[(t - n) mod m]`` when circular).

    Raises
    ------
    TypeError
        ``n`` not an integer, or non-numeric input.
    ValueError
        A signal that is not 1D or is empty.

    Notes
    -----
    This is a convolution, so it follows the definition: a NaN or inf in ``x``
    also reaches the outputs where it meets a zero tap (``0 × inf = NaN``).

    Examples
    --------
    >>> f = [0, 0, 0, 3, 4, 5, 4, 3, 0, 0]
    >>> shift(f, 1)
    array([0., 0., 0., 0., 3., 4., 5., 4., 3., 0.])
    >>> shift(f, -1)
    array([0., 0., 3., 4., 5., 4., 3., 0., 0., 0.])
    >>> shift([1, 2, 3, 4], 1, circular=True)
    array([4., 1., 2., 3.])
    """
    xa = _signal(x, "x")
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)):
        raise TypeError(f"`n` must be an integer number of samples; got {n!r}")
    m = xa.shape[0]
    n = int(n)
    if circular:
        n %= m
        if n > m // 2:
            n -= m  # the shorter way round needs less padding
    else:
        n = max(-m, min(m, n))  # beyond the length everything is fill
    dtype = _float(xa)
    if n == 0:
        return correlate(xa, np.ones(1, dtype=dtype), "same")
    taps = np.array([1.0, 0.0, 0.0] if n > 0 else [0.0, 0.0, 1.0], dtype=dtype)
    return correlate(
        xa, taps, "same", boundary="wrap" if circular else "constant",
        fill_value=_real(fill_value), dilation=abs(n), method="direct",
    )


def soft_shift(
    x: Sequence[float] | np.ndarray,
    weights: Sequence[float] | np.ndarray,
    circular: bool = False,
    *,
    fill_value: float = 0.0,
) -> np.ndarray:
    """Blend several shifts of ``x``: a correlation with a short, centred weight vector.

    With ``2m + 1`` weights, ``weights[j]`` is how much of the signal moves by
    ``m - j`` samples to the right: ``[1, 0, 0]`` shifts right, ``[0, 0, 1]``
    left, ``[0, 1, 0]`` keeps it, and the articles' ``[0.8, 0.1, 0.1]`` shifts
    most of it right while spreading the rest (the rotational shift of a Neural
    Turing Machine's attention when ``circular=True``).

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal.
    weights : array_like, shape (2m + 1,)
        Odd number of weights, centred on "no shift".
    circular : bool
        Wrap around (boundary ``wrap``); then ``sum(y) == sum(x) * sum(weights)``.
    fill_value : float
        What enters at the border when ``circular`` is false.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``y[t] = sum_j weights[j] x[t + j - m]`` (indices mod ``n`` when circular).

    Raises
    ------
    ValueError
        An even number of weights, weights that are not 1D or empty.
    TypeError
        Non-numeric input.

    Examples
    --------
    >>> soft_shift([0, 0, 10, 0, 0], [0.8, 0.1, 0.1])
    array([0., 1., 1., 8., 0.])
    >>> soft_shift([10, 0, 0, 0], [0.8, 0.1, 0.1], circular=True)
    array([1., 8., 0., 1.])
    """
    xa = _signal(x, "x")
    wa = _signal(weights, "weights")
    if wa.shape[0] % 2 == 0:
        raise ValueError(
            "`weights` must have an odd number of entries (centred on 'no shift'); "
            f"got {wa.shape[0]}"
        )
    return correlate(
        xa, wa.astype(_out_dtype(xa, wa)), "same",
        boundary="wrap" if circular else "constant", fill_value=_real(fill_value),
    )


# ----------------------------------------------------------------------------- matching


def match(
    x: Sequence[float] | np.ndarray,
    template: Sequence[float] | np.ndarray,
    normalize: bool = True,
    *,
    mode: str = "same",
    boundary: str = "constant",
    fill_value: float = 0.0,
) -> np.ndarray:
    r"""Slide ``template`` along ``x``: the (normalized) cross-correlation at every position.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal.
    template : array_like, shape (k,)
        The shape to look for (at least two different values when ``normalize``).
    normalize : bool
        ``True``: the Pearson correlation of each window with the template, in
        ``[-1, 1]``, blind to the window's offset and scale. ``False``: the plain
        correlation ``(K ⋆ x)(t)``, the matched filter.
    mode : {'same', 'valid', 'full'}
        ``same`` (default): entry ``t`` is the window centred on sample ``t``
        (``x[t - k//2 : t - k//2 + k]``), padded by ``boundary`` near the ends.
        ``valid``: entry ``t`` is the window ``x[t : t + k]``.
    boundary : {'constant', 'edge', 'reflect', 'symmetric', 'wrap'}
        How windows that reach past the ends are filled.
    fill_value : float
        The constant for ``boundary='constant'``.

    Returns
    -------
    numpy.ndarray
        One score per position (length ``n`` for ``same``).

    Raises
    ------
    ValueError
        A constant template with ``normalize=True``, a template longer than ``x``
        with ``mode='valid'``, bad ``mode``/``boundary``, non-1D or empty input.
    TypeError
        Non-numeric or complex input.

    Notes
    -----
    With :math:`\tilde K = K - \bar K` and window :math:`W_t` of ``k`` samples,

    .. math:: \rho(t) = \frac{\sum_i \tilde K_i\, W_t[i]}
              {\lVert \tilde K \rVert \sqrt{\sum_i W_t[i]^2 - (\sum_i W_t[i])^2 / k}}

    computed with three correlations (template, and a box of ones over ``x`` and
    ``x**2``, after removing the global mean of ``x`` for accuracy). A window
    without variation scores 0.

    Examples
    --------
    >>> match([0, 0, 1, 2, 1, 0, 0], [1, 2, 1], mode="valid").round(3)
    array([-0.5,  0. ,  1. ,  0. , -0.5])
    """
    xa = _signal(x, "x")
    ta = _signal(template, "template")
    mode = check_mode(mode)
    boundary = check_boundary(boundary)
    fill = _real(fill_value)
    k = ta.shape[0]
    if mode == "valid" and k > xa.shape[0]:
        raise ValueError(
            f"`template` (length {k}) is longer than `x` (length {xa.shape[0]}); "
            "mode 'valid' has no position where it fits"
        )
    if not normalize:
        return correlate(xa, ta.astype(_out_dtype(xa, ta)), mode, boundary=boundary,
                         fill_value=fill)
    t64 = ta.astype(np.float64)
    tc = t64 - t64.mean()
    tnorm = math.sqrt(float(np.dot(tc, tc)))
    if tnorm <= 1e-12 * max(float(np.abs(t64).max()), 1e-300) * math.sqrt(k):
        raise ValueError(
            "`template` must vary for normalized matching (it is constant); "
            "pass normalize=False for a plain correlation"
        )
    x64 = xa.astype(np.float64)
    finite = np.isfinite(x64)
    centre = float(x64[finite].mean()) if finite.any() else 0.0
    xc = x64 - centre
    fc = fill - centre
    ones = np.ones(k)
    common = {"boundary": boundary}
    num = correlate(xc, tc, mode, fill_value=fc, **common)
    s1 = correlate(xc, ones, mode, fill_value=fc, **common)
    s2 = correlate(xc * xc, ones, mode, fill_value=fc * fc, **common)
    spread = s2 - s1 * s1 / k  # sum of squared deviations in each window
    scale = float(np.mean(xc[finite] ** 2)) if finite.any() else 0.0
    flat = spread <= 1e-10 * k * max(scale, 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = num / (np.sqrt(np.where(flat, 1.0, spread)) * tnorm)
    rho = np.where(flat & np.isfinite(spread), 0.0, np.clip(rho, -1.0, 1.0))
    return rho.astype(_out_dtype(xa, ta))


@dataclass(frozen=True)
class Detection:
    """What :func:`detect` found.

    Attributes
    ----------
    probability : float
        ``sigmoid(ReLU(gain * (max_t score(t) + beta)))``: how sure the detector is
        that the shape occurs at least once (never below 0.5, the ReLU's floor).
    positions : numpy.ndarray of int
        Centres of the detected occurrences, in increasing order.
    score : numpy.ndarray
        The score at every sample (:func:`match` in ``same`` mode).
    curve : numpy.ndarray
        ``sigmoid(ReLU(gain * (score + beta)))`` at every sample.
    beta, threshold, gain : float
        The bias, the probability threshold and the gain used.
    """

    probability: float
    positions: np.ndarray
    score: np.ndarray
    curve: np.ndarray
    beta: float
    threshold: float
    gain: float = 1.0

    @property
    def detected(self) -> bool:
        """Whether the shape was found at least once (``probability > threshold``)."""
        return bool(self.probability > self.threshold)


def detect(
    x: Sequence[float] | np.ndarray,
    template: Sequence[float] | np.ndarray,
    beta: float = -0.8,
    threshold: float = 0.5,
    *,
    normalize: bool = True,
    min_distance: int | None = None,
    boundary: str = "constant",
    gain: float | None = None,
) -> Detection:
    r"""The one-layer CNN detector of "A primer on CNNs for mathy people", with positions.

    .. math:: \Pr(Y \mid x) = \sigma\bigl(\mathrm{ReLU}(\max_t (K \star x)(t) + \beta)\bigr)

    where :math:`\sigma(z) = 1 / (1 + e^{-z})` and :math:`K \star x` is the
    correlation of the template with the signal. The article's kernel and bias
    are learned, so their scale is free; here the score :math:`\rho` (normalized
    by default, see :func:`match`) is scaled by a ``gain`` :math:`g`, i.e.
    :math:`K = g\,\hat K` and the article's bias is :math:`g\beta`:

    .. math:: \Pr = \sigma\bigl(\mathrm{ReLU}(g\,(\max_t \rho(t) + \beta))\bigr)

    Calibration: ``beta`` sets where detection starts (:math:`\rho > -\beta`,
    probability 0.5), ``gain`` how fast the probability rises above it. With
    the normalized score in ``[-1, 1]`` a gain of 1 caps a perfect match at
    :math:`\sigma(1 + \beta)` (0.55 for ``beta=-0.8``), so the default gain
    is 25: a perfect match then scores :math:`\sigma(5) = 0.993`, a correlation
    of 0.9 scores 0.92. Occurrences are the samples where
    :math:`\sigma(\mathrm{ReLU}(score(t) + \beta)) >` ``threshold`` that survive
    non-maximum suppression: of two such peaks closer than ``min_distance`` only
    the higher is kept.

    Parameters
    ----------
    x : array_like, shape (n,)
        The signal.
    template : array_like, shape (k,)
        The kernel ``K``: the shape to detect.
    beta : float
        The bias. With the normalized score in ``[-1, 1]`` the default ``-0.8``
        asks for a correlation above 0.8: a window of pure noise reaches that with
        probability about 1e-5 for a 21-sample template (a bias of 0 would accept
        every window that correlates positively, half of all noise). Short
        templates need a bias closer to -1. With ``normalize=False`` choose it on
        the scale of ``sum(K * K)``.
    threshold : float
        Probability above which a position counts, in ``[0, 1)``. Because of the
        ReLU the probability is at least 0.5, so the default 0.5 means
        ``score + beta > 0``.
    normalize : bool
        Use the normalized cross-correlation (default) or the raw ``K ⋆ x``.
    min_distance : int, optional
        Smallest distance between two reported positions (default ``k``).
    boundary : str
        Boundary rule for windows at the ends (see :func:`match`).
    gain : float, optional
        Positive scale of ``score + beta`` (default 25 for the normalized score,
        1 for the raw correlation, whose scale is the template's own).

    Returns
    -------
    Detection
        ``.probability``, ``.positions``, ``.score``, ``.curve``, ``.detected``.

    Raises
    ------
    ValueError
        ``threshold`` outside ``[0, 1)``, ``min_distance < 1``, ``gain <= 0``, a
        template longer than the signal, or as :func:`match`.
    TypeError
        Non-numeric ``beta``/``threshold``/``min_distance``.

    Examples
    --------
    >>> s = make_shape_signal(120, positions=(30, 90), shape="wave", spike_at=60, seed=0)
    >>> d = detect(s.signal, s.template)
    >>> d.positions.tolist(), d.detected
    ([30, 90], True)
    >>> round(detect(s.template, s.template).probability, 3)   # a perfect match
    0.993
    """
    b = _real(beta, "beta")
    thr = _real(threshold, "threshold")
    if not 0.0 <= thr < 1.0:
        raise ValueError(f"`threshold` must be a probability in [0, 1); got {threshold!r}")
    ta = _signal(template, "template")
    xa = _signal(x, "x")
    if ta.shape[0] > xa.shape[0]:
        raise ValueError(
            f"`template` (length {ta.shape[0]}) is longer than `x` (length {xa.shape[0]}); "
            "it cannot occur in it"
        )
    g = (25.0 if normalize else 1.0) if gain is None else _positive(gain, "gain")
    if min_distance is None:
        min_distance = ta.shape[0]
    if not isinstance(min_distance, (int, np.integer)) or isinstance(min_distance, bool):
        raise TypeError(f"`min_distance` must be an integer; got {min_distance!r}")
    if min_distance < 1:
        raise ValueError(f"`min_distance` must be at least 1; got {min_distance}")
    from scipy.signal import find_peaks  # imported here: scipy.signal takes 0.5 s to load
    from scipy.special import expit

    score = match(xa, ta, normalize, mode="same", boundary=boundary)
    s64 = score.astype(np.float64)
    curve = expit(np.maximum(g * (s64 + b), 0.0))
    with np.errstate(invalid="ignore"):
        probability = float(expit(max(g * (float(np.max(s64)) + b), 0.0)))
    keep = curve > thr  # False where the score is NaN
    masked = np.concatenate(([-np.inf], np.where(keep, s64, -np.inf), [-np.inf]))
    peaks, _ = find_peaks(masked, distance=int(min_distance))
    peaks = peaks - 1
    peaks = peaks[keep[peaks]]
    return Detection(
        probability=probability,
        positions=peaks.astype(np.intp),
        score=score,
        curve=curve.astype(score.dtype),
        beta=b,
        threshold=thr,
        gain=g,
    )


# ----------------------------------------------------------------------------- scenario


@dataclass(frozen=True)
class ShapeSignal:
    """A generated signal and what is in it.

    Attributes
    ----------
    signal : numpy.ndarray
        The samples (float64).
    positions : numpy.ndarray of int
        Centres of the shapes, increasing.
    spike_at : int or None
        Index of the spike, if any.
    template : numpy.ndarray
        The clean shape that was placed (use it as the detector's kernel).
    """

    signal: np.ndarray
    positions: np.ndarray
    spike_at: int | None
    template: np.ndarray


def make_shape(shape: str = "wave", width: int = 21) -> np.ndarray:
    """One of the named test shapes, ``width`` samples long, peak value 1.

    ``bump`` (Gaussian, sigma ``width/6``), ``triangle``, ``square`` (a pulse over
    the middle half, zero around it), ``wave`` (one period of a sine).

    Examples
    --------
    >>> make_shape("triangle", 5)
    array([0.33333333, 0.66666667, 1.        , 0.66666667, 0.33333333])
    """
    if not isinstance(shape, str) or shape not in SHAPES:
        raise ValueError(f"`shape` must be one of {', '.join(map(repr, SHAPES))}; got {shape!r}")
    if not isinstance(width, (int, np.integer)) or isinstance(width, bool) or width < 2:
        raise ValueError(f"`width` must be an integer of at least 2; got {width!r}")
    u = np.arange(width) - (width - 1) / 2
    if shape == "bump":
        return np.exp(-0.5 * (u / (width / 6)) ** 2)
    if shape == "triangle":
        return 1.0 - np.abs(u) / ((width + 1) / 2)
    if shape == "square":
        return (np.abs(u) <= width / 4).astype(np.float64)
    return np.sin(2 * np.pi * np.arange(width) / (width - 1))


def make_shape_signal(
    length: int = 300,
    positions: int | Sequence[int] = (35, 255),
    shape: str | Sequence[float] | np.ndarray = "wave",
    noise: float = 0.15,
    spike_at: int | None | Literal["random"] = 150,
    spike_height: float = 4.0,
    seed: int | np.random.Generator | None = None,
    *,
    width: int = 21,
) -> ShapeSignal:
    """The articles' detection scenario: a shape at some places in noise, plus one tall spike.

    Parameters
    ----------
    length : int
        Number of samples.
    positions : int or sequence of int
        Centres of the shapes, or how many to place at random (not overlapping).
        Every shape must fit inside the signal.
    shape : str or array_like
        A name from :data:`SHAPES` (``width`` samples long) or the samples themselves.
    noise : float
        Standard deviation of the white Gaussian noise added everywhere.
    spike_at : int, None or 'random'
        Where the single-sample spike goes (at least a shape's length away from every
        shape), ``'random'`` to pick such a place, ``None`` for no spike.
    spike_height : float
        Height added at ``spike_at``; taller than the shapes, so thresholding the
        raw signal fires on it.
    seed : int, numpy.random.Generator or None
        Randomness for the noise and random placements.
    width : int
        Length of a named shape.

    Returns
    -------
    ShapeSignal
        ``.signal``, ``.positions``, ``.spike_at``, ``.template``.

    Raises
    ------
    ValueError
        Shapes that overlap, reach past the ends or do not fit; a spike too close to a
        shape or outside the signal; negative ``noise``.

    Examples
    --------
    >>> s = make_shape_signal(seed=0)
    >>> s.signal.shape, s.positions.tolist(), s.spike_at
    ((300,), [35, 255], 150)
    """
    if not isinstance(length, (int, np.integer)) or isinstance(length, bool) or length < 1:
        raise ValueError(f"`length` must be a positive integer; got {length!r}")
    rng = np.random.default_rng(seed)
    template = make_shape(shape, width) if isinstance(shape, str) else _signal(shape, "shape")
    template = template.astype(np.float64)
    w = template.shape[0]
    lo, hi = w // 2, length - (w - w // 2)  # allowed centres: lo..hi
    sigma = _real(noise, "noise")
    if sigma < 0:
        raise ValueError(f"`noise` must be >= 0; got {noise!r}")
    if isinstance(positions, (int, np.integer)) and not isinstance(positions, bool):
        fixed_spike = isinstance(spike_at, (int, np.integer)) and not isinstance(spike_at, bool)
        for _attempt in range(200):  # random placement that keeps clear of a given spike
            reserve = isinstance(spike_at, str) and spike_at == "random"
            centres = _random_centres(int(positions), lo, hi, w, reserve, rng)
            if not fixed_spike or centres.size == 0 or np.min(np.abs(centres - spike_at)) >= w:
                break
        else:
            raise ValueError(
                f"could not place {int(positions)} shapes of length {w} clear of the spike at "
                f"{spike_at}; use fewer shapes, a longer signal or spike_at='random'"
            )
    else:
        centres = np.sort(np.asarray(positions, dtype=np.int64).ravel())
        bad = centres[(centres < lo) | (centres > hi)]
        if bad.size:
            raise ValueError(
                f"`positions` must keep each shape (length {w}) inside the signal, i.e. "
                f"between {lo} and {hi}; got {bad.tolist()}"
            )
        if np.any(np.diff(centres) < w):
            raise ValueError(
                f"`positions` must be at least the shape's length ({w}) apart; "
                f"got {centres.tolist()}"
            )
    spike = _place_spike(spike_at, centres, length, w, rng)
    x = sigma * rng.standard_normal(length) if sigma > 0 else np.zeros(length)
    if centres.size:
        idx = centres[:, None] - w // 2 + np.arange(w)[None, :]
        x[idx] += template[None, :]
    if spike is not None:
        x[spike] += _real(spike_height, "spike_height")
    return ShapeSignal(x, centres.astype(np.intp), spike, template)


# ----------------------------------------------------------------------------- helpers


def _signal(v: object, name: str) -> np.ndarray:
    try:
        a = np.asarray(v)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be a 1D array of numbers; got {v!r}") from exc
    if a.dtype.kind not in "biuf":
        what = "complex" if a.dtype.kind == "c" else f"dtype {a.dtype}"
        raise TypeError(f"`{name}` must be a 1D array of real numbers; got {what}")
    if a.ndim != 1:
        raise ValueError(f"`{name}` must be a 1D signal; got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"`{name}` must not be empty")
    return a


def _float(a: np.ndarray) -> np.dtype:
    """float32 (and float16) compute in float32, everything else in float64."""
    return np.dtype(np.float32) if a.dtype.kind == "f" and a.dtype.itemsize <= 4 else np.dtype(
        np.float64
    )


def _out_dtype(x: np.ndarray, k: np.ndarray) -> np.dtype:
    """Result dtype: the signal's float type, unless a float kernel asks for more precision.

    An integer kernel (a literal such as ``[1, 0, 0]``) never upcasts a float32 signal.
    """
    if k.dtype.kind in "biu":
        return _float(x)
    return np.result_type(_float(x), _float(k))


def _real(v: object, name: str = "fill_value") -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"`{name}` must be a real number; got {v!r}")
    return float(v)


def _positive(v: object, name: str) -> float:
    f = _real(v, name)
    if not (f > 0 and math.isfinite(f)):
        raise ValueError(f"`{name}` must be a positive number; got {v!r}")
    return f


def _odd_width(width: object) -> int:
    if not isinstance(width, (int, np.integer)) or isinstance(width, bool):
        raise TypeError(f"`width` must be an integer; got {width!r}")
    if width < 1 or width % 2 == 0:
        raise ValueError(
            f"`width` must be an odd positive integer (the kernel is centred on each "
            f"sample); got {width}"
        )
    return int(width)


def _random_centres(
    count: int, lo: int, hi: int, w: int, reserve: bool, rng: np.random.Generator
) -> np.ndarray:
    """``count`` centres in ``[lo, hi]`` at least ``w`` apart, uniformly spread (no loop)."""
    if count < 0:
        raise ValueError(f"`positions` must be a count >= 0 or a list of centres; got {count}")
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    # one shape's worth of room per shape, plus room for an isolated spike
    free = hi - lo - (count - 1) * w - (2 * w if reserve else 0)
    if free < 0:
        raise ValueError(
            f"{count} shapes of length {w} do not fit in the signal; use fewer or a longer one"
        )
    offsets = np.sort(rng.integers(0, free + 1, size=count))
    centres = lo + offsets + np.arange(count) * w
    if reserve:  # open a gap of 2w at a random place between shapes for the spike
        gap_after = rng.integers(0, count + 1)
        centres[gap_after:] += 2 * w
    return centres.astype(np.int64)


def _place_spike(
    spike_at: object, centres: np.ndarray, length: int, w: int, rng: np.random.Generator
) -> int | None:
    if spike_at is None:
        return None
    if isinstance(spike_at, str):
        if spike_at != "random":
            raise ValueError(f"`spike_at` must be an index, 'random' or None; got {spike_at!r}")
        t = np.arange(length)
        if centres.size:
            j = np.clip(np.searchsorted(centres, t), 1, centres.size) - 1
            near = np.minimum(
                np.abs(t - centres[j]), np.abs(t - centres[np.minimum(j + 1, centres.size - 1)])
            )
            t = t[near >= w]
        if t.size == 0:
            raise ValueError("no room for an isolated spike; use fewer shapes or a longer signal")
        return int(rng.choice(t))
    if not isinstance(spike_at, (int, np.integer)) or isinstance(spike_at, bool):
        raise TypeError(f"`spike_at` must be an index, 'random' or None; got {spike_at!r}")
    if not 0 <= spike_at < length:
        raise ValueError(f"`spike_at` must be in [0, {length}); got {spike_at}")
    if centres.size and np.min(np.abs(centres - spike_at)) < w:
        raise ValueError(
            f"`spike_at`={spike_at} must be at least the shape's length ({w}) away from "
            f"every shape centre {centres.tolist()}"
        )
    return int(spike_at)
