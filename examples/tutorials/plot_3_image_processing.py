"""
3. Classic image processing with hand-made kernels
==================================================

Before CNNs learned their kernels, image processing chose them by hand: researchers found
kernels that blur, find edges or sharpen, and gave them names, as school gives names to
:math:`\\log` and :math:`\\sin`. This tutorial applies them to a real photograph with the one
convolution engine: first with the article's plain double loop, then with
:func:`convolab.image.filter`, and then kernel by kernel.

The photograph is scikit-image's "camera" sample (512×512, gray), by Lav Varshney, released
under CC0 (no copyright restrictions); it is in ``examples/data/camera.png`` of the repository.
"""

# %%
# The photograph
# --------------
# :func:`convolab.image.load` reads any format Pillow reads into a float32 array in
# :math:`[0, 1]`: ``(rows, columns)`` for gray.
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import image, kernels

photo = image.load(Path("..") / "data" / "camera.png")
print(photo.shape, photo.dtype, float(photo.min()), float(photo.max()))


def show(panels, ncols=3, cmap="gray"):
    """Images side by side, each with its title; signed responses on a symmetric scale."""
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.3 * nrows), layout="constrained")
    for ax, (title, img) in zip(np.ravel(axes), panels):
        if img.min() < 0:
            limit = float(np.abs(img).max())
            ax.imshow(img, cmap="RdBu_r", vmin=-limit, vmax=limit)
        else:
            ax.imshow(img, cmap=cmap, vmin=0, vmax=max(1.0, float(img.max())))
        ax.set_title(title, fontsize="medium")
    for ax in np.ravel(axes):
        ax.set_axis_off()
    return fig


show([("camera.png", photo)], ncols=1)

# %%
# The article's edge detector, by hand
# ------------------------------------
# The article flips the kernel, then for every position multiplies the patch under it
# element-wise and sums (its ``run_kernel``). With the 8-neighbour Laplacian
#
# .. math:: \begin{bmatrix} -1 & -1 & -1 \\ -1 & 8 & -1 \\ -1 & -1 & -1 \end{bmatrix}
#
# that finds edges. On a 64×64 crop, the loop and the engine agree (``mode="valid"``: the
# article's loop only visits positions where the whole kernel lies on the image).
laplacian = kernels.laplacian(8)
print(laplacian)

crop = photo[100:164, 200:264].astype(np.float64)


def convolve_by_hand(img, kernel):
    kernel = np.flipud(np.fliplr(kernel))
    kh, kw = kernel.shape
    out = np.zeros((img.shape[0] - kh + 1, img.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(img[i : i + kh, j : j + kw] * kernel)
    return out


by_hand = convolve_by_hand(crop, laplacian)
engine = image.filter(crop, laplacian, mode="valid", op="convolve")
print("loop == engine:", np.allclose(by_hand, engine), "| output", engine.shape)

# %%
# On the whole photograph, ``mode="same"`` keeps the size and the ``reflect`` border rule
# (the default of the image functions) avoids a bright frame of false edges.
edges = image.filter(photo, laplacian)
show([("photograph", photo), ("Laplacian, 8 neighbours", edges), ("|response|", np.abs(edges))])

# %%
# Blurring: kernels that sum to 1
# -------------------------------
# A blur replaces each pixel by a weighted mean of its neighbourhood. Its weights sum to 1, so
# a flat region keeps its brightness and the image does not saturate (the constraint the
# article mentions). The box weights every neighbour alike; the Gaussian weights them by
# distance and so blurs without the box's blocky artefacts.
for name, kernel in [("box 3", kernels.box(3)), ("Gaussian σ=1", kernels.gaussian(1.0))]:
    print(f"{name}: {kernel.shape}, sum {kernel.sum():.3f}")
print(np.round(kernels.gaussian(1.0, size=3) * 16, 2))

show([
    ("box 9×9", image.filter(photo, kernels.box(9))),
    ("Gaussian σ = 3", image.blur(photo, sigma=3)),
    ("motion blur, 15 px at 30°", image.filter(photo, kernels.motion_blur(15, 30))),
])

# %%
# Gradients: kernels that sum to 0
# --------------------------------
# Sobel kernels take a derivative across one axis and smooth along the other. Their weights sum
# to 0: flat regions give 0, and the sign says which way the brightness increases (red: up,
# blue: down). :func:`convolab.image.edges` combines both into the gradient magnitude.
print(kernels.sobel(1))
gx = image.filter(photo, kernels.sobel(1))
gy = image.filter(photo, kernels.sobel(0))
show([("Sobel x", gx), ("Sobel y", gy), ("magnitude: image.edges", image.edges(photo))])

# %%
# Sharpening
# ----------
# ``sharpen`` is the identity plus a Laplacian: it adds the edges back onto the image, which
# steepens them. Unsharp masking does the same with a Gaussian's detail
# (:math:`x + a\,(x - G_\sigma * x)`), as one kernel or one function.
print(kernels.sharpen())
print("identity + 4-neighbour Laplacian == sharpen:",
      np.allclose(kernels.identity(3) + kernels.laplacian(4), kernels.sharpen()))
detail = photo[150:280, 180:310]
show([
    ("crop", detail),
    ("sharpen", np.clip(image.sharpen(detail), 0, 1)),
    ("unsharp mask σ=2, a=1.5", np.clip(image.unsharp_mask(detail, 2.0, 1.5), 0, 1)),
])

# %%
# Orientation: Gabor kernels
# --------------------------
# A Gabor kernel is a wave under a Gaussian: it responds to stripes of one orientation and
# wavelength. Kernels like these are what the first layer of a trained CNN tends to look
# like (tutorial 5).
bank = [kernels.gabor(sigma=3, theta=theta, wavelength=8) for theta in (0, 45, 90)]
show([(f"Gabor {theta}°", np.abs(image.filter(photo, k))) for theta, k in zip((0, 45, 90), bank)])

# %%
# Writing the results
# -------------------
# Signed responses need a scale before they become pixels: :func:`convolab.image.save`'s
# ``scale="abs"`` shows :math:`|a| / \max |a|`, the way to look at edges. From the shell,
# ``convolab filter camera.png -o edges.png --kernel laplacian:neighbours=8 --scale abs`` does
# the same (see the :doc:`gallery <../gallery/index>`).
import tempfile  # noqa: E402

with tempfile.TemporaryDirectory() as folder:
    saved = image.save(Path(folder) / "edges.png", edges, scale="abs")
    print(saved.name, image.load(saved).shape)
