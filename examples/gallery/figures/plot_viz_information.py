"""
``viz.plot_information``
========================

:math:`I(X;T)` and :math:`I(T;Y)` of each layer's output :math:`T` of a trained LeNet-5, in bits,
estimated by binning (3 levels per unit) on 500 digits.
"""

import os
import tempfile
from pathlib import Path

from convolab import analysis, data, nn, viz

# The LeNet-5 that tutorial 5 trained on the MNIST sample and left in the build's cache
# folder (run that tutorial first), and the sample's 500 held-out digits.
cache = Path(os.environ.get("CONVOLAB_DOCS_CACHE", tempfile.gettempdir()))
model = nn.load(cache / "lenet5-mnist5k.npz")
sample = Path(os.environ.get("CONVOLAB_MNIST_5K", "../../../../shared/data/mnist-5k"))
test_set = data.load_splits(sample)[1]

info = analysis.information_per_layer(model, test_set.x[:500], test_set.y[:500], bins=3)
viz.plot_information(info, figsize=(8, 3.2))
