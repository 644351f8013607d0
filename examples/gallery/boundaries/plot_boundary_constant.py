"""
Boundary: ``constant``
======================

``constant`` pads with ``fill_value`` (0 by default): ``00|abcd|00``. A blur darkens the
border, because it averages the image with black.
The figure: a 25×25 box blur of the photograph in ``same`` mode with this rule; the border
strip, 12 pixels wide, is where the kernel reaches beyond the image.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import image, kernels
from convolab.conv.boundary import pad

print(pad(np.array([1.0, 2.0, 3.0, 4.0]), ((3, 3),), "constant"))
photo = image.load(Path("..") / ".." / "data" / "camera.png")[::2, ::2]
blurred = image.filter(photo, kernels.box(25), boundary="constant")

fig, ax = plt.subplots(figsize=(4.5, 4.5), layout="constrained")
ax.imshow(blurred, cmap="gray", vmin=0, vmax=1)
ax.set_title('image.filter(photo, box(25), boundary="constant")', fontsize="medium")
ax.set_axis_off()
