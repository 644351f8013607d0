"""Layers as objects (being split into family modules)."""

from convolab.nn.modules.module import *  # noqa: F403
from convolab.nn.modules.module import __all__  # noqa: F401
