r"""
``convolab filter``
===================

Filter image files (or whole folders) with a named kernel or a kernel file. The articles'
edge detector on the photograph; ``--scale abs`` maps the signed response to :math:`|a|/\max|a|`.
Outputs are never written over an existing file without ``--force``, and never over an input.
"""

import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

folder = Path(tempfile.mkdtemp())
shutil.copy(Path("..") / ".." / "data" / "camera.png", folder / "camera.png")


def convolab(*args: str) -> None:
    """Run ``convolab ARGS`` as a shell would, and print the command and what it printed."""
    print("$ convolab " + " ".join(shlex.quote(a) for a in args))
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *args], capture_output=True,
                          text=True, cwd=folder)
    print(done.stdout + done.stderr + (f"(exit code {done.returncode})" if done.returncode else ""))


convolab("filter", "camera.png", "-o", "edges.png", "-k", "laplacian:neighbours=8",
         "--scale", "abs", "-q")
convolab("filter", "camera.png", "-o", "edges.png", "-k", "sobel", "-q")  # exists: refused

# %%
# ``edges.png``:
fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
ax.imshow(plt.imread(folder / "edges.png"), cmap="gray")
ax.set_axis_off()
