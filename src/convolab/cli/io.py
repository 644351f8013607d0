"""What several ``convolab`` commands read (signals, arrays, models) and the scores they print.

* :func:`read_signal`: a 1D signal from CSV, TXT or NPY (``convolab signal``);
* :func:`parse_array`: a 1D or 2D array from a literal such as ``"[1,0,0]"`` or a file
  (``convolab explain``, ``--weights``, ``--template``);
* :func:`parse_shape`: ``--input-shape 1,28,28``;
* :func:`load_model`, :func:`model_from_spec`: a model from a run folder, a model file or a
  model name, with the input shape it records; :func:`check_model_inputs` and
  :func:`check_model_runs` refuse inputs of another shape with one line;
* :func:`echo_scores`: a model's scores as ``convolab train`` and ``convolab eval`` print them.

Everything a user gives is checked here, and a problem is one line naming the file or the
option (a :class:`ValueError` or :class:`~convolab.cli.errors.UsageProblem`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import click
import numpy as np

from convolab.checks import check_finite, read_npy
from convolab.cli.errors import UsageProblem

__all__ = [
    "MODEL_FILE",
    "check_model_inputs",
    "check_model_runs",
    "echo_scores",
    "load_model",
    "model_from_spec",
    "parse_array",
    "parse_shape",
    "read_signal",
]

_SPLIT = re.compile(r"\s*[,;\t]\s*|\s+")


# ----------------------------------------------------------------------------- reading


def read_signal(path: str | os.PathLike, nan: str = "raise") -> np.ndarray:
    """Read a 1D signal from a ``.npy`` file or a text table of one column or one row.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    nan : {'raise', 'propagate'}
        Refuse NaN values, or keep them (they then spread through the convolution).

    Returns
    -------
    numpy.ndarray
        float64 samples (``.npy`` float32 stays float32).

    Raises
    ------
    ValueError
        Not numbers, empty, a 2D table, an infinity (``1e400`` overflows to one),
        or NaN with ``nan='raise'``.
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write("value\\n1\\n2.5\\n-3\\n")
    >>> read_signal(p)
    array([ 1. ,  2.5, -3. ])
    """
    if nan not in ("raise", "propagate"):
        raise ValueError(f"`nan` must be one of 'raise', 'propagate'; got {nan!r}")
    name = os.fspath(path)
    if name.lower().endswith(".npy"):
        x = _read_npy(name)
    else:
        x = _read_text(name)
    check_finite(x, name, "pass --nan propagate to keep NaN values" if nan == "raise" else "",
                 allow_nan=nan == "propagate")  # fmt: skip
    return x


def _read_npy(name: str) -> np.ndarray:
    a = read_npy(name, name)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected real numbers; got dtype {getattr(a, 'dtype', '?')}")
    if a.size == 0:
        raise ValueError(f"{name}: the array is empty; expected a signal")
    if a.ndim == 0 or sum(s > 1 for s in a.shape) > 1:
        raise ValueError(
            f"{name}: holds an array of shape {a.shape}; expected one column or one row"
        )
    return a.ravel().astype(np.float32 if a.dtype == np.float32 else np.float64)


def _read_text(name: str) -> np.ndarray:
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: not a UTF-8 text file; expected CSV, TXT or NPY") from exc
    rows: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if s and not s.startswith("#"):
            rows.append((lineno, _SPLIT.split(s)))
    if rows and all(not _is_number(c) for c in rows[0][1]):
        rows = rows[1:]  # a header line
    if not rows:
        raise ValueError(f"{name}: holds no numbers; expected one column or one row")
    widths = {len(cells) for _, cells in rows}
    if len(rows) > 1 and widths != {1}:
        raise ValueError(
            f"{name}: holds a table of {len(rows)} rows and up to {max(widths)} columns; "
            "expected one column or one row"
        )
    cells = [c for _, cs in rows for c in cs]
    try:
        return np.array(cells, dtype=str).astype(np.float64)
    except ValueError:
        pass
    for lineno, cs in rows:  # locate the culprit for the message
        for j, c in enumerate(cs, start=1):
            if not _is_number(c):
                raise ValueError(
                    f"{name}: line {lineno}, cell {j}: {c!r} is not a number"
                ) from None
    raise ValueError(f"{name}: could not read the numbers")  # pragma: no cover


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def parse_array(text: str, name: str, nan: str = "propagate") -> np.ndarray:
    """A 1D or 2D array from a literal (``"[1,0,0]"``, ``"1 0 0"``, ``"[[1,2],[3,4]]"``,
    ``"1 2; 3 4"``) or, if ``text`` names an existing file, from that file.

    Examples
    --------
    >>> parse_array("[0.8, 0.1, 0.1]", "WEIGHTS")
    array([0.8, 0.1, 0.1])
    >>> parse_array("[[1, 2], [3, 4]]", "K")
    array([[1., 2.],
           [3., 4.]])
    """
    if os.path.isfile(text):
        if text.lower().endswith(".npy"):
            a = read_npy(text, f"{name} {text}")
            if a.dtype.kind not in "biuf" or a.ndim not in (1, 2) or a.size == 0:
                raise ValueError(f"{name}: {text} must hold a non-empty 1D or 2D numeric array")
            return a.astype(np.float64)
        return read_signal(text, nan=nan)
    s = text.strip()
    if s.count("[") != s.count("]"):
        raise ValueError(
            f"{name}: {text!r} has unbalanced brackets; expected a list such as [1,2,3] or "
            "[[1,2],[3,4]]"
        )
    nested = s.startswith("[[") and s.endswith("]]")
    if nested:
        rows = re.split(r"\]\s*[,;]?\s*\[", s[2:-2])
    elif s.startswith("[") and s.endswith("]"):
        rows = [s[1:-1]]
    else:
        rows = s.split(";")
    table = [[c for c in _SPLIT.split(r.strip()) if c] for r in rows]
    table = [r for r in table if r]
    if not table:
        raise ValueError(f"{name}: {text!r} holds no numbers")
    for r in table:
        for c in r:
            if not _is_number(c):
                raise ValueError(f"{name}: {c!r} in {text!r} is not a number")
    if len({len(r) for r in table}) > 1:
        lengths = ", ".join(str(len(r)) for r in table)
        raise ValueError(f"{name}: the rows of {text!r} have different lengths ({lengths}); "
                         "expected rows of equal length")  # fmt: skip
    a = np.array(table, dtype=np.float64)
    out = a[0] if a.shape[0] == 1 and not nested else a
    check_finite(out, f"{name} {text!r}", "pass --nan propagate to keep NaN" if nan == "raise"
                 else "", allow_nan=nan == "propagate")  # fmt: skip
    return out


# ----------------------------------------------------------------------------- models

#: The model file of a run folder written by ``convolab train``.
MODEL_FILE = "model.npz"

# One input's usual shape for each built-in model name.
_DEFAULT_SHAPES: dict[str, tuple[int, ...]] = {
    "lenet5": (1, 28, 28),
    "lenet5-bn": (1, 28, 28),
    "lenet5-classic": (1, 28, 28),
    "detector1d": (1, 128),
    "cnn1d": (1, 40),
    "mlp": (1, 28, 28),
}


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse ``"1,28,28"`` (or ``"1x28x28"``) into a tuple of positive ints.

    >>> parse_shape("1,28,28")
    (1, 28, 28)
    >>> parse_shape("1x40")
    (1, 40)
    """
    parts = re.split(r"\s*[,x]\s*|\s+", text.strip())
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:  # a word, or an empty part ("1,,28", "1,x")
        shape = ()
    if not shape or any(s < 1 for s in shape):
        raise UsageProblem(
            f"--input-shape must be positive integers separated by commas, one input's shape "
            f"without the batch axis (e.g. 1,28,28); got {text!r}"
        )
    return shape


