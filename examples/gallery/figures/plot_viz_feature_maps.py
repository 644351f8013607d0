"""
``viz.plot_feature_maps``
=========================

What every convolution and pooling layer of a trained LeNet-5 makes of one handwritten digit.
"""

import os
import tempfile
from pathlib import Path

from convolab import data, nn, viz

# The LeNet-5 that tutorial 5 trained on the MNIST sample and left in the build's cache
# folder (run that tutorial first), and the sample's 500 held-out digits.
cache = Path(os.environ.get("CONVOLAB_DOCS_CACHE", tempfile.gettempdir()))
model = nn.load(cache / "lenet5-mnist5k.npz")
sample = Path(os.environ.get("CONVOLAB_MNIST_5K", "../../../../shared/data/mnist-5k"))
test_set = data.load_splits(sample)[1]

viz.plot_feature_maps(model, test_set.x[0], max_maps=6, figsize=(9, 5))
