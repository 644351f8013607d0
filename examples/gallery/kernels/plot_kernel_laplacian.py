"""
Kernel: ``laplacian``
=====================

The articles' edge detector: the 8-neighbour Laplacian, 8 in the centre and -1 around. It
answers wherever the brightness bends.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import image, kernels

photo = image.load(Path("..") / ".." / "data" / "camera.png")[40:296, 140:396]
kernel = kernels.laplacian(8)
print(kernel.round(3) if kernel.size <= 49 else kernel.shape, "sum", kernel.sum().round(3))
result = image.filter(photo, kernel)

fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.imshow(abs(result), cmap="gray", vmax=np.percentile(abs(result), 99.5))  # |response|
ax.set_title("image.filter(photo, kernels.laplacian(8))", fontsize="small")
ax.set_axis_off()
