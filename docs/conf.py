"""Sphinx configuration of the convolab documentation site (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(DOCS / "_ext"))

import convolab  # noqa: E402

# Figures of the examples are drawn off-screen; trained models are shared between examples of
# one build through this folder (see examples/tutorials/plot_5_mlp_to_cnn.py).
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("CONVOLAB_DOCS_CACHE", str(DOCS / "_build" / "cache"))

project = "convolab"
author = "the convolab authors"
copyright = "the convolab authors, MIT licence"
version = release = convolab.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static: no CDN
    "convolab_site",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/*.ipynb", "**/*.py.md5", "**/*.codeobj.json", "conftest.py"]

# MathJax from the site's own _static folder (sphinx-mathjax-offline copies it there).
mathjax_path = "mathjax/tex-chtml.js"

# Markdown pages (docs/*.md, README.md): `[text](engine.md)` links become document links.
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

# API reference: one page per object of the modules' __all__ (convolab_site writes them).
autodoc_typehints = "none"
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

sphinx_gallery_conf = {
    "examples_dirs": ["../examples/tutorials", "../examples/gallery"],
    "gallery_dirs": ["tutorials", "gallery"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(__init__|/_)",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "show_signature": False,
    "write_computation_times": False,
    "reference_url": {},
    "matplotlib_animations": False,
    "image_scrapers": ("convolab_site.figure_scraper",),
    "capture_repr": (),
    "min_reported_time": 10_000,
}

html_theme = "pydata_sphinx_theme"
html_title = f"convolab {release}"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_logo = "_static/favicon.svg"
html_css_files = ["convolab.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc", "sg_download_links"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
html_context = {"default_mode": "auto"}
