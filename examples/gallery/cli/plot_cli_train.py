"""
``convolab train``, ``eval``, ``predict``, ``show``, ``export``
===============================================================

A whole run from the shell: train LeNet-5 on the MNIST sample for four epochs, evaluate it,
classify a digit image, draw its feature maps, and export it to ONNX (which needs the extra
``convolab[onnx]``; without it the command says so in one line).
"""

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from convolab import data, image

folder = Path(tempfile.mkdtemp())
sample = Path(os.environ.get("CONVOLAB_MNIST_5K", "../../../../shared/data/mnist-5k")).resolve()
if sample.is_dir():  # the sample folder, linked into the working folder under a short name
    (folder / "mnist-5k").symlink_to(sample, target_is_directory=True)
source = ["--data", "mnist-5k"] if sample.is_dir() else ["--data", "mnist", "--download"]
digit = data.load_splits(sample if sample.is_dir() else "mnist")[1].x[3, 0]
image.save(folder / "digit.png", 1 - digit)  # dark ink on white, as on paper


def convolab(*args: str) -> None:
    """Run ``convolab ARGS`` as a shell would, and print the command and what it printed."""
    print("$ convolab " + " ".join(shlex.quote(a) for a in args))
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *args], capture_output=True,
                          text=True, cwd=folder)
    print(done.stdout + done.stderr + (f"(exit code {done.returncode})" if done.returncode else ""))


convolab("train", "lenet5", *source, "--epochs", "4", "--out", "run", "-q")

# %%
convolab("eval", "run")

# %%
convolab("predict", "run", "digit.png")

# %%
convolab("export", "run", "lenet5.onnx")

# %%
convolab("show", "run", "--image", "digit.png", "-o", "figures", "--max-maps", "6")

# %%
# ``figures/feature_maps.png``:
fig, ax = plt.subplots(figsize=(9, 6), layout="constrained")
ax.imshow(plt.imread(folder / "figures" / "feature_maps.png"))
ax.set_axis_off()
