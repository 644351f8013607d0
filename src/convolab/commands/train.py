"""``convolab train``, ``convolab eval`` and ``convolab predict``.

A run folder (``--out``) receives ``model.npz`` (the best epoch, loadable with
:func:`convolab.nn.load`; it takes raw inputs, images scaled to [0, 1] with
shape ``(N, 1, 28, 28)``), ``config.json`` (how it was trained),
``metrics.json`` (per-epoch metrics and the final test scores),
``checkpoint.npz`` (for ``--resume``) and ``training.png`` (the curves).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np

from convolab.checks import check_labels, read_json
from convolab.cli import UsageProblem, force_option, in_flags
from convolab.data.augment import AUGMENT_BELOW
from convolab.outputs import check_target
from convolab.outputs import write_json as _write_json

__all__ = ["eval_", "load_model", "predict", "train"]

_MODEL_FILE = "model.npz"


_DATA_HELP = "mnist, fashion-mnist, ocr-digits, mnist1d, shapes1d or a folder of IDX files."


def load_model(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """A saved model and its metadata, from a run folder or a model file."""
    from convolab import nn

    path = Path(path)
    file = path / _MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        where = f"run folder {str(path)!r} has no {_MODEL_FILE}" if path.is_dir() else (
            f"model file {str(path)!r} does not exist")  # fmt: skip
        raise UsageProblem(where)
    model = nn.load(file)
    info = nn.read_model_info(file)
    return model, dict(info.get("metadata") or {})


def _check_inputs(meta: dict[str, Any], x: np.ndarray, what: str) -> None:
    expected = meta.get("input_shape")
    if expected is not None and tuple(expected) != tuple(x.shape[1:]):
        raise UsageProblem(
            f"the model ({meta.get('model', 'unknown')}) takes inputs of shape "
            f"{tuple(expected)}; {what} has {tuple(x.shape[1:])}"
        )


def _check_classes(data_name: str, train_part, test_part) -> None:
    """The data set must hold two classes or more, and its test labels those of training."""
    n = train_part.num_classes
    if n < 2:
        raise UsageProblem(f"--data {data_name}: the training labels hold {n} class "
                           f"({', '.join(train_part.classes)}); a classifier needs at least 2")
    check_labels(test_part.y, n, f"--data {data_name}: the test labels ({n} training classes)")


def _limited(ds, limit: int, seed: int):
    if limit >= len(ds):
        return ds
    return ds.subset(np.sort(np.random.default_rng(seed).permutation(len(ds))[:limit]))


def _load_data(name: str, download: bool, n: int | None, seed: int, test_fraction: float):
    from convolab import data

    return data.load_splits(name, download=download, n=n, seed=seed, test_fraction=test_fraction)


def _echo_scores(scores: dict[str, Any], classes: list[str], header: str) -> None:
    click.echo(f"{header}: accuracy {scores['accuracy']:.4f}  loss {scores['loss']:.4f}  "
               f"(n={scores['n']})")  # fmt: skip
    per = scores["per_class_accuracy"]
    names = classes if len(classes) == len(per) else [str(k) for k in range(len(per))]
    click.echo("per class: " + "  ".join(f"{c}={a:.3f}" for c, a in zip(names, per)))


_RUN_FILES = ("config.json", _MODEL_FILE, "checkpoint.npz", "metrics.json", "training.png")


def _check_run_folder(run: Path, resume: bool, force: bool) -> None:
    """``--out`` must be new, empty, or a run folder continued (--resume) or replaced (--force)."""
    if run.exists() and not run.is_dir():
        raise UsageProblem(f"--out {str(run)!r} exists and is not a folder")
    held = sorted(p.name for p in run.iterdir()) if run.is_dir() else []
    is_run = any(name in held for name in _RUN_FILES[:3])
    if held and not is_run:
        shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
        raise UsageProblem(f"--out {str(run)!r} holds files that are not a convolab run ({shown}); "
                           "choose a new or empty folder")  # fmt: skip
    if resume:
        if not (run / "checkpoint.npz").exists():
            raise UsageProblem(f"--resume: no checkpoint.npz in {str(run)!r}")
    elif is_run and not force:
        raise UsageProblem(f"--out {str(run)!r} already holds a run; pass --resume to continue it, "
                           "--force to replace it, or choose another folder")  # fmt: skip


@click.command("train")
@click.argument("model_name", metavar="MODEL")
@click.option("--data", "data_name", required=True, metavar="DATA", help=_DATA_HELP)
@click.option("--download", is_flag=True, help="Download MNIST/Fashion-MNIST when missing.")
@click.option("--epochs", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=128, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Learning rate [default: the model's, e.g. 1e-3 for lenet5, 0.05 for "
                   "detector1d, 0.01 for cnn1d].")  # fmt: skip
@click.option("--optimizer", type=click.Choice(["adam", "sgd"]), default="adam",
              show_default=True)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Run folder (new or empty; a run's own folder with --resume or --force).")
@click.option("--val-fraction", type=click.FloatRange(0, 1, max_open=True), default=0.1,
              show_default=True, help="Part of the training data held out for validation.")
@click.option("--test-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.1, show_default=True,
              help="Part held out for testing when a folder has only one split.")
@click.option("--patience", type=click.IntRange(min=1), default=None,
              help="Stop after this many epochs without improvement.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Use a random N training and N test samples (quick runs).")
@click.option("--samples", type=click.IntRange(min=1), default=None,
              help="Size of generated data sets (ocr-digits, shapes1d).")
@click.option("--augment/--no-augment", default=None,
              help="Warp each training image by a small random rotation, scaling and shift "
                   f"[default: on for images when fewer than {AUGMENT_BELOW:,} training images].")
@click.option("--shift", type=click.IntRange(min=0), default=0, show_default=True,
              help="Augment by whole-pixel shifts of up to this many pixels instead "
                   "(signals too).")
@click.option("--lr-schedule", type=click.Choice(["constant", "cosine"]), default="constant",
              show_default=True, help="Learning rate over the epochs: constant, or a cosine "
                                      "decay towards 0.")
@click.option("--standardize/--no-standardize", default=None,
              help="Standardize inputs inside the model with the training split's mean and std "
                   "[default: on for images].")
@click.option("--label-smoothing", type=click.FloatRange(0, 1, max_open=True), default=0.0,
              show_default=True, help="Smooth the one-hot targets by this much (0.1 is usual).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its checkpoint.")
@force_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or per-epoch lines.")
def train(
    model_name: str,
    data_name: str,
    download: bool,
    epochs: int,
    batch_size: int,
    lr: float | None,
    optimizer: str,
    seed: int,
    out: str,
    val_fraction: float,
    test_fraction: float,
    patience: int | None,
    limit: int | None,
    samples: int | None,
    augment: bool | None,
    shift: int,
    lr_schedule: str,
    standardize: bool | None,
    label_smoothing: float,
    resume: bool,
    force: bool,
    quiet: bool,
) -> None:
    """Train MODEL (lenet5, lenet5-bn, lenet5-classic, detector1d, cnn1d, mlp) on --data.

    DATA is mnist, fashion-mnist, ocr-digits, mnist1d, shapes1d, or a folder of
    MNIST-format files (train-* and t10k-*; a folder with one split is split).
    """
    from convolab import data, models, nn
    from convolab import train as training

    if model_name not in models.MODEL_NAMES:
        valid = ", ".join(models.MODEL_NAMES)
        raise UsageProblem(f"unknown model {model_name!r}; expected one of {valid}")
    if lr is None:
        lr = models.DEFAULT_LR[model_name]
    if shift and augment is not None:
        raise UsageProblem(f"--shift {shift} and --{'' if augment else 'no-'}augment: give one")
    run = Path(out)
    _check_run_folder(run, resume, force)

    train_full, test = _load_data(data_name, download, samples, seed, test_fraction)
    _check_classes(data_name, train_full, test)
    if limit is not None:  # a seeded random subset (files may be sorted by class)
        train_full, test = _limited(train_full, limit, seed), _limited(test, limit, seed)
    val = None
    fit_on = train_full
    if val_fraction > 0:
        n_val = max(1, int(round(len(train_full) * val_fraction)))
        if n_val >= len(train_full):
            raise UsageProblem(f"--val-fraction {val_fraction} leaves no training data")
        fit_on, val = data.random_split(train_full, [len(train_full) - n_val, n_val], seed=seed)
    input_shape = list(train_full.x.shape[1:])
    if shift:
        augmentation = data.RandomShift(shift)
    elif augment is None:
        augmentation = data.default_augmentation(tuple(input_shape), len(fit_on))
    else:
        augmentation = data.RandomAffine() if augment else None
    if augment and not data.is_image_shape(tuple(input_shape)):
        raise UsageProblem(f"--augment warps images; {data_name} holds signals of shape "
                           f"{tuple(input_shape)} (use --shift)")  # fmt: skip
    stats = None
    if standardize is None:
        standardize = data.is_image_shape(tuple(input_shape))
    if standardize:  # per channel, from the samples the model trains on
        axes = (0, *range(2, fit_on.x.ndim))
        std = fit_on.x.std(axis=axes, dtype=np.float64)
        if not (std > 0).all():
            raise UsageProblem("--standardize: the training inputs are constant in a channel")
        stats = ([float(v) for v in fit_on.x.mean(axis=axes, dtype=np.float64)],
                 [float(v) for v in std])  # fmt: skip
    model = models.build(model_name, input_shape, train_full.num_classes, seed=seed,
                         standardize=stats)  # fmt: skip
    meta = {
        "model": model_name,
        "data": str(data_name),
        "input_shape": input_shape,
        "classes": list(train_full.classes),
    }
    config = {
        **meta,
        "epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": optimizer,
        "seed": seed, "val_fraction": val_fraction, "test_fraction": test_fraction,
        "limit": limit, "samples": samples, "shift": shift, "label_smoothing": label_smoothing,
        "augment": repr(augmentation) if augmentation is not None else None,
        "lr_schedule": lr_schedule,
        "standardize": stats,
        "train_samples": len(fit_on), "val_samples": len(val) if val is not None else 0,
        "test_samples": len(test),
    }  # fmt: skip
    run.mkdir(parents=True, exist_ok=True)
    if force and not resume:  # the run replaced: a new run, not a mix of two
        for name in _RUN_FILES:
            (run / name).unlink(missing_ok=True)
    _write_json(run / "config.json", config)
    if not quiet:
        click.echo(f"training {model_name} on {data_name}: {len(fit_on)} train, "
                   f"{len(val) if val is not None else 0} validation, {len(test)} test samples",
                   err=True)  # fmt: skip
    history = training.fit(
        model, fit_on, val, epochs=epochs, batch_size=batch_size, optimizer=optimizer, lr=lr,
        seed=seed, out=run, resume=run if resume else None, patience=patience,
        progress=False if quiet else None, metadata=meta,
        augment=augmentation, lr_schedule=lr_schedule,
        loss=training.smoothed_loss(label_smoothing) if label_smoothing else None,
    )  # fmt: skip
    best = nn.load(run / _MODEL_FILE)
    scores = training.evaluate(best, test)
    _write_json(run / "metrics.json", {**history.to_dict(), "test": scores})
    training.plot_history(history, run / "training.png", title=f"{model_name} on {data_name}")
    _echo_scores(scores, meta["classes"], f"test (best epoch {history.best_epoch})")
    click.echo(f"saved {run / _MODEL_FILE}, metrics.json, training.png")


@click.command("eval")
@click.argument("model_path", metavar="RUN_DIR|MODEL", type=click.Path(exists=True))
@click.option("--data", "data_name", default=None, metavar="DATA",
              help="Data to evaluate on (default: the run's own data).")  # fmt: skip
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True)
@click.option("--download", is_flag=True, help="Download MNIST/Fashion-MNIST when missing.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Use a random N samples.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_(model_path: str, data_name: str | None, split: str, download: bool,
          limit: int | None, as_json: bool) -> None:  # fmt: skip
    """Evaluate a trained model: accuracy, loss, per-class accuracy, confusion matrix."""
    from convolab import train as training

    model, meta = load_model(model_path)
    config_file = Path(model_path) / "config.json"
    config = read_json(config_file, "run file") if config_file.is_file() else {}
    name = data_name or meta.get("data")
    if name is None:
        raise UsageProblem("--data is required: the model file does not record its data")
    train_part, test_part = _load_data(
        name, download, config.get("samples"), int(config.get("seed", 0)),
        float(config.get("test_fraction", 0.1)),
    )  # fmt: skip
    ds = test_part if split == "test" else train_part
    if limit is None and data_name is None:  # the run's own data: its own subset too
        limit = config.get("limit")
    if limit is not None:
        ds = _limited(ds, limit, int(config.get("seed", 0)))
    _check_inputs(meta, ds.x, f"data {name!r}")
    trained = meta.get("classes") or []
    if any(a != b for a, b in zip(trained, ds.classes)):
        raise UsageProblem(
            f"--data {name}: its classes ({', '.join(map(str, ds.classes[:3]))}, ...) are not "
            f"the ones the model was trained on ({', '.join(map(str, trained[:3]))}, ...)"
        )
    try:
        scores = training.evaluate(model, ds)
    except ValueError as exc:
        raise in_flags(exc, {"`data` labels": f"the labels of --data {name}"}) from None
    if as_json:
        click.echo(json.dumps(scores, indent=2))
        return
    _echo_scores(scores, meta.get("classes") or ds.classes, f"{name} {split}")
    click.echo("confusion (rows: true, columns: predicted):")
    for row in scores["confusion"]:
        click.echo("  " + " ".join(f"{v:5d}" for v in row))


@click.command("predict")
@click.argument("model_path", metavar="RUN_DIR|MODEL", type=click.Path(exists=True))
@click.argument("images", metavar="IMAGES...|FOLDER", nargs=-1, required=True, type=click.Path())
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True,
              help="How many classes to list per image.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="FOLDER mode: the CSV to write (path, class, probabilities, error).")
@click.option("--dask", "dask_address", is_flag=False, flag_value="local", default=None,
              metavar="[ADDRESS]",
              help="FOLDER mode: classify on a dask.distributed cluster (a local one without "
                   "ADDRESS; write --dask=ADDRESS, or put a bare --dask last).")
@force_option
def predict(
    model_path: str,
    images: tuple[str, ...],
    top: int,
    output: str | None,
    dask_address: str | None,
    force: bool,
) -> None:
    """Classify IMAGES (any format Pillow reads) with a trained image model.

    Each image is made MNIST-like first: grayscale, inverted when the background
    is light, cropped to the ink, resized into a 20x20 box inside 28x28 and
    centred by mass. Given one FOLDER, every file in it is classified and the
    rows go to the CSV file OUTPUT, in this process or on a Dask cluster
    (``--dask``); unreadable files get a message in the error column and the
    exit code is 1 when any file failed.
    """
    from convolab import data
    from convolab import train as training

    folder_mode = len(images) == 1 and Path(images[0]).is_dir()
    if not folder_mode and (output or dask_address):
        raise UsageProblem("--output and --dask classify a folder: give exactly one FOLDER")
    model, meta = load_model(model_path)
    shape = tuple(meta.get("input_shape") or (1, 28, 28))
    if len(shape) != 3 or shape[0] != 1:
        raise UsageProblem(f"predict needs a model of 1-channel images; this one takes {shape}")
    if folder_mode:
        reads = (model_path, Path(model_path) / _MODEL_FILE)
        _predict_folder(model, meta, shape, images[0], output, dask_address, force, reads)
        return
    batch = np.stack([data.to_mnist(data.load_image(p), size=shape[1]) for p in images])
    _check_inputs(meta, batch, "the images")
    probs = training.predict(model, batch)
    classes = meta.get("classes") or [str(k) for k in range(probs.shape[1])]
    for path, p in zip(images, probs):
        order = np.argsort(-p, kind="stable")[:top]
        ranked = "  ".join(f"{classes[k]}:{p[k]:.3f}" for k in order)
        click.echo(f"{path}: {classes[order[0]]}  ({ranked})")
    sys.stdout.flush()


def _predict_folder(
    model: Any,
    meta: dict[str, Any],
    shape: tuple[int, ...],
    folder: str,
    output: str | None,
    dask_address: str | None,
    force: bool,
    reads: tuple[str | Path, ...],
) -> None:
    """``convolab predict MODEL FOLDER -o OUT.csv [--dask [ADDRESS]]``."""
    from convolab.scale import predict_folder, write_predictions_csv

    if output is None:
        raise UsageProblem("classifying a folder needs -o/--output OUT.csv")
    out = check_target(output, reads=reads, force=force, option="-o", suffixes=[".csv"])
    if out.resolve().parent == Path(folder).resolve():
        raise UsageProblem(f"{output} is inside the folder being classified; write it elsewhere")
    rows = predict_folder(model, folder, client=dask_address, input_shape=shape)
    failed = write_predictions_csv(rows, out, class_names=meta.get("classes"))
    click.echo(f"wrote {len(rows)} predictions to {output} ({failed} failed)")
    sys.stdout.flush()
    if failed:
        sys.exit(1)
