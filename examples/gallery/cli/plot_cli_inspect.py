"""
``convolab inspect``
====================

A model's layers, output shapes, parameters, receptive fields and floating-point operations,
for a model name, a run folder or a model file. The classic LeNet-5 has 61,706 parameters.
"""

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from convolab import analysis, models

folder = Path(tempfile.mkdtemp())


def convolab(*args: str) -> None:
    """Run ``convolab ARGS`` as a shell would, and print the command and what it printed."""
    print("$ convolab " + " ".join(shlex.quote(a) for a in args))
    done = subprocess.run([sys.executable, "-m", "convolab.cli", *args], capture_output=True,
                          text=True, cwd=folder)
    print(done.stdout + done.stderr + (f"(exit code {done.returncode})" if done.returncode else ""))


convolab("inspect", "lenet5-classic")

# %%
# The parameters per layer of that table, as bars:
rows = [r for r in analysis.summary(models.lenet5("classic"), (1, 28, 28)).layers if r.params]
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
bars = ax.bar([f"{r.name} {r.layer}" for r in rows], [r.params for r in rows])
ax.bar_label(bars, fmt="{:,.0f}")
ax.set(ylabel="parameters", yscale="log", ylim=(50, 2e5))
