"""One LeNet-5 training step: convolab against PyTorch CPU, in the same process.

A step is what ``convolab train`` does per batch: forward, cross-entropy, backward and an
Adam update, on a batch of 128 random 28x28 digits-like inputs. The model is
``convolab.models.lenet5(variant)``; PyTorch runs the same architecture (copied weights) with
the same batch. Printed: best and median milliseconds per step over ``--steps`` steps after
``--warmup`` steps, and the ratio convolab / PyTorch.

Floor: the forward pass of LeNet-5 (modern) is about 0.42 MFLOP per sample, so a step
(forward + two gradient passes) is about 3 x 0.42 x 128 = 0.16 GFLOP of convolution and
dense work plus the elementwise passes: about 1 ms at 180 GFLOP/s, and 2-3 ms with the
L2-resident passes of the activations, pooling and the optimizer.

Run: ``python benchmarks/step.py [--steps 60] [--variant modern] [--batch-norm]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from convolab import models, nn
from convolab.nn import functional as F

__all__ = ["main", "time_convolab", "time_torch"]


def _batch(batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    return x, y


def _timed(step, steps: int, warmup: int) -> list[float]:
    """Milliseconds of each of ``steps`` calls of ``step()``, after ``warmup`` untimed ones."""
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        step()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1e3)
    return times


def time_convolab(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int,
                  warmup: int) -> list[float]:  # fmt: skip
    """Milliseconds of each of ``steps`` training steps of ``model`` (after ``warmup``)."""
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(nn.Tensor(x)), y)
        loss.backward()
        opt.step()

    return _timed(step, steps, warmup)


def time_torch(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int,
               warmup: int) -> list[float] | None:  # fmt: skip
    """The same steps in PyTorch (weights copied from ``model``); None without PyTorch."""
    try:
        import torch

        from convolab.nn import to_torch
    except ImportError:
        return None
    net = to_torch(model)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> None:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()

    return _timed(step, steps, warmup)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first")
    parser.add_argument("--batch", type=int, default=128, help="batch size")
    parser.add_argument("--variant", default="modern", help="lenet5 variant")
    parser.add_argument("--batch-norm", action="store_true", help="lenet5 with batch norm")
    args = parser.parse_args(argv)
    print(f"# LeNet-5 ({args.variant}{', batch norm' if args.batch_norm else ''}) training "
          f"step, batch {args.batch}, Adam; {platform.machine()}, "
          f"{platform.python_version()}")  # fmt: skip
    x, y = _batch(args.batch)
    model = models.lenet5(args.variant, seed=0, batch_norm=args.batch_norm)
    theirs = time_torch(model, x, y, args.steps, args.warmup)
    ours = time_convolab(model, x, y, args.steps, args.warmup)
    print("| library | best ms | median ms |")
    print("|---|---|---|")
    print(f"| convolab | {min(ours):.2f} | {statistics.median(ours):.2f} |")
    if theirs is not None:
        print(f"| PyTorch CPU | {min(theirs):.2f} | {statistics.median(theirs):.2f} |")
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(f"ratio convolab / PyTorch (medians): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
