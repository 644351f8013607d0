"""
``viz.plot_information``
========================

:math:`I(X;T)` and :math:`I(T;Y)` of each layer's output :math:`T` of a trained LeNet-5, in bits,
estimated by binning (3 levels per unit) on 500 digits.
"""

import os
import tempfile
from pathlib import Path

from convolab import analysis, data, models, nn, train, viz

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

info = analysis.information_per_layer(model, test_set.x[:500], test_set.y[:500], bins=3)
viz.plot_information(info, figsize=(8, 3.2))
