"""Shared docstring pieces: one description for a parameter several functions take.

A docstring names the pieces it shares as a line holding only ``%(name)s`` (or
``%(a, b, c)s`` for several in a row); :func:`fill` replaces that line with the
pieces, indented as the placeholder was, when the module is imported. So
``help()``, ``__doc__``, Sphinx (numpydoc) and doctest read the complete text,
while each description is written once (SciPy's ``ndimage`` does the same with
its ``docfiller``).

>>> shared = parameters('''
...     x : array_like
...         The input.
...     mode : {'full', 'same'}
...         Output size.
... ''')
>>> @docfiller(shared)
... def f(x, mode="full"):
...     '''Do something.
...
...     Parameters
...     ----------
...     %(x, mode)s
...     '''
>>> print(f.__doc__)
Do something.
<BLANKLINE>
    Parameters
    ----------
    x : array_like
        The input.
    mode : {'full', 'same'}
        Output size.
<BLANKLINE>
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = ["docfiller", "fill", "parameters", "template"]

T = TypeVar("T")

_PLACEHOLDER = re.compile(r"^([ \t]*)%\(([\w, ]+)\)s[ \t]*$", re.MULTILINE)


def parameters(block: str) -> dict[str, str]:
    """The entries of a numpydoc parameter list, keyed by name, each the entry's text without
    indentation (an entry for ``stride, dilation`` stands under both names).

    An entry starts at a line that is not indented (after the block's common
    indentation is removed) and runs to the next such line.

    >>> sorted(parameters('''
    ...     x : array_like
    ...         The input.
    ...     stride, dilation : int
    ...         Steps.
    ... '''))
    ['dilation', 'stride', 'x']
    """
    entries: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in textwrap.dedent(block).strip("\n").splitlines():
        if line and not line[0].isspace():
            lines = []
            for name in line.split(":")[0].split(","):
                entries[name.strip()] = lines
        elif not entries:
            raise ValueError(f"a parameter entry must start unindented; got {line!r}")
        lines.append(line)
    return {name: "\n".join(text).rstrip() for name, text in entries.items()}


def fill(doc: str, pieces: Mapping[str, str]) -> str:
    """``doc`` with each placeholder line (``%(name)s`` or ``%(a, b)s``) replaced by the named
    pieces, one after the other (a piece named twice in a row, once), indented as the
    placeholder.

    An unknown name raises ``KeyError`` (at import, where a docstring is filled).

    >>> print(fill("Parameters\\n    %(x)s", {"x": "x : int\\n    The input."}))
    Parameters
        x : int
            The input.
    """

    def expand(match: re.Match[str]) -> str:
        indent, names = match.groups()
        chosen: list[str] = []
        for name in names.split(","):
            piece = pieces[name.strip()]
            if not chosen or chosen[-1] != piece:
                chosen.append(piece)
        return textwrap.indent("\n".join(chosen), indent)

    return _PLACEHOLDER.sub(expand, doc)


def docfiller(pieces: Mapping[str, str]) -> Callable[[T], T]:
    """A decorator that fills the placeholders of a function's or class's docstring from
    ``pieces`` (see :func:`fill`)."""

    def decorate(obj: T) -> T:
        obj.__doc__ = fill(obj.__doc__ or "", pieces)
        return obj

    return decorate


def template(text: str, pieces: Mapping[str, str] | None = None) -> Callable[..., Callable[[T], T]]:
    """For objects documented alike (the ``1d``, ``2d`` and ``3d`` classes of a layer): a
    decorator factory whose ``(**fields)`` decorator gives an object the docstring ``text``.

    Each ``{name}`` of ``text`` is replaced first (``str.format`` with the ``fields`` and the
    object as ``obj``; ``{{`` for a brace), then each placeholder line is filled from the
    ``fields`` and ``pieces`` (see :func:`fill`). A placeholder filled with ``""`` leaves
    no extra blank line behind.

    >>> pooling = template('''{obj.__name__}: {m}D pooling.
    ...
    ... %(details)s
    ...
    ... Parameters
    ... ----------
    ... %(x)s
    ... ''', {"details": "", **parameters('''
    ...     x : array_like
    ...         The input.
    ... ''')})
    >>> @pooling(m=1)
    ... class Pool1d:
    ...     pass
    >>> print(Pool1d.__doc__)
    Pool1d: 1D pooling.
    <BLANKLINE>
    Parameters
    ----------
    x : array_like
        The input.
    <BLANKLINE>
    """
    shared = dict(pieces or {})

    def document(**fields: Any) -> Callable[[T], T]:
        def decorate(obj: T) -> T:
            doc = fill(text.format(obj=obj, **fields), {**shared, **fields})
            obj.__doc__ = re.sub(r"\n[ \t]*(?:\n[ \t]*)+\n", "\n\n", doc).strip("\n") + "\n"
            return obj

        return decorate

    return document
