"""``convolab predict``: classify image files, or a whole folder into a CSV file.

Each image is made MNIST-like first (:func:`convolab.data.to_mnist`); a folder is
classified by :mod:`convolab.scale`, in this process or on a Dask cluster.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import numpy as np

from convolab.cli.errors import UsageProblem
from convolab.cli.io import MODEL_FILE, check_model_inputs, load_model
from convolab.cli.options import force_option
from convolab.outputs import check_target

__all__ = ["predict"]


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
        reads = (model_path, Path(model_path) / MODEL_FILE)
        _predict_folder(model, meta, shape, images[0], output, dask_address, force, reads)
        return
    batch = np.stack([data.to_mnist(data.load_image(p), size=shape[1]) for p in images])
    check_model_inputs(meta, batch, "the images")
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
