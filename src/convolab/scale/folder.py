"""Classify a folder of images, in one process or on a ``dask.distributed`` cluster.

:func:`predict_folder` returns one :class:`FolderPrediction` per file of the
folder, in sorted order; :func:`write_predictions_csv` writes them as a CSV
table with a header row. A file that cannot be read or holds no character is
never dropped: its row carries the reason in ``error``, and
:func:`exit_status` (or the count that :func:`write_predictions_csv` returns)
tells the caller that something failed.

Each image goes through the same preprocessing as ``convolab predict`` uses for
single images (:func:`convolab.data.load_image` then :func:`convolab.data.to_mnist`:
grayscale, inverted when the background is light, cropped to the ink, resized
into a 20x20 box inside 28x28, centred by mass), and the probabilities are those
of :func:`convolab.train.predict` (softmax of the logits; ``[1 - p, p]`` for a
single-logit model).

On a cluster the files are split into the same batches as in one process and
each batch is one task, so the rows are the same either way. Workers open the
files themselves: on a remote cluster they must see the folder at the same
absolute path (a shared file system), as with any Dask file input.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from convolab._optional import optional_import
from convolab.outputs import atomic_open

__all__ = [
    "FolderPrediction",
    "exit_status",
    "list_images",
    "predict_folder",
    "write_predictions_csv",
]

_MODEL_FILE = "model.npz"


class FolderPrediction(NamedTuple):
    """One row of :func:`predict_folder`'s result.

    Attributes
    ----------
    path : str
        The file, as the folder argument plus the file's name inside it.
    label : int or None
        The predicted class index (``None`` when the file failed).
    probabilities : tuple of float or None
        One probability per class, summing to 1 (``None`` when the file failed).
    error : str or None
        Why the file could not be classified (``None`` when it was).
    """

    path: str
    label: int | None
    probabilities: tuple[float, ...] | None
    error: str | None


def list_images(folder: str | os.PathLike[str], recursive: bool = False) -> list[Path]:
    """Every regular, non-hidden file in ``folder`` (below it with ``recursive``), sorted.

    All files are listed whatever their extension, so that a file that is not an
    image shows up as a failed row instead of being skipped silently; names
    starting with ``.`` are skipped.

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    NotADirectoryError
        If ``folder`` is not a directory.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for name in ("b.png", "a.png", ".hidden"):
    ...     open(os.path.join(d, name), "wb").close()
    >>> [p.name for p in list_images(d)]
    ['a.png', 'b.png']
    """
    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(f"folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise NotADirectoryError(f"{str(root)!r} is not a folder")
    found = root.rglob("*") if recursive else root.iterdir()
    files = [
        p for p in found
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _load_model(model_or_path: Any) -> tuple[Any, dict[str, Any]]:
    """The model (in evaluation mode for files) and its saved metadata."""
    from convolab import nn

    if isinstance(model_or_path, nn.Module):
        return model_or_path, {}
    if not isinstance(model_or_path, str | os.PathLike):
        raise TypeError(
            "`model_or_path` must be a convolab.nn.Module, a model file or a run folder; got "
            f"{type(model_or_path).__name__}"
        )
    path = Path(model_or_path)
    file = path / _MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(
            f"run folder {str(path)!r} has no {_MODEL_FILE}" if path.is_dir()
            else f"model file {str(path)!r} does not exist"
        )
    info = nn.read_model_info(file)
    return nn.load(file), dict(info.get("metadata") or {})


def _image_shape(input_shape: Any) -> tuple[int, int, int]:
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or shape[0] != 1 or shape[1] != shape[2]:
        raise ValueError(
            "predict_folder needs a model of square 1-channel images, input shape (1, S, S); "
            f"got `input_shape` {shape}"
        )
    return shape  # type: ignore[return-value]


def _message(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ValueError | OSError):
        return text
    return f"{type(exc).__name__}: {text}"


def _predict_batch(
    model: Any, files: Sequence[tuple[str, str]], shape: tuple[int, int, int]
) -> list[FolderPrediction]:
    """Rows for one batch of ``(shown path, absolute path)`` pairs (runs on a worker)."""
    from convolab import data
    from convolab import train as training

    images: list[np.ndarray] = []
    failed: dict[int, str] = {}
    for i, (_, path) in enumerate(files):
        try:
            x = data.to_mnist(data.load_image(path), size=shape[1])
        except Exception as exc:  # noqa: BLE001 - every failure becomes the row's message
            failed[i] = _message(exc)
            continue
        if x.shape != shape:
            failed[i] = f"preprocessed image has shape {x.shape}; the model takes {shape}"
            continue
        images.append(x)
    probs = (
        training.predict(model, np.stack(images), batch_size=max(len(images), 1))
        if images else np.zeros((0, 0))
    )
    rows, k = [], 0
    for i, (shown, _) in enumerate(files):
        if i in failed:
            rows.append(FolderPrediction(shown, None, None, failed[i]))
            continue
        p = probs[k]
        k += 1
        rows.append(FolderPrediction(shown, int(np.argmax(p)), tuple(float(v) for v in p), None))
    return rows


def _resolve_client(client: Any) -> tuple[Any, list[Any]]:
    """``(client, things to close afterwards)`` for None, 'local', an address or a Client."""
    if client is None:
        return None, []
    distributed = optional_import("distributed", "predicting on a Dask cluster", "scale")
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    if isinstance(client, Client):
        return client, []
    if client == "local":
        cluster = LocalCluster(dashboard_address=None)
        c = Client(cluster)
        return c, [c, cluster]
    if isinstance(client, str) and client:
        c = Client(client)
        return c, [c]
    raise TypeError(
        "`client` must be None (one process), 'local' (a new LocalCluster), a scheduler "
        f"address such as 'tcp://10.0.0.5:8786', or a distributed.Client; got {client!r}"
    )


def predict_folder(
    model_or_path: Any,
    folder: str | os.PathLike[str],
    client: Any = None,
    batch_size: int = 256,
    *,
    input_shape: Sequence[int] | None = None,
    recursive: bool = False,
) -> list[FolderPrediction]:
    """Classify every file of ``folder`` with an image model; failures become rows too.

    Parameters
    ----------
    model_or_path : Module, str or path-like
        A model, a model file written by :func:`convolab.nn.save` or a run folder
        of ``convolab train`` (its ``model.npz``).
    folder : str or path-like
        The images (any format Pillow reads); see :func:`list_images` for which
        files are taken.
    client : None, 'local', str or distributed.Client, default None
        ``None``: this process. ``'local'``: a new ``dask.distributed`` LocalCluster
        on this machine, closed afterwards. Another string: the address of a
        running scheduler (a client is opened and closed here). A ``Client``: used
        as it is (and left open).
    batch_size : int, default 256
        Files per batch; on a cluster each batch is one task.
    input_shape : sequence of int, optional
        One input's shape ``(1, S, S)``; default the ``input_shape`` saved with a
        model file, else ``(1, 28, 28)``.
    recursive : bool, default False
        Also classify files in sub-folders.

    Returns
    -------
    list of FolderPrediction
        ``(path, label, probabilities, error)`` per file, in sorted path order;
        ``path`` is ``folder`` joined with the file's name as given. The rows do
        not depend on ``client``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        If the model or the folder is missing.
    ValueError
        If the folder holds no file, ``batch_size`` is not a positive int, or
        the model does not take square 1-channel images.
    TypeError
        If ``model_or_path`` or ``client`` is of the wrong kind.

    Notes
    -----
    A model that is a Module is used in evaluation mode; its mode is restored
    afterwards. With ``client`` the model is sent to the workers once
    (``Client.scatter``), and each batch of file names is a task.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from convolab import models
    >>> d = tempfile.mkdtemp()
    >>> img = np.full((40, 40), 255, np.uint8); img[8:32, 17:23] = 0  # a dark "1" on white
    >>> Image.fromarray(img).save(os.path.join(d, "one.png"))
    >>> with open(os.path.join(d, "broken.png"), "wb") as f:
    ...     _ = f.write(b"not a png")
    >>> rows = predict_folder(models.lenet5(), d)
    >>> [(os.path.basename(r.path), r.error is None) for r in rows]
    [('broken.png', False), ('one.png', True)]
    >>> round(sum(rows[1].probabilities), 6), exit_status(rows)
    (1.0, 1)
    """
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | np.integer)
        or batch_size < 1
    ):
        raise ValueError(f"`batch_size` must be a positive int; got {batch_size!r}")
    if not isinstance(recursive, bool):
        raise TypeError(f"`recursive` must be a bool; got {recursive!r}")
    model, meta = _load_model(model_or_path)
    shape = _image_shape(input_shape or meta.get("input_shape") or (1, 28, 28))
    root = Path(folder)
    files = [
        (str(root / p.relative_to(root)), str(p.resolve())) for p in list_images(root, recursive)
    ]
    if not files:
        raise ValueError(f"folder {str(root)!r} holds no files to classify")
    batches = [files[i : i + int(batch_size)] for i in range(0, len(files), int(batch_size))]

    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    dask_client, owned = _resolve_client(client)
    try:
        if dask_client is None:
            parts = [_predict_batch(model, batch, shape) for batch in batches]
        else:
            # hash=False: a key of its own per call. With the default content hash, a
            # second call with the same model reuses the key while the first call's
            # future is being released, and the scheduler can drop the data under it
            # ("lost dependencies").
            remote_model = dask_client.scatter(model, broadcast=True, hash=False)
            futures = [
                dask_client.submit(_predict_batch, remote_model, batch, shape, pure=False)
                for batch in batches
            ]
            parts = dask_client.gather(futures)
    finally:
        for thing in owned:
            thing.close()
        for m, mode in modes:
            object.__setattr__(m, "training", mode)
    return [row for part in parts for row in part]


def exit_status(rows: Iterable[FolderPrediction]) -> int:
    """The command's exit code for these rows: 1 when any file failed, else 0.

    >>> exit_status([FolderPrediction("a.png", 3, (0.0, 1.0), None)])
    0
    >>> exit_status([FolderPrediction("b.png", None, None, "cannot read image")])
    1
    """
    return int(any(row.error is not None for row in rows))


def _class_columns(
    rows: Sequence[FolderPrediction], class_names: Sequence[str] | None
) -> list[str]:
    sizes = {len(r.probabilities) for r in rows if r.probabilities is not None}
    if len(sizes) > 1:
        raise ValueError(f"the rows disagree on the number of classes: {sorted(sizes)}")
    if class_names is None:
        return [str(k) for k in range(sizes.pop())] if sizes else []
    names = [str(c) for c in class_names]
    if sizes and sizes != {len(names)}:
        raise ValueError(
            f"`class_names` has {len(names)} names but the rows hold {sizes.pop()} probabilities"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"`class_names` must be distinct; got {names}")
    return names


def write_predictions_csv(
    rows: Iterable[FolderPrediction],
    path: str | os.PathLike[str],
    class_names: Sequence[str] | None = None,
    *,
    precision: int = 6,
) -> int:
    """Write :func:`predict_folder`'s rows as CSV; return how many files failed.

    The header is ``path,class,p_<name>...,error``: one probability column per
    class (named after ``class_names``, or the class indices), the ``class``
    column holding the predicted class's name. A failed file has empty class and
    probability cells and its message in ``error``. The file is written
    atomically (a temporary file in the same folder, then renamed), replacing
    any file at ``path``.

    Parameters
    ----------
    rows : iterable of FolderPrediction
    path : str or path-like
        The CSV file; its folder must exist.
    class_names : sequence of str, optional
        One name per class (e.g. the ``classes`` saved with a model); default
        ``"0"``, ``"1"``, ...
    precision : int, default 6
        Significant digits of the probabilities.

    Returns
    -------
    int
        The number of rows with an error: ``sys.exit(1 if n else 0)`` gives the
        exit-code rule of ``convolab predict``.

    Raises
    ------
    ValueError
        If ``class_names`` does not match the number of probabilities.
    FileNotFoundError
        If the folder of ``path`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "predictions.csv")
    >>> rows = [FolderPrediction("d/a.png", 1, (0.25, 0.75), None),
    ...         FolderPrediction("d/b.png", None, None, "cannot read image 'd/b.png'")]
    >>> write_predictions_csv(rows, out, ["cat", "dog"])
    1
    >>> print(open(out).read(), end="")
    path,class,p_cat,p_dog,error
    d/a.png,dog,0.25,0.75,
    d/b.png,,,,cannot read image 'd/b.png'
    """
    rows = list(rows)
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 1:
        raise ValueError(f"`precision` must be a positive int; got {precision!r}")
    names = _class_columns(rows, class_names)
    target = Path(path)
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"the folder of the output file {str(target)!r} does not exist")
    failed = 0
    with atomic_open(target, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["path", "class", *(f"p_{n}" for n in names), "error"])
        for r in rows:
            if r.error is not None or r.probabilities is None or r.label is None:
                failed += 1
                message = r.error if r.error is not None else "no prediction"
                writer.writerow([r.path, "", *([""] * len(names)), message])
                continue
            probs = [format(float(p), f".{precision}g") for p in r.probabilities]
            writer.writerow([r.path, names[r.label], *probs, ""])
    return failed
