"""Keep pytest's doctest collection of docs/ to the hand-written pages.

The Sphinx configuration, its extension and everything the site build generates (API
stubs, gallery pages and their scripts, the HTML) are not modules to import.
"""

collect_ignore = ["conf.py"]
collect_ignore_glob = ["_build/*", "_ext/*", "api/*", "tutorials/*", "gallery/*"]
