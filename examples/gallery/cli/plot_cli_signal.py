"""
``convolab signal``
===================

Smooth, shift and detect in 1D signals stored as CSV, TXT or NPY: the articles' noisy
recording, the soft shift, and the one-layer detector on a scene with a spike.
"""

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from convolab import signal

folder = Path(tempfile.mkdtemp())
(folder / "noisy.csv").write_text("10,9,10,9,10,1,10,9,10,8\n")
(folder / "f.csv").write_text("0,0,0,3,4,5,4,3,0,0\n")
np.save(folder / "scene.npy", signal.make_shape_signal(seed=0).signal)


def convolab(*args: str) -> None:
    """Run ``convolab ARGS`` as a shell would, and print the command and what it printed."""
    print("$ convolab " + " ".join(shlex.quote(a) for a in args))
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *args], capture_output=True,
                          text=True, cwd=folder)
    print(done.stdout + done.stderr + (f"(exit code {done.returncode})" if done.returncode else ""))


convolab("signal", "smooth", "noisy.csv", "--kind", "box", "--width", "3")
convolab("signal", "shift", "f.csv", "--weights", "[0.8,0.1,0.1]")
convolab("signal", "detect", "scene.npy", "--shape", "wave", "--plot", "detect.png")

# %%
# ``detect.png``:
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
ax.imshow(plt.imread(folder / "detect.png"))
ax.set_axis_off()
