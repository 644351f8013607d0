"""
Kernel: ``shift``
=================

A shift kernel: a single 1 off the centre moves the image (here 12 pixels to the right) — the
2D form of the articles' ``[1, 0, 0]``.
"""

from pathlib import Path

import matplotlib.pyplot as plt

from convolab import image, kernels

photo = image.load(Path("..") / ".." / "data" / "camera.png")[40:296, 140:396]
kernel = kernels.shift(dy=0, dx=12)
print(kernel.round(3) if kernel.size <= 49 else kernel.shape, "sum", kernel.sum().round(3))
result = image.filter(photo, kernel)

fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.imshow(result.clip(0, 1), cmap="gray")
ax.set_title("image.filter(photo, kernels.shift(dy=0, dx=12))", fontsize="small")
ax.set_axis_off()
