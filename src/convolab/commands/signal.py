"""``convolab signal``: smooth, shift or detect in a 1D signal read from CSV, TXT or NPY.

Input files hold one column or one row of numbers (a header line is allowed;
commas, semicolons, tabs or spaces separate cells; ``#`` starts a comment line).
Anything else (a cell that is not a number, an empty file, a 2D table, NaN
unless ``--nan propagate``) is refused with a one-line message and exit code 2.
Results go to stdout, or to ``-o OUT`` (``.csv``, ``.txt`` or ``.npy``); ``--plot
OUT.png`` draws the input and the result. Existing files are not replaced
unless ``--force`` is given, and never the input itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
import numpy as np

from convolab.checks import check_finite, read_npy
from convolab.cli import FINITE, UsageProblem, force_option, in_flags
from convolab.conv.boundary import BOUNDARIES
from convolab.outputs import atomic_open, check_target, same_file, save_figure

__all__ = ["parse_array", "read_signal", "signal"]

_SPLIT = re.compile(r"\s*[,;\t]\s*|\s+")


# ----------------------------------------------------------------------------- reading


def read_signal(path: str | os.PathLike, nan: str = "raise") -> np.ndarray:
    """Read a 1D signal from a ``.npy`` file or a text table of one column or one row.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    nan : {'raise', 'propagate'}
        Refuse NaN values, or keep them (they then spread through the convolution).

    Returns
    -------
    numpy.ndarray
        float64 samples (``.npy`` float32 stays float32).

    Raises
    ------
    ValueError
        Not numbers, empty, a 2D table, an infinity (``1e400`` overflows to one),
        or NaN with ``nan='raise'``.
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write("value\\n1\\n2.5\\n-3\\n")
    >>> read_signal(p)
    array([ 1. ,  2.5, -3. ])
    """
    if nan not in ("raise", "propagate"):
        raise ValueError(f"`nan` must be one of 'raise', 'propagate'; got {nan!r}")
    name = os.fspath(path)
    if name.lower().endswith(".npy"):
        x = _read_npy(name)
    else:
        x = _read_text(name)
    check_finite(x, name, "pass --nan propagate to keep NaN values" if nan == "raise" else "",
                 allow_nan=nan == "propagate")  # fmt: skip
    return x


def _read_npy(name: str) -> np.ndarray:
    a = read_npy(name, name)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        raise ValueError(f"{name}: expected real numbers; got dtype {getattr(a, 'dtype', '?')}")
    if a.size == 0:
        raise ValueError(f"{name}: the array is empty; expected a signal")
    if a.ndim == 0 or sum(s > 1 for s in a.shape) > 1:
        raise ValueError(
            f"{name}: holds an array of shape {a.shape}; expected one column or one row"
        )
    return a.ravel().astype(np.float32 if a.dtype == np.float32 else np.float64)


def _read_text(name: str) -> np.ndarray:
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: not a UTF-8 text file; expected CSV, TXT or NPY") from exc
    rows: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if s and not s.startswith("#"):
            rows.append((lineno, _SPLIT.split(s)))
    if rows and all(not _is_number(c) for c in rows[0][1]):
        rows = rows[1:]  # a header line
    if not rows:
        raise ValueError(f"{name}: holds no numbers; expected one column or one row")
    widths = {len(cells) for _, cells in rows}
    if len(rows) > 1 and widths != {1}:
        raise ValueError(
            f"{name}: holds a table of {len(rows)} rows and up to {max(widths)} columns; "
            "expected one column or one row"
        )
    cells = [c for _, cs in rows for c in cs]
    try:
        return np.array(cells, dtype=str).astype(np.float64)
    except ValueError:
        pass
    for lineno, cs in rows:  # locate the culprit for the message
        for j, c in enumerate(cs, start=1):
            if not _is_number(c):
                raise ValueError(
                    f"{name}: line {lineno}, cell {j}: {c!r} is not a number"
                ) from None
    raise ValueError(f"{name}: could not read the numbers")  # pragma: no cover


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def parse_array(text: str, name: str, nan: str = "propagate") -> np.ndarray:
    """A 1D or 2D array from a literal (``"[1,0,0]"``, ``"1 0 0"``, ``"[[1,2],[3,4]]"``,
    ``"1 2; 3 4"``) or, if ``text`` names an existing file, from that file.

    Examples
    --------
    >>> parse_array("[0.8, 0.1, 0.1]", "WEIGHTS")
    array([0.8, 0.1, 0.1])
    >>> parse_array("[[1, 2], [3, 4]]", "K")
    array([[1., 2.],
           [3., 4.]])
    """
    if os.path.isfile(text):
        if text.lower().endswith(".npy"):
            a = read_npy(text, f"{name} {text}")
            if a.dtype.kind not in "biuf" or a.ndim not in (1, 2) or a.size == 0:
                raise ValueError(f"{name}: {text} must hold a non-empty 1D or 2D numeric array")
            return a.astype(np.float64)
        return read_signal(text, nan=nan)
    s = text.strip()
    if s.count("[") != s.count("]"):
        raise ValueError(
            f"{name}: {text!r} has unbalanced brackets; expected a list such as [1,2,3] or "
            "[[1,2],[3,4]]"
        )
    nested = s.startswith("[[") and s.endswith("]]")
    if nested:
        rows = re.split(r"\]\s*[,;]?\s*\[", s[2:-2])
    elif s.startswith("[") and s.endswith("]"):
        rows = [s[1:-1]]
    else:
        rows = s.split(";")
    table = [[c for c in _SPLIT.split(r.strip()) if c] for r in rows]
    table = [r for r in table if r]
    if not table:
        raise ValueError(f"{name}: {text!r} holds no numbers")
    for r in table:
        for c in r:
            if not _is_number(c):
                raise ValueError(f"{name}: {c!r} in {text!r} is not a number")
    if len({len(r) for r in table}) > 1:
        lengths = ", ".join(str(len(r)) for r in table)
        raise ValueError(f"{name}: the rows of {text!r} have different lengths ({lengths}); "
                         "expected rows of equal length")  # fmt: skip
    a = np.array(table, dtype=np.float64)
    out = a[0] if a.shape[0] == 1 and not nested else a
    check_finite(out, f"{name} {text!r}", "pass --nan propagate to keep NaN" if nan == "raise"
                 else "", allow_nan=nan == "propagate")  # fmt: skip
    return out


# ----------------------------------------------------------------------------- writing


_VALUE_SUFFIXES = (".csv", ".txt", ".npy")


def _figure_suffixes() -> list[str]:
    from matplotlib.backend_bases import FigureCanvasBase

    return ["." + f for f in sorted(FigureCanvasBase.get_supported_filetypes())]


def _write_values(path: str, values: np.ndarray, header: str) -> None:
    with atomic_open(path) as fh:
        if path.lower().endswith(".npy"):
            np.save(fh, values)
        else:  # shortest text that reads back to the same number
            lines = [str(v) for v in values]
            if path.lower().endswith(".csv"):
                lines.insert(0, header)
            fh.write(("\n".join(lines) + "\n").encode("utf-8"))


def _emit(values: np.ndarray, out: str | None, header: str) -> None:
    if out is not None:
        _write_values(out, values, header)
    else:
        fmt = "{:d}" if values.dtype.kind in "iu" else "{:.10g}"
        click.echo("\n".join(fmt.format(v) for v in values.tolist()))


def _plot(path: str, x: np.ndarray, series: list[tuple[str, np.ndarray]], title: str,
          marks: np.ndarray | None = None, marks_y: np.ndarray | None = None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A detection score is not in the signal's units: it gets its own axis below the signal.
    own_axis = marks_y is not None
    fig, axes = plt.subplots(2 if own_axis else 1, 1, sharex=True, squeeze=False,
                             figsize=(9, 4.8 if own_axis else 3.2), dpi=100)  # fmt: skip
    ax, below = axes[0, 0], axes[-1, 0]
    try:
        ax.plot(x, color="0.6", lw=1, label="input")
        for label, y in series:
            below.plot(y, lw=1.5, label=label)
        if marks is not None and marks.size:
            ax.plot(marks, x[marks], "v", color="C3", ms=8, label="detected")
            if own_axis:
                below.plot(marks, marks_y[marks], "v", color="C3", ms=8)
        ax.set_title(title)
        below.set_xlabel("t")
        for a in {ax, below}:
            a.legend(loc="best", fontsize=8)
        if own_axis:
            ax.set_ylabel("signal")
            below.set_ylabel(series[0][0])
        fig.tight_layout()
        save_figure(fig, path)
    finally:
        plt.close(fig)


# ----------------------------------------------------------------------------- commands

_INPUT = click.argument("input", type=click.Path(exists=True, dir_okay=False))
_NAN = click.option("--nan", type=click.Choice(["raise", "propagate"]), default="raise",
                    show_default=True, help="Refuse NaN in the input, or let it propagate.")
_OUT = click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default=None,
                    help="Write the result here (.csv, .txt or .npy) instead of stdout.")
_PLOT = click.option("--plot", type=click.Path(dir_okay=False), default=None,
                     help="Also draw the input and the result to this image (.png, .svg, .pdf).")
_BOUNDARY = click.option(
    "--boundary", type=click.Choice(BOUNDARIES),
    default=None, help="How the signal continues past its ends (numpy.pad names).")


# The detect API's names, as the flags of ``convolab signal detect``.
_DETECT_FLAGS = {"normalize=False": "--raw", "`template`": "--template", "`x`": "INPUT",
                 "`beta`": "--beta", "`gain`": "--gain", "`threshold`": "--threshold",
                 "`min_distance`": "--min-distance", "`width`": "--width"}


def _check_outputs(reads: tuple[str | None, ...], output: str | None, plot: str | None,
                   force: bool) -> None:  # fmt: skip
    """Refuse -o / --plot targets that are an input, exist without --force, or misname a format."""
    if output is not None:
        check_target(output, reads=reads, force=force, option="-o", suffixes=_VALUE_SUFFIXES)
    if plot is not None:
        check_target(plot, reads=reads, force=force, option="--plot", suffixes=_figure_suffixes())
    if output and plot and same_file(output, plot):
        raise UsageProblem("-o and --plot name the same file")


@click.group(name="signal")
def signal() -> None:
    """Smooth, shift or detect a shape in a 1D signal (CSV, TXT or NPY)."""


@signal.command()
@_INPUT
@click.option("--kind", type=click.Choice(["box", "gaussian"]), default="box",
              show_default=True, help="Kernel shape.")
@click.option("--width", type=int, default=None, help="Odd number of taps (box default 3).")
@click.option("--sigma", type=FINITE, default=None, help="Gaussian sigma in samples (default 1).")
@_BOUNDARY
@click.option("--fill-value", type=FINITE, default=0.0, show_default=True,
              help="The constant for --boundary constant.")
@_NAN
@_OUT
@_PLOT
@force_option
def smooth(input, kind, width, sigma, boundary, fill_value, nan, output, plot, force):
    """Smooth INPUT with a box or Gaussian kernel.

    The default boundary is reflect (the signal mirrored at its ends).
    """
    from convolab import signal as sig

    _check_outputs((input,), output, plot, force)
    x = read_signal(input, nan)
    y = sig.smooth(x, kind, width, sigma, boundary=boundary or "reflect", fill_value=fill_value)
    _emit(y, output, "smoothed")
    if plot:
        _plot(plot, x, [(f"{kind} smoothed", y)], f"smooth: {kind}")


@signal.command()
@_INPUT
@click.option("--by", "by", type=int, default=None,
              help="Shift by this many samples (positive: to the right).")
@click.option("--weights", default=None,
              help="Soft shift: odd list of weights, e.g. '[0.8,0.1,0.1]' (centre = no shift).")
@click.option("--circular", is_flag=True, help="Wrap around instead of filling.")
@click.option("--fill-value", type=FINITE, default=0.0, show_default=True,
              help="What enters at the border when not circular.")
@_NAN
@_OUT
@_PLOT
@force_option
def shift(input, by, weights, circular, fill_value, nan, output, plot, force):
    """Shift INPUT by --by samples, or blend shifts (--weights).

    Both are a correlation with a [1,0,0]-style kernel; --circular wraps around.
    """
    from convolab import signal as sig

    if (by is None) == (weights is None):
        raise UsageProblem("give exactly one of --by N or --weights LIST")
    _check_outputs((input, weights), output, plot, force)
    x = read_signal(input, nan)
    if by is not None:
        y = sig.shift(x, by, circular, fill_value=fill_value)
        label = f"shifted by {by}"
    else:
        w = parse_array(weights, "--weights", nan="raise")
        if w.ndim != 1:
            raise UsageProblem(f"--weights must be one list of numbers; got {weights!r}")
        y = sig.soft_shift(x, w, circular, fill_value=fill_value)
        label = "soft shift"
    _emit(y, output, "shifted")
    if plot:
        _plot(plot, x, [(label, y)], f"shift{' (circular)' if circular else ''}")


@signal.command()
@_INPUT
@click.option("--template", default=None,
              help="The shape to find: a list such as '[0,1,2,1,0]' or a file.")
@click.option("--shape", type=click.Choice(["bump", "triangle", "square", "wave"]),
              default=None, help="Or a named shape as the template.")
@click.option("--width", type=int, default=21, show_default=True,
              help="Length of a --shape template.")
@click.option("--beta", type=FINITE, default=-0.8, show_default=True,
              help="Bias: the score must exceed -beta (Pr = sigmoid(ReLU(gain (score + beta)))).")
@click.option("--gain", type=FINITE, default=None,
              help="Scale of the score [default: 25 normalized (a perfect match scores 0.99 "
                   "at beta -0.8), 1 with --raw].")
@click.option("--threshold", type=FINITE, default=0.5, show_default=True,
              help="Probability above which a position counts.")
@click.option("--min-distance", type=int, default=None,
              help="Smallest distance between detections (default: template length).")
@click.option("--raw", is_flag=True, help="Score with the plain correlation, not the normalized.")
@_BOUNDARY
@_NAN
@_OUT
@_PLOT
@force_option
def detect(input, template, shape, width, beta, gain, threshold, min_distance, raw, boundary,
           nan, output, plot, force):
    """Find a template in INPUT: probability and positions.

    The one-layer CNN detector Pr = sigmoid(ReLU(max_t score(t) + beta)), with the
    normalized cross-correlation as the score (--raw: the plain correlation).
    """
    from convolab import signal as sig

    if (template is None) == (shape is None):
        raise UsageProblem("give exactly one of --template LIST and --shape NAME")
    _check_outputs((input, template), output, plot, force)
    x = read_signal(input, nan)
    if template is not None:
        k = parse_array(template, "--template", nan="raise")
        if k.ndim != 1:
            raise UsageProblem(f"--template must be one list of numbers; got {template!r}")
    else:
        k = sig.make_shape(shape, width)
    try:
        d = sig.detect(x, k, beta, threshold, normalize=not raw, min_distance=min_distance,
                       boundary=boundary or "constant", gain=gain)
    except (ValueError, TypeError) as exc:
        raise in_flags(exc, _DETECT_FLAGS) from None
    if output is not None:
        _write_values(output, d.positions, "position")
    click.echo(f"probability {d.probability:.6g}")
    click.echo("positions " + " ".join(str(p) for p in d.positions.tolist()))
    if plot:
        _plot(plot, x, [("score", d.score)], f"detect: Pr = {d.probability:.3f}", d.positions,
              d.score)
