"""Every ``convolab`` name the documentation promises exists.

The names are collected from README.md and docs/*.md (dotted ``convolab.x.y``
names, backticked short forms such as ``analysis.summary`` and ``from
convolab.x import a, b`` lines) and from the Sphinx roles of the package's
docstrings (``:func:`convolab.x.y```); each is resolved by importing its
longest module prefix and looking the rest up with ``getattr``.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCES = sorted((ROOT / "src" / "convolab").rglob("*.py"))

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# A name followed by ``*`` is a pattern (``viz.plot_*``), not a promise of that name.
_DOTTED = re.compile(rf"\bconvolab(?:\.{_NAME})+(?![\w*])")
# Short forms the pages use after `from convolab import analysis, viz, ...`.
_SHORT = re.compile(
    rf"`(analysis|data|explain|image|kernels|models|nn|signal|train|viz)((?:\.{_NAME})+)(?![\w*])"
)
_FROM = re.compile(rf"from (convolab(?:\.{_NAME})*) import ([A-Za-z_][A-Za-z0-9_, ]*)")
_ROLE = re.compile(rf":(?:func|class|mod|meth|data|attr|exc):`~?(convolab(?:\.{_NAME})+)`")


def names_in_text(text: str) -> set[str]:
    """The ``convolab`` names a Markdown page mentions."""
    found = set(_DOTTED.findall(text))
    found |= {f"convolab.{mod}{rest}" for mod, rest in _SHORT.findall(text)}
    for module, imported in _FROM.findall(text):
        found |= {f"{module}.{n.strip()}" for n in imported.split(",") if n.strip()}
    return found


def names_in_docstrings(text: str) -> set[str]:
    """The ``convolab`` names a module's docstrings cross-reference."""
    return set(_ROLE.findall(text))


def names_in_built_docstrings() -> set[str]:
    """The roles of the docstrings a module builds at import (from templates and filled
    placeholders, whose source text holds ``{obj._dims}`` where the docstring has ``2``):
    the public objects of every module whose source builds docstrings."""
    found: set[str] = set()
    for source in SOURCES:
        if not _BUILDS_DOCS.search(source.read_text(encoding="utf-8")):
            continue
        parts = source.relative_to(ROOT / "src").with_suffix("").parts
        module = importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        for name in getattr(module, "__all__", ()):
            found |= names_in_docstrings(getattr(module, name).__doc__ or "")
    return found


_BUILDS_DOCS = re.compile(r"\b(?:template|fill|docfiller|_per_dimension)\(")


def documented_names() -> list[str]:
    names: set[str] = set()
    for page in PAGES:
        names |= names_in_text(page.read_text(encoding="utf-8"))
    for source in SOURCES:
        names |= names_in_docstrings(source.read_text(encoding="utf-8"))
    return sorted(names | names_in_built_docstrings())


def resolve(dotted: str) -> object:
    """The object ``dotted`` names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as exc:
            if exc.name is None or not ".".join(parts[:cut]).startswith(exc.name):
                raise  # a dependency is missing, not the documented module
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


NAMES = documented_names()


def test_the_collection_finds_the_interop_names():
    # what docs/interop.md promises, and short forms of the other pages
    for name in ("convolab.nn.export_onnx", "convolab.nn.to_torch", "convolab.nn.from_torch",
                 "convolab.analysis.summary", "convolab.scale.exit_status",
                 "convolab.correlate"):  # fmt: skip
        assert name in NAMES
    assert len(NAMES) > 100


def test_collectors_read_each_form():
    text = "`analysis.flops(m)` and convolab.nn.to_torch; from convolab.nn.onnx import a, b"
    assert names_in_text(text) == {
        "convolab.analysis.flops", "convolab.nn.to_torch", "convolab.nn.onnx", "convolab.nn.onnx.a",
        "convolab.nn.onnx.b",
    }  # fmt: skip
    assert names_in_docstrings("see :func:`~convolab.viz.plot_kernels` and :mod:`os`") == {
        "convolab.viz.plot_kernels"
    }


def test_the_collection_reads_built_docstrings():
    # the per-dimension layers' docstrings come from one template per family
    assert "convolab.nn.functional.max_pool3d" in names_in_built_docstrings()
    assert "convolab.nn.functional.lp_pool1d" in NAMES


def test_resolve_fails_on_a_missing_name():
    with pytest.raises(AttributeError):
        resolve("convolab.nn.export_onnxx")
    assert resolve("convolab.nn.export_onnx").__name__ == "export_onnx"


@pytest.mark.parametrize("name", NAMES)
def test_documented_name_resolves(name):
    assert resolve(name) is not None


def test_lazy_names_do_not_load_their_dependencies():
    code = (
        "import sys, convolab, convolab.nn\n"
        "heavy = [m for m in ('onnx', 'onnxruntime', 'torch', 'convolab.nn.onnx',"
        " 'convolab.nn.torch_bridge') if m in sys.modules]\n"
        "print(heavy)\n"
        "convolab.nn.export_onnx\n"
        "print('convolab.nn.onnx' in sys.modules, 'onnx' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True False"]
