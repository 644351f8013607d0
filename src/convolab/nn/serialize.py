"""Pickle-free model files: weights in ``.npz`` plus a JSON description of the architecture.

A model file is one NumPy ``.npz`` archive holding

* one array per ``state_dict`` entry (``0.weight``, ``1.running_mean``, ...), and
* ``__convolab__``: UTF-8 JSON (stored as a ``uint8`` array) with the format
  version, the architecture (``{"class": ..., "config": {...}}``, nested for
  :class:`~convolab.nn.Sequential`), the shape, dtype and SHA-256 of every
  array, the names of frozen parameters and optional user metadata.

Loading reads the archive with ``allow_pickle=False`` and rebuilds the model
only from classes in the module registry (:func:`convolab.nn.register_module`)
with the JSON arguments, so opening a model file never runs code from the file.
Anything that does not add up (not a zip, truncated, unknown class, a missing,
extra, reshaped or altered array) raises :class:`ModelFileError`, a
``ValueError`` whose message names the file and the problem.

>>> import os, tempfile
>>> import numpy as np
>>> from convolab import nn
>>> model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> nn.save(model, path)
>>> again = nn.load(path)
>>> x = np.ones((1, 3), dtype=np.float32)
>>> bool(np.array_equal(model(x).data, again(x).data))
True
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from convolab.nn.modules import Module, build_module, describe_module

__all__ = ["FORMAT", "ModelFileError", "load", "read_model_info", "save"]

FORMAT = "convolab.nn.model"
_VERSION = 1
_META_KEY = "__convolab__"


class ModelFileError(ValueError):
    """A model file that cannot be trusted or understood (corrupt, tampered, mismatched)."""


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


RUN_MODEL_FILE = "model.npz"  # the model file inside a training run folder


def save(
    model: Module, path: str | os.PathLike[str], *, metadata: dict[str, Any] | None = None
) -> None:
    """Write ``model`` (architecture and weights) to ``path`` without pickle.

    Parameters
    ----------
    model : Module
        Built from registered classes whose constructor arguments are JSON data.
    path : str or path-like
        The file to write (conventionally ``*.npz``); written atomically.
    metadata : dict, optional
        Extra JSON data stored alongside (e.g. class names, training history).
        A model's recorded ``input_shape`` (one input, no batch axis) is added
        as ``metadata["input_shape"]`` unless given; :func:`load` restores it.

    Raises
    ------
    TypeError
        If ``model`` is not a Module, a class is unregistered, or a constructor
        argument or ``metadata`` is not JSON data.
    """
    if not isinstance(model, Module):
        raise TypeError(f"`model` must be a convolab.nn.Module; got {type(model).__name__}")
    state = model.state_dict()
    for name in state:
        if name == _META_KEY:
            raise ValueError(f"a state entry may not be named {_META_KEY!r}")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"`metadata` must be a dict of JSON data; got {type(metadata).__name__}")
    shape = getattr(model, "input_shape", None)
    if shape is not None and "input_shape" not in (metadata or {}):
        metadata = {**(metadata or {}), "input_shape": [int(n) for n in shape]}
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    info = {
        "format": FORMAT,
        "version": _VERSION,
        "architecture": describe_module(model),
        "tensors": {
            n: {"shape": list(a.shape), "dtype": a.dtype.str, "sha256": _digest(a)}
            for n, a in state.items()
        },
        "frozen": frozen,
        "metadata": metadata if metadata is not None else {},
    }
    try:
        blob = json.dumps(info, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`metadata` must be JSON data: {exc}") from None
    arrays = dict(state)
    arrays[_META_KEY] = np.frombuffer(blob, dtype=np.uint8)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, path)


def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON header and the arrays of a model file, checked against each other."""
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError) as exc:
        raise ModelFileError(
            f"{path} is not a readable convolab model file (corrupt or truncated?): {exc}"
        ) from None
    except Exception as exc:  # zlib errors and other decoder failures
        raise ModelFileError(f"{path} could not be decoded as a model file: {exc!r}") from None
    blob = arrays.pop(_META_KEY, None)
    if blob is None or blob.dtype != np.uint8 or blob.ndim != 1:
        raise ModelFileError(f"{path} has no convolab model description ({_META_KEY!r} entry)")
    try:
        info = json.loads(blob.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: the model description is not valid JSON: {exc}") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a {FORMAT} file")
    if info.get("version") != _VERSION:
        raise ModelFileError(
            f"{path} has format version {info.get('version')!r}; this convolab reads "
            f"version {_VERSION}"
        )
    tensors = info.get("tensors")
    if not isinstance(tensors, dict):
        raise ModelFileError(f"{path}: the description lacks the table of tensors")
    missing = sorted(set(tensors) - set(arrays))
    extra = sorted(set(arrays) - set(tensors))
    if missing or extra:
        raise ModelFileError(
            f"{path}: arrays do not match the description (missing {missing}, extra {extra})"
        )
    for name, spec in tensors.items():
        arr = arrays[name]
        if not isinstance(spec, dict):
            raise ModelFileError(f"{path}: bad description for tensor {name!r}")
        if list(arr.shape) != spec.get("shape") or arr.dtype.str != spec.get("dtype"):
            raise ModelFileError(
                f"{path}: tensor {name!r} is {arr.dtype.str}{list(arr.shape)} but the description "
                f"says {spec.get('dtype')}{spec.get('shape')}"
            )
        if _digest(arr) != spec.get("sha256"):
            raise ModelFileError(f"{path}: tensor {name!r} fails its SHA-256 check (altered?)")
    return info, arrays


def read_model_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked JSON description of a model file (architecture, tensors, metadata)."""
    info, _ = _read(Path(path))
    return info


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild a model saved by :func:`save`; it is returned in evaluation mode.

    Parameters
    ----------
    path : str or path-like
        A model file, or a training run folder holding one as ``model.npz``.

    Returns
    -------
    Module
        Parameters frozen when saved stay frozen; call ``train()`` to resume training.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (or no ``model.npz`` in the folder ``path``).
    ModelFileError
        (a ``ValueError``) if the file is corrupt, truncated, altered, names an
        unknown module class, or its weights do not fit the architecture.
    """
    path = Path(path)
    if path.is_dir():
        if not (path / RUN_MODEL_FILE).is_file():
            raise FileNotFoundError(f"run folder {str(path)!r} has no {RUN_MODEL_FILE}")
        path = path / RUN_MODEL_FILE
    info, arrays = _read(path)
    try:
        model = build_module(info.get("architecture"))
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    try:
        model.load_state_dict(arrays, strict=True)
    except ValueError as exc:
        raise ModelFileError(f"{path}: weights do not fit the architecture: {exc}") from None
    frozen = info.get("frozen", [])
    params = dict(model.named_parameters())
    if not isinstance(frozen, list) or any(n not in params for n in frozen):
        raise ModelFileError(f"{path}: the list of frozen parameters names unknown parameters")
    for n in frozen:
        params[n].requires_grad = False
    meta = info.get("metadata")
    shape = meta.get("input_shape") if isinstance(meta, dict) else None
    if isinstance(shape, list) and shape and all(type(n) is int and n > 0 for n in shape):
        model.input_shape = tuple(shape)
    return model.eval()
