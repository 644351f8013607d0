"""
2. Borders, modes, stride and dilation
======================================

*The border problem*: near the ends of a signal the kernel sticks out, and something has to
be decided. This tutorial goes through the three modes of the articles (``valid``, ``full``,
``same``), the five rules for what lies beyond the border, stride and dilation, the one formula
that gives every output size, and the algebra of the convolution (commutative, associative,
distributive, derivative), each checked numerically.
"""

# %%
# Three modes
# -----------
# With :math:`n` samples and a kernel of :math:`k` taps, the kernel fits entirely in
# :math:`n - k + 1` places (``valid``; one article writes :math:`n - (k+1)`, but three taps on
# ten samples fit in eight places). ``full`` pads :math:`k - 1` zeros on each side and keeps
# every overlap, :math:`n + k - 1` outputs; ``same`` pads just enough to return :math:`n`.
import matplotlib.pyplot as plt
import numpy as np

import convolab
from convolab.conv.boundary import pad

x = np.array([10, 9, 10, 9, 10, 1, 10, 9, 10, 8], dtype=float)
k = np.ones(3) / 3
for mode in ("valid", "same", "full"):
    y = convolab.correlate(x, k, mode=mode)
    print(f"{mode:>5}: {y.size:2d} outputs  {np.round(y, 2)}")

# %%
# The article's 2D example: a 4×4 image :math:`f`, padded with zeros for a ``full``
# convolution with a 3×3 kernel, becomes the 8×8 :math:`f_{transformed}` (two rows and
# columns of zeros on each side, because :math:`k - 1 = 2`).
f = np.array([[0, 3, 6, 3], [3, 6, 3, 6], [6, 3, 6, 3], [3, 6, 3, 0]], dtype=float)
print(pad(f, ((2, 2), (2, 2)), "constant").astype(int))
print("full output shape:", convolab.convolve(f, np.ones((3, 3))).shape)

# %%
# Five boundary rules
# -------------------
# Zeros are one choice. For ``same`` and ``full`` the engine can also repeat the edge sample,
# mirror the signal (with or without repeating the edge) or wrap around; the names are
# ``numpy.pad``'s. Here the signal ``abcd = [1, 2, 3, 4]`` padded by three on each side:
abcd = np.array([1.0, 2.0, 3.0, 4.0])
for boundary in convolab.conv.BOUNDARIES:
    print(f"{boundary:>9}: {pad(abcd, ((3, 3),), boundary).astype(int)}")

# %%
# The rule matters wherever the kernel reaches past the border: a 7-tap box blur of a ramp.
ramp = np.linspace(0, 1, 40)
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
ax.plot(ramp, "k", lw=3, alpha=0.3, label="signal")
for boundary in convolab.conv.BOUNDARIES:
    blurred = convolab.correlate(ramp, np.ones(7) / 7, mode="same", boundary=boundary)
    ax.plot(blurred, label=boundary)
ax.set(xlabel="sample", ylabel="value", title="7-tap box blur, five boundary rules")
ax.legend(ncols=3, fontsize="small")

# %%
# Stride and dilation
# -------------------
# *Stride* :math:`s` keeps every :math:`s`-th output; *dilation* :math:`d` spreads the taps
# :math:`d` samples apart, so a kernel of :math:`k` taps covers
# :math:`K = d\,(k - 1) + 1` samples. Both are what CNN layers use to shrink a feature map or
# widen what one output sees without more weights.
x = np.arange(12, dtype=float)
print("stride 2:", convolab.correlate(x, [1, 0, -1], mode="valid", stride=2))
print("dilation 2:", convolab.correlate(x, [1, 0, -1], mode="valid", dilation=2))
print("dilation 2 == the kernel with zeros between its taps:",
      np.allclose(convolab.correlate(x, [1, 0, -1], mode="valid", dilation=2),
                  convolab.correlate(x, [1, 0, 0, 0, -1], mode="valid")))

# %%
# One formula for every output size
# ---------------------------------
# With total padding :math:`p` (``full``: :math:`2(K-1)`; ``same``: :math:`K-1`;
# ``valid``: 0), the number of outputs is
#
# .. math:: n_\text{out} = \left\lfloor \frac{n + p - K}{s} \right\rfloor + 1 .
#
# :func:`convolab.output_shape` gives it without computing; here it is checked against the
# length of actual results over a grid of sizes, kernels, strides and dilations.
checked = 0
for n in range(1, 30):
    for taps in range(1, 6):
        for s in (1, 2, 3):
            for d in (1, 2):
                K = d * (taps - 1) + 1
                for mode, p in (("full", 2 * (K - 1)), ("same", K - 1), ("valid", 0)):
                    if mode == "valid" and K > n:
                        continue
                    expected = (n + p - K) // s + 1
                    y = convolab.correlate(np.ones(n), np.ones(taps), mode=mode, stride=s,
                                           dilation=d)
                    assert y.size == expected == convolab.output_shape(
                        (n,), (taps,), mode, stride=s, dilation=d)[0]
                    checked += 1
print(f"the formula held in {checked} cases")

# %%
# For a CNN layer the same formula appears with an explicit padding on each side: a 28×28
# digit through a 5×5 convolution with padding 2 keeps 28×28; with stride 2 it gives 14×14.
images = np.zeros((1, 1, 28, 28), np.float32)
weights = np.zeros((6, 1, 5, 5), np.float32)
print(convolab.conv_nd(images, weights, padding=2).shape,
      convolab.conv_nd(images, weights, padding=2, stride=2).shape)

# %%
# The algebra, checked numerically
# --------------------------------
# The true convolution (``full`` mode, zeros beyond the ends) is commutative, associative and
# distributive, and the derivative of a convolution is the convolution with a derivative.
# Random signals in float64, compared with a tolerance of the order of rounding:
rng = np.random.default_rng(0)
f, g, h = rng.standard_normal(50), rng.standard_normal(7), rng.standard_normal(7)
conv = convolab.convolve
print("f * g == g * f:              ", np.allclose(conv(f, g), conv(g, f)))
print("(f * g) * h == f * (g * h):  ", np.allclose(conv(conv(f, g), h), conv(f, conv(g, h))))
print("f * (g + h) == f * g + f * h:", np.allclose(conv(f, g + h), conv(f, g) + conv(f, h)))
diff = np.array([1.0, -1.0])  # the discrete derivative is itself a convolution
print("D(f * g) == (Df) * g == f * (Dg):",
      np.allclose(conv(conv(f, g), diff), conv(conv(f, diff), g)),
      np.allclose(conv(conv(f, g), diff), conv(f, conv(g, diff))))

# %%
# The cross-correlation is *not* commutative: swapping the operands mirrors the result.
corr = convolab.correlate
print("f ⋆ g == reversed(g ⋆ f):", np.allclose(corr(f, g), corr(g, f)[::-1]))

# %%
# The same in 2D: a 3×3 blur followed by a Sobel derivative equals one 5×5 kernel, the
# convolution of the two (associativity is why a CNN's stacked small kernels act like one
# larger kernel).
image = rng.random((32, 32))
blur = np.outer([1, 2, 1], [1, 2, 1]) / 16
sobel = convolab.kernels.sobel(1)
two_steps = conv(conv(image, blur), sobel)
one_step = conv(image, conv(blur, sobel))
print("5x5 combined kernel:", conv(blur, sobel).shape, "| same result:",
      np.allclose(two_steps, one_step))
