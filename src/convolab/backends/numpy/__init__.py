"""The NumPy backend: NumPy itself is the array namespace.

NumPy 2 implements the array API in its main namespace, so ``xp`` is the
``numpy`` module; the engine's methods are written for it (strided views,
:mod:`scipy.fft`, the compiled Numba loops).
"""

from __future__ import annotations

import numpy

#: The array namespace of NumPy arrays.
NUMPY_NAMESPACE = numpy
