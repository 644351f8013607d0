"""
``viz.plot_confusion``
======================

The confusion matrix of a trained LeNet-5 on 500 held-out handwritten digits: rows the true
digit, columns the prediction.
"""

import os
import tempfile
from pathlib import Path

from convolab import data, nn, train, viz

# The LeNet-5 that tutorial 5 trained on the MNIST sample and left in the build's cache
# folder (run that tutorial first), and the sample's 500 held-out digits.
cache = Path(os.environ.get("CONVOLAB_DOCS_CACHE", tempfile.gettempdir()))
model = nn.load(cache / "lenet5-mnist5k.npz")
sample = Path(os.environ.get("CONVOLAB_MNIST_5K", "../../../../shared/data/mnist-5k"))
test_set = data.load_splits(sample)[1]

result = train.evaluate(model, test_set)
print(f"accuracy {result['accuracy']:.3f}")
viz.plot_confusion(result["confusion"], labels=test_set.classes, figsize=(5, 4.5))
