"""Pickle-free model files: the weights plus a JSON description of the architecture.

The extension of the file name decides the format. A ``.npz`` model file is one
NumPy archive holding

* one array per ``state_dict`` entry (``0.weight``, ``1.running_mean``, ...), and
* ``__convolab__``: UTF-8 JSON (stored as a ``uint8`` array) with the format
  version, the architecture (``{"class": ..., "config": {...}}``, nested for
  :class:`~convolab.nn.Sequential`), the shape, dtype and SHA-256 of every
  array, the names of frozen parameters and optional user metadata.

A ``.safetensors`` model file holds the same arrays as safetensors tensors and
the same JSON as the string ``"__convolab__"`` of its metadata header, so
``safetensors.numpy.load_file`` reads its weights. Any other extension is refused.

Loading reads the archive with ``allow_pickle=False`` and rebuilds the model
only from classes in the module registry (:func:`convolab.nn.register_module`)
with the JSON arguments, so opening a model file never runs code from the file.
Anything that does not add up (not a zip, truncated, unknown class, a missing,
extra, reshaped or altered array, a pickle or a foreign file, a compression
bomb, layers declared far larger than the stored weights) raises
:class:`ModelFileError`, a ``ValueError`` whose message names the file and the
problem. Sizes are checked from the declared sizes before anything large is
decompressed or allocated.

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

from convolab.checks import read_npz
from convolab.nn.modules import Module, build_module, describe_module
from convolab.outputs import atomic_open, write_bytes

__all__ = ["FORMAT", "ModelFileError", "load", "read_model_info", "save"]

FORMAT = "convolab.nn.model"
_VERSION = 1
_META_KEY = "__convolab__"
_FORMATS = {".npz": "npz", ".safetensors": "safetensors"}
_MAX_HEADER = 100 << 20  # bytes of a safetensors JSON header
# Configuration keys whose product is the size of a layer's weight (before ``groups``).
_SIZE_KEYS = ("in_features", "out_features", "in_channels", "out_channels", "kernel_size",
              "num_features", "weight_shape")


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
        The file to write; the extension decides the format: ``.npz`` (NumPy
        archive) or ``.safetensors`` (the description in the metadata header
        under ``"__convolab__"``, readable by ``safetensors.numpy.load_file``).
        Written to a temporary file in the same folder, then renamed.
    metadata : dict, optional
        Extra JSON data stored alongside (e.g. class names, training history).
        A model's recorded ``input_shape`` (one input, no batch axis) is added
        as ``metadata["input_shape"]`` unless given; :func:`load` restores it.

    Raises
    ------
    ValueError
        If the extension is neither ``.npz`` nor ``.safetensors``.
    TypeError
        If ``model`` is not a Module, a class is unregistered, or a constructor
        argument or ``metadata`` is not JSON data.
    ImportError
        For ``.safetensors`` without the ``safetensors`` package.
    """
    if not isinstance(model, Module):
        raise TypeError(f"`model` must be a convolab.nn.Module; got {type(model).__name__}")
    fmt = _format_of(Path(path))
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
    if fmt == "safetensors":
        data = _safetensors().save(
            {n: np.require(a, requirements="C") for n, a in state.items()},
            metadata={_META_KEY: blob.decode("utf-8")},
        )
        write_bytes(path, data)
        return
    arrays = dict(state)
    arrays[_META_KEY] = np.frombuffer(blob, dtype=np.uint8)
    with atomic_open(path) as f:
        np.savez(f, **arrays)


def _format_of(path: Path) -> str:
    """The file format named by the extension: ``npz`` or ``safetensors``; others are refused."""
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        raise ValueError(
            f"cannot tell the model format of '{path}' from its extension {ext or '(none)'!r}; "
            "use .npz (NumPy) or .safetensors"
        )
    return _FORMATS[ext]


def _safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "writing or reading .safetensors needs the safetensors package: "
            "pip install convolab[safetensors]"
        ) from None
    return safetensors.numpy


