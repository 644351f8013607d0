"""``convolab lab``: an interactive laboratory in the browser, on convolab's own engine.

A small Starlette application (:func:`create_app`) serves five pages -- Slide, Filter,
Signals, Network and Train -- and a JSON API that calls the library for every number it
shows (:func:`convolab.explain.explain`, :func:`convolab.correlate`,
:func:`convolab.choose_method`, :mod:`convolab.kernels`, :mod:`convolab.signal`,
:func:`convolab.analysis.activations`, :func:`convolab.train.fit`, ...). Everything the
pages load (scripts, styles, sample photos, the embedded LeNet-5) ships in this package,
so the lab works offline. Needs the ``lab`` extra (Starlette and uvicorn).
"""

from convolab.lab.app import LabConfig, create_app

__all__ = ["LabConfig", "create_app"]
