"""The ``convolab`` command group and its entry point, :func:`main`.

Each sub-command lives in its own module of :mod:`convolab.cli` and is imported only when it
runs (click's lazy-group pattern): ``convolab --help`` lists the commands from the table
below without importing any of them, so it starts in the time of ``import convolab`` and
Click. Errors become one line and an exit code (:mod:`convolab.cli.errors`).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
from typing import NamedTuple

import click

from convolab.cli.errors import USER_ERRORS, UsageProblem, report

__all__ = ["COMMANDS", "Entry", "cli", "main"]


class Entry(NamedTuple):
    """Where a command lives, and what ``convolab --help`` lists for it without importing it.

    ``short_help`` is the command's own ``short_help``; a command without one is listed by
    ``help``, the first sentence of its docstring (click shortens either to the terminal).
    """

    module: str
    attribute: str
    help: str | None = None
    short_help: str | None = None


# A module that is absent hides its command.
COMMANDS: dict[str, Entry] = {
    "demo": Entry("convolab.cli.demo", "demo", help="Run the tour: smooth and shift signals, "
                  "detect a shape, find edges, train LeNet-5."),
    "eval": Entry("convolab.cli.evaluate", "eval_", help="Evaluate a trained model: accuracy, "
                  "loss, per-class accuracy, confusion matrix."),
    "explain": Entry("convolab.cli.explain", "explain", help="Write out each weighted sum of X "
                     "convolved (or correlated) with K."),
    "export": Entry("convolab.cli.export", "export", help="Export a trained model (a run folder "
                    "or a model file) to ONNX."),
    "filter": Entry("convolab.cli.filter", "filter_",
                    short_help="Filter images (files or folders) with a kernel."),
    "inspect": Entry("convolab.cli.inspect", "inspect",
                     short_help="Summarize a model layer by layer."),
    "kernels": Entry("convolab.cli.kernels", "kernels",
                     short_help="List the classic kernels, or print one."),
    "lab": Entry("convolab.cli.lab", "lab", help="Start the interactive laboratory: Slide, "
                 "Filter, Signals, Network and Train."),
    "predict": Entry("convolab.cli.predict", "predict", help="Classify IMAGES (any format "
                     "Pillow reads) with a trained image model."),
    "show": Entry("convolab.cli.show", "show",
                  short_help="Draw a model's filters and feature maps."),
    "signal": Entry("convolab.cli.signal", "signal", help="Smooth, shift or detect a shape in a "
                    "1D signal (CSV, TXT or NPY)."),
    "train": Entry("convolab.cli.train", "train", help="Train MODEL (lenet5, lenet5-bn, "
                   "lenet5-classic, detector1d, cnn1d, mlp) on --data."),
}  # fmt: skip


def _available(name: str) -> bool:
    return importlib.util.find_spec(COMMANDS[name].module) is not None


class _LazyGroup(click.Group):
    """A group whose commands are imported when they run, not when they are listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in COMMANDS if _available(n))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _available(name):
            return None
        entry = COMMANDS[name]
        return getattr(importlib.import_module(entry.module), entry.attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing imports every command to read its help: list the table instead.
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(n, listed(n).get_short_help_str(limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        from convolab.outputs import OutputRefused

        try:
            return super().invoke(ctx)
        except OutputRefused as exc:  # a refused output is the user's to fix: exit code 2
            raise UsageProblem(str(exc)) from None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-"):
            near = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise click.UsageError(
                f"unknown command '{name}'{hint} (see convolab --help)", ctx
            )
        return super().resolve_command(ctx, args)


def listed(name: str) -> click.Command:
    """A stand-in for command ``name`` that carries only what ``convolab --help`` lists."""
    entry = COMMANDS[name]
    return click.Command(name, help=entry.help, short_help=entry.short_help)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="convolab")
def cli() -> None:
    """convolab: convolution, from the definition to a trained CNN."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user errors into one-line messages (exit code 2)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:  # bare `convolab`: the help, not an error
        with click.Context(cli, info_name="convolab") as ctx:
            click.echo(cli.get_help(ctx))
        sys.exit(0)
    try:
        cli.main(args=args, prog_name="convolab", standalone_mode=False)
    except USER_ERRORS as exc:
        sys.exit(report(exc))
    sys.exit(0)
