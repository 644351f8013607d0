"""The convolution engine: one implementation that everything in convolab runs on.

:func:`convolve`, :func:`correlate` (N-d, modes, boundaries, stride, dilation,
``axes`` broadcasting) and :func:`conv_nd` (the batched multi-channel layer op, with its adjoint
:func:`conv_transpose_nd`)
validate and normalize their arguments, then dispatch to one of five methods
(``direct``, ``fft``, ``separable``, ``gemm``, ``stencil``) chosen by :func:`choose_method`.
"""

from convolab.conv import api
from convolab.conv.api import *  # noqa: F403  (the engine's functions: api.__all__)
from convolab.conv.boundary import BOUNDARIES
from convolab.conv.geometry import MODES

__all__ = ["BOUNDARIES", "MODES", *api.__all__]
