"""``convolab explain X K``: write a convolution out as one weighted sum per output.

``X`` and ``K`` are literals (``"[0,0,0,3,4,5,4,3,0,0]"``, ``"1 0 0"``,
``"[[1,2],[3,4]]"``, ``"1 2; 3 4"``) or files (CSV, TXT, NPY). ``--gif OUT.gif``
also writes the animation of the kernel sliding along.
"""

from __future__ import annotations

import sys

import click

from convolab.cli import FINITE, UsageProblem, force_option
from convolab.commands.signal import parse_array
from convolab.conv.boundary import BOUNDARIES
from convolab.outputs import check_target

__all__ = ["explain"]


def _can_print_unicode() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "⋆∗×⊙".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _ints(text: str, name: str) -> int | tuple[int, ...]:
    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        vals = tuple(int(p) for p in parts)
    except ValueError:
        msg = f"{name} must be an integer or two, e.g. 2 or 1,2; got {text!r}"
        raise UsageProblem(msg) from None
    if not vals:
        raise UsageProblem(f"{name} must be an integer or two; got {text!r}")
    return vals[0] if len(vals) == 1 else vals


@click.command(name="explain", context_settings={"ignore_unknown_options": True})
@click.argument("x")
@click.argument("k")
@click.option("--convolve/--correlate", "flip", default=True,
              help="True convolution (kernel flipped, default) or cross-correlation.")
@click.option("--mode", type=click.Choice(["full", "same", "valid"]), default="full",
              show_default=True, help="Output size.")
@click.option("--boundary", type=click.Choice(BOUNDARIES),
              default="constant", show_default=True, help="How padded samples are filled.")
@click.option("--fill-value", type=FINITE, default=0.0, show_default=True,
              help="The constant for --boundary constant.")
@click.option("--stride", default="1", show_default=True, help="Stride (one per axis allowed).")
@click.option("--dilation", default="1", show_default=True,
              help="Dilation (one per axis allowed).")
@click.option("--limit", type=int, default=10_000, show_default=True,
              help="Refuse to write more products than this.")
@click.option("--ascii", "ascii_", is_flag=True, help="Use * x (.) instead of ∗ ⋆ × ⊙.")
@click.option("--gif", type=click.Path(dir_okay=False), default=None,
              help="Also write an animated GIF of the kernel sliding along.")
@force_option
def explain(x, k, flip, mode, boundary, fill_value, stride, dilation, limit, ascii_, gif, force):
    """Write out each weighted sum of X convolved (or correlated) with K.

    X and K are lists such as "[0,0,3,4]", "0 0 3 4", "[[1,2],[3,4]]", "1 2; 3 4"
    (a leading minus sign is fine), or CSV/TXT/NPY files.

    Example: convolab explain "[0,0,0,3,4,5,4,3,0,0]" "[1,0,0]" --correlate --mode same
    """
    from convolab import explain as ex

    if gif is not None:
        check_target(gif, reads=(x, k), force=force, option="--gif", suffixes=[".gif"])
    xa = parse_array(x, "X")
    ka = parse_array(k, "K")
    op = "convolve" if flip else "correlate"
    kwargs = {
        "boundary": boundary,
        "fill_value": fill_value,
        "stride": _ints(stride, "--stride"),
        "dilation": _ints(dilation, "--dilation"),
    }
    e = ex.explain(xa, ka, op, mode, limit=limit, **kwargs)
    click.echo(e.render(ascii=ascii_ or not _can_print_unicode()))
    if gif:
        ex.explain_animation(xa, ka, gif, op, mode, **kwargs)
        click.echo(f"wrote {gif} ({len(e.rows)} frames)", err=True)
