"""
``viz.plot_receptive_field``
============================

The input pixels that the centre output of each convolution and pooling layer of the classic
LeNet-5 sees, drawn over a 28×28 input.
"""

from convolab import models, viz

viz.plot_receptive_field(models.lenet5("classic"), (1, 28, 28), figsize=(9, 3))
