"""
``viz.plot_feature_maps``
=========================

What every convolution and pooling layer of a trained LeNet-5 makes of one handwritten digit.
"""

import os
import tempfile
from pathlib import Path

from convolab import data, models, nn, train, viz

# The LeNet-5 that tutorial 5 trained on the MNIST sample, from the build's cache folder; run
# alone, this example trains one briefly instead.
sample = Path(os.environ.get("CONVOLAB_MNIST_5K", "../../../../shared/data/mnist-5k"))
if sample.is_dir():
    train_set, test_set = data.load_splits(sample)
else:
    train_set, test_set = data.load_splits("mnist", download=True, n=5000)
cache = Path(os.environ.get("CONVOLAB_DOCS_CACHE", tempfile.gettempdir())) / "lenet5-mnist5k.npz"
if cache.exists():
    model = nn.load(cache)
else:
    model = models.lenet5("modern", seed=0)
    train.fit(model, train_set, epochs=2, batch_size=64, lr=2e-3, progress=False)

viz.plot_feature_maps(model, test_set.x[0], max_maps=6, figsize=(9, 5))
