"""
``viz.plot_kernels``
====================

A grid of kernels on one diverging colour scale centred at 0 (red positive, blue negative),
with the weights written in when the kernels are small.
"""

from convolab import kernels, viz

viz.plot_kernels({
    "sobel x": kernels.sobel(1),
    "sobel y": kernels.sobel(0),
    "laplacian (8)": kernels.laplacian(8),
    "sharpen": kernels.sharpen(),
    "emboss": kernels.emboss(),
    "gaussian σ=0.8": kernels.gaussian(0.8, size=3),
})
