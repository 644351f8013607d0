"""Every table in a docstring is one that docutils can read (the docs build treats a
malformed table as an error; this finds it without building the site)."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil

import pytest

import convolab

docutils_core = pytest.importorskip("docutils.core")


def _docstrings():
    for info in pkgutil.walk_packages(convolab.__path__, "convolab."):
        skipped = "._jit._generated" in info.name or info.name.endswith("__main__")
        if skipped or info.name == "convolab.lab":  # __main__ runs the CLI when imported
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        yield info.name, module.__doc__
        for name, obj in vars(module).items():
            is_code = inspect.isfunction(obj) or inspect.isclass(obj)
            if is_code and obj.__module__ == info.name and inspect.getdoc(obj):
                yield f"{info.name}.{name}", inspect.getdoc(obj)


def test_every_docstring_table_is_well_formed():
    broken = []
    for where, doc in _docstrings():
        if not doc or "====" not in doc and "+---" not in doc:
            continue
        errors = io.StringIO()
        docutils_core.publish_doctree(
            inspect.cleandoc(doc), settings_overrides={"warning_stream": errors, "report_level": 3}
        )
        broken += [f"{where}: {line}" for line in errors.getvalue().splitlines() if "table" in line]
    assert not broken, "\n".join(broken)
