"""
5. From the MLP to the CNN: LeNet-5 on MNIST
============================================

Why a special network for images? A fully connected layer on a 3×256×256 image needs 196,608
weights *per neuron*. Two assumptions about images, translation invariance and locality, turn
that layer into a convolution with one small shared kernel. This tutorial counts the
parameters, derives the convolution from the MLP, checks that a conv layer *is* the engine's
correlation, measures receptive fields, trains LeNet-5 on 5,000 real MNIST digits, and looks
inside it: its feature maps, its filters beside the classic kernels, and the mutual
information each layer keeps.
"""

# %%
# Counting parameters
# -------------------
# Flatten an :math:`n \times n` image into :math:`n^2` inputs and connect them to :math:`n^2`
# hidden units: :math:`n^4` weights. A convolution shares one :math:`k \times k` kernel per
# input channel across all positions.
import os
import tempfile
from pathlib import Path

import numpy as np

from convolab import analysis, data, image, kernels, models, nn, train, viz

print(analysis.compare_mlp_cnn((3, 256, 256)))

# %%
# On a log scale, against the image size:
viz.plot_mlp_cnn((8, 16, 28, 64, 128, 256), figsize=(6.5, 3.5))

# %%
# From the MLP to the convolution
# -------------------------------
# An MLP layer computes :math:`H_{i,j} = U_{i,j} + \sum_{a,b} V_{i,j,a,b}\, X_{i+a,j+b}`.
# *Translation invariance*: a shifted input should give a shifted :math:`H`, so :math:`U` and
# :math:`V` cannot depend on :math:`(i, j)`. *Locality*: only a neighbourhood
# :math:`|a|, |b| \le k` matters. What is left is
#
# .. math:: H_{i,j} = U + \sum_{a=-k}^{k} \sum_{b=-k}^{k} V_{a,b}\, X_{i+a,j+b},
#
# a cross-correlation of :math:`X` with the kernel :math:`V` plus a bias: every neuron
# :math:`a, b, c, \dots` of the layer applies the *same* weights :math:`W = V` to its own
# patch. So a conv layer loaded with the Sobel kernel computes the Sobel filter:
rng = np.random.default_rng(1)
img = rng.random((16, 16)).astype(np.float32)
layer = nn.Conv2d.from_kernel(kernels.sobel(1))
out = layer(nn.Tensor(img[None, None])).data[0, 0]
print("Conv2d(Sobel) == image.filter(Sobel):",
      np.allclose(out, image.filter(img, kernels.sobel(1), mode="valid"), atol=1e-6))

# %%
# LeNet-5
# -------
# LeCun et al. (1998): C1 convolution (6 maps, 5×5), S2 2×2 subsampling, C3 convolution (16
# maps, 5×5), S4 subsampling, C5 convolution (120 maps, 5×5), F6 (84 units), 10 outputs.
# The classic form has 61,706 parameters; the table gives each layer's output, parameters,
# receptive field and floating-point operations.
classic = models.lenet5("classic")
print(analysis.summary(classic, (1, 28, 28)))

# %%
# Receptive fields
# ----------------
# Each output of C1 sees 5×5 input pixels; after S2 and C3 one output sees 14×14, after C5 the
# whole 32×32 (beyond the 28×28 digit, because of C1's padding). Stacking small kernels widens
# what one neuron sees without wide kernels.
for rf in analysis.receptive_field(classic, (1, 28, 28)):
    if rf.layer in ("Conv2d", "AvgPool2d"):
        print(f"{rf.name:>2} {rf.layer:<10} {rf.size} pixels, jump {rf.jump}")
viz.plot_receptive_field(classic, (1, 28, 28), figsize=(8, 3))

# %%
# Training on 5,000 MNIST digits
# ------------------------------
# The repository's sample of real MNIST digits (``../shared/data/mnist-5k``, IDX files beside
# the repository; elsewhere the full MNIST is downloaded). 4,500 digits train the modern
# LeNet-5 (ReLU, max-pooling), 500 are held out. Six epochs take seconds on a laptop CPU.
# The trained model is saved in a cache folder so that the next tutorial and the gallery
# reuse it rather than train again.
sample = Path(os.environ.get("CONVOLAB_MNIST_5K", "../../../shared/data/mnist-5k"))
if sample.is_dir():
    train_set, test_set = data.load_splits(sample)
else:
    train_set, test_set = data.load_splits("mnist", download=True, n=5000)
print("train", train_set.x.shape, "| test", test_set.x.shape)

model = models.lenet5("modern", seed=0)
history = train.fit(model, train_set, test_set, epochs=6, batch_size=64, lr=2e-3, seed=0,
                    progress=False)
result = train.evaluate(model, test_set)
print(f"held-out accuracy: {result['accuracy']:.3f} | parameters: {analysis.param_count(model):,}")

cache = Path(os.environ.get("CONVOLAB_DOCS_CACHE", tempfile.gettempdir()))
cache.mkdir(parents=True, exist_ok=True)
nn.save(model, cache / "lenet5-mnist5k.npz")

# %%
# Loss and accuracy per epoch:
viz.plot_history(history, figsize=(8, 3))

# %%
# Which digits it confuses, on the 500 held-out digits:
viz.plot_confusion(result["confusion"], labels=test_set.classes, figsize=(5, 4.5))

# %%
# Feature maps
# ------------
# What each convolution and pooling layer makes of one digit: C1's maps are filtered copies
# of the digit (edges of several orientations), deeper maps are coarser and more abstract.
digit = test_set.x[0]
print("label:", test_set.classes[test_set.y[0]])
viz.plot_feature_maps(model, digit, max_maps=6, figsize=(9, 5))

# %%
# Learned filters and the classic kernels
# ---------------------------------------
# The article's point: image processing designed kernels by hand, a CNN learns them from data.
# Each of C1's six learned 5×5 kernels beside the most similar classic kernel (by cosine
# similarity) shows how close learning came to the designed derivatives and blurs.
viz.plot_filters_vs_classic(model[0], figsize=(9, 4))

# %%
# Mutual information
# ------------------
# :math:`I(X;T) = \sum p(x,t) \log \frac{p(x,t)}{p(x)p(t)}` measures how much a layer's output
# :math:`T` tells about the input :math:`X`, and :math:`I(T;Y)` about the label. Estimated by
# binning each unit into 3 levels, on 500 digits: a network is deterministic, so every distinct
# input is its own symbol and :math:`I(X;T) \le \log_2 500 \approx 8.97` bits, a bound the
# early layers reach (their binned outputs still tell all 500 digits apart). Only near the
# output do digits merge: the last layer sheds much of the input's information while keeping
# most of the label's :math:`H(Y) \approx 3.3` bits.
info = analysis.information_per_layer(model, test_set.x[:500], test_set.y[:500], bins=3)
for row in info:
    print(f"{row.name:>2} {row.layer:<10} I(X;T) = {row.i_xt:5.2f} bits   "
          f"I(T;Y) = {row.i_ty:4.2f} bits")
viz.plot_information(info, figsize=(8, 3.2))
