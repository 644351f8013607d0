"""``convolab show``: a model in pictures, its feature maps for one input and its filters.

``MODEL`` is a model name (``lenet5``, ``lenet5-bn``, ``lenet5-classic``, ``detector1d``,
``cnn1d``, ``mlp``: freshly initialized), a run folder written by ``convolab train``, or a
model file; the input shape comes from ``--input-shape``, else from the model file, else from
the model's usual input.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from convolab.checks import read_npy
from convolab.cli.errors import UsageProblem
from convolab.cli.io import MODEL_FILE, check_model_runs, model_from_spec
from convolab.cli.options import force_option
from convolab.outputs import check_target

__all__ = ["show"]


def _read_input(path: Path, shape: tuple[int, ...], prep: str | None) -> np.ndarray:
    """One input of ``shape`` from an image file (2D models) or a ``.npy`` array."""
    if not path.is_file():
        raise UsageProblem(f"--image {str(path)!r} does not exist")
    if path.suffix.lower() == ".npy":
        from convolab.analysis.observe import one_input

        held = np.asarray(read_npy(path, f"--image '{path}'"), dtype=np.float32)
        try:
            arr = one_input("--image", held, len(shape) - 1)  # (L), (C, L), (1, C, L), ...
        except ValueError:
            arr = held
        if arr.shape != shape:
            raise UsageProblem(f"--image {str(path)!r} holds shape {held.shape}; the model takes "
                               f"{shape} (or a batch of one)")  # fmt: skip
        return arr
    if len(shape) != 3 or shape[0] not in (1, 3):
        raise UsageProblem(
            f"the model takes inputs of shape {shape}, not images; pass a .npy array of that shape"
        )
    from PIL import Image

    from convolab import image
    from convolab.data.preprocess import to_mnist

    c, h, w = shape
    if prep is None:
        prep = "mnist" if shape == (1, 28, 28) else "resize"
    if prep == "mnist":
        if c != 1:
            raise UsageProblem(f"--prep mnist needs a 1-channel model; this one takes {shape}")
        from convolab.data.preprocess import load_image

        return to_mnist(load_image(path), size=h).astype(np.float32)
    pixels = image.load(path, mode="gray" if c == 1 else "rgb")
    im = Image.fromarray(np.clip(pixels * 255.0, 0, 255).astype(np.uint8))
    resized = np.asarray(im.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    return resized[None] if c == 1 else np.moveaxis(resized, -1, 0)


@click.command("show", short_help="Draw a model's filters and feature maps.")
@click.argument("model_spec", metavar="MODEL")
@click.option("--image", "image_path", required=True, type=click.Path(dir_okay=False),
              help="Image file (2D models) or .npy array of one input.")  # fmt: skip
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the figures (created if needed; -f/--force replaces them).")
@click.option("--input-shape", "input_shape", metavar="C,H,W",
              help="One input's shape, no batch axis (default: saved with the model).")
@click.option("--prep", type=click.Choice(["mnist", "resize"]), default=None,
              help="Image preparation: MNIST-style (invert, crop, centre) or a plain resize "
                   "(default: mnist for 1x28x28 models).")  # fmt: skip
@click.option("--max-maps", type=click.IntRange(min=1), default=8, show_default=True,
              help="Feature maps drawn per layer.")
@click.option("--dpi", type=click.IntRange(min=20, max=600), default=100, show_default=True,
              help="Resolution of the figures.")
@force_option
def show(
    model_spec: str,
    image_path: str,
    out_dir: str,
    input_shape: str | None,
    prep: str | None,
    max_maps: int,
    dpi: int,
    force: bool,
) -> None:
    """Draw MODEL's feature maps for one input, its filters, and filters vs classic kernels.

    Writes feature_maps.png, receptive_field.png, filters_<layer>.png for
    every convolution and filters_vs_classic.png for the first one into OUT,
    and prints their paths. Figures that exist already are replaced only with
    -f/--force (all are checked before the first is drawn).

    \b
    Example:
      convolab show runs/lenet --image digit.png -o figures
    """
    from convolab import viz

    model, shape, name = model_from_spec(model_spec, input_shape)
    if shape is None:
        raise UsageProblem(
            f"the model file {model_spec!r} does not record its input shape; pass --input-shape "
            "(e.g. 1,28,28)"
        )
    check_model_runs(model, shape)
    x = _read_input(Path(image_path), shape, prep)
    convs = [
        (n, m) for n, m in model.named_modules()
        if m.kind == "conv" and getattr(m, "weight", None) is not None
    ]  # fmt: skip
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageProblem(f"--out {str(out)!r} exists and is not a folder")
    kernels_of = {n: out / f"filters_{n.replace('.', '_') or 'layer'}.png" for n, _ in convs}
    written = [out / "feature_maps.png", *kernels_of.values(), out / "receptive_field.png"]
    written += [out / "filters_vs_classic.png"] if convs else []
    if out.is_dir():  # every figure checked before the first is drawn
        reads = (model_spec, Path(model_spec) / MODEL_FILE, image_path)
        for target in written:
            check_target(target, reads=reads, force=force, option="-o")
    out.mkdir(parents=True, exist_ok=True)
    viz.plot_feature_maps(model, x, max_maps=max_maps, dpi=dpi, path=written[0],
                          title=f"{name}: feature maps")  # fmt: skip
    for layer_name, layer in convs:
        viz.plot_kernels(layer, dpi=dpi, path=kernels_of[layer_name],
                         title=f"{name}: layer {layer_name} kernels")  # fmt: skip
    viz.plot_receptive_field(model, shape, image=x, dpi=dpi, path=out / "receptive_field.png",
                             title=f"{name}: receptive fields")  # fmt: skip
    if convs:
        layer_name, layer = convs[0]
        viz.plot_filters_vs_classic(layer, dpi=dpi, path=out / "filters_vs_classic.png",
                                    title=f"{name}: layer {layer_name} vs classic kernels")
    for path in written:
        click.echo(str(path))
