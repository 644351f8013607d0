"""
``viz.plot_filters_vs_classic``
===============================

Each learned 5×5 kernel of a trained LeNet-5's first layer beside the most similar classic
kernel (Sobel, Gaussian, Laplacian, ...), with their cosine similarity.
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

viz.plot_filters_vs_classic(model[0], figsize=(9, 4))
