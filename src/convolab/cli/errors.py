"""How the ``convolab`` command reports a problem: one line on stderr and an exit code.

A problem the user can fix (a bad argument, a missing file, malformed data, an output that
would replace a file without ``--force``) is one line ``convolab: error: ...`` and exit code 2,
never a traceback. Ctrl-C is ``convolab: aborted`` and exit code 130.
"""

from __future__ import annotations

import click

__all__ = ["USER_ERRORS", "UsageProblem", "in_flags", "report"]


class UsageProblem(click.ClickException):
    """A problem with what the user gave: one line on stderr, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: D102 - one line, no usage banner
        click.echo(f"convolab: error: {self.format_message()}", err=True)


def in_flags(exc: Exception, flags: dict[str, str]) -> UsageProblem:
    """An error of the Python API told in the command's words: each API name becomes its flag.

    >>> str(in_flags(ValueError("pass normalize=False"), {"normalize=False": "--raw"}))
    'pass --raw'
    """
    message = str(exc)
    for api, flag in flags.items():
        message = message.replace(api, flag)
    return UsageProblem(message)


#: What a command may raise that :func:`report` turns into one line and an exit code.
USER_ERRORS: tuple[type[BaseException], ...] = (
    click.exceptions.Abort, click.ClickException, ValueError, TypeError, OSError, MemoryError,
)  # fmt: skip


def report(exc: BaseException) -> int:
    """Tell ``exc`` (one of :data:`USER_ERRORS`) on stderr; return the exit code it stands for.

    >>> report(UsageProblem("--width must be odd; got 4"))
    2
    """
    if isinstance(exc, click.exceptions.Abort):
        click.echo("convolab: aborted", err=True)
        return 130
    if isinstance(exc, click.UsageError):
        click.echo(f"convolab: error: {exc.format_message()}", err=True)
        return 2
    if isinstance(exc, click.ClickException):
        exc.show()
        return exc.exit_code
    if isinstance(exc, MemoryError):  # a size no check foresaw: still one line
        click.echo(f"convolab: error: not enough memory ({exc})", err=True)
        return 2
    click.echo(f"convolab: error: {exc}", err=True)
    return 2