def _not_a_model(path: Path, why: str) -> ModelFileError:
    return ModelFileError(
        f"'{path}' is not a convolab model file ({why}); expected a .npz or .safetensors "
        "file written by convolab.nn.save"
    )


def _read_safetensors(path: Path) -> tuple[bytes, dict[str, np.ndarray]]:
    """The description and the arrays of a safetensors file, header checked first."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else -1
        if not 2 <= n <= min(size - 8, _MAX_HEADER):
            raise _not_a_model(path, "no safetensors header")
        try:
            header = json.loads(fh.read(n).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _not_a_model(path, "its safetensors header is not JSON") from None
    if not isinstance(header, dict):
        raise _not_a_model(path, "its safetensors header is not a table")
    meta = header.get("__metadata__") or {}
    blob = meta.get(_META_KEY) if isinstance(meta, dict) else None
    if not isinstance(blob, str):
        raise ModelFileError(f"{path} has no convolab model description ({_META_KEY!r} entry)")
    try:
        arrays = _safetensors().load_file(str(path))
    except ImportError:
        raise
    except Exception as exc:  # safetensors' own SafetensorError and friends
        raise ModelFileError(f"{path}: the safetensors data is corrupt ({exc})") from None
    return blob.encode("utf-8"), arrays


def _read_npz(path: Path) -> tuple[bytes, dict[str, np.ndarray]]:
    try:
        arrays = read_npz(path, f"model file '{path}'")
    except ValueError as exc:
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"'{path}' is not a readable convolab model file (corrupt or truncated zip "
                "archive)"
            ) from None
        raise ModelFileError(str(exc)) from None
    blob = arrays.pop(_META_KEY, None)
    if blob is None or blob.dtype != np.uint8 or blob.ndim != 1:
        raise ModelFileError(f"{path} has no convolab model description ({_META_KEY!r} entry)")
    return blob.tobytes(), arrays


def _declared_size(spec: Any) -> tuple[int, str]:
    """The largest weight a module description asks to allocate, and where (before building).

    Computed from the size arguments (``in_features``, ``out_channels``,
    ``kernel_size``, ``num_features``, ... divided by ``groups``) of each layer.
    """
    if not isinstance(spec, dict):
        return 0, ""
    config = spec.get("config")
    if not isinstance(config, dict):
        return 0, ""
    best, where = 0, ""
    for layer in config.get("layers", []) if isinstance(config.get("layers"), list) else []:
        size, at = _declared_size(layer)
        if size > best:
            best, where = size, at
    count, named = 1, []
    for key in _SIZE_KEYS:
        value = config.get(key)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool) and v > 0:
                count *= v
                named.append(f"{key}={v}")
    groups = config.get("groups")
    if isinstance(groups, int) and not isinstance(groups, bool) and groups > 0:
        count //= groups
    if named and count > best:
        best, where = count, f"{spec.get('class')} ({', '.join(named)})"
    return best, where


def _check_declared_sizes(path: Path, info: dict[str, Any]) -> None:
    """Refuse a description whose layers are far larger than the weights the file stores."""
    stored = 0
    for spec in info["tensors"].values():
        shape = spec.get("shape") if isinstance(spec, dict) else None
        if isinstance(shape, list) and all(isinstance(s, int) for s in shape):
            stored += int(np.prod(shape, dtype=object))
    size, where = _declared_size(info.get("architecture"))
    if size > 4 * stored + (1 << 20):
        raise ModelFileError(
            f"{path}: the description declares a layer {where} of {size} weights, but the file "
            f"stores {stored} values in all; refused before allocating it"
        )


def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON header and the arrays of a model file, checked against each other."""
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic.startswith(b"PK"):
        blob, arrays = _read_npz(path)
    elif path.suffix.lower() == ".safetensors" or magic[:1] != b"\x80":
        blob, arrays = _read_safetensors(path)
    else:
        raise _not_a_model(path, "a Python pickle, which convolab never loads")
    try:
        info = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: the model description is not valid JSON: {exc}") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise _not_a_model(path, f"its description is not a {FORMAT} description")
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
    _check_declared_sizes(path, info)
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
