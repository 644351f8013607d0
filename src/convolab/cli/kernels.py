"""``convolab kernels``: the kernel bank from the shell.

``convolab kernels`` lists the named kernels with their parameters and defaults;
``convolab kernels gaussian:sigma=2`` prints one matrix and what it sums to.
"""

from __future__ import annotations

import inspect
from typing import Any

import click
import numpy as np

from convolab.cli.errors import UsageProblem

__all__ = ["kernels"]


def _describe(func: Any) -> str:
    doc = (func.__doc__ or "").strip().splitlines()
    return doc[0].replace("``", "") if doc else ""


def _parameters(func: Any) -> str:
    """``sigma=1.0, truncate=4.0``: the parameters a kernel spec may set, with defaults."""
    params = inspect.signature(func).parameters.values()
    return ", ".join(f"{p.name}={p.default!r}" for p in params) or "none"


@click.command("kernels", short_help="List the classic kernels, or print one.")
@click.argument("name", required=False)
def kernels(name: str | None) -> None:
    """List the named kernels and their parameters, or print one: NAME[:param=value,...].

    \b
    convolab kernels                     # every kernel, its parameters and defaults
    convolab kernels gaussian:sigma=2    # one kernel's matrix and what it sums to
    """
    from convolab import kernels as bank

    if not name:
        width = max(len(n) for n in bank.names())
        for n in bank.names():
            click.echo(f"{n:<{width}}  {_describe(getattr(bank, n))}")
            click.echo(f"{'':<{width}}  parameters: {_parameters(getattr(bank, n))}")
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
