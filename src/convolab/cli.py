"""The ``convolab`` command.

Each sub-command lives in its own module (``convolab.commands.<name>``) and is
imported only when used, so ``convolab --help`` is quick. Errors a user can
cause (bad arguments, missing files, malformed data) become one line on stderr
and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

__all__ = ["main", "UsageProblem"]

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


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="convolab")
def cli() -> None:
    """convolab: convolution, from the definition to a trained CNN."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user errors into one-line messages (exit code 2)."""
    try:
        cli.main(args=argv, prog_name="convolab", standalone_mode=False)
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
    except SystemExit:
        raise
    else:
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
