"""
``viz.plot_mlp_cnn``
====================

Parameters of a fully connected layer on an :math:`n \\times n` image (:math:`n^4` weights when
the hidden layer has :math:`n^2` units) against a 3×3 convolution's 9, on a log scale.
"""

from convolab import analysis, viz

print(analysis.compare_mlp_cnn((1, 28, 28)))
viz.plot_mlp_cnn((8, 16, 28, 64, 128, 256))
