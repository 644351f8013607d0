"""Convolution-layer benchmark: convolab.nn against PyTorch CPU, in the same process.

For each layer shape: forward, and forward + backward (gradients for the input,
the weight and the bias), in milliseconds (best of ``--repeat`` after a warm-up),
GFLOP/s and the ratio to PyTorch. The backward pass is also split into its two
engine calls (``dL/dx``: full convolution of ``dL/dy`` with the flipped kernel;
``dL/dw``: correlation of ``x`` with ``dL/dy``) so that a slow one can be named.

FLOPs: forward ``2 N C_out H_out W_out (C_in / groups) kH kW``; forward+backward
three times that (the two gradient convolutions cost as much as the forward).

Run: ``python benchmarks/layers.py [--repeat 5] [--cases 0 1]``. PyTorch is optional
(``pip install torch``); without it only convolab's numbers are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np

from convolab.nn import Tensor
from convolab.nn import functional as F
from convolab.nn.functional.conv import _conv_input_grad, _conv_weight_grad

__all__ = ["CASES", "main", "run_case"]

# name, x shape, (C_out, kernel), padding, stride
CASES = [
    ("conv 3x3 32->64, x (64, 32, 32, 32)", (64, 32, 32, 32), (64, 3), 1, 1),
    ("LeNet-5 C1 5x5 1->6, x (128, 1, 28, 28)", (128, 1, 28, 28), (6, 5), 2, 1),
    ("LeNet-5 C3 5x5 6->16, x (128, 6, 14, 14)", (128, 6, 14, 14), (16, 5), 0, 1),
]


def _best(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best time (ms) of each function, the functions interleaved round by round.

    Interleaving matters on a shared machine: every contender sees the same
    background load, and the minimum over rounds picks the quiet moments.
    """
    for fn in fns.values():
        fn()  # warm-up
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], (time.perf_counter() - t0) * 1e3)
    return best


def run_case(
    x_shape: tuple[int, ...], c_out: int, k: int, padding: int, stride: int, repeat: int
) -> dict[str, float]:
    """Times (ms) for one layer shape: convolab and, if importable, PyTorch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = (rng.standard_normal((c_out, x_shape[1], k, k)) * 0.1).astype(np.float32)
    b = np.zeros(c_out, dtype=np.float32)
    X, W, B = (Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(X, W, B, stride, padding)
    g = rng.standard_normal(y.shape).astype(np.float32)
    pads = ((padding, padding),) * 2

    def ours_fb() -> None:
        X.grad = W.grad = B.grad = None
        F.conv2d(X, W, B, stride, padding).backward(g)

    fns: dict[str, Callable[[], object]] = {
        "fwd": lambda: F.conv2d(X, W, B, stride, padding),
        "fwdbwd": ours_fb,
        "dx": lambda: _conv_input_grad(g, w, x_shape[2:], pads, (stride,) * 2, (1, 1), 1),
        "dw": lambda: _conv_weight_grad(x, g, (k, k), pads, (stride,) * 2, (1, 1), 1),
    }
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tg = torch.tensor(g)
        conv = torch.nn.functional.conv2d

        def torch_fwd() -> None:
            with torch.no_grad():
                conv(tx, tw, tb, stride, padding)

        def torch_fb() -> None:
            tx.grad = tw.grad = tb.grad = None
            conv(tx, tw, tb, stride, padding).backward(tg)

        fns["torch_fwd"] = torch_fwd
        fns["torch_fwdbwd"] = torch_fb
    res: dict[str, float] = {"flops": 2.0 * g.size * x_shape[1] * k * k}
    res.update(_best(fns, repeat))
    return res


def main(argv: list[str] | None = None) -> None:
    """Print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (best of)")
    parser.add_argument("--cases", type=int, nargs="*", help="indices into CASES (default all)")
    args = parser.parse_args(argv)
    try:
        import torch

        versions = f"numpy {np.__version__}, torch {torch.__version__}"
    except ImportError:
        versions = f"numpy {np.__version__}, no torch"
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, {versions}; "
        f"best of {args.repeat} interleaved rounds; float32\n"
    )
    header = (
        "| layer | pass | convolab ms | GFLOP/s | PyTorch ms | GFLOP/s | ratio |\n"
        "|---|---|---|---|---|---|---|"
    )
    print(header)
    chosen = CASES if not args.cases else [CASES[i] for i in args.cases]
    for name, shape, (c_out, k), padding, stride in chosen:
        res = run_case(shape, c_out, k, padding, stride, args.repeat)
        for label, key, mult in (("forward", "fwd", 1), ("forward+backward", "fwdbwd", 3)):
            flops = res["flops"] * mult
            ours = res[key]
            row = f"| {name} | {label} | {ours:.1f} | {flops / ours / 1e6:.0f} |"
            theirs = res.get("torch_" + key)
            if theirs is not None:
                row += f" {theirs:.1f} | {flops / theirs / 1e6:.0f} | {ours / theirs:.2f}x |"
            else:
                row += " - | - | - |"
            print(row)
        print(
            f"| {name} | backward parts | dx {res['dx']:.1f}, dw {res['dw']:.1f} | "
            f"{res['flops'] / res['dx'] / 1e6:.0f}, {res['flops'] / res['dw'] / 1e6:.0f} "
            "| | | |"
        )


if __name__ == "__main__":
    main()
