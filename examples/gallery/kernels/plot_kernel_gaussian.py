r"""
Kernel: ``gaussian``
====================

The Gaussian kernel weighs neighbours by distance, :math:`\exp(-r^2 / 2\sigma^2)`, normalized
to sum 1: a smooth blur.
"""

from pathlib import Path

import matplotlib.pyplot as plt

from convolab import image, kernels

photo = image.load(Path("..") / ".." / "data" / "camera.png")[40:296, 140:396]
kernel = kernels.gaussian(sigma=2.0)
print(kernel.round(3) if kernel.size <= 49 else kernel.shape, "sum", kernel.sum().round(3))
result = image.filter(photo, kernel)

fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.imshow(result.clip(0, 1), cmap="gray")
ax.set_title("image.filter(photo, kernels.gaussian(sigma=2.0))", fontsize="small")
ax.set_axis_off()
