"""The Network section: models by id, a drawn digit's forward pass, one unit's weighted sum."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from convolab import analysis, data, nn
from convolab import train as training
from convolab.explain import explain_unit
from convolab.lab.inputs import BadInput, array, integer

EMBEDDED = Path(__file__).with_name("lenet5-mnist.npz")
EMBEDDED_ID = "lenet5-mnist"
CANVAS_MAX = 280
IMAGE_SHAPE = (1, 28, 28)


@dataclass
class Entry:
    """A model the pages can use."""

    model: Any
    meta: dict[str, Any]
    source: str
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.meta.get("input_shape") or IMAGE_SHAPE)


def load_entry(path: Path, source: str) -> Entry:
    """A model file or run folder (``model.npz`` inside), as ``convolab eval`` reads it."""
    file = path / "model.npz" if path.is_dir() else path
    if not file.is_file():
        raise BadInput(f"no model file at {source!r}", 404)
    try:
        model = nn.load(file)
        meta = dict(nn.read_model_info(file).get("metadata") or {})
    except (ValueError, OSError, KeyError) as exc:
        raise BadInput(f"{source!r} is not a convolab model: {exc}") from None
    return Entry(model, meta, source)


class Models:
    """The models of this lab: the embedded LeNet-5, ``--model``, and the runs trained here."""

    def __init__(self, extra: Path | None = None) -> None:
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._entries[EMBEDDED_ID] = load_entry(EMBEDDED, "embedded LeNet-5 (MNIST digits)")
        self.default = EMBEDDED_ID
        if extra is not None:
            self._entries["cli"] = load_entry(extra, str(extra))
            self.default = "cli"

    def warm_up(self) -> None:
        """Run each model once on zeros, so the first drawn digit finds the code compiled."""
        for entry in list(self._entries.values()):
            if entry.input_shape == IMAGE_SHAPE:
                forward(self, {"input": np.zeros(IMAGE_SHAPE[1:]).tolist(), "model": None}, entry)

    def add(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry

    def get(self, key: Any) -> Entry:
        with self._lock:
            entry = self._entries.get(key) if isinstance(key, str) else None
            known = ", ".join(self._entries)
        if entry is None:
            raise BadInput(f"unknown model {key!r}; expected one of {known}", 404)
        return entry

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._entries.items())
        return [
            {"id": key, "source": e.source, "model": e.meta.get("model"),
             "input_shape": list(e.input_shape), "image": e.input_shape == IMAGE_SHAPE,
             "classes": e.meta.get("classes")}
            for key, e in items
        ]  # fmt: skip


def _image_entry(models: Models, body: dict[str, Any]) -> Entry:
    entry = models.get(body.get("model", models.default))
    if entry.input_shape != IMAGE_SHAPE:
        raise BadInput(f"the Network page explores models of 28x28 images; model "
                       f"{body.get('model')!r} takes {entry.input_shape}")  # fmt: skip
    return entry


def _input(body: dict[str, Any]) -> np.ndarray:
    """The model input: ``input`` (28x28, as returned before) or a drawn ``canvas``."""
    if "input" in body:
        x = array(body, "input", (2,), 28 * 28)
        if x.shape != IMAGE_SHAPE[1:]:
            raise BadInput(f"`input` must be 28x28; got {x.shape}")
        return x.astype(np.float32)[None]
    canvas = array(body, "canvas", (2,), CANVAS_MAX * CANVAS_MAX)
    if canvas.min() < 0 or canvas.max() > 1:
        raise BadInput("`canvas` values must lie in [0, 1]")
    if canvas.max() == canvas.min():
        raise BadInput("the canvas is empty: draw a digit first")
    try:
        return data.to_mnist(canvas)
    except ValueError as exc:
        raise BadInput(f"`canvas`: {exc}") from None


def forward(models: Models, body: dict[str, Any], entry: Entry | None = None) -> dict[str, Any]:
    """``POST /api/network/forward``: probabilities and every layer's output for one input."""
    entry = entry or _image_entry(models, body)
    x = _input(body)
    with entry.lock:
        records = analysis.activations(entry.model, x[None])
        probs = training.predict(entry.model, x[None])[0]
        fields = analysis.receptive_field(entry.model, entry.input_shape)
    layers = []
    for rec, rf in zip(records, fields):
        out = rec.output[0]
        layers.append({
            "name": rec.name, "kind": rec.kind, "shape": list(out.shape),
            "values": np.round(out.astype(np.float64), 4).tolist(),
            "field": None if rf.size is None else {"size": list(rf.size), "jump": list(rf.jump),
                                                   "start": list(rf.start)},
        })  # fmt: skip
    classes = entry.meta.get("classes") or [str(k) for k in range(len(probs))]
    return {
        "input": x[0].tolist(),  # exact: the unit page sends it back
        "probabilities": [float(p) for p in probs],
        "classes": classes,
        "predicted": classes[int(np.argmax(probs))],
        "layers": layers,
    }


def unit(models: Models, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/network/unit``: one feature-map pixel's receptive field and weighted sum."""
    entry = _image_entry(models, body)
    x = _input(body)
    with entry.lock:
        records = analysis.activations(entry.model, x[None])
        fields = analysis.receptive_field(entry.model, entry.input_shape)
    index = integer(body, "layer", 0, len(records) - 1)
    rec, rf = records[index], fields[index]
    out = rec.output[0]
    if out.ndim != 3:
        raise BadInput(f"layer {rec.name} ({rec.kind}) has no feature maps; pick a 2D layer")
    channel = integer(body, "channel", 0, out.shape[0] - 1)
    row = integer(body, "y", 0, out.shape[1] - 1)
    col = integer(body, "x", 0, out.shape[2] - 1)
    result: dict[str, Any] = {"layer": rec.name, "kind": rec.kind, "value": float(out[channel,
                              row, col]), "field": None, "sum": None}  # fmt: skip
    if rf.size is not None:
        box = []
        for pos, size, jump, start in zip((row, col), rf.size, rf.jump, rf.start):
            centre = start + pos * jump
            box.append([centre - (size - 1) / 2, centre + (size - 1) / 2])
        result["field"] = {"rows": box[0], "cols": box[1], "size": list(rf.size)}
    if rec.layer.kind == "conv" and len(rec.input_shape) == 4:
        layer_input = x if index == 0 else records[index - 1].output[0]
        if tuple(layer_input.shape) == tuple(rec.input_shape[1:]):
            u = explain_unit(rec.layer, layer_input, channel, (row, col))
            result["sum"] = {
                "in_channels": list(u.in_channels),
                "patch": np.round(u.patch, 4).tolist(),
                "weights": np.round(u.weights, 4).tolist(),
                "bias": u.bias, "sum": u.sum, "text": str(u),
                "taps": [t.tolist() for t in u.taps],
            }  # fmt: skip
    return result
