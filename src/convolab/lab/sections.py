"""The Slide, Filter and Signals sections: JSON in, the library's results out."""

from __future__ import annotations

import base64
import inspect
import io
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

import convolab
from convolab import image, kernels, signal
from convolab.conv import BOUNDARIES, MODES
from convolab.conv.geometry import effective_size
from convolab.explain import explain
from convolab.lab.inputs import BadInput, array, choice, field, integer, number

SAMPLES = Path(__file__).with_name("samples")
SAMPLE_NAMES = ("camera", "astronaut", "coins")
OPS = ("correlate", "convolve")
SLIDE_MAX = {1: 64, 2: 16}  # input samples per axis the Slide page writes out
KERNEL_MAX = 9
FILTER_KERNEL_MAX = 31
PARAM_MAX = 64
MAX_UPLOAD_BYTES = 8 * 2**20
MAX_UPLOAD_PIXELS = 2048 * 2048
SIGNAL_MAX = 4096


def _pixels(a: np.ndarray, scale: str) -> dict[str, Any]:
    """A gray image for a canvas: its shape and its 8-bit pixels, row by row, in base64.

    Raw pixels, not a PNG: they never leave this machine, and encoding a 512² PNG takes longer
    than the filter itself.
    """
    q = image.to_uint8(a, scale)
    return {"shape": list(q.shape), "data": base64.b64encode(q.tobytes()).decode()}


def _lists(a: np.ndarray, digits: int = 6) -> list:
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


# --------------------------------------------------------------------------- kernel bank


def kernel_bank() -> list[dict[str, Any]]:
    """Every registered kernel with its parameters and their defaults."""
    bank = []
    for name in kernels.names():
        params = []
        for p in inspect.signature(getattr(kernels, name)).parameters.values():
            default = p.default if p.default is not inspect.Parameter.empty else None
            params.append({"name": p.name, "default": default})
        bank.append({"name": name, "params": params})
    return bank


