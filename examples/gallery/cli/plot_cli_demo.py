"""
``convolab demo``
=================

The tour in one command: smoothing and shifting signals, the detector, edges, OCR digits and a
trained LeNet-5, written as figures and a ``summary.md`` (``--quick``: a smaller training run).
"""

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

folder = Path(tempfile.mkdtemp())


def convolab(*args: str) -> None:
    """Run ``convolab ARGS`` as a shell would, and print the command and what it printed."""
    print("$ convolab " + " ".join(shlex.quote(a) for a in args))
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *args], capture_output=True,
                          text=True, cwd=folder)
    print(done.stdout + done.stderr + (f"(exit code {done.returncode})" if done.returncode else ""))


convolab("demo", "--quick", "--out", "tour", "-q")

# %%
# One of its figures, ``tour/06_edges.png``:
fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
ax.imshow(plt.imread(folder / "tour" / "06_edges.png"))
ax.set_axis_off()
