"""``convolab eval``: a trained model's scores on its own data or on other data.

The run's own data by default, with the same samples, seed and subset it was trained with
(``config.json`` of the run folder); ``--data`` names other data with the same classes.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from convolab.checks import read_json
from convolab.cli.errors import UsageProblem, in_flags
from convolab.cli.io import check_model_inputs, echo_scores, load_model

__all__ = ["eval_"]


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
    from convolab import data
    from convolab import train as training

    model, meta = load_model(model_path)
    config_file = Path(model_path) / "config.json"
    config = read_json(config_file, "run file") if config_file.is_file() else {}
    name = data_name or meta.get("data")
    if name is None:
        raise UsageProblem("--data is required: the model file does not record its data")
    train_part, test_part = data.load_splits(
        name, download=download, n=config.get("samples"), seed=int(config.get("seed", 0)),
        test_fraction=float(config.get("test_fraction", 0.1)),
    )
    ds = test_part if split == "test" else train_part
    if limit is None and data_name is None:  # the run's own data: its own subset too
        limit = config.get("limit")
    if limit is not None:
        ds = data.random_subset(ds, limit, int(config.get("seed", 0)))
    check_model_inputs(meta, ds.x, f"data {name!r}")
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
    echo_scores(scores, meta.get("classes") or ds.classes, f"{name} {split}")
    click.echo("confusion (rows: true, columns: predicted):")
    for row in scores["confusion"]:
        click.echo("  " + " ".join(f"{v:5d}" for v in row))
