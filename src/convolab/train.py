"""Training loop: fit, evaluate and predict, with progress bars, checkpoints and early stopping.

A run folder (``out=``) holds

* ``model.npz`` -- the best model so far (:func:`convolab.nn.save`; load it with
  :func:`convolab.nn.load` and call it on raw inputs),
* ``checkpoint.npz`` -- the last finished epoch: weights, optimizer state and
  history, for ``resume=`` (pickle-free, read with ``allow_pickle=False``),
* ``metrics.json`` -- the per-epoch metrics.

Every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from convolab import nn
from convolab.checks import check_labels, read_npz
from convolab.data.loader import ArrayDataset, DataLoader
from convolab.outputs import atomic_open as _atomic_open
from convolab.outputs import save_figure
from convolab.outputs import write_json as _write_json
from convolab.runtime import memory, workspace
from convolab.runtime.memory import keep_freed_memory  # its home; kept here for callers

__all__ = [
    "History",
    "evaluate",
    "fit",
    "keep_freed_memory",
    "load_checkpoint",
    "plot_history",
    "predict",
    "TrainingDiverged",
    "smoothed_loss",
]

_CHECKPOINT = "checkpoint.npz"
_MODEL = "model.npz"
_METRICS = "metrics.json"
_OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine")

LossFn = Callable[[nn.Tensor, np.ndarray], nn.Tensor]


@dataclass
class History:
    """What :func:`fit` did: one dict of metrics per epoch, and the best epoch.

    Attributes
    ----------
    epochs : list of dict
        ``epoch`` (1-based), ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``
        (when validation data was given), ``seconds``, ``samples_per_s``, ``lr``.
    monitor : str
        The metric that chose the best epoch.
    best_epoch : int or None
        Epoch with the best ``monitor`` value.
    best : float or None
        That value.
    stopped_early : bool
        Whether early stopping ended the run.
    interrupted : bool
        Whether ``on_step`` asked to stop (the last epoch may then be partial).
    """

    epochs: list[dict[str, float]] = field(default_factory=list)
    monitor: str = "val_accuracy"
    best_epoch: int | None = None
    best: float | None = None
    stopped_early: bool = False
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _as_dataset(data: Any, name: str) -> ArrayDataset:
    if isinstance(data, ArrayDataset):
        return data
    if isinstance(data, DataLoader):
        return data.dataset
    if isinstance(data, tuple) and len(data) == 2:
        return ArrayDataset(*data)
    raise TypeError(f"`{name}` must be an ArrayDataset, a DataLoader or a tuple (x, y); got "
                    f"{type(data).__name__}")  # fmt: skip


class TrainingDiverged(ValueError):
    """The training loss became NaN or infinite: the run stops instead of learning garbage."""


def _num_outputs(logits: np.ndarray) -> int:
    """Classes a model's logits stand for: their width, or 2 for a single logit."""
    return 2 if logits.ndim == 2 and logits.shape[1] == 1 else int(logits.shape[-1])


def _check_labels_fit(ds: ArrayDataset, outputs: int, what: str) -> None:
    """Refuse labels the model cannot output (a label set that does not match the model)."""
    check_labels(ds.y, outputs, f"{what} labels (the model has {outputs} outputs)")


def _binary(logits: nn.Tensor) -> bool:
    return logits.ndim == 2 and logits.shape[1] == 1


def _default_loss(logits: nn.Tensor, y: np.ndarray) -> nn.Tensor:
    """Cross-entropy over classes, or binary cross-entropy for a single logit."""
    if _binary(logits):
        target = y.astype(logits.data.dtype).reshape(-1, 1)
        return nn.functional.binary_cross_entropy_with_logits(logits, target)
    return nn.functional.cross_entropy(logits, y)