def kernel_from(body: Any, what: str = "kernel", max_side: int = FILTER_KERNEL_MAX) -> np.ndarray:
    """A 2D kernel from ``{"name": ..., "params": {...}}`` (the bank) or ``{"matrix": [[...]]}``."""
    if not isinstance(body, dict):
        raise BadInput(f"`{what}` must be an object with `name` (and `params`) or `matrix`")
    if "matrix" in body:
        k = array(body, "matrix", (2,), max_side * max_side)
    else:
        name = field(body, "name")
        params = field(body, "params", {})
        if not isinstance(name, str) or not isinstance(params, dict):
            raise BadInput(f"`{what}.name` must be a string and `{what}.params` an object")
        for key, value in params.items():  # a size of 10**6 would ask for terabytes
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not (
                    abs(value) <= PARAM_MAX):  # fmt: skip
                raise BadInput(f"`{what}.params.{key}` must lie in [-{PARAM_MAX}, {PARAM_MAX}]; "
                               f"got {value!r}")  # fmt: skip
        try:
            k = np.asarray(kernels.get(name, **params), dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise BadInput(f"`{what}`: {exc}") from None
    if k.ndim != 2 or max(k.shape) > max_side:
        raise BadInput(f"`{what}` must be 2D and at most {max_side}x{max_side}; got {k.shape}")
    return k


def kernel(body: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/kernel``: a kernel from the bank, as a matrix."""
    k = kernel_from(body)
    return {"matrix": _lists(k), "shape": list(k.shape)}


# --------------------------------------------------------------------------- Slide


def _row_lines(text: str, head: str, rows: int) -> list[str]:
    """The line of each row in ``Explanation.render()`` (2D rows carry patch lines below)."""
    lines = [line for line in text.splitlines() if line.startswith(head + "(t = ")]
    assert len(lines) == rows
    return lines


def slide(body: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/slide``: every output of a small 1D/2D convolution written out."""
    x = array(body, "x", (1, 2), SLIDE_MAX[2] ** 2)
    if max(x.shape) > SLIDE_MAX[x.ndim]:
        raise BadInput(f"`x` may have at most {SLIDE_MAX[x.ndim]} samples per axis in {x.ndim}D; "
                       f"got shape {x.shape}")  # fmt: skip
    k = array(body, "k", (x.ndim,), KERNEL_MAX**x.ndim)
    if max(k.shape) > KERNEL_MAX:
        raise BadInput(f"`k` may have at most {KERNEL_MAX} taps per axis; got shape {k.shape}")
    op = choice(body, "op", OPS, "correlate")
    mode = choice(body, "mode", MODES, "same")
    boundary = choice(body, "boundary", BOUNDARIES, "constant")
    stride = integer(body, "stride", 1, 8, 1)
    dilation = integer(body, "dilation", 1, 8, 1)
    try:
        e = explain(x, k, op=op, mode=mode, boundary=boundary, stride=stride, dilation=dilation)
        engine = getattr(convolab, op)(x, k, mode=mode, boundary=boundary, stride=stride,
                                       dilation=dilation)  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise BadInput(str(exc)) from None
    text = e.render()
    head = "(f " + ("⋆" if op == "correlate" else "∗") + " g)"
    lines = _row_lines(text, head, len(e.rows))
    rows = [
        {"t": list(np.atleast_1d(r.t)), "text": line, "sum": r.sum,
         "indices": [None if i is None else list(np.atleast_1d(i)) for i in r.indices]}
        for r, line in zip(e.rows, lines)
    ]  # fmt: skip
    shape_in, shape_k = x.shape, k.shape
    formula = []
    for axis, (n, kk, (before, after)) in enumerate(zip(shape_in, shape_k, e.pads)):
        eff = effective_size(kk, dilation)
        out = e.output.shape[axis]
        formula.append(
            f"floor((n + p − K) / s) + 1 = floor(({n} + {before + after} − {eff}) / {stride}) + 1"
            f" = {out}   (K = d·(k − 1) + 1 = {dilation}·({kk} − 1) + 1 = {eff})"
        )
    return {
        "rows": rows,
        "output": _lists(e.output),
        "engine": _lists(engine),
        "applied_kernel": _lists(e.applied_kernel),
        "kernel": _lists(k),
        "padded": _lists(e.padded),
        "pads": [list(p) for p in e.pads],
        "formula": formula,
        "call": f"convolab.{op}(x, k, mode={mode!r}, boundary={boundary!r}, "
                f"stride={stride}, dilation={dilation})",
    }  # fmt: skip


# --------------------------------------------------------------------------- Filter


class Uploads:
    """Uploaded images, kept in memory (the most recent few), never written to disk."""

    def __init__(self, keep: int = 16) -> None:
        self._images: OrderedDict[str, np.ndarray] = OrderedDict()
        self._keep = keep
        self._count = 0

    def add(self, data: bytes) -> dict[str, Any]:
        """Decode an uploaded image (limits on bytes and pixels) and keep it under a new id."""
        from PIL import Image, UnidentifiedImageError

        if len(data) > MAX_UPLOAD_BYTES:
            raise BadInput(f"the upload has {len(data)} bytes; at most {MAX_UPLOAD_BYTES} are "
                           "accepted", 413)  # fmt: skip
        if not data:
            raise BadInput("the upload is empty")
        try:
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise BadInput("the upload is not an image Pillow can read") from None
        if w * h > MAX_UPLOAD_PIXELS:
            raise BadInput(f"the upload has {w}x{h} pixels; at most {MAX_UPLOAD_PIXELS} pixels "
                           "are accepted", 413)  # fmt: skip
        try:
            a = image.load(io.BytesIO(data), mode="gray")
        except (ValueError, OSError) as exc:
            raise BadInput(f"the upload could not be decoded: {exc}") from None
        self._count += 1
        key = f"upload-{self._count}"
        self._images[key] = a
        while len(self._images) > self._keep:
            self._images.popitem(last=False)
        return {"image": key, "shape": list(a.shape)}

    def get(self, key: str) -> np.ndarray | None:
        return self._images.get(key)


_SAMPLE_CACHE: dict[str, np.ndarray] = {}


def sample(name: str) -> np.ndarray:
    """A bundled sample photo, gray, float32 in [0, 1]."""
    if name not in _SAMPLE_CACHE:
        _SAMPLE_CACHE[name] = image.load(SAMPLES / f"{name}.png", mode="gray")
    return _SAMPLE_CACHE[name]


_INPUT_PIXELS: dict[str, dict[str, Any]] = {}


def _input_pixels(name: str, img: np.ndarray) -> dict[str, Any]:
    """The sample photos are drawn often and never change: their pixels are kept."""
    if name not in SAMPLE_NAMES:
        return _pixels(img, "clip")
    if name not in _INPUT_PIXELS:
        _INPUT_PIXELS[name] = _pixels(img, "clip")
    return _INPUT_PIXELS[name]


def filter_image(body: dict[str, Any], uploads: Uploads) -> dict[str, Any]:
    """``POST /api/filter``: filter a sample or uploaded image; edges, histogram, method, time."""
    name = field(body, "image")
    if name in SAMPLE_NAMES:
        img = sample(name)
    elif isinstance(name, str) and uploads.get(name) is not None:
        img = uploads.get(name)
    else:
        raise BadInput(f"`image` must be a sample ({', '.join(SAMPLE_NAMES)}) or the id of an "
                       f"upload; got {name!r}")  # fmt: skip
    k = kernel_from(field(body, "kernel"))
    boundary = choice(body, "boundary", BOUNDARIES, "reflect")
    scale = choice(body, "scale", image.SCALES, "clip")
    op = choice(body, "op", OPS, "correlate")
    method, reason = convolab.choose_method(img, k, mode="same", boundary=boundary, op=op)
    t0 = time.perf_counter()
    out = image.filter(img, k.astype(img.dtype), mode="same", boundary=boundary, op=op)
    seconds = time.perf_counter() - t0
    magnitude = image.edges(out, boundary=boundary)
    counts, edges_ = np.histogram(out, bins=32)
    with_input = field(body, "with_input", True)
    return {
        "input": _input_pixels(name, img) if with_input is not False else None,
        "result": _pixels(out, scale),
        "edges": _pixels(magnitude, "minmax"),
        "histogram": {"counts": counts.tolist(), "edges": _lists(edges_)},
        "method": method,
        "reason": reason,
        "ms": seconds * 1e3,
        "shape": list(img.shape),
        "kernel": _lists(k),
        "stats": {"min": float(out.min()), "max": float(out.max()), "mean": float(out.mean())},
        "call": f"convolab.image.filter(img, k, mode='same', boundary={boundary!r}, op={op!r})",
    }


# --------------------------------------------------------------------------- Signals


def signals(body: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/signals``: smoothing, hard and soft shifts, or shape detection."""
    task = choice(body, "task", ("smooth", "shift", "soft_shift", "detect"))
    try:
        if task == "detect":
            return _detect(body)
        x = array(body, "x", (1,), SIGNAL_MAX)
        if task == "smooth":
            kind = choice(body, "kind", ("box", "gaussian"), "box")
            width = integer(body, "width", 1, 51, 3)
            if width % 2 == 0:
                raise BadInput(f"`width` must be odd; got {width}")
            y = signal.smooth(x, kind=kind, width=width,
                              sigma=width / 4 if kind == "gaussian" else None)  # fmt: skip
            call = f"signal.smooth(x, kind={kind!r}, width={width})"
        elif task == "shift":
            n = integer(body, "n", -64, 64)
            circular = bool(field(body, "circular", False))
            y = signal.shift(x, n, circular=circular)
            call = f"signal.shift(x, {n}, circular={circular})"
        else:
            w = array(body, "weights", (1,), 15)
            circular = bool(field(body, "circular", False))
            y = signal.soft_shift(x, w, circular=circular)
            call = f"signal.soft_shift(x, {_lists(w, 4)}, circular={circular})"
    except (ValueError, TypeError) as exc:
        raise BadInput(str(exc)) from None
    return {"x": _lists(x), "y": _lists(y), "call": call}


def _detect(body: dict[str, Any]) -> dict[str, Any]:
    noise = number(body, "noise", 0.0, 2.0, 0.15)
    beta = number(body, "beta", -5.0, 5.0, -0.8)
    seed = integer(body, "seed", 0, 2**31 - 1, 0)
    scene = signal.make_shape_signal(noise=noise, seed=seed)
    found = signal.detect(scene.signal, scene.template, beta=beta)
    score_max = float(found.score.max())
    return {
        "x": _lists(scene.signal, 4),
        "template": _lists(scene.template, 4),
        "true_positions": [int(p) for p in scene.positions],
        "score": _lists(found.score, 4),
        "curve": _lists(found.curve, 4),
        "positions": [int(p) for p in found.positions],
        "probability": float(found.probability),
        "score_max": score_max,
        "beta": beta,
        "gain": float(found.gain),
        "formula": f"Pr = sigmoid(ReLU(g (max_t (K ⋆ x)(t) + β))) = sigmoid(ReLU({found.gain:g} "
                   f"({score_max:.4f} + ({beta:g})))) = {found.probability:.4f}",
        "call": f"signal.detect(signal.make_shape_signal(noise={noise:g}, seed={seed}).signal, "
                f"template, beta={beta:g})",
    }  # fmt: skip
