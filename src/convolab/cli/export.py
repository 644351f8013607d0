"""``convolab export``: write a trained model as an ONNX file.

The graph has a dynamic batch axis and the model's other input axes (the
``input_shape`` saved by ``convolab train``, or ``--input-shape``). When
onnxruntime is installed the file is run once on random inputs and compared with
convolab's own output; a difference above 1e-4 is an error (exit code 1). An
existing output is replaced only with ``--force``.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from convolab.cli.errors import UsageProblem, in_flags
from convolab.cli.io import MODEL_FILE, load_model, parse_shape
from convolab.cli.options import force_option
from convolab.outputs import check_target

__all__ = ["export"]

_TOLERANCE = 1e-4


def _check_with_onnxruntime(model, out: Path, shape: tuple[int, ...]) -> float | None:
    """Max |onnxruntime - convolab| on a random batch of 3, or None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    from convolab import nn

    dtype = next((p.data.dtype for p in model.parameters()), np.dtype(np.float32))
    x = np.random.default_rng(0).standard_normal((3, *shape)).astype(dtype)
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    model.eval()
    with nn.no_grad():
        want = model(nn.Tensor(x)).data
    if got.shape != want.shape:
        return float("inf")
    return float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0


@click.command("export")
@click.argument("model_path", metavar="RUN_DIR|MODEL", type=click.Path(exists=True))
@click.argument("out", metavar="OUT.onnx", type=click.Path(dir_okay=False))
@click.option("--input-shape", "input_shape", metavar="C,H,W",
              help="One input's shape, no batch axis (default: saved with the model).")  # fmt: skip
@click.option("--opset", type=click.IntRange(min=17), default=17, show_default=True,
              help="ONNX operator set.")  # fmt: skip
@click.option("--check/--no-check", default=True, show_default=True,
              help="Compare onnxruntime's output with convolab's (if installed).")  # fmt: skip
@force_option
def export(
    model_path: str, out: str, input_shape: str | None, opset: int, check: bool, force: bool
) -> None:
    """Export a trained model (a run folder or a model file) to ONNX.

    The ONNX file takes (batch, *input_shape) for any batch size and computes
    the model in evaluation mode. Needs the extra convolab[onnx].
    """
    from convolab.nn.onnx import export_onnx

    reads = (model_path, Path(model_path) / MODEL_FILE)
    target = check_target(out, reads=reads, force=force, option="OUT", suffixes=[".onnx"])
    model, meta = load_model(model_path)
    if input_shape is not None:
        shape = parse_shape(input_shape)
    elif meta.get("input_shape"):
        shape = tuple(int(s) for s in meta["input_shape"])
    else:
        raise UsageProblem(
            f"the model file {model_path!r} does not record its input shape; give "
            "--input-shape (one input without the batch axis, e.g. 1,28,28)"
        )
    try:
        export_onnx(model, target, shape, opset=opset)
    except ImportError as exc:
        raise UsageProblem(str(exc)) from None
    except ValueError as exc:
        raise in_flags(exc, {"`opset`": "--opset"}) from None
    dims = ", ".join(["batch", *map(str, shape)])
    click.echo(f"wrote {target} (opset {opset}, input ({dims}))")
    if not check:
        return
    diff = _check_with_onnxruntime(model, target, shape)
    if diff is None:
        click.echo("onnxruntime is not installed: the file was not run (pip install onnxruntime)")
    elif not diff <= _TOLERANCE:
        raise click.ClickException(
            f"onnxruntime's output differs from convolab's by {diff:.3g} (> {_TOLERANCE:g})"
        )
    else:
        click.echo(f"checked with onnxruntime: max |difference| {diff:.2g} on a random batch")
