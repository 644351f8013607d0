"""The built documentation site (``make docs`` -> docs/_build/html).

Every internal link and image reference resolves (anchors included), every public name of
every module's ``__all__`` has its API entry, and a headless Chromium shows the home page and a
tutorial with their figures and formulas, from the file system and over HTTP, without a request
leaving the machine.

Without a built site these tests skip, except under CI (``CI`` set), where ``.ci/run`` builds
the site first and a missing site is a failure.
"""

from __future__ import annotations

import functools
import http.server
import importlib
import os
import pkgutil
import posixpath
import threading
import types
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

SITE = Path(__file__).resolve().parents[1] / "docs" / "_build" / "html"
TUTORIAL = "tutorials/plot_5_mlp_to_cnn.html"


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the documentation site is not built ({SITE}); run `make docs` first")
        pytest.skip("documentation site not built (make docs)")
    return SITE


# --------------------------------------------------------------------------- links and images


class _References(HTMLParser):
    """The ids a page defines and the URLs it refers to (links, images, scripts, styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (attribute, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "preconnect"):
                self.refs.append((f"{tag}[{key}]", attrs[key]))
        for candidate in (attrs.get("srcset") or "").split(","):
            if candidate.strip():
                self.refs.append((f"{tag}[srcset]", candidate.split()[0]))


@functools.cache
def _parse(page: Path) -> _References:
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def _pages(root: Path) -> list[Path]:
    """The site's pages (the theme's templates copied into ``_static`` are not pages)."""
    return [p for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts]


def broken_references(root: Path) -> list[str]:
    """Each internal reference of the HTML under ``root`` that points at nothing.

    External URLs (with a scheme or ``//``) are left alone; a relative URL must name a file
    under ``root`` (a folder means its ``index.html``), and a ``#fragment`` of a link must be
    an id of the page it names.
    """
    files, folders = set(), set()
    for path in root.rglob("*"):
        (files if path.is_file() else folders).add(path.relative_to(root).as_posix())
    broken = []
    for page in _pages(root):
        here = page.relative_to(root).as_posix()
        for attribute, url in _parse(page).refs:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue
            target = here
            if parts.path:
                target = posixpath.normpath(
                    posixpath.join(posixpath.dirname(here), unquote(parts.path))
                )
            if target in folders:
                target += "/index.html"
            where = f"{here}: {attribute}={url!r}"
            if target.startswith("../") or target not in files:
                broken.append(f"{where} (no such file)")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.endswith(".html") and attribute.startswith("a["):
                if fragment not in _parse(root / target).ids:
                    broken.append(f"{where} (no id {fragment!r})")
    return broken


def test_every_internal_link_and_image_resolves(site):
    pages = _pages(site)
    assert len(pages) > 100, len(pages)
    assert broken_references(site) == []


def test_the_link_checker_finds_broken_references(tmp_path):
    (tmp_path / "img.png").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text('<h1 id="top">x</h1>')
    (tmp_path / "index.html").write_text(
        '<a href="sub/">ok</a> <a href="sub/index.html#top">ok</a> <img src="img.png">'
        '<a href="https://example.org/x">external</a> <a href="#here" id="here">self</a>'
        '<a href="missing.html">1</a> <img src="gone.png"> <a href="sub/index.html#nope">2</a>'
        '<img srcset="img.png 1x, absent.png 2x"> <script src="../outside.js"></script>'
    )
    (tmp_path.parent / "outside.js").write_text("")
    found = broken_references(tmp_path)
    assert [line.split("=", 1)[1] for line in found] == [
        "'missing.html' (no such file)",
        "'gone.png' (no such file)",
        "'sub/index.html#nope' (no id 'nope')",
        "'absent.png' (no such file)",
        "'../outside.js' (no such file)",
    ]


# --------------------------------------------------------------------------- API coverage


def _public_modules() -> list[types.ModuleType]:
    import convolab

    names = ["convolab"] + [
        info.name
        for info in pkgutil.walk_packages(convolab.__path__, "convolab.")
        if not any(part.startswith("_") for part in info.name.split("."))
        and not info.name.startswith("convolab.cli")
    ]
    return [importlib.import_module(name) for name in names]


def _resolve(dotted: str) -> object:
    """The object a documented name refers to; an attribute wins over a same-named submodule."""
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for depth, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:depth]))
    return obj


def test_every_public_name_has_an_api_entry(site):
    documented = {}
    for page in (site / "api" / "generated").glob("*.html"):
        for anchor in _parse(page).ids:
            if anchor.startswith("convolab.") and anchor.count(".") >= 1:
                try:
                    documented[id(_resolve(anchor))] = anchor
                except (ImportError, AttributeError):
                    continue
    missing = []
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                continue
            scalar = isinstance(obj, (bool, int, float, str, bytes, type(None)))
            page = site / "api" / "generated" / f"{module.__name__}.{name}.html"
            if id(obj) not in documented and not (scalar and page.is_file()):
                missing.append(f"{module.__name__}.{name}")
    assert missing == []


# --------------------------------------------------------------------------- in a browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def served_site(site):
    """The site on ``python -m http.server``'s handler, on a free loopback port."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _figures(page) -> list[dict]:
    return page.eval_on_selector_all(
        "article img",
        "imgs => imgs.map(i => ({src: i.getAttribute('src'), complete: i.complete,"
        " width: i.naturalWidth}))",
    )


def _load(page, url: str) -> None:
    page.goto(url, wait_until="load")
    page.wait_for_function("Array.from(document.images).every(img => img.complete)")


def test_home_page_and_tutorial_over_http(browser_page, served_site):
    page, log = browser_page
    _load(page, f"{served_site}/index.html")
    assert "convolab" in page.title()
    nav = page.eval_on_selector_all("nav a", "links => links.map(a => a.textContent.trim())")
    assert {"Tutorials", "Gallery", "User guide", "API reference"} <= set(nav), nav

    _load(page, f"{served_site}/{TUTORIAL}")
    figures = _figures(page)
    assert len(figures) >= 7, figures
    assert all(f["complete"] and f["width"] > 0 for f in figures), figures
    page.wait_for_selector("mjx-container", timeout=15_000)  # formulas typeset by MathJax
    downloads = page.eval_on_selector_all(
        "a.reference.download", "links => links.map(a => a.getAttribute('href'))"
    )
    assert any(d.endswith(".ipynb") for d in downloads), downloads
    assert any(d.endswith(".py") for d in downloads), downloads
    log.assert_clean()


def test_search_finds_a_function(browser_page, served_site):
    page, log = browser_page
    _load(page, f"{served_site}/search.html?q=soft_shift")
    page.wait_for_selector("#search-results li a", timeout=15_000)
    hits = page.eval_on_selector_all("#search-results li a", "a => a.map(x => x.textContent)")
    assert any("soft_shift" in hit for hit in hits), hits
    log.assert_clean()


def test_home_page_and_tutorial_from_the_file_system(browser_page, site):
    page, log = browser_page
    for name in ("index.html", TUTORIAL):
        _load(page, (site / name).as_uri())
        figures = _figures(page)
        assert all(f["complete"] and f["width"] > 0 for f in figures), figures
    assert len(figures) >= 7
    page.wait_for_selector("mjx-container", timeout=15_000)  # MathJax's fonts from file://
    log.assert_clean()
