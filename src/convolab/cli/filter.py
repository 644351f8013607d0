"""``convolab filter``: image filtering from the shell.

``convolab filter IN.png -o OUT.png --kernel sobel:axis=x`` filters one image;
several inputs (or a folder of images) go to an output folder, with a progress
bar. The kernel is a named spec (``--kernel NAME[:param=value,...]``) or a file
(``--kernel-file K.txt|.csv|.npy``). Rules that protect the user's files:

* an input is never overwritten, by any spelling, even with ``--force``;
* an existing output is replaced only with ``--force``;
* every check (kernel, outputs, formats) runs before anything is written;
* the outputs are written to temporary files beside their targets and renamed
  only when every input has been read and filtered: one bad input leaves no
  output (and no new folder), and the error names every bad input.

The rules live in :mod:`convolab.outputs`, shared by every command.

Alpha channels are not filtered: in ``same`` mode they are kept as they are, in
``full``/``valid`` mode they are cropped or padded (transparent) to stay aligned
with the kernel centre.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click
import numpy as np

from convolab.checks import choice
from convolab.cli.errors import UsageProblem
from convolab.cli.options import fill_value_option, force_option
from convolab.outputs import Staged, check_target

__all__ = ["filter_", "plan_outputs"]


def _image_extensions() -> set[str]:
    from PIL import Image

    return {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}


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


def _folder_mode(output: Path, folder_mode: bool) -> bool:
    """Whether ``output`` is a folder: several inputs, an existing folder, or a trailing '/'."""
    return folder_mode or output.is_dir() or str(output).endswith(("/", os.sep))


def plan_outputs(
    inputs: tuple[Path, ...], output: Path, force: bool, reads: tuple[Path | None, ...] = ()
) -> list[tuple[Path, Path]]:
    """Pair every input image with its output path, refusing anything that would lose data.

    One input file and an ``output`` that is not an existing folder: ``output`` is
    the file. Otherwise ``output`` is a folder (created if missing) and each image
    keeps its file name there. ``reads`` are further files the command reads
    (a kernel file): no output may be one of them either.

    Raises
    ------
    UsageProblem
        A missing input, a file name (or an existing file) as the output of several
        inputs, an output that is an input, two inputs with the same output, an
        extension no image format is written for, or an existing output without
        ``force``.
    """
    from convolab import image

    files, several = _collect_inputs(inputs)
    folder_mode = _folder_mode(output, several)
    if folder_mode and not output.is_dir():
        if output.exists():
            raise UsageProblem(f"output '{output}' must be a folder for several inputs")
        if output.suffix.lower() in _image_extensions():
            raise UsageProblem(
                f"-o '{output}' names an image file, but several inputs go to a folder; "
                f"give a folder, e.g. -o '{output.with_suffix('')}/'"
            )
    pairs = [(f, output / f.name) for f in files] if folder_mode else [(files[0], output)]
    seen: dict[Path, Path] = {}
    for src, dst in pairs:
        key = dst.resolve() if dst.parent.exists() else dst.absolute()
        if key in seen:
            raise UsageProblem(f"inputs '{seen[key]}' and '{src}' would both be written to '{dst}'")
        seen[key] = src
        try:
            image.io.format_for(dst)
            if dst.parent.exists() or not folder_mode:  # a new folder holds no file yet
                check_target(dst, reads=(*files, *reads), force=force, option="-o")
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
    return pairs


def _read_kernel(spec: str | None, kernel_file: Path | None) -> np.ndarray:
    from convolab import kernels as bank

    if (spec is None) == (kernel_file is None):
        raise UsageProblem("give exactly one of --kernel NAME[:param=value,...] or --kernel-file")
    if spec is not None:
        try:
            return bank.from_spec(spec)
        except (ValueError, TypeError) as exc:
            message = str(exc)
            prefix = "" if spec in message else f"--kernel {spec}: "
            raise UsageProblem(prefix + message) from None
    return bank.load_file(kernel_file)


def _align_alpha(alpha: np.ndarray, mode: str, kshape: tuple[int, ...]) -> np.ndarray:
    """Alpha aligned with the kernel centre for ``mode`` (transparent outside the image)."""
    if mode == "same":
        return alpha
    from convolab.conv.geometry import mode_pads

    pads = [mode_pads("same", size) for size in kshape]  # where 'same' puts the centre
    if mode == "valid":
        (t, b), (left, r) = pads
        return alpha[t : alpha.shape[0] - b, left : alpha.shape[1] - r]
    (t, b), (left, r) = pads
    return np.pad(alpha, ((b, t), (r, left)))


def _filter_one(
    src: Path, dst: Path, k: np.ndarray, options: dict[str, Any], chunks: int | None,
    client: Any, color: str, scale: str, bits: int | None,
) -> Callable[[IO[bytes]], None]:
    """``src`` filtered and encoded for ``dst``: a function that writes the file to a handle.

    Everything that can fail (reading, filtering, the output format's limits)
    happens here, before anything is written.
    """
    from convolab import image

    pages = image.load_pages(src, color)
    depth = bits or _kept_depth(image.bit_depth(src), dst, pages.ndim == 4)
    if len(pages) > 1:  # a stack: every page filtered, all kept in one multi-page TIFF
        if image.io.format_for(dst) != "TIFF":
            raise ValueError(f"'{src}' has {len(pages)} pages; write it to a .tif output to keep "
                             "them all")  # fmt: skip
        y = np.stack([_filtered(x, k, options, chunks, client) for x in pages])
        return image.io.encoder(dst, y, scale, depth, pages=True)
    return image.io.encoder(dst, _filtered(pages[0], k, options, chunks, client), scale, depth)


def _kept_depth(source_bits: int, dst: Path, colour: bool) -> int:
    """The input's bits per sample when the output format holds them, else 8."""
    from convolab import image

    fmt = image.io.format_for(dst)
    if source_bits == 32 and fmt == "TIFF":
        return 32
    if source_bits >= 16 and (fmt == "TIFF" or (fmt == "PNG" and not colour)):
        return 16
    return 8


def _filtered(
    x: np.ndarray, k: np.ndarray, options: dict[str, Any], chunks: int | None, client: Any
) -> np.ndarray:
    """One image filtered; an alpha channel is carried along, aligned, not filtered."""
    from convolab import image

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
    return y


def _name_in(message: str, src: Path) -> str:
    """``message``, prefixed with the input's name unless it already names it."""
    return message if src.name in message else f"'{src}': {message}"


def _write_all(
    pairs: list[tuple[Path, Path]], folder: Path | None,
    encode_one: Callable[[Path, Path], Callable[[IO[bytes]], None]], bar: Any,
) -> None:
    """Filter every input, then write all outputs at once, or none.

    Each output goes to a hidden temporary file; the files are renamed into place
    only when every input was read and filtered. After the first bad input the
    others are still read (not filtered), so the error names every bad one.
    """
    from convolab import image

    errors: list[str] = []
    with Staged() as stage:
        if folder is not None:
            stage.folder(folder)
        for src, dst in bar:
            try:
                if errors:  # the outputs will not be written: only check the input
                    image.load(src, "keep")
                    continue
                write = encode_one(src, dst)
            except (ValueError, TypeError, OSError) as exc:
                errors.append(_name_in(str(exc), src))
                continue
            with stage.open(dst) as fh:
                write(fh)
        if errors:
            stage.discard()
            if len(pairs) == 1:
                raise UsageProblem(errors[0])
            raise UsageProblem(f"{len(errors)} of {len(pairs)} inputs cannot be filtered, so "
                               "nothing was written: " + "; ".join(errors))  # fmt: skip


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
@fill_value_option()
@click.option("--scale", default="clip", show_default=True,
              help="clip, minmax, abs (|response| / max) or contrast (|response|, its 99th "
                   "percentile white: edges of photos).")
@click.option("--color", default="keep", show_default=True,
              help="keep the channels, or read as gray or rgb.")
@click.option("--bits", type=click.Choice(["8", "16", "32"]), default=None,
              help="Bits per sample: 8, 16 (gray PNG, TIFF) or 32 (float TIFF) [default: the "
                   "input's depth where the output format holds it, else 8].")
@click.option("--chunks", type=click.IntRange(min=1), default=None,
              help="Filter in chunks of N x N pixels on Dask (needs convolab[scale]).")
@click.option("--scheduler", default=None,
              help="Address of a dask.distributed scheduler for --chunks.")
@force_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
def filter_(
    inputs: tuple[Path, ...], output: Path, spec: str | None, kernel_file: Path | None,
    correlate: bool, mode: str, boundary: str, fill_value: float, scale: str, color: str,
    bits: str | None, chunks: int | None, scheduler: str | None, force: bool, quiet: bool,
) -> None:
    """Filter images with a kernel: INPUT... (files or folders) -> OUTPUT.

    \b
    convolab filter photo.png -o edges.png -k laplacian:neighbours=8 --scale contrast
    convolab filter shots/ -o blurred/ -k gaussian:sigma=2
    """
    from tqdm import tqdm

    from convolab import image
    from convolab.conv.boundary import check_boundary
    from convolab.conv.geometry import check_mode

    try:
        depth = int(bits) if bits else None
        options = {
            "mode": check_mode(mode),
            "boundary": check_boundary(boundary),
            "op": "correlate" if correlate else "convolve",
            "fill_value": fill_value,
        }
        choice("--scale", scale, image.SCALES)
        choice("--color", color, image.LOAD_MODES)
        if scheduler and not chunks:
            raise ValueError("--scheduler needs --chunks N")
        k = _read_kernel(spec, kernel_file)
        pairs = plan_outputs(inputs, output, force, reads=(kernel_file,))
        folder = None if pairs[0][1] == output else output
        client = _connect(scheduler) if scheduler else None
        try:
            bar = tqdm(pairs, unit="image", file=sys.stderr, desc="filter",
                       disable=quiet or len(pairs) == 1 or not sys.stderr.isatty())
            _write_all(pairs, folder,
                       lambda src, dst: _filter_one(src, dst, k, options, chunks, client, color,
                                                    scale, depth),
                       bar)  # fmt: skip
        finally:
            if client is not None:
                client.close()
        if not quiet:
            what = f"{len(pairs)} images to {folder}{os.sep}" if folder else str(pairs[0][1])
            click.echo(f"wrote {what}")
    except UsageProblem:
        raise
    except (ValueError, TypeError, OSError, ImportError) as exc:
        raise UsageProblem(str(exc)) from None
