"""Differentiable layer operations (being split into family modules)."""

from convolab.nn.functional.pool import *  # noqa: F403
from convolab.nn.functional.pool import __all__  # noqa: F401
from convolab.nn.functional.pool import _adaptive_matrix, _conv_pads, _ntuple  # noqa: F401
