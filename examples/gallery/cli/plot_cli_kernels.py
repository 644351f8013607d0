"""
``convolab kernels``
====================

List the named kernels, or print one with its parameters (``NAME:param=value,...``): the same
specification that ``convolab filter --kernel`` takes.
"""

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

folder = Path(tempfile.mkdtemp())


def convolab(*args: str) -> None:
    """Run ``convolab ARGS`` as a shell would, and print the command and what it printed."""
    print("$ convolab " + " ".join(shlex.quote(a) for a in args))
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *args], capture_output=True,
                          text=True, cwd=folder)
    print(done.stdout + done.stderr + (f"(exit code {done.returncode})" if done.returncode else ""))


convolab("kernels")
convolab("kernels", "gaussian:sigma=0.8")
convolab("kernels", "laplacian:neighbours=8")

# %%
# The second kernel, drawn:
from convolab import kernels  # noqa: E402

k = kernels.from_spec("gaussian:sigma=0.8")
fig, ax = plt.subplots(figsize=(3.5, 3), layout="constrained")
ax.imshow(k, cmap="viridis")
for (i, j), value in np.ndenumerate(k):
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color="w", fontsize=7)
ax.set_title("gaussian:sigma=0.8")
ax.set_axis_off()
