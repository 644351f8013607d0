"""Options shared by several ``convolab`` commands, each defined once.

``-f/--force`` means the same in every command that writes (see :mod:`convolab.outputs`);
numbers are refused when they are not finite; ``--boundary`` offers the engine's boundary
names; ``--fill-value`` is the constant of ``--boundary constant``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from convolab.conv.boundary import BOUNDARIES

__all__ = ["FINITE", "FORCE_HELP", "boundary_option", "fill_value_option", "force_option"]

F = TypeVar("F", bound=Callable[..., Any])

#: ``-f/--force``: one meaning in every command that writes (see convolab.outputs).
FORCE_HELP = "Replace output files that exist already (never a file the command reads)."


def force_option(func: F) -> F:
    """The ``-f/--force`` flag, the same in every command that writes."""
    return click.option("-f", "--force", is_flag=True, help=FORCE_HELP)(func)


class _Finite(click.ParamType):
    """A float option that refuses NaN and infinities (``nan``, ``inf``, ``1e400``)."""

    name = "number"

    def convert(self, value, param, ctx):  # noqa: D102
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if number != number or number in (float("inf"), float("-inf")):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


FINITE = _Finite()


def boundary_option(default: str | None, help: str) -> Callable[[F], F]:
    """``--boundary NAME``, one of the engine's boundary names (``convolab.conv.boundary``)."""
    return click.option("--boundary", type=click.Choice(BOUNDARIES), default=default,
                        show_default=default is not None, help=help)  # fmt: skip


def fill_value_option(help: str = "The constant for --boundary constant.") -> Callable[[F], F]:
    """``--fill-value X``: a finite number, 0 unless given."""
    return click.option("--fill-value", type=FINITE, default=0.0, show_default=True, help=help)
