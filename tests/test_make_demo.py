"""`make demo` installs the core and the compiled loops only; `make test` adds the dev extras.

The Makefile is read as make reads it (targets, prerequisites, recipes), and the
quick demo is run with every package of the dev extras made unimportable, so a
demo that needs one of them fails here instead of on a fresh clone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Import names of the distributions the extras name, where they differ.
_MODULES = {"pytest-xdist": ["xdist"], "dask": ["dask", "distributed"]}


def makefile() -> tuple[dict[str, str], dict[str, tuple[list[str], list[str]]]]:
    """Variables and rules (target -> (prerequisites, recipe lines)) of the Makefile."""
    variables: dict[str, str] = {}
    rules: dict[str, tuple[list[str], list[str]]] = {}
    current = None
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("\t") and current is not None:
            rules[current][1].append(line.strip())
            continue
        if m := re.match(r"^([A-Z_]+)\s*[:?]?=\s*(.*?)\s*(#.*)?$", line):
            variables[m.group(1)] = m.group(2)
            current = None
        elif m := re.match(r"^([^\s:#=][^:=]*):(?!=)(.*)$", line):
            target = expand(m.group(1).strip(), variables)
            prereqs = [expand(p, variables) for p in m.group(2).replace("|", " ").split()]
            rules[target] = (prereqs, [])
            current = target
        else:
            current = None
    return variables, rules


def expand(text: str, variables: dict[str, str]) -> str:
    for _ in range(5):
        text = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), m.group(0)), text)
    return text


def installs(rules, target: str) -> set[str]:
    """Every `pip install -e ".[extras]"` extra that building ``target`` runs (pip itself as
    `$(PIP)`: the venv's pip or the outer one aimed at it)."""
    seen, todo, extras = set(), [target], set()
    while todo:
        t = todo.pop()
        if t in seen or t not in rules:
            continue
        seen.add(t)
        prereqs, recipe = rules[t]
        todo.extend(prereqs)
        for line in recipe:
            if m := re.search(r'(?:pip|\$\(PIP\)) install .*-e "\.\[([\w,]+)\]"', line):
                extras |= set(m.group(1).split(","))
    return extras


def extras() -> dict[str, list[str]]:
    tomllib = pytest.importorskip("tomllib")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {"core": data["dependencies"], **data["optional-dependencies"]}


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()


def test_make_demo_installs_only_the_core_and_the_compiled_loops():
    _, rules = makefile()
    assert installs(rules, "demo") == {"fast"}
    assert installs(rules, "test") == {"dev"}
    demo_stamps = {p for p in rules["demo"][0] if "installed" in p}
    test_stamps = {p for t in ("test", "lint") for p in rules[t][0] if "installed" in p}
    assert demo_stamps and test_stamps and not demo_stamps & test_stamps  # test installs the rest
    assert {_name(r) for r in extras()["fast"]} == {"numba"}


@pytest.mark.slow
def test_quick_demo_runs_without_the_dev_extras(tmp_path):
    groups = extras()
    allowed = {_name(r) for r in groups["core"] + groups["fast"]}
    blocked = sorted({m for r in groups["dev"] if (n := _name(r)) not in allowed
                      for m in _MODULES.get(n, [n.replace("-", "_")])})  # fmt: skip
    assert {"pytest", "hypothesis", "onnx", "dask"} <= set(blocked)
    code = f"""
import sys
blocked = {blocked!r}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{{name}} is not part of convolab[fast]", name=name)
for name in list(sys.modules):
    if name.split(".")[0] in blocked:
        del sys.modules[name]
sys.meta_path.insert(0, Block())
from convolab.cli.demo import run_demo
result = run_demo({str(tmp_path / "out")!r}, quick=True)
print(len(result["files"]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert int(out.stdout.split()[-1]) >= 12
