"""convolab: from the discrete convolution to a trained convolutional neural network.

One convolution engine (:mod:`convolab.conv`) serves everything above it: the
classic image filters (:mod:`convolab.image`), the 1D signal tools
(:mod:`convolab.signal`), the step-by-step explainer (:mod:`convolab.explain`)
and the neural-network layers, forward and backward (:mod:`convolab.nn`).

>>> import convolab
>>> convolab.correlate([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], [1, 0, 0], mode="same")
array([0., 0., 0., 0., 3., 4., 5., 4., 3., 0.])
"""

from __future__ import annotations

import importlib
from typing import Any

from convolab.conv import api as _engine
from convolab.conv.api import *  # noqa: F403  (the engine's functions: convolab.conv.api.__all__)

__version__ = "0.1.0"

# Submodules load on first use so that `import convolab` stays fast and light.
_SUBMODULES = (
    "analysis",
    "conv",
    "data",
    "explain",
    "image",
    "kernels",
    "models",
    "nn",
    "signal",
    "train",
    "viz",
    "scale",
)

__all__ = [
    *_engine.__all__,
    "__version__",
    *_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"convolab.{name}")
    raise AttributeError(f"module 'convolab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
