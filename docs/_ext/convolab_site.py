"""Pages of the convolab site written from the code at build time, never by hand.

* ``api/``: one page per public module, listing the names of its ``__all__``; each object
  is documented once, where it is shortest to import (``convolab.correlate`` rather than
  ``convolab.conv.api.correlate``), and the other modules that export it link there. New
  modules and new names in ``__all__`` appear without editing the docs.
* ``api/cli.rst``: the ``--help`` text of every ``convolab`` command.
* ``guide.rst``: the user guide, every ``docs/*.md`` page in reading order (pages added later
  join at the end).

A module is public when no part of its dotted name starts with ``_``; modules without
``__all__`` export nothing, and ``convolab.cli`` (the package and its modules) is documented as
the command line instead.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "convolab"
COMMAND_LINE_MODULES = ("convolab.cli",)
GUIDE_ORDER = ("engine", "image", "signal", "nn", "training", "inspect", "interop", "lab", "trust")


@dataclass
class ModuleInfo:
    name: str
    module: types.ModuleType
    documented: list[str] = field(default_factory=list)  # names whose home is this module
    reexported: list[tuple[str, str]] = field(default_factory=list)  # (name, full home name)
    submodules: list[str] = field(default_factory=list)


def public_modules(package: str = PACKAGE) -> list[types.ModuleType]:
    """The package and its public submodules, in dotted-name order."""
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if info.name.startswith(COMMAND_LINE_MODULES):
            continue
        names.append(info.name)
    return [importlib.import_module(name) for name in sorted(names)]


def _identity(obj: object) -> object:
    # Numbers and strings can share an id by chance (interning): only real objects are shared.
    if isinstance(obj, (bool, int, float, complex, str, bytes, type(None))):
        return None
    return id(obj)


def collect(package: str = PACKAGE) -> dict[str, ModuleInfo]:
    """Each public module's exported names, and the one module that documents each object."""
    infos: dict[str, ModuleInfo] = {}
    homes: dict[object, list[tuple[str, str]]] = {}
    for module in public_modules(package):
        exported = getattr(module, "__all__", None)
        if exported is None:
            continue
        info = infos[module.__name__] = ModuleInfo(module.__name__, module)
        for name in exported:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                info.submodules.append(obj.__name__)
                continue
            key = _identity(obj)
            homes.setdefault(key if key is not None else (module.__name__, name), []).append(
                (module.__name__, name)
            )
    for places in homes.values():
        home_module, home_name = min(places, key=lambda place: _rank(place, infos))
        for module_name, name in places:
            if (module_name, name) == (home_module, home_name):
                infos[module_name].documented.append(name)
            else:
                infos[module_name].reexported.append((name, f"{home_module}.{home_name}"))
    return infos


def _rank(place: tuple[str, str], infos: dict[str, ModuleInfo]) -> tuple:
    module_name, name = place
    obj = getattr(infos[module_name].module, name)
    defined_here = getattr(obj, "__module__", None) == module_name
    return (module_name.count("."), not defined_here, module_name)


def _shadowed(module_name: str) -> bool:
    """Whether the parent package binds the module's name to something else (a function)."""
    parent, _, short = module_name.rpartition(".")
    if not parent:
        return False
    return getattr(importlib.import_module(parent), short, None) is not importlib.import_module(
        module_name
    )


def _role(obj: object) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "func"
    return "data"