def smoothed_loss(label_smoothing: float) -> LossFn:
    r"""The default loss with smoothed targets (Szegedy et al. 2016), for ``fit(loss=...)``.

    With ``K`` classes the one-hot target becomes ``(1 - e) onehot + e / K``, so the
    model is not pushed to ever larger logits; for a single logit (two classes) the
    0/1 target becomes ``y (1 - e) + e / 2``. ``e = 0`` is the default loss.

    >>> import numpy as np
    >>> from convolab import _jit, nn
    >>> logits = nn.Tensor(np.array([[2.0, 0.0]]))
    >>> y = np.array([0])
    >>> round(smoothed_loss(0.0)(logits, y).item(), 4)  # log(1 + e^-2)
    0.1269
    >>> round(smoothed_loss(0.2)(logits, y).item(), 4)  # target (0.9, 0.1)
    0.3269
    """
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, int | float):
        raise TypeError(f"`label_smoothing` must be a number; got {label_smoothing!r}")
    eps = float(label_smoothing)
    if not 0 <= eps < 1:
        raise ValueError(f"`label_smoothing` must be in [0, 1); got {label_smoothing!r}")

    def loss(logits: nn.Tensor, y: np.ndarray) -> nn.Tensor:
        if _binary(logits):
            target = (y.astype(logits.data.dtype) * (1 - eps) + eps / 2).reshape(-1, 1)
            return nn.functional.binary_cross_entropy_with_logits(logits, target)
        return nn.functional.cross_entropy(logits, y, label_smoothing=eps)

    return loss


def _predicted(logits: np.ndarray) -> np.ndarray:
    if logits.ndim == 2 and logits.shape[1] == 1:
        return (logits[:, 0] > 0).astype(np.int64)
    return logits.argmax(axis=1)


def _make_optimizer(model, optimizer, lr: float, weight_decay: float, momentum: float):
    if not isinstance(optimizer, str):
        return optimizer
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"`optimizer` must be one of 'adam', 'sgd'; got {optimizer!r}")
    if not (isinstance(lr, int | float) and lr > 0):
        raise ValueError(f"`lr` must be a positive number; got {lr!r}")
    params = list(model.parameters())
    if optimizer == "adam":
        return nn.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return nn.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def _progress(enabled: bool | None) -> bool:
    if enabled is None:
        return sys.stderr.isatty()
    return bool(enabled)


def _epoch_seed(seed: int, epoch: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(epoch), 7]).generate_state(1)[0])


