"""
Kernel: ``emboss``
==================

Emboss: a diagonal derivative plus the image, which looks like a relief lit from the top left.
"""

from pathlib import Path

import matplotlib.pyplot as plt

from convolab import image, kernels

photo = image.load(Path("..") / ".." / "data" / "camera.png")[40:296, 140:396]
kernel = kernels.emboss()
print(kernel.round(3) if kernel.size <= 49 else kernel.shape, "sum", kernel.sum().round(3))
result = image.filter(photo, kernel)

fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.imshow(result.clip(0, 1), cmap="gray")
ax.set_title("image.filter(photo, kernels.emboss())", fontsize="small")
ax.set_axis_off()