def _heading(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def summary(obj: object) -> str:
    """The first paragraph of a docstring on one line; a constant's value."""
    if not (inspect.isclass(obj) or callable(obj)):
        text = repr(obj)
        return f"``{text if len(text) <= 60 else text[:57] + '...'}``"
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def object_page(module: str, name: str, obj: object) -> str:
    """The stub that documents one object (autodoc and numpydoc fill it in)."""
    role = _role(obj)
    directive = {"class": "autoclass", "func": "autofunction", "data": "autodata"}[role]
    lines = [_heading(f"{module}.{name}"), f".. currentmodule:: {module}", ""]
    lines.append(f".. {directive}:: {name}")
    if role == "class":
        lines += ["   :members:", "   :show-inheritance:"]
    return "\n".join([*lines, ""])


def _table(rows: list[tuple[str, str]]) -> list[str]:
    lines = [".. list-table::", "   :widths: 35 65", ""]
    for left, right in rows:
        lines += [f"   * - {left}", f"     - {right}"]
    return [*lines, ""]


def module_page(info: ModuleInfo) -> str:
    name = info.name
    lines = [f".. _api-{name}:", "", _heading(name)]
    if _shadowed(name):
        lines += [f".. currentmodule:: {name}", ""]
        doc = inspect.getdoc(info.module)
        if doc:
            lines += [doc.split("\n\n")[0], ""]
    else:
        lines += [f".. automodule:: {name}", "   :no-members:", ""]
    documented = sorted(info.documented, key=str.lower)
    if documented:
        rows = []
        for item in documented:
            obj = getattr(info.module, item)
            role = "obj" if _role(obj) == "data" else _role(obj)
            rows.append((f":py:{role}:`~{name}.{item}`", summary(obj)))
        lines += _table(rows)
        lines += [".. toctree::", "   :hidden:", ""]
        lines += [f"   generated/{name}.{item}" for item in documented]
        lines.append("")
    if info.reexported:
        lines += [_heading("Also exported here", "-"), ""]
        rows = []
        for item, home in sorted(info.reexported, key=lambda pair: pair[0].lower()):
            role = _role(getattr(info.module, item))
            rows.append((f":py:{'obj' if role == 'data' else role}:`{item} <{home}>`",
                         f"documented as :py:obj:`{home}`"))
        lines += _table(rows)
    if info.submodules:
        lines += [_heading("Submodules", "-"), ""]
        lines += [f"* :ref:`api-{sub}`" for sub in info.submodules]
        lines.append("")
    return "\n".join(lines)


def api_index(infos: dict[str, ModuleInfo]) -> str:
    lines = [
        _heading("API reference"),
        "Every public name of convolab, from the docstrings. The examples in them are the",
        "doctests that the test suite runs. Each object is documented where it is shortest to",
        "import; other modules that export it link there.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        *(f"   {name}" for name in infos),
        "   cli",
        "",
    ]
    return "\n".join(lines)


def cli_page() -> str:
    import click

    from convolab.cli import cli

    lines = [
        _heading("Command line: ``convolab``"),
        "The help text of every command, as ``convolab COMMAND --help`` prints it. The",
        ":doc:`gallery <../gallery/index>` runs them with their output.",
        "",
    ]

    def describe(command: click.Command, path: list[str], parent=None) -> None:
        context = click.Context(
            command, info_name=path[-1], parent=parent, terminal_width=100, max_content_width=100,
            **({} if parent else command.context_settings),
        )
        lines.extend([_heading(f"``{' '.join(path)}``", "-"), "", ".. code-block:: text", ""])
        lines.extend(f"   {line}".rstrip() for line in command.get_help(context).splitlines())
        lines.append("")
        if isinstance(command, click.Group):
            for sub in sorted(command.list_commands(context)):
                describe(command.get_command(context, sub), [*path, sub], context)

    describe(cli, ["convolab"])
    return "\n".join(lines)


def guide_page(docs: Path) -> str:
    pages = sorted(p.stem for p in docs.glob("*.md") if p.stem != "index")
    order = [p for p in GUIDE_ORDER if p in pages] + [p for p in pages if p not in GUIDE_ORDER]
    return "\n".join(
        [
            _heading("User guide"),
            "What each part of convolab does, with examples that the test suite runs.",
            "",
            ".. toctree::",
            "   :maxdepth: 2",
            "",
            *(f"   {page}" for page in order),
            "",
        ]
    )


def _write(path: Path, text: str) -> None:
    # Unchanged pages keep their time stamp, so Sphinx does not read them again.
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def generate(docs: Path) -> None:
    """Write ``api/*.rst``, ``api/generated/*.rst``, ``api/cli.rst`` and ``guide.rst``."""
    api = docs / "api"
    infos = collect()
    pages = {f"{name}.rst": module_page(info) for name, info in infos.items()}
    pages["index.rst"] = api_index(infos)
    pages["cli.rst"] = cli_page()
    for name, info in infos.items():
        for item in info.documented:
            page = object_page(name, item, getattr(info.module, item))
            pages[f"generated/{name}.{item}.rst"] = page
    if api.is_dir():  # names removed from __all__ leave no orphan page behind
        for stale in api.rglob("*.rst"):
            if stale.relative_to(api).as_posix() not in pages:
                stale.unlink()
    for filename, text in pages.items():
        _write(api / filename, text)
    _write(docs / "guide.rst", guide_page(docs))


def _on_config_inited(app, config) -> None:
    generate(Path(app.srcdir))


def _numpydoc_shape_section() -> None:
    """Render the house's ``Shape`` docstring section (numpydoc would drop it) after Returns."""
    from numpydoc.docscrape import NumpyDocString
    from numpydoc.docscrape_sphinx import SphinxDocString

    if "Shape" in NumpyDocString.sections:
        return
    NumpyDocString.sections["Shape"] = []
    render = SphinxDocString.__str__

    def with_shape(self, indent=0, func_role="obj"):
        text = render(self, indent, func_role)
        shape = self._str_section("Shape")
        if not shape:
            return text
        block = "\n".join(self._str_indent(shape, indent))
        for later in ("Notes", "References", "Examples"):
            marker = " " * indent + f".. rubric:: {later}"
            if marker in text:
                return text.replace(marker, block + "\n" + marker, 1)
        return text + "\n" + block

    SphinxDocString.__str__ = with_shape


_NEW_FIGURES: list = []


def _record_figures() -> None:
    """Remember every Matplotlib figure as it is made, pyplot's or not.

    ``convolab.viz`` builds its figures without pyplot (no global state), so sphinx-gallery's
    own scraper, which asks pyplot, would not see them.
    """
    from matplotlib.figure import Figure

    if getattr(Figure.__init__, "_convolab_recorded", False):
        return
    init = Figure.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        _NEW_FIGURES.append(self)

    recording_init._convolab_recorded = True
    Figure.__init__ = recording_init


def figure_scraper(block, block_vars, gallery_conf) -> str:
    """sphinx-gallery scraper: save each figure a code block made, in the order it was made."""
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import figure_rst

    paths = []
    for figure, path in zip(list(_NEW_FIGURES), block_vars["image_path_iterator"]):
        figure.savefig(path)
        paths.append(path)
    _NEW_FIGURES.clear()
    plt.close("all")
    return figure_rst(paths, gallery_conf["src_dir"])


def _repository_file_links():
    """A post-transform: Markdown links to repository files outside docs/ name the file.

    ``[results](../benchmarks/RESULTS.md)`` works on the repository's web view but names no
    page of the site; MyST would warn (an error here). The link becomes the file's path in the
    repository, as code. A link to a missing file is left to MyST, which reports it.
    """
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class RepositoryFileLinks(SphinxPostTransform):
        default_priority = 8  # before MyST's resolver (9)

        def run(self, **kwargs) -> None:
            srcdir = Path(self.env.srcdir).resolve()
            root = srcdir.parent
            for node in list(self.document.findall(addnodes.pending_xref)):
                if node.get("reftype") != "myst" or node.get("refdomain") != "doc":
                    continue
                target = Path(node["reftarget"])
                if not target.is_absolute():
                    continue
                candidates = [target.with_suffix(".md"), target]
                found = next((c.resolve() for c in candidates if c.is_file()), None)
                if found is None or found.is_relative_to(srcdir) or not found.is_relative_to(root):
                    continue
                path = found.relative_to(root).as_posix()
                node.replace_self(nodes.literal(path, path))

    return RepositoryFileLinks


def setup(app):
    _numpydoc_shape_section()
    _record_figures()
    app.add_post_transform(_repository_file_links())
    app.connect("config-inited", _on_config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
