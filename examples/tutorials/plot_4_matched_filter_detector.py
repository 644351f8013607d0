"""
4. Matched filters and the one-layer CNN detector
=================================================

*"A CNN is nothing but an artificial neural network where a cross-correlation is performed at
some point."* This tutorial builds the primer's detector for a shape in a noisy time series,

.. math:: \\Pr(Y \\mid x) = \\sigma\\bigl(\\mathrm{ReLU}(\\max_t\\,(K \\star x)(t) + \\beta)\\bigr),

step by step: why thresholding the signal fails, what the cross-correlation with the shape
(a *matched filter*) does to an isolated spike, why :math:`\\beta` and the ReLU are there; and
then learns :math:`K` and :math:`\\beta` from labelled examples and compares the learned kernel
with the designed one.
"""

# %%
# The signal and the shape
# ------------------------
# One period of a wave, :math:`K`, hidden twice in noise (around :math:`t = 35` and
# :math:`t = 255`), and an annoying spike at :math:`t = 150` that is taller than both.
import matplotlib.pyplot as plt
import numpy as np

import convolab
from convolab import data, models, signal, train

scene = signal.make_shape_signal(seed=0)
x, K = scene.signal, scene.template
print("shapes at", scene.positions.tolist(), "| spike at", scene.spike_at,
      "| template taps:", K.size)

fig, (ax_k, ax_x) = plt.subplots(1, 2, figsize=(9, 2.8), width_ratios=(1, 4), layout="constrained")
ax_k.plot(K, "o-", color="C1")
ax_k.set_title("the shape K")
ax_x.plot(x, color="C0")
for p in scene.positions:
    ax_x.axvspan(p - K.size // 2, p + K.size // 2, color="C1", alpha=0.2)
ax_x.set(title="the signal x (shapes shaded)", xlabel="t")

# %%
# Thresholding fails
# ------------------
# The tallest sample is the spike, not a shape: any threshold that finds the shapes also fires
# on the spike.
print("argmax of x:", int(np.argmax(x)), "| x there:", round(float(x.max()), 2),
      "| x at the shapes' peaks:", np.round(x[scene.positions - 5], 2))

# %%
# The matched filter
# ------------------
# Correlating with the shape itself, :math:`\tilde x(t) = (K \star x)(t) = \sum_s K(s)\,x(t+s)`,
# adds up evidence over the whole window: the shapes give the tallest peaks ("twin towers"),
# the spike only a small echo of :math:`K` scaled by its height. :func:`convolab.signal.match`
# normalizes each window (the normalized cross-correlation, in :math:`[-1, 1]`), so the score
# no longer depends on the signal's amplitude.
raw = convolab.correlate(x, K, mode="same")
score = signal.match(x, K)
near_spike = raw[scene.spike_at - 10 : scene.spike_at + 11]
print("K ⋆ x at the shapes:", np.round(raw[scene.positions], 2),
      "| largest near the spike:", round(float(np.abs(near_spike).max()), 2),
      "| normalized score at shapes:", np.round(score[scene.positions], 2),
      "| at the spike:", round(float(score[scene.spike_at]), 2))

fig, axes = plt.subplots(2, 1, figsize=(9, 4.2), sharex=True, layout="constrained")
axes[0].plot(raw, color="C2")
axes[0].set_ylabel("K ⋆ x")
axes[1].plot(score, color="C3")
axes[1].axhline(0.8, color="k", ls=":", label="0.8 = −β")
axes[1].set(ylabel="normalized", xlabel="t")
axes[1].legend(loc="lower right")
for ax in axes:
    ax.axvline(scene.spike_at, color="grey", lw=0.8)

# %%
# From a score to a probability
# -----------------------------
# The logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})` squashes the score into
# :math:`(0, 1)`. Two embellishments of the primer: a bias :math:`\beta` so that only a score
# above :math:`-\beta` counts as evidence (noise alone correlates positively half the time),
# and a ReLU so that no evidence gives :math:`\sigma(0) = 0.5` instead of a confident zero.
# Computed by hand, then by :func:`convolab.signal.detect`:
beta = -0.8


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


by_hand = sigmoid(np.maximum(score.max() + beta, 0))
found = signal.detect(x, K, beta=beta)
print(f"by hand: {by_hand:.4f} | detect: {found.probability:.4f} | positions: {found.positions}")

noise_only = signal.make_shape_signal(positions=(), seed=1)
print("noise and a spike, no shape:", round(signal.detect(noise_only.signal, K).probability, 3))

z = np.linspace(-4, 4, 200)
fig, ax = plt.subplots(figsize=(6, 2.8), layout="constrained")
ax.plot(z, sigmoid(z), label="σ(z)")
ax.plot(z, sigmoid(np.maximum(z + beta, 0)), label="σ(ReLU(z + β)), β = −0.8")
ax.set(xlabel="z = max_t score", ylabel="probability")
ax.legend()

# %%
# Learning :math:`K` and :math:`\beta`
# ------------------------------------
# The primer's last step: instead of designing :math:`K`, choose it by minimizing the
# cross-entropy on labelled signals. :func:`convolab.models.detector1d` is exactly the formula
# (a ``Conv1d`` with one output channel whose bias is :math:`\beta`, a max-pool over the whole
# signal, the sigmoid in the loss); :func:`convolab.data.shapes1d` makes signals of 128 samples
# with or without the shape, each with a spike.
train_set, test_set = data.shapes1d(1000, seed=0), data.shapes1d(500, seed=1)
print(train_set.x.shape, train_set.classes, "| present:", int(train_set.y.sum()))
detector = models.detector1d(length=train_set.x.shape[-1], seed=0)
print(detector)
history = train.fit(detector, train_set, epochs=6, batch_size=32, lr=0.05, seed=0, progress=False)
learned = train.evaluate(detector, test_set)
print(f"learned detector: test accuracy {learned['accuracy']:.3f}")

# %%
# The designed detector on the same test signals (its template is the data set's shape, 24
# samples wide):
template = data.shape_template(24)
designed = np.array([signal.detect(s[0], template).detected for s in test_set.x])
print(f"designed detector: test accuracy {np.mean(designed == test_set.y):.3f}")

# %%
# Learned against designed
# ------------------------
# The learned kernel, rescaled to unit norm, beside the designed template: gradient descent
# found the shape (up to noise at the tails, where the data says little), and :math:`\beta`
# plays the designed bias's role on the raw, unnormalized scale.
kernel = detector[0].weight.data[0, 0].astype(float)
bias = float(detector[0].bias.data[0])
cosine = kernel @ template / (np.linalg.norm(kernel) * np.linalg.norm(template))
print(f"learned β = {bias:.2f} | cosine(learned K, template) = {cosine:.3f}")

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(template / np.linalg.norm(template), "o-", label="designed template")
ax.plot(kernel / np.linalg.norm(kernel), "s-", label="learned kernel")
ax.set(xlabel="tap", title=f"cosine similarity {cosine:.2f}")
ax.legend()

# %%
# A deep CNN repeats the step with pooling instead of the global maximum,
# :math:`f_n(x) = \mathrm{maxpool}_{w_n}(\mathrm{ReLU}(K_n \star f_{n-1}(x)) + \beta_n)`,
# and ends with dense layers and a softmax: tutorial 5.
