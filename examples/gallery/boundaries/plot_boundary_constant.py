"""
Boundary: ``constant``
======================

``constant`` pads with ``fill_value`` (0 by default): ``00|abcd|00``. A blur darkens the
border, because it averages the image with black.
Left: a corner of the photograph padded by 24 pixels with this rule (the frame marks the
image); right: a 25×25 box blur of the photograph in ``same`` mode with this rule.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import image, kernels
from convolab.conv.padding import pad

photo = image.load(Path("..") / ".." / "data" / "camera.png")[::2, ::2]
print(pad(np.array([1.0, 2.0, 3.0, 4.0]), ((3, 3),), "constant"))
corner = photo[:96, :96]
padded = pad(corner, ((24, 24), (24, 24)), "constant")
blurred = image.filter(photo, kernels.box(25), boundary="constant")

fig, axes = plt.subplots(1, 2, figsize=(8, 4), layout="constrained")
axes[0].imshow(padded, cmap="gray", vmin=0, vmax=1)
axes[0].add_patch(plt.Rectangle((23.5, 23.5), 96, 96, fill=False, color="C1", lw=2))
axes[0].set_title("padded by 24 pixels")
axes[1].imshow(blurred, cmap="gray", vmin=0, vmax=1)
axes[1].set_title("25×25 box blur")
for ax in axes:
    ax.set_axis_off()
