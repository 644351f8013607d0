"""
``convolab explain``
====================

Every weighted sum of a convolution written out, as the articles do, and optionally an
animated GIF of the kernel sliding along. Here the articles' shift table and its first frame.
"""

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

folder = Path(tempfile.mkdtemp())


def convolab(*args: str) -> None:
    """Run ``convolab ARGS`` as a shell would, and print the command and what it printed."""
    print("$ convolab " + " ".join(shlex.quote(a) for a in args))
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *args], capture_output=True,
                          text=True, cwd=folder)
    print(done.stdout + done.stderr + (f"(exit code {done.returncode})" if done.returncode else ""))


convolab("explain", "[0,0,0,3,4,5,4,3,0,0]", "[1,0,0]", "--correlate", "--mode", "same",
         "--gif", "slide.gif")
convolab("explain", "[10,9,10,9,10,1,10,9,10,8]", "[1,1,1]", "--mode", "valid", "--ascii")

# %%
# Frame 5 of ``slide.gif``: the kernel over the signal at :math:`t = 4`.
with Image.open(folder / "slide.gif") as gif:
    gif.seek(4)
    frame = gif.convert("RGB")
fig, ax = plt.subplots(figsize=(7, 7 * frame.height / frame.width), layout="constrained")
ax.imshow(frame)
ax.set_axis_off()
