"""
``viz.plot_convolution``
========================

Input, kernel and output on one axis, with the kernel drawn where it sits for one output
(``at``): the sliding window of the articles. Here the noisy signal of "From Convolution to
Neural Network" and a 3-tap box kernel.
"""

import numpy as np

from convolab import viz

f = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]
viz.plot_convolution(f, np.ones(3) / 3, at=5)