def _save_checkpoint(path: Path, model, optimizer, history: History, meta: dict) -> None:
    arrays = {f"model/{k}": np.asarray(v) for k, v in model.state_dict().items()}
    state = optimizer.state_dict()
    for index, slots in state["state"].items():
        for slot, value in slots.items():
            arrays[f"optim/{index}/{slot}"] = np.asarray(value)
    header = {
        "format": "convolab.train.checkpoint",
        "version": 1,
        "history": history.to_dict(),
        "param_groups": state["param_groups"],
        "meta": meta,
    }
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with _atomic_open(path) as handle:
        np.savez(handle, **arrays)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`fit` (a run folder or its ``checkpoint.npz``).

    Returns
    -------
    dict
        ``model`` (state dict), ``optimizer`` (optimizer state dict), ``history``
        (:class:`History`) and ``meta`` (what the run recorded: seed, batch size, ...).

    Raises
    ------
    FileNotFoundError
        If there is no checkpoint.
    ValueError
        If the file is not a readable checkpoint.

    Examples
    --------
    >>> import tempfile
    >>> from convolab import data, models
    >>> run = tempfile.mkdtemp()
    >>> _ = fit(models.detector1d(24, length=48), data.shapes1d(32, length=48), epochs=1, out=run)
    >>> saved = load_checkpoint(run)
    >>> len(saved["history"].epochs), sorted(saved["model"])
    (1, ['0.bias', '0.weight'])
    """
    path = Path(path)
    if path.is_dir():
        path = path / _CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    try:
        arrays = read_npz(path, f"checkpoint '{path}'")  # sizes checked before decompressing
        header = json.loads(arrays.pop("__header__").tobytes().decode("utf-8"))
    except Exception as exc:  # zip, zlib, JSON and key errors alike
        raise ValueError(f"{str(path)!r} is not a readable training checkpoint: {exc}") from None
    if header.get("format") != "convolab.train.checkpoint":
        raise ValueError(f"{str(path)!r} is not a convolab training checkpoint")
    model = {k[6:]: v for k, v in arrays.items() if k.startswith("model/")}
    state: dict[int, dict[str, np.ndarray]] = {}
    for key, value in arrays.items():
        if key.startswith("optim/"):
            _, index, slot = key.split("/", 2)
            state.setdefault(int(index), {})[slot] = value
    return {
        "model": model,
        "optimizer": {"state": state, "param_groups": header["param_groups"]},
        "history": History(**header["history"]),
        "meta": header.get("meta", {}),
    }


def _better(value: float, best: float | None, monitor: str) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if best is None:
        return True
    return value > best if monitor.endswith("accuracy") else value < best


def fit(
    model: nn.Module,
    train: ArrayDataset | DataLoader | tuple[np.ndarray, np.ndarray],
    val: ArrayDataset | tuple[np.ndarray, np.ndarray] | None = None,
    *,
    epochs: int = 10,
    batch_size: int = 128,
    optimizer: str | Any = "adam",
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    momentum: float = 0.9,
    loss: LossFn | None = None,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    patience: int | None = None,
    progress: bool | None = None,
    metadata: dict[str, Any] | None = None,
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    lr_schedule: str = "constant",
    on_step: Callable[[dict[str, float]], bool | None] | None = None,
) -> History:
    """Train ``model`` on ``train`` by mini-batch gradient descent.

    Parameters
    ----------
    model : convolab.nn.Module
        Returns logits ``(N, C)`` (cross-entropy) or one logit ``(N, 1)`` (binary
        cross-entropy), unless ``loss`` is given.
    train : ArrayDataset, DataLoader or (x, y)
        Training data; a DataLoader's dataset is used (batches follow ``batch_size``).
    val : ArrayDataset or (x, y), optional
        Validation data, evaluated after each epoch; it chooses the best epoch
        (highest ``val_accuracy``) and drives early stopping. Without it the
        training loss does.
    epochs : int
        Total number of epochs (a resumed run continues up to this number).
    batch_size : int
        Samples per step.
    optimizer : {'adam', 'sgd'} or optimizer
        Built over ``model.parameters()`` with ``lr``, ``weight_decay`` and (SGD)
        ``momentum``; or a ready :mod:`convolab.nn.optim` optimizer.
    lr, weight_decay, momentum : float
        Optimizer settings.
    loss : callable, optional
        ``loss(logits, y) -> Tensor``; default cross-entropy (or binary).
    seed : int
        Seed of the shuffling (and of the default generator of :mod:`convolab.nn.init`,
        reset from ``(seed, epoch)`` at the start of each epoch, for dropout). Two
        runs with the same seed, model and data give the same numbers on one machine.
    out : path-like, optional
        Run folder for ``model.npz`` (best epoch), ``checkpoint.npz`` (last epoch)
        and ``metrics.json``.
    resume : path-like, optional
        A run folder or checkpoint to continue from: weights, optimizer state and
        history are restored and training goes on at the next epoch.
    patience : int, optional
        Stop when the monitored metric has not improved for this many epochs.
    progress : bool, optional
        ``True``: a tqdm bar during each epoch (loss, accuracy, samples/s) and one
        line on stderr after it; ``None`` (default): the bar only when stderr is a
        terminal, the line always (a log or a pipe gets one line per epoch);
        ``False``: nothing.
    metadata : dict, optional
        JSON data stored in ``model.npz`` (e.g. class names); ``input_shape``
        defaults to the shape of one training input.
    augment : callable, optional
        ``augment(xb, rng) -> xb`` applied to every training batch, e.g.
        :class:`convolab.data.RandomAffine`; ``rng`` is seeded from ``(seed, epoch)``.
    lr_schedule : {'constant', 'cosine'}
        ``'cosine'``: epoch ``e`` (0-based) of ``E = epochs`` trains at
        ``lr (1 + cos(pi e / E)) / 2`` (:class:`convolab.nn.optim.CosineAnnealingLR`),
        from ``lr`` down towards 0; a function of the epoch, so a run resumed with
        the same ``epochs`` follows the same rates.
    on_step : callable, optional
        Called after every optimizer step with ``epoch`` (1-based), ``step`` (1-based
        within the epoch), ``loss`` and ``accuracy`` (the epoch's running means so far)
        and ``samples`` (seen this epoch). Returning ``True`` stops training: the
        epoch ends there (validated and recorded like a whole one) and
        ``History.interrupted`` is set.

    Returns
    -------
    History
        Per-epoch metrics and the best epoch. Without ``out``, the model ends with
        the best epoch's weights when ``val`` is given.

    Raises
    ------
    ValueError
        For non-positive ``epochs``/``batch_size``/``lr``/``patience``, an unknown
        ``optimizer``, a checkpoint of another architecture, or labels outside
        ``0..C-1`` for a model of ``C`` outputs (the message names the label and
        its index).
    TrainingDiverged
        (a ``ValueError``) when the training loss becomes NaN or infinite; the
        step that would have spread it into the weights is not taken.

    Examples
    --------
    >>> from convolab import data, models
    >>> ds = data.shapes1d(64, length=48, seed=0)
    >>> h = fit(models.detector1d(24, length=48), ds, epochs=2, batch_size=16, lr=0.05)
    >>> [e["epoch"] for e in h.epochs], h.monitor
    ([1, 2], 'loss')
    """
    train_ds = _as_dataset(train, "train")
    val_ds = _as_dataset(val, "val") if val is not None else None
    if len(train_ds):
        outputs = _num_outputs(_logits(model, train_ds.x[:1], 1))
        _check_labels_fit(train_ds, outputs, "`train`")
        if val_ds is not None:
            _check_labels_fit(val_ds, outputs, "`val`")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"`{name}` must be an integer >= 1; got {value!r}")
    if patience is not None and (not isinstance(patience, int | np.integer) or patience < 1):
        raise ValueError(f"`patience` must be an integer >= 1 or None; got {patience!r}")
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"`lr_schedule` must be one of 'constant', 'cosine'; got {lr_schedule!r}")
    loss_fn = loss or _default_loss
    opt = _make_optimizer(model, optimizer, lr, weight_decay, momentum)
    schedule = nn.optim.CosineAnnealingLR(opt, int(epochs)) if lr_schedule == "cosine" else None
    if memory.opted_in():
        memory.keep_freed_memory()
    loader = DataLoader(train_ds, batch_size, shuffle=True, seed=seed)
    history = History(monitor="val_accuracy" if val_ds is not None else "loss")
    run = Path(out) if out is not None else None
    if run is not None:
        run.mkdir(parents=True, exist_ok=True)
    meta = {"seed": int(seed), "batch_size": int(batch_size), **(metadata or {})}
    if "input_shape" not in meta and hasattr(train_ds, "x"):  # a run folder describes its input
        meta["input_shape"] = [int(n) for n in np.shape(train_ds.x)[1:]]
    if resume is not None:
        saved = load_checkpoint(resume)
        try:
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["optimizer"])
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(
                f"checkpoint {str(resume)!r} does not fit this model/optimizer: {exc}"
            ) from None
        history = saved["history"]
    best_state = None
    show = _progress(progress)
    start = len(history.epochs)
    for epoch in range(start, int(epochs)):
        nn.init.manual_seed(_epoch_seed(seed, epoch))
        loader.epoch = epoch
        if schedule is not None:  # the rate is a function of the epoch alone
            schedule.last_epoch = epoch
            for group, rate in zip(opt.param_groups, schedule.get_lr(), strict=True):
                group["lr"] = rate
        rng = np.random.default_rng(_epoch_seed(seed, epoch) + 1)
        record = _train_epoch(model, opt, loader, loss_fn, epoch, int(epochs), show, augment, rng,
                              on_step)  # fmt: skip
        history.interrupted = bool(record.pop("interrupted"))
        if val_ds is not None:
            scores = evaluate(model, val_ds, loss=loss)
            record["val_loss"], record["val_accuracy"] = scores["loss"], scores["accuracy"]
        record["lr"] = float(opt.param_groups[0]["lr"])
        history.epochs.append(record)
        value = record[history.monitor]
        if _better(value, history.best, history.monitor):
            history.best, history.best_epoch = float(value), epoch + 1
            if run is not None:
                nn.save(model, run / _MODEL, metadata={**meta, "epoch": epoch + 1,
                                                       history.monitor: float(value)})  # fmt: skip
            else:
                best_state = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
        stale = len(history.epochs) - (history.best_epoch or 0)
        history.stopped_early = patience is not None and stale >= patience
        if run is not None:
            _save_checkpoint(run / _CHECKPOINT, model, opt, history, meta)
            _write_json(run / _METRICS, history.to_dict())
        if progress is not False:  # one plain line per epoch, also in a pipe or a log
            _report(record, int(epochs))
        if history.stopped_early or history.interrupted:
            break
    workspace.release()  # the layers' scratch memory, kept between steps
    if run is None and val_ds is not None and best_state is not None:
        model.load_state_dict(best_state)
    return history


def _report(record: dict[str, float], epochs: int) -> None:
    parts = [f"epoch {record['epoch']}/{epochs}", f"loss {record['loss']:.4f}",
             f"acc {record['accuracy']:.4f}"]  # fmt: skip
    if "val_accuracy" in record:
        parts += [f"val_loss {record['val_loss']:.4f}", f"val_acc {record['val_accuracy']:.4f}"]
    parts.append(f"{record['samples_per_s']:.0f} samples/s")
    print("  ".join(parts), file=sys.stderr)


def _train_epoch(model, opt, loader, loss_fn, epoch, epochs, show, augment, rng,
                 on_step=None) -> dict:  # fmt: skip
    from tqdm.auto import tqdm

    model.train()
    total_loss, correct, seen, steps, interrupted = 0.0, 0, 0, 0, False
    t0 = time.perf_counter()
    bar = tqdm(total=len(loader.dataset), desc=f"epoch {epoch + 1}/{epochs}", unit="sample",
               disable=not show, leave=False, file=sys.stderr)  # fmt: skip
    with bar:
        for xb, yb in loader:
            if augment is not None:
                xb = augment(xb, rng)
            opt.zero_grad()
            # overflow shows up as a non-finite loss, reported below in one line
            with np.errstate(over="ignore", invalid="ignore"):
                logits = model(nn.Tensor(xb))
                batch_loss = loss_fn(logits, yb)
            value = float(batch_loss.data)
            if not math.isfinite(value):  # before the step, so the weights stay finite
                rate = opt.param_groups[0]["lr"]
                raise TrainingDiverged(
                    f"training stopped: the loss became {value} at epoch {epoch + 1}, batch "
                    f"{steps + 1}; lower the learning rate (now {rate:g}) or check the "
                    "inputs for NaN or huge values"
                )
            with np.errstate(over="ignore", invalid="ignore"):
                batch_loss.backward()
                opt.step()
            n = len(yb)
            total_loss += float(batch_loss.data) * n
            correct += int((_predicted(logits.data) == yb).sum())
            seen += n
            if show:
                rate = seen / max(time.perf_counter() - t0, 1e-9)
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}",
                                rate=f"{rate:.0f}/s", refresh=False)  # fmt: skip
                bar.update(n)
            steps += 1
            if on_step is not None and on_step({
                "epoch": epoch + 1, "step": steps, "loss": total_loss / seen,
                "accuracy": correct / seen, "samples": seen,
            }):  # fmt: skip
                interrupted = True
                break
    seconds = time.perf_counter() - t0
    return {
        "epoch": epoch + 1,
        "loss": total_loss / max(seen, 1),
        "accuracy": correct / max(seen, 1),
        "seconds": seconds,
        "samples_per_s": seen / max(seconds, 1e-9),
        "interrupted": interrupted,
    }


def _logits(model: nn.Module, x: np.ndarray, batch_size: int) -> np.ndarray:
    was_training = model.training
    model.eval()
    try:
        with nn.no_grad():
            parts = [model(nn.Tensor(x[i : i + batch_size])).data
                     for i in range(0, len(x), batch_size)]  # fmt: skip
    finally:
        model.train(was_training)
    return np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)


def evaluate(
    model: nn.Module,
    data: ArrayDataset | tuple[np.ndarray, np.ndarray],
    *,
    batch_size: int = 500,
    loss: LossFn | None = None,
) -> dict[str, Any]:
    """Loss, accuracy, per-class accuracy and confusion matrix of ``model`` on ``data``.

    Parameters
    ----------
    model : convolab.nn.Module
        Evaluated in eval mode, without gradients (its mode is restored).
    data : ArrayDataset or (x, y)
        Labelled samples.
    batch_size : int
        Samples per forward pass.
    loss : callable, optional
        As in :func:`fit`.

    Returns
    -------
    dict
        ``loss``, ``accuracy``, ``per_class_accuracy`` (list; NaN for a class with
        no samples), ``confusion`` (``confusion[true][predicted]`` counts), ``n``.

    Examples
    --------
    >>> from convolab import _jit, nn
    >>> import numpy as np
    >>> net = nn.Sequential(nn.Linear(2, 2))
    >>> net[0].weight.data[:] = [[1, 0], [0, 1]]; net[0].bias.data[:] = 0
    >>> x = np.array([[1.0, 0], [0, 1.0], [2.0, 0]], np.float32)
    >>> r = evaluate(net, (x, np.array([0, 1, 1])))
    >>> round(r["accuracy"], 3), r["confusion"]
    (0.667, [[1, 0], [1, 1]])
    """
    ds = _as_dataset(data, "data")
    logits = _logits(model, ds.x, batch_size)
    if len(ds):
        _check_labels_fit(ds, _num_outputs(logits), "`data`")
    loss_fn = loss or _default_loss
    value = float(loss_fn(nn.Tensor(logits), ds.y).data) if len(ds) else float("nan")
    pred = _predicted(logits)
    classes = max(2 if _binary(nn.Tensor(logits)) else logits.shape[1], ds.num_classes)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (ds.y, pred), 1)
    per_class = np.full(classes, np.nan)
    totals = confusion.sum(axis=1)
    np.divide(np.diag(confusion), totals, out=per_class, where=totals > 0)
    return {
        "loss": value,
        "accuracy": float((pred == ds.y).mean()) if len(ds) else float("nan"),
        "per_class_accuracy": per_class.tolist(),
        "confusion": confusion.tolist(),
        "n": len(ds),
    }


def predict(model: nn.Module, x: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
    """Class probabilities for inputs ``x``.

    Softmax of the logits; for a single-logit model (a detector) the columns are
    ``[1 - p, p]`` with ``p = sigmoid(logit)``, so ``argmax`` is the decision either way.

    Parameters
    ----------
    model : convolab.nn.Module
    x : numpy.ndarray
        Inputs, first axis the samples.
    batch_size : int
        Samples per forward pass.

    Returns
    -------
    numpy.ndarray
        ``(N, C)`` probabilities, rows summing to 1.

    Examples
    --------
    >>> from convolab import _jit, nn
    >>> p = predict(nn.Sequential(nn.Linear(3, 4)), np.zeros((2, 3), np.float32))
    >>> p.shape, np.allclose(p.sum(axis=1), 1)
    ((2, 4), True)
    """
    logits = _logits(model, np.asarray(x), batch_size).astype(np.float64)
    if logits.ndim == 2 and logits.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-logits[:, 0]))
        return np.stack([1.0 - p, p], axis=1)
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def plot_history(history: History | dict, path: str | os.PathLike, title: str = "") -> Path:
    """Draw the training curves (loss and accuracy per epoch) to an image file (PNG, SVG, ...).

    The figure is :func:`convolab.viz.plot_history`'s; the file is written atomically.

    Parameters
    ----------
    history : History or dict
        What :func:`fit` returned (or its ``to_dict()``).
    path : path-like
        The image file, written atomically.
    title : str
        Figure title.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> h = History(epochs=[{"epoch": 1, "loss": 1.0, "accuracy": 0.5},
    ...                     {"epoch": 2, "loss": 0.5, "accuracy": 0.8}])
    >>> plot_history(h, os.path.join(tempfile.mkdtemp(), "curve.png")).suffix
    '.png'
    """
    from convolab import viz

    records = (history.to_dict() if isinstance(history, History) else history)["epochs"]
    keys = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
    table = [{k: r[k] for k in keys if k in r} for r in records]
    fig = viz.plot_history(table, title=title or None)
    return save_figure(fig, path, dpi=fig.dpi, facecolor="white")
