"""The package layout keeps its promises: no import cycle, no oversized module, each module alone.

See docs/architecture.md §7 (what each folder owns, what may import what).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import convolab

SRC = Path(convolab.__file__).parent
GENERATED = {
    "convolab._jit._generated.blocked_kernels",
    "convolab._jit._generated.stencil_kernels",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _resolve(importer: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The convolab modules an import statement loads (a submodule, else its package)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("convolab")]
    base = node.module or ""
    if node.level:
        is_package = MODULES[importer].name == "__init__.py"
        package = importer if is_package else importer.rsplit(".", 1)[0]
        for _ in range(node.level - 1):
            package = package.rsplit(".", 1)[0]
        base = f"{package}.{base}" if base else package
    if not base.startswith("convolab"):
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _imports(name: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for target in _resolve(name, node):
                while target not in MODULES and "." in target:
                    target = target.rsplit(".", 1)[0]
                found.add(target)
    found.discard(name)
    return found


def _parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))} & set(MODULES)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_when_importing():
    """What runs at import time (module-level imports, and each package before its modules)."""
    graph = {}
    for name in MODULES:
        loaded = {t for target in _imports(name, True) for t in {target, *_parents(target)}}
        graph[name] = loaded - _parents(name) - {name}  # its own packages are loading already
    assert _cycle(graph) is None


def test_image_and_scale_depend_one_way():
    """image's filter_large uses scale.tiles; tiles never reaches back into image, at any level."""
    image = {m for m in MODULES if m.startswith("convolab.image")}
    for tiles_import in _imports("convolab.scale.tiles", top_level_only=False):
        assert tiles_import not in image and not tiles_import.startswith("convolab.scale.folder")
    for name in image:
        assert not any(t.startswith("convolab.scale.folder") for t in _imports(name, False)), name


def test_no_module_imports_a_private_name_of_another_package():
    """``from convolab.x import _y`` only within x's own package (private helpers stay home)."""
    offenders = []
    for name, path in MODULES.items():
        if name in GENERATED:
            continue
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("convolab"):
                source = node.module or ""
                private = [a.name for a in node.names if a.name.startswith("_")]
                top = ".".join(package.split(".")[:2])
                if private and not source.startswith(top):
                    offenders.append(f"{name}: from {source} import {', '.join(private)}")
    assert offenders == []


def test_no_hand_written_module_over_800_lines():
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in MODULES.items()
        if name not in GENERATED
    }
    assert {n: s for n, s in sizes.items() if s > 800} == {}


@pytest.mark.parametrize(
    "module, absent",
    [
        ("convolab.scale.tiles", "convolab.image"),
        ("convolab.image", "convolab.scale.folder"),
        ("convolab.analysis.classic", "convolab.viz"),
        ("convolab.viz.training", None),
        ("convolab.nn.modules.kind", "convolab.analysis"),
    ],
)
def test_each_module_imports_alone(module, absent):
    code = f"import sys, importlib; importlib.import_module({module!r}); " + (
        f"assert {absent!r} not in sys.modules" if absent else f"import {module}"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
