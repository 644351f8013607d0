"""The ``convolab`` command line.

* :mod:`convolab.cli.group`: the command group, its lazy command table, and :func:`main`
  (the console script ``convolab``, and ``python -m convolab``);
* :mod:`convolab.cli.errors`: one line on stderr and an exit code for every problem;
* :mod:`convolab.cli.options`: the options several commands share (``-f/--force``, ...);
* :mod:`convolab.cli.io`: reading signals, arrays and models, writing values;
* one module per command: ``demo``, ``evaluate`` (``convolab eval``), ``explain``,
  ``export``, ``filter``, ``inspect``, ``kernels``, ``lab``, ``predict``, ``show``,
  ``signal``, ``train``. Each is imported only when its command runs.
"""

from __future__ import annotations

from convolab.cli.group import cli, main

__all__ = ["cli", "main"]
