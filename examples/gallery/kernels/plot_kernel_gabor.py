"""
Kernel: ``gabor``
=================

A Gabor kernel: a wave under a Gaussian, answering stripes of one orientation (45°) and
wavelength (8 pixels).
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import image, kernels

photo = image.load(Path("..") / ".." / "data" / "camera.png")[40:296, 140:396]
kernel = kernels.gabor(sigma=3.0, theta=45, wavelength=8)
print(kernel.round(3) if kernel.size <= 49 else kernel.shape, "sum", kernel.sum().round(3))
result = image.filter(photo, kernel)

fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.imshow(abs(result), cmap="gray", vmax=np.percentile(abs(result), 99.5))  # |response|
ax.set_title("image.filter(photo, kernels.gabor(sigma=3.0, theta=45, wavelength=8))",
             fontsize="small")
ax.set_axis_off()