def load_model(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """A saved model and its metadata, from a run folder or a model file."""
    from convolab import nn

    path = Path(path)
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        where = f"run folder {str(path)!r} has no {MODEL_FILE}" if path.is_dir() else (
            f"model file {str(path)!r} does not exist")  # fmt: skip
        raise UsageProblem(where)
    model = nn.load(file)
    info = nn.read_model_info(file)
    return model, dict(info.get("metadata") or {})


def model_from_spec(
    spec: str, input_shape: str | None
) -> tuple[Any, tuple[int, ...] | None, str]:
    """The model named or stored at ``spec``, its input shape (None: unknown), a display name.

    ``spec`` is a model name (freshly initialized), a run folder or a model file; the shape
    comes from ``input_shape`` (``--input-shape``), else from the model file, else from the
    named model's usual input.
    """
    from convolab import models

    shape = parse_shape(input_shape) if input_shape is not None else None
    if spec in models.MODEL_NAMES:
        shape = shape or _DEFAULT_SHAPES.get(spec, (1, 28, 28))
        return models.build(spec, shape), shape, spec
    path = Path(spec)
    if not path.exists():
        valid = ", ".join(models.MODEL_NAMES)
        raise UsageProblem(
            f"MODEL {spec!r} is neither a model name ({valid}) nor an existing run folder or "
            "model file"
        )
    model, meta = load_model(path)
    if shape is None and meta.get("input_shape"):
        shape = tuple(int(s) for s in meta["input_shape"])
    return model, shape, str(meta.get("model") or path.name)


def check_model_inputs(meta: dict[str, Any], x: np.ndarray, what: str) -> None:
    """Refuse a batch ``x`` whose inputs differ from the shape the model records."""
    expected = meta.get("input_shape")
    if expected is not None and tuple(expected) != tuple(x.shape[1:]):
        raise UsageProblem(
            f"the model ({meta.get('model', 'unknown')}) takes inputs of shape "
            f"{tuple(expected)}; {what} has {tuple(x.shape[1:])}"
        )


def check_model_runs(model: Any, shape: tuple[int, ...]) -> None:
    """Refuse an input ``shape`` the model cannot take (one zero input is run through it)."""
    from convolab.analysis.observe import activations, zeros_batch

    try:
        activations(model, zeros_batch(model, shape))
    except (ValueError, TypeError) as exc:
        raise UsageProblem(f"the model does not accept inputs of shape {shape}: {exc}") from None


def echo_scores(scores: dict[str, Any], classes: list[str], header: str) -> None:
    """Print the accuracy, loss and per-class accuracy of :func:`convolab.train.evaluate`."""
    click.echo(f"{header}: accuracy {scores['accuracy']:.4f}  loss {scores['loss']:.4f}  "
               f"(n={scores['n']})")  # fmt: skip
    per = scores["per_class_accuracy"]
    names = classes if len(classes) == len(per) else [str(k) for k in range(len(per))]
    click.echo("per class: " + "  ".join(f"{c}={a:.3f}" for c, a in zip(names, per)))
