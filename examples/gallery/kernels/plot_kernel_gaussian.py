r"""
Kernel: ``gaussian``
====================

The Gaussian kernel weighs neighbours by distance, :math:`\exp(-r^2 / 2\sigma^2)`, normalized
to sum 1: a smooth blur.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import image, kernels

photo = image.load(Path("..") / ".." / "data" / "camera.png")[40:296, 140:396]
kernel = kernels.gaussian(sigma=2.0)
print(kernel.shape, "sum", round(float(kernel.sum()), 3))
print(np.round(kernel, 3) if kernel.size <= 49 else "(too large to print)")
result = image.filter(photo, kernel)

fig, axes = plt.subplots(1, 3, figsize=(9, 3.2), layout="constrained")
axes[0].imshow(photo, cmap="gray", vmin=0, vmax=1)
axes[0].set_title("photograph")
limit = float(np.abs(kernel).max())
axes[1].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
if kernel.size <= 25:  # small kernels: the weights written in
    for (i, j), weight in np.ndenumerate(kernel):
        axes[1].text(j, i, f"{weight:.3g}", ha="center", va="center", fontsize=11)
axes[1].set_title(f"kernel {kernel.shape[0]}×{kernel.shape[1]}")
axes[2].imshow(np.clip(result, 0, 1), cmap="gray", vmin=0, vmax=1)
axes[2].set_title("image.filter(photo, kernel)")
for ax in axes:
    ax.set_axis_off()
