"""
1. The convolution is a weighted sum
====================================

*"The convolution is just a fancy operation of the weighted sum."* This tutorial follows the
articles from one weighted sum to the convolution of a whole signal: the same weight for every
sample, a short weight vector slid along the signal, the worked tables of the articles (a shift
by ``[1, 0, 0]``, the soft shift ``[0.8, 0.1, 0.1]``, smoothing a noisy signal), and the
difference between *convolution* and the *cross-correlation* that CNN layers compute.
"""

# %%
# One weighted sum
# ----------------
# Two numbers, two weights: :math:`y = w_1 x_1 + w_2 x_2`. The weights say how much each input
# counts (a midterm and a final exam), the sum condenses them into one value.
import matplotlib.pyplot as plt
import numpy as np

import convolab
from convolab import signal, viz
from convolab.explain import explain

midterm, final = 12.0, 16.0
weights = np.array([0.4, 0.6])
print("course score:", weights @ [midterm, final])

# %%
# The same weight for every sample
# --------------------------------
# With many inputs, a single weight only scales: :math:`\vec y = w \vec x`. A one-tap kernel
# does exactly that, so *multiply by 2* and *convolve with [2]* are the same line.
x = np.sin(np.linspace(-2 * np.pi, 2 * np.pi, 200))
scaled = convolab.convolve(x, [2.0])
print("convolve(x, [2]) == 2 * x:", np.allclose(scaled, 2 * x))

fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
ax.plot(x, label="x")
ax.plot(2 * x, label="2 · x", lw=4, alpha=0.5)
ax.plot(scaled, "k--", label="convolve(x, [2])")
ax.set(xlabel="sample", ylabel="value", ylim=(-2.5, 2.5))
ax.legend(loc="upper right")

# %%
# A short weight vector, slid along the signal
# --------------------------------------------
# The trick of the convolution: keep a *short* weight vector :math:`\vec w`, lay it over the
# signal at every position :math:`n`, and sum right after multiplying,
#
# .. math:: y(n) = \sum_{i} w_i \, x_{n+i}.
#
# Each output is the dot product of :math:`\vec w` with the patch of :math:`\vec x` under it:
# a similarity score, largest where the signal looks like the weights. Here the weights are a
# rising-then-falling ramp of 11 taps over a sine; ``mode="valid"`` keeps only the positions
# where the whole kernel lies on the signal.
x = np.sin(np.linspace(0, 6 * np.pi, 300))
w = np.concatenate([np.arange(6), np.arange(4, -1, -1)]) / 25.0
y = convolab.correlate(x, w, mode="valid")
loop = np.array([sum(w[i] * x[n + i] for i in range(len(w))) for n in range(len(x) - len(w) + 1)])
print("engine == the definition's loop:", np.allclose(y, loop), "| outputs:", y.size)

# %%
# :func:`convolab.viz.plot_convolution` draws the input, the kernel where it sits for one
# output, and the output (the shaded window shows which samples feed output ``at``).
viz.plot_convolution(x[:60], w, mode="same", at=30, figsize=(7, 4))

# %%
# The articles' shift table
# -------------------------
# *Shifting a signal* (the Neural Turing Machines' trick): a "same" correlation of
# :math:`f = [0,0,0,3,4,5,4,3,0,0]` with :math:`g = [1, 0, 0]`, where :math:`t = 0` is when
# the first element of :math:`f` sits under the centre of :math:`g`.
# :func:`convolab.explain.explain` writes out every weighted sum, as the article does:
f = [0, 0, 0, 3, 4, 5, 4, 3, 0, 0]
print(explain(f, [1, 0, 0], op="correlate", mode="same"))

# %%
# And with :math:`g = [0, 0, 1]` the signal moves the other way:
print(explain(f, [0, 0, 1], op="correlate", mode="same"))

# %%
# The soft shift
# --------------
# A Neural Turing Machine does not shift "binarily": with :math:`g = [0.8, 0.1, 0.1]` most of
# the signal moves right, the rest stays spread ("blurred") over its neighbours.
# :func:`convolab.signal.soft_shift` is that correlation; each output is still one weighted
# sum, for example at :math:`t = 4`: :math:`0.8 \cdot 3 + 0.1 \cdot 4 + 0.1 \cdot 5 = 3.3`.
soft = signal.soft_shift(f, [0.8, 0.1, 0.1])
print("soft shift:", soft)
print("t = 4:", round(0.8 * f[3] + 0.1 * f[4] + 0.1 * f[5], 2))

t = np.arange(len(f))
fig, ax = plt.subplots(figsize=(7, 2.8), layout="constrained")
ax.bar(t - 0.27, f, width=0.27, label="f")
ax.bar(t, convolab.correlate(f, [1, 0, 0], mode="same"), width=0.27, label="[1, 0, 0]: shift")
ax.bar(t + 0.27, soft, width=0.27, label="[0.8, 0.1, 0.1]: soft shift")
ax.set(xlabel="t", ylabel="value", xticks=t)
ax.legend()

# %%
# Smoothing the noisy signal
# --------------------------
# The first article's recording, :math:`f = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]`, has a dip
# at index 5 that we take for noise. A box kernel of three weights :math:`\tfrac13` replaces
# each sample by the mean of itself and its neighbours:
noisy = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]
print(explain(noisy, np.ones(3) / 3, op="correlate", mode="same"))

# %%
# The dip is damped from 1 to 7, but the two ends sag to 6.3 and 6: beyond the signal the
# engine assumes zeros (``boundary="constant"``). :func:`convolab.signal.smooth` mirrors the
# signal at its ends instead (``boundary="reflect"``), so the ends keep their level; tutorial 2
# is about these borders.
print("zeros beyond the ends:", convolab.correlate(noisy, np.ones(3) / 3, mode="same").round(2))
print("signal.smooth        :", signal.smooth(noisy, "box", 3).round(2))
viz.plot_convolution(noisy, np.ones(3) / 3, signal.smooth(noisy, "box", 3), at=5, figsize=(7, 4))

# %%
# Convolution or cross-correlation?
# ---------------------------------
# The mathematical convolution flips the kernel,
#
# .. math:: (f * g)(n) = \sum_i f(i)\, g(n - i),
#
# while the cross-correlation slides it as it is, :math:`(f \star g)(n) = \sum_i f(n+i)\, g(i)`.
# CNN libraries compute the correlation and call it convolution; the difference is only which
# way the kernel points. :func:`convolab.convolve` and :func:`convolab.correlate` give both, and
# NumPy's ``np.convolve`` (a true convolution) agrees with the first:
g = np.array([1.0, 2.0, 3.0])
full = convolab.convolve(f, g)  # mode="full": every overlap, n + k - 1 outputs
by_hand = [sum(f[i] * g[n - i] for i in range(len(f)) if 0 <= n - i < len(g)) for n in range(12)]
print("convolve == definition:", np.allclose(full, by_hand))
print("convolve == np.convolve:", np.allclose(full, np.convolve(f, g)))
print("convolve(f, g) == correlate(f, g[::-1]):", np.allclose(full, convolab.correlate(f, g[::-1])))

# %%
# For a symmetric kernel (the box above) the two agree; for ``[1, 0, 0]`` they shift in
# opposite directions:
print("correlate with [1, 0, 0]:", convolab.correlate(f, [1, 0, 0], mode="same"))
print("convolve  with [1, 0, 0]:", convolab.convolve(f, [1, 0, 0], mode="same"))
