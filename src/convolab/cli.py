"""The ``convolab`` command.

Each sub-command lives in its own module (``convolab.commands.<name>``) and is
imported only when used, so ``convolab --help`` is quick. Errors a user can
cause (bad arguments, missing files, malformed data) become one line on stderr
and exit code 2, never a traceback.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys

import click

__all__ = ["FINITE", "UsageProblem", "force_option", "in_flags", "main"]

# name -> (module, attribute, one-line help). A module that is absent hides its command.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("convolab.commands.demo", "demo", "Run the tour: signals, edges, a trained LeNet-5."),
    "explain": ("convolab.commands.explain", "explain", "Write out each weighted sum."),
    "kernels": ("convolab.commands.filter", "kernels", "List classic kernels or print one."),
    "filter": ("convolab.commands.filter", "filter_", "Filter images with a kernel."),
    "signal": ("convolab.commands.signal", "signal", "Smooth, shift or detect in 1D signals."),
    "train": ("convolab.commands.train", "train", "Train a model."),
    "eval": ("convolab.commands.train", "eval_", "Evaluate a trained model."),
    "predict": ("convolab.commands.train", "predict", "Classify images with a trained model."),
    "inspect": ("convolab.commands.inspect", "inspect", "Summarize a model layer by layer."),
    "show": ("convolab.commands.inspect", "show", "Draw a model's filters and feature maps."),
    "export": ("convolab.commands.export", "export", "Export a model to ONNX."),
    "lab": ("convolab.commands.lab", "lab", "Open the interactive laboratory in a browser."),
}


class UsageProblem(click.ClickException):
    """A problem with what the user gave: one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: D102 - one line, no usage banner
        click.echo(f"convolab: error: {self.format_message()}", err=True)


#: ``-f/--force``: one meaning in every command that writes (see convolab.outputs).
FORCE_HELP = "Replace output files that exist already (never a file the command reads)."


def force_option(func):
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


def in_flags(exc: Exception, flags: dict[str, str]) -> UsageProblem:
    """An error of the Python API told in the command's words: each API name becomes its flag.

    >>> str(in_flags(ValueError("pass normalize=False"), {"normalize=False": "--raw"}))
    'pass --raw'
    """
    message = str(exc)
    for api, flag in flags.items():
        message = message.replace(api, flag)
    return UsageProblem(message)


def _available(name: str) -> bool:
    module = _COMMANDS[name][0]
    return importlib.util.find_spec(module) is not None


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n in _COMMANDS if _available(n))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS or not _available(name):
            return None
        module, attr, _ = _COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

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
    except click.exceptions.Abort:
        click.echo("convolab: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if isinstance(exc, click.UsageError):
            click.echo(f"convolab: error: {exc.format_message()}", err=True)
            sys.exit(2)
        exc.show()
        sys.exit(exc.exit_code)
    except (ValueError, TypeError, OSError) as exc:
        click.echo(f"convolab: error: {exc}", err=True)
        sys.exit(2)
    except MemoryError as exc:  # a size no check foresaw: still one line, never a traceback
        click.echo(f"convolab: error: not enough memory ({exc})", err=True)
        sys.exit(2)
    except SystemExit:
        raise
    else:
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
