"""
6. OCR digits from fonts, and how far they transfer to handwriting
==================================================================

One article proposes to go beyond MNIST by *creating synthetic datasets with OCR fonts*.
:func:`convolab.data.ocr_digits` renders the digits 0-9 from the fonts on the machine, MNIST
style (28×28, white on black, centred by mass), with random rotation, shear, stroke width,
noise and an elastic distortion that bends strokes as handwriting does. This tutorial trains
LeNet-5 on rendered digits only and measures how well it reads real handwritten MNIST digits,
against the same network trained on handwriting, and what a few handwritten examples add.
"""

# %%
# Rendered digits
# ---------------
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import data, models, nn, train, viz

fonts = data.find_fonts()
print(f"{len(fonts)} fonts, for example:", ", ".join(f.name for f in fonts[:6]))

ocr_train = data.ocr_digits(4000, seed=0)
ocr_test = data.ocr_digits(1000, seed=1)
print("rendered:", ocr_train.x.shape, ocr_train.x.dtype)

fig, axes = plt.subplots(3, 10, figsize=(9, 3), layout="constrained")
for digit in range(10):
    picks = np.flatnonzero(ocr_train.y == digit)[:3]
    for row, index in enumerate(picks):
        axes[row, digit].imshow(ocr_train.x[index, 0], cmap="gray")
for ax in axes.ravel():
    ax.set_axis_off()
fig.suptitle("ocr_digits: three renderings of each digit")

# %%
# The handwritten digits
# ----------------------
# The repository's 5,000 real MNIST digits (``../shared/data/mnist-5k``; elsewhere the full
# MNIST is downloaded). All 5,000 serve as the handwriting test for the font-trained model.
sample = Path(os.environ.get("CONVOLAB_MNIST_5K", "../../../shared/data/mnist-5k"))
if sample.is_dir():
    mnist_train, mnist_test = data.load_splits(sample)
else:
    mnist_train, mnist_test = data.load_splits("mnist", download=True, n=5000)
handwriting = data.ArrayDataset(np.concatenate([mnist_train.x, mnist_test.x]),
                                np.concatenate([mnist_train.y, mnist_test.y]),
                                classes=mnist_train.classes)
print("handwritten:", handwriting.x.shape)

# %%
# Train on fonts, test on handwriting
# -----------------------------------
# LeNet-5 (modern) trained on the 4,000 rendered digits only.
ocr_model = models.lenet5("modern", seed=0)
train.fit(ocr_model, ocr_train, ocr_test, epochs=5, batch_size=64, lr=2e-3, seed=0,
          progress=False)
on_fonts = train.evaluate(ocr_model, ocr_test)
on_handwriting = train.evaluate(ocr_model, handwriting)
print(f"trained on fonts: {on_fonts['accuracy']:.3f} on new renderings, "
      f"{on_handwriting['accuracy']:.3f} on handwriting")

# %%
# Which handwritten digits the font-trained model misreads:
viz.plot_confusion(on_handwriting["confusion"], labels=handwriting.classes, normalize=True,
                   title="trained on fonts, tested on handwriting", figsize=(5, 4.5))

# %%
# Against a model trained on handwriting
# --------------------------------------
# Tutorial 5 trained the same network on 4,500 handwritten digits and left it in the cache
# folder; if it is not there (this tutorial run alone), it is trained here the same way.
cache = Path(os.environ.get("CONVOLAB_DOCS_CACHE", tempfile.gettempdir())) / "lenet5-mnist5k.npz"
if cache.exists():
    mnist_model = nn.load(cache)
else:
    mnist_model = models.lenet5("modern", seed=0)
    train.fit(mnist_model, mnist_train, mnist_test, epochs=6, batch_size=64, lr=2e-3, seed=0,
              progress=False)
print(f"trained on handwriting: {train.evaluate(mnist_model, mnist_test)['accuracy']:.3f} "
      f"on held-out handwriting, {train.evaluate(mnist_model, ocr_test)['accuracy']:.3f} "
      "on renderings")

# %%
# A few handwritten examples
# --------------------------
# Fine-tuning the font-trained model on only 500 of the handwritten training digits (three
# epochs, a smaller learning rate), then testing on the 500 held-out handwritten digits that
# neither model has seen:
few = data.ArrayDataset(mnist_train.x[:500], mnist_train.y[:500], classes=mnist_train.classes)
before = train.evaluate(ocr_model, mnist_test)["accuracy"]
train.fit(ocr_model, few, epochs=3, batch_size=32, lr=5e-4, seed=0, progress=False)
after = train.evaluate(ocr_model, mnist_test)["accuracy"]
print(f"held-out handwriting: fonts only {before:.3f} -> fonts + 500 handwritten {after:.3f}")

labels = ["fonts only", "fonts + 500\nhandwritten", "4,500\nhandwritten"]
scores = [before, after, train.evaluate(mnist_model, mnist_test)["accuracy"]]
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
bars = ax.bar(labels, scores, color=["C1", "C2", "C0"])
ax.bar_label(bars, fmt="%.3f")
ax.set(ylim=(0, 1.05), ylabel="accuracy", title="LeNet-5 on 500 held-out handwritten digits")
