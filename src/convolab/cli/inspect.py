"""``convolab inspect``: a model layer by layer, in numbers.

``MODEL`` is a model name (``lenet5``, ``lenet5-bn``, ``lenet5-classic``, ``detector1d``,
``cnn1d``, ``mlp``: freshly initialized), a run folder written by
``convolab train``, or a model file. The input shape comes from
``--input-shape``, else from the model file, else from the model's usual input;
a model without one gets its parameter table (``convolab show`` draws the model).
"""

from __future__ import annotations

import click

from convolab.cli.io import check_model_runs, model_from_spec

__all__ = ["inspect"]


@click.command("inspect", short_help="Summarize a model layer by layer.")
@click.argument("model_spec", metavar="MODEL")
@click.option("--input-shape", "input_shape", metavar="C,H,W",
              help="One input's shape, no batch axis (default: saved with the model, or the "
                   "model's usual input).")  # fmt: skip
def inspect(model_spec: str, input_shape: str | None) -> None:
    """Summarize MODEL: each layer's output shape, parameters, receptive field and FLOPs.

    MODEL is a model name (lenet5, lenet5-bn, lenet5-classic, detector1d, cnn1d, mlp), a
    run folder or a model file. FLOPs are per input (a multiply-add counts 2);
    the receptive field is in input pixels, padding included. A model file that
    records no input shape gets its parameter table; --input-shape adds the rest.

    \b
    Example:
      convolab inspect lenet5
      convolab inspect runs/lenet --input-shape 1,28,28
    """
    from convolab import analysis

    model, shape, name = model_from_spec(model_spec, input_shape)
    if shape is not None:
        check_model_runs(model, shape)
    click.echo(f"Model: {name}")
    table = analysis.summary(model, shape)  # without a shape: the parameters only
    click.echo(str(table))
    if table.input_shape is None:
        click.echo("(pass --input-shape C,H,W for output shapes, receptive fields and FLOPs)")
