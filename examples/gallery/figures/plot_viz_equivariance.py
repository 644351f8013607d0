"""
``viz.plot_equivariance``
=========================

How layers react to a shifted input: a convolution commutes with the shift (equivariance error
0 at every shift), a max-pooling of stride 2 only at even shifts, and pooling makes the output
change less (invariance).
"""

import numpy as np

from convolab import nn, viz

nn.init.manual_seed(0)
x = np.random.default_rng(0).standard_normal((4, 1, 64)).astype(np.float32)
layers = {
    "Conv1d(k=5)": nn.Conv1d(1, 1, 5, padding=2),
    "MaxPool1d(2)": nn.MaxPool1d(2),
    "MaxPool1d(4)": nn.MaxPool1d(4),
}
viz.plot_equivariance(layers, x, shifts=range(9))
