"""Optional dependencies: imported when a feature needs them, with an error naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["optional_import"]


def optional_import(module: str, feature: str, extra: str) -> ModuleType:
    """Import ``module`` for ``feature``; if it is missing, say which extra installs it.

    >>> optional_import("json", "reading JSON", "none").__name__
    'json'
    >>> optional_import("no_such_mod", "flying", "wings")
    Traceback (most recent call last):
    ...
    ImportError: flying needs `no_such_mod`: install the extra with `pip install convolab[wings]`
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"{feature} needs `{module}`: install the extra with `pip install convolab[{extra}]`"
        ) from None
