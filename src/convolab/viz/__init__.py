"""Figures of what the articles explain by drawing: signals, kernels, feature maps, training.

Every function builds a :class:`matplotlib.figure.Figure` without ``pyplot``
(no window, no global state, safe in scripts and servers: the Agg renderer),
returns it, and saves it when given ``path=`` (the format follows the file
suffix: ``.png``, ``.svg``, ``.pdf``, ...). The saved image is exactly
``figsize * dpi`` pixels. Every figure takes the same options: ``title``,
``figsize`` (``(width, height)`` in inches), ``dpi`` (default 100) and ``path``.

- :func:`plot_convolution`: input, kernel and output on one axis, the kernel
  drawn where it sits for one output, as the articles draw the sliding window.
- :func:`plot_kernels`: a grid of kernels (or a layer's weights) with a
  diverging colour map centred at 0, so positive and negative weights read
  at a glance.
- :func:`plot_feature_maps`: what every convolution and pooling layer of a
  model produces for one image.
- :func:`plot_filters_vs_classic`: each learned kernel beside the most similar
  classic kernel (Sobel, Gaussian, Laplacian, ...) and the cosine similarity.
- :func:`plot_history`: loss and accuracy per epoch.
- :func:`plot_confusion`: a confusion matrix with counts.
- :func:`plot_receptive_field`, :func:`plot_mlp_cnn`, :func:`plot_information`,
  :func:`plot_equivariance`: the numbers of :mod:`convolab.analysis` as pictures.

The functions live by figure family (:mod:`~convolab.viz.convolution`,
:mod:`~convolab.viz.kernels`, :mod:`~convolab.viz.layers`,
:mod:`~convolab.viz.training`, :mod:`~convolab.viz.analysis`) on the helpers of
:mod:`~convolab.viz.figure`; this package re-exports them.

>>> import numpy as np
>>> from convolab import viz
>>> fig = viz.plot_convolution([10, 9, 10, 9, 10, 1, 10, 9, 10, 8], np.ones(3) / 3)
>>> [ax.get_ylabel() for ax in fig.axes]
['input x', 'kernel k', 'output y']
"""

from convolab.viz.analysis import plot_equivariance, plot_information, plot_mlp_cnn
from convolab.viz.convolution import plot_convolution
from convolab.viz.kernels import plot_filters_vs_classic, plot_kernels
from convolab.viz.layers import plot_feature_maps, plot_receptive_field
from convolab.viz.training import plot_confusion, plot_history

__all__ = [
    "plot_confusion",
    "plot_convolution",
    "plot_equivariance",
    "plot_feature_maps",
    "plot_filters_vs_classic",
    "plot_history",
    "plot_information",
    "plot_kernels",
    "plot_mlp_cnn",
    "plot_receptive_field",
]
