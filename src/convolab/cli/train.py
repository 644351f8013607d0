"""``convolab train``: train a model and keep everything about the run in one folder.

A run folder (``--out``) receives ``model.npz`` (the best epoch, loadable with
:func:`convolab.nn.load`; it takes raw inputs, images scaled to [0, 1] with
shape ``(N, 1, 28, 28)``), ``config.json`` (how it was trained),
``metrics.json`` (per-epoch metrics and the final test scores),
``checkpoint.npz`` (for ``--resume``) and ``training.png`` (the curves).
``convolab eval`` (:mod:`convolab.cli.evaluate`) and ``convolab predict``
(:mod:`convolab.cli.predict`) read it.
"""

from __future__ import annotations

from pathlib import Path

import click

from convolab.checks import check_labels
from convolab.cli.errors import UsageProblem
from convolab.cli.io import MODEL_FILE, echo_scores
from convolab.cli.options import force_option
from convolab.data.augment import AUGMENT_BELOW
from convolab.outputs import write_json as _write_json

__all__ = ["train"]

_DATA_HELP = "mnist, fashion-mnist, ocr-digits, mnist1d, shapes1d or a folder of IDX files."


def _check_classes(data_name: str, train_part, test_part) -> None:
    """The data set must hold two classes or more, and its test labels those of training."""
    n = train_part.num_classes
    if n < 2:
        raise UsageProblem(f"--data {data_name}: the training labels hold {n} class "
                           f"({', '.join(train_part.classes)}); a classifier needs at least 2")
    check_labels(test_part.y, n, f"--data {data_name}: the test labels ({n} training classes)")


_RUN_FILES = ("config.json", MODEL_FILE, "checkpoint.npz", "metrics.json", "training.png")


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

    train_full, test = data.load_splits(data_name, download=download, n=samples, seed=seed,
                                        test_fraction=test_fraction)
    _check_classes(data_name, train_full, test)
    if limit is not None:  # a seeded random subset (files may be sorted by class)
        train_full = data.random_subset(train_full, limit, seed)
        test = data.random_subset(test, limit, seed)
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
        stats = data.channel_stats(fit_on.x)
        if not all(v > 0 for v in stats[1]):
            raise UsageProblem("--standardize: the training inputs are constant in a channel")
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
    best = nn.load(run / MODEL_FILE)
    scores = training.evaluate(best, test)
    _write_json(run / "metrics.json", {**history.to_dict(), "test": scores})
    training.plot_history(history, run / "training.png", title=f"{model_name} on {data_name}")
    echo_scores(scores, meta["classes"], f"test (best epoch {history.best_epoch})")
    click.echo(f"saved {run / MODEL_FILE}, metrics.json, training.png")
