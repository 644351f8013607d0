"""``convolab kernels`` and ``convolab filter``: the kernel bank and image filtering from the shell.

``convolab kernels`` lists the named kernels; ``convolab kernels gaussian:sigma=2``
prints one matrix and what it sums to.

``convolab filter IN.png -o OUT.png --kernel sobel:axis=x`` filters one image;
several inputs (or a folder of images) go to an output folder, with a progress
bar. The kernel is a named spec (``--kernel NAME[:param=value,...]``) or a file
(``--kernel-file K.txt|.csv|.npy``). Rules that protect the user's files:

* an input is never overwritten, even with ``--force``;
* an existing output is replaced only with ``--force``;
* every check (kernel, outputs) runs before anything is written, and each output
  is written to a temporary file in its folder and renamed, so an error leaves
  no half-written image.

Alpha channels are not filtered: in ``same`` mode they are kept as they are, in
``full``/``valid`` mode they are cropped or padded (transparent) to stay aligned
with the kernel centre.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np

from convolab.cli import UsageProblem

__all__ = ["filter_", "kernels", "plan_outputs"]


def _image_extensions() -> set[str]:
    from PIL import Image

    return {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}


def _describe(func: Any) -> str:
    doc = (func.__doc__ or "").strip().splitlines()
    return doc[0].replace("``", "") if doc else ""


@click.command("kernels", short_help="List the classic kernels, or print one.")
@click.argument("name", required=False)
def kernels(name: str | None) -> None:
    """List the named kernels, or print one: NAME[:param=value,...], e.g. gaussian:sigma=2."""
    from convolab import kernels as bank

    if not name:
        width = max(len(n) for n in bank.names())
        for n in bank.names():
            click.echo(f"{n:<{width}}  {_describe(getattr(bank, n))}")
        return
    try:
        k = bank.from_spec(name)
    except (ValueError, TypeError) as exc:
        raise UsageProblem(str(exc)) from None
    with np.printoptions(precision=6, suppress=True, linewidth=100):
        click.echo(f"{name} ({k.shape[0]}x{k.shape[1]}):")
        click.echo(np.array2string(k))
    total = float(k.sum())
    click.echo(f"sum = {0.0 if abs(total) < 1e-12 else round(total, 12):g}")


# --------------------------------------------------------------------------- planning


def _collect_inputs(inputs: tuple[Path, ...]) -> tuple[list[Path], bool]:
    """The image files to filter, and whether the output must be a folder."""
    files: list[Path] = []
    folder_mode = len(inputs) > 1
    known = None
    for p in inputs:
        if p.is_dir():
            folder_mode = True
            known = known or _image_extensions()
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in known)
            if not found:
                raise UsageProblem(f"folder '{p}' holds no image files")
            files.extend(found)
        elif not p.exists():
            raise UsageProblem(f"input '{p}' does not exist")
        else:
            files.append(p)
    return files, folder_mode


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def plan_outputs(
    inputs: tuple[Path, ...], output: Path, force: bool
) -> list[tuple[Path, Path]]:
    """Pair every input image with its output path, refusing anything that would lose data.

    One input file and an ``output`` that is not an existing folder: ``output`` is
    the file. Otherwise ``output`` is a folder (created if missing) and each image
    keeps its file name there.

    Raises
    ------
    UsageProblem
        A missing input, an output that is an input, two inputs with the same
        output, or an existing output without ``force``.
    """
    files, folder_mode = _collect_inputs(inputs)
    folder_mode = folder_mode or output.is_dir() or str(output).endswith(("/", os.sep))
    if folder_mode:
        if output.exists() and not output.is_dir():
            raise UsageProblem(f"output '{output}' must be a folder for several inputs")
        pairs = [(f, output / f.name) for f in files]
    else:
        pairs = [(files[0], output)]
    seen: dict[Path, Path] = {}
    for src, dst in pairs:
        key = dst.resolve() if dst.parent.exists() else dst.absolute()
        if key in seen:
            raise UsageProblem(f"inputs '{seen[key]}' and '{src}' would both be written to '{dst}'")
        seen[key] = src
        for f in files:
            if _same_file(f, dst) or f.absolute() == dst.absolute():
                raise UsageProblem(f"output '{dst}' is the input '{f}'; choose another output")
        if dst.exists() and not force:
            raise UsageProblem(f"output '{dst}' exists; use --force to replace it")
    return pairs


def _read_kernel(spec: str | None, kernel_file: Path | None) -> np.ndarray:
    from convolab import kernels as bank

    if (spec is None) == (kernel_file is None):
        raise UsageProblem("give exactly one of --kernel NAME[:param=value,...] or --kernel-file")
    if spec is not None:
        return bank.from_spec(spec)
    return bank.load_file(kernel_file)


def _align_alpha(alpha: np.ndarray, mode: str, kshape: tuple[int, ...]) -> np.ndarray:
    """Alpha aligned with the kernel centre for ``mode`` (transparent outside the image)."""
    if mode == "same":
        return alpha
    pads = []
    for size in kshape:
        lo, hi = size // 2, (size - 1) // 2  # where 'same' puts the centre
        pads.append((lo, hi))
    if mode == "valid":
        (t, b), (left, r) = pads
        return alpha[t : alpha.shape[0] - b, left : alpha.shape[1] - r]
    (t, b), (left, r) = pads
    return np.pad(alpha, ((b, t), (r, left)))


def _filter_one(
    src: Path, dst: Path, k: np.ndarray, options: dict[str, Any], chunks: int | None,
    client: Any, color: str, scale: str, bits: int,
) -> None:
    from convolab import image

    x = image.load(src, color)
    alpha = None
    if x.ndim == 3 and x.shape[2] in (2, 4):
        x, alpha = x[..., :-1], x[..., -1]
        if x.shape[2] == 1:
            x = x[..., 0]
    if chunks:
        y = image.filter_large(x, k, chunks=chunks, client=client, **options)
    else:
        y = image.filter(x, k, **options)
    if alpha is not None:
        a = _align_alpha(alpha, options["mode"], k.shape)
        y = np.concatenate([y if y.ndim == 3 else y[..., None], a[..., None]], axis=-1)
    if bits == 16 and y.ndim == 3:
        raise ValueError(f"cannot save '{dst}' with 16 bits: only gray images can be 16-bit")
    image.save(dst, y, scale=scale, bits=bits)


def _connect(address: str) -> Any:
    """One ``dask.distributed`` client for all the images of a run."""
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(
            "--scheduler needs dask.distributed: install the extra with "
            "`pip install convolab[scale]`"
        ) from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise OSError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None


@click.command("filter", short_help="Filter images (files or folders) with a kernel.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Output image, or folder for several inputs.")
@click.option("-k", "--kernel", "spec", metavar="NAME[:p=v,...]",
              help="Named kernel, e.g. gaussian:sigma=2 (see `convolab kernels`).")
@click.option("--kernel-file", type=click.Path(path_type=Path),
              help="Kernel matrix in a .txt, .csv or .npy file.")
@click.option("--correlate/--convolve", "correlate", default=True,
              help="Slide the kernel as is (default) or flipped.")
@click.option("--mode", default="same", show_default=True, help="same, full or valid.")
@click.option("--boundary", default="reflect", show_default=True,
              help="constant, edge, reflect, symmetric or wrap (numpy.pad names).")
@click.option("--fill-value", type=float, default=0.0, show_default=True,
              help="The constant for --boundary constant.")
@click.option("--scale", default="clip", show_default=True,
              help="clip, minmax, abs (|response| / max) or contrast (|response|, its 99th "
                   "percentile white: edges of photos).")
@click.option("--color", default="keep", show_default=True,
              help="keep the channels, or read as gray or rgb.")
@click.option("--bits", type=click.Choice(["8", "16"]), default="8", show_default=True,
              help="8, or 16 for gray PNG/TIFF.")
@click.option("--chunks", type=click.IntRange(min=1), default=None,
              help="Filter in chunks of N x N pixels on Dask (needs convolab[scale]).")
@click.option("--scheduler", default=None,
              help="Address of a dask.distributed scheduler for --chunks.")
@click.option("-f", "--force", is_flag=True, help="Replace existing outputs (never an input).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def filter_(
    inputs: tuple[Path, ...], output: Path, spec: str | None, kernel_file: Path | None,
    correlate: bool, mode: str, boundary: str, fill_value: float, scale: str, color: str,
    bits: str, chunks: int | None, scheduler: str | None, force: bool, quiet: bool,
) -> None:
    """Filter images with a kernel: INPUT... (files or folders) -> OUTPUT.

    \b
    convolab filter photo.png -o edges.png -k laplacian:neighbours=8 --scale contrast
    convolab filter shots/ -o blurred/ -k gaussian:sigma=2
    """
    from tqdm import tqdm

    from convolab import image
    from convolab.conv.padding import check_boundary, check_mode

    try:
        depth = int(bits)
        options = {
            "mode": check_mode(mode),
            "boundary": check_boundary(boundary),
            "op": "correlate" if correlate else "convolve",
            "fill_value": fill_value,
        }
        image._choice("--scale", scale, image.SCALES)
        image._choice("--color", color, image.LOAD_MODES)
        if scheduler and not chunks:
            raise ValueError("--scheduler needs --chunks N")
        k = _read_kernel(spec, kernel_file)
        pairs = plan_outputs(inputs, output, force)
        client = _connect(scheduler) if scheduler else None
        try:
            if len(pairs) > 1 or output.is_dir() or str(output).endswith(("/", os.sep)):
                output.mkdir(parents=True, exist_ok=True)
            bar = tqdm(pairs, unit="image", file=sys.stderr, disable=quiet or len(pairs) == 1,
                       desc="filter")
            for src, dst in bar:
                _filter_one(src, dst, k, options, chunks, client, color, scale, depth)
        finally:
            if client is not None:
                client.close()
    except UsageProblem:
        raise
    except (ValueError, TypeError, OSError, ImportError) as exc:
        raise UsageProblem(str(exc)) from None
