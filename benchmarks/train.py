"""Training benchmarks of issue 6: accuracy of the recipes and speed against PyTorch.

Workloads (choose with ``--only``; all by default):

* ``fashion``  LeNet-5 (modern), then LeNet-5 with batch normalization after each hidden layer,
  its inputs standardized inside the model, trained with label smoothing 0.1
  (``--variants``: ``plain``, ``bn``, ``bn-ls``, ``std-bn-ls``), on
  Fashion-MNIST 60k/10k, batch 128, Adam 1e-3: test accuracy and seconds per epoch,
  beside the same model, initial weights, batches and recipe in PyTorch (CPU) when it
  is installed -- the ratio is convolab / PyTorch.
* ``mnist5k``  LeNet-5 on the 5,000 MNIST digits of ``$CONVOLAB_MNIST_5K`` (default
  ``../shared/data/mnist-5k``), split 4,500 / 500 (seeded), batch 32, Adam 1e-3, random
  shifts of up to 2 pixels: accuracy on the 500.
* ``mnist1d``  the MNIST-1D paper's CNN (``cnn1d``), Adam 1e-2, batch 100, 150 epochs (the
  paper's 6,000 steps): test accuracy over ``--seeds`` seeds, then with random shifts.
* ``shapes1d`` the articles' one-kernel detector (``detector1d``) on ``shapes1d``.
* ``ocr``      LeNet-5 trained only on synthetic OCR digits, tested on the real digits
  of mnist-5k (the articles' OCR-fonts idea against handwriting).

Usage::

    python benchmarks/train.py                       # everything, full recipes (long)
    python benchmarks/train.py --only fashion --epochs 3
    python benchmarks/train.py --only mnist5k,shapes1d --json results.json

Prints one Markdown table row per workload. Run on a quiet machine: the timings
are wall-clock seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from convolab import data, models, nn, train

__all__ = ["main"]

MNIST_5K = Path(os.environ.get("CONVOLAB_MNIST_5K", Path("..") / "shared" / "data" / "mnist-5k"))
WORKLOADS = ("fashion", "mnist5k", "mnist1d", "shapes1d", "ocr")
VARIANTS = ("plain", "bn", "bn-ls", "std-bn-ls")


def _torch_lenet(ours, batch_norm=False):
    """The same LeNet-5 in PyTorch, with our initial weights (names match)."""
    import torch

    def norm(c, kind=torch.nn.BatchNorm2d):
        return [kind(c)] if batch_norm else []

    class Standardize(torch.nn.Module):
        def __init__(self, mean, std):
            super().__init__()
            self.mean, self.std = float(mean[0]), float(std[0])

        def forward(self, x):
            return (x - self.mean) * (1.0 / self.std)

    first = ([Standardize(ours[0].mean, ours[0].std)]
             if isinstance(ours[0], nn.Standardize) else [])  # fmt: skip
    net = torch.nn.Sequential(
        *first,
        torch.nn.Conv2d(1, 6, 5, padding=2), *norm(6), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), *norm(16), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 120, 5), *norm(120), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(120, 84), *norm(84, torch.nn.BatchNorm1d), torch.nn.ReLU(),
        torch.nn.Linear(84, 10),
    )  # fmt: skip
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    return net


def _torch_fit(net, train_set, test_set, epochs, batch_size, lr, seed, label_smoothing=0.0):
    """PyTorch training with the batches convolab's DataLoader draws (same order)."""
    import torch

    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loader = data.DataLoader(train_set, batch_size, shuffle=True, seed=seed)
    times = []
    for epoch in range(epochs):
        loader.epoch = epoch
        net.train()
        t0 = time.perf_counter()
        for xb, yb in loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(xb)),
                                                     torch.from_numpy(yb),
                                                     label_smoothing=label_smoothing)  # fmt: skip
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    net.eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        logits = torch.cat([net(torch.from_numpy(test_set.x[i : i + 1000]))
                            for i in range(0, len(test_set), 1000)]).numpy()  # fmt: skip
    infer = time.perf_counter() - t0
    return float((logits.argmax(1) == test_set.y).mean()), times, infer


def _fit(model, train_set, test_set, epochs, batch_size, lr, seed=0, progress=None,
         augment=None, label_smoothing=0.0):  # fmt: skip
    loss = train.smoothed_loss(label_smoothing) if label_smoothing else None
    history = train.fit(model, train_set, epochs=epochs, batch_size=batch_size, lr=lr,
                        seed=seed, progress=progress, augment=augment, loss=loss)  # fmt: skip
    t0 = time.perf_counter()
    scores = train.evaluate(model, test_set, batch_size=1000)
    infer = time.perf_counter() - t0
    return scores["accuracy"], [e["seconds"] for e in history.epochs], infer


def bench_fashion(args) -> list[dict]:
    """LeNet-5 modern, then with batch normalization: each beside PyTorch in the same run."""
    train_set, test_set = data.fashion_mnist(split="train"), data.fashion_mnist(split="test")
    if args.limit:
        train_set = train_set.subset(np.arange(args.limit))
    epochs = args.epochs or 10
    rows = []
    for variant in args.variants.split(","):
        variant = variant.strip()
        if variant not in VARIANTS:
            raise SystemExit(f"--variants: unknown {variant!r}; expected {', '.join(VARIANTS)}")
        batch_norm = "bn" in variant
        smoothing = 0.1 if variant.endswith("ls") else 0.0
        stats = (float(train_set.x.mean()), float(train_set.x.std())) if "std" in variant else None
        model = models.lenet5("modern", seed=0, batch_norm=batch_norm, standardize=stats)
        name = "LeNet-5" + (" + batch norm" if batch_norm else "")
        name += ", inputs standardized" if stats else ""
        name += ", label smoothing 0.1" if smoothing else ""
        row = {"workload": f"{name} Fashion-MNIST {len(train_set)}/{len(test_set)}, {epochs} ep"}
        if args.shift:  # a variant of the recipe: convolab only
            acc, times, infer = _fit(model, train_set, test_set, epochs, 128, 1e-3,
                                     augment=data.RandomShift(args.shift),
                                     label_smoothing=smoothing)  # fmt: skip
            row["workload"] += f", shifts of {args.shift}"
            row.update(accuracy=acc, s_per_epoch=float(np.mean(times)), infer_s=infer)
            rows.append(row)
            continue
        try:
            import torch

            torch.manual_seed(0)
            t_acc, t_times, t_infer = _torch_fit(_torch_lenet(model, batch_norm), train_set,
                                                 test_set, epochs, 128, 1e-3, 0,
                                                 smoothing)  # fmt: skip
            row.update(torch_accuracy=t_acc, torch_s_per_epoch=float(np.mean(t_times)),
                       torch_infer_s=t_infer, torch_threads=torch.get_num_threads())  # fmt: skip
        except ImportError:
            print("PyTorch not installed: convolab only", file=sys.stderr)
        acc, times, infer = _fit(model, train_set, test_set, epochs, 128, 1e-3,
                                 label_smoothing=smoothing)  # fmt: skip
        row.update(accuracy=acc, s_per_epoch=float(np.mean(times)), infer_s=infer)
        if "torch_s_per_epoch" in row:
            row["ratio"] = row["s_per_epoch"] / row["torch_s_per_epoch"]
        rows.append(row)
    return rows


def bench_mnist5k(args) -> dict:
    full = data.idx_folder(MNIST_5K)
    train_set, test_set = data.random_split(full, [4500, 500], seed=0)
    epochs = args.epochs or 20
    model = models.lenet5("modern", seed=0)
    acc, times, _ = _fit(model, train_set, test_set, epochs, 32, 1e-3,
                         augment=data.RandomShift(2))  # fmt: skip
    return {"workload": f"LeNet-5 mnist-5k 4500/500, shifts of 2 px, {epochs} ep",
            "accuracy": acc,
            "s_per_epoch": float(np.mean(times))}  # fmt: skip


def bench_mnist1d(args) -> list[dict]:
    """The paper's recipe over several seeds, then the same with random shifts of 3 samples."""
    train_set, test_set = data.mnist1d("train"), data.mnist1d("test")
    epochs = args.epochs or 150  # the paper: 6000 steps of batch 100 = 150 epochs of 4000
    rows = []
    for shift in (0, 3):
        accs, times = [], []
        for seed in range(args.seeds):
            model = models.cnn1d(seed=seed)
            augment = data.RandomShift(shift) if shift else None
            acc, t, _ = _fit(model, train_set, test_set, epochs, 100, 1e-2, seed=seed,
                             progress=False, augment=augment)  # fmt: skip
            accs.append(acc)
            times += t
        label = f", shifts of {shift}" if shift else ""
        each = " / ".join(f"{a:.1%}" for a in accs)
        rows.append({
            "workload": f"cnn1d MNIST-1D 4000/1000{label}, {epochs} ep, seeds: {each} (mean)",
            "accuracy": float(np.mean(accs)),
            "s_per_epoch": float(np.mean(times)),
        })
    return rows


def bench_shapes1d(args) -> dict:
    train_set, test_set = data.shapes1d(4000, seed=0), data.shapes1d(1000, seed=1)
    epochs = args.epochs or 10
    model = models.detector1d(seed=0)
    acc, times, _ = _fit(model, train_set, test_set, epochs, 32, 0.05)
    return {"workload": f"detector1d shapes1d 4000/1000, {epochs} ep", "accuracy": acc,
            "s_per_epoch": float(np.mean(times))}  # fmt: skip


def bench_ocr(args) -> dict:
    n = args.limit or 30000
    train_set = data.ocr_digits(n, seed=0)
    test_set = data.ocr_digits(2000, seed=1)
    real = data.idx_folder(MNIST_5K)
    epochs = args.epochs or 5
    model = models.lenet5("modern", seed=0)
    acc, times, _ = _fit(model, train_set, test_set, epochs, 64, 2e-3)
    real_acc = train.evaluate(model, real)["accuracy"]
    return {"workload": f"LeNet-5 OCR digits {n} -> mnist-5k, {epochs} ep", "accuracy": acc,
            "mnist_accuracy": real_acc, "s_per_epoch": float(np.mean(times))}  # fmt: skip


def _row(r: dict) -> str:
    def f(key, fmt):
        return format(r[key], fmt) if key in r else "-"

    return (f"| {r['workload']} | {f('accuracy', '.2%')} | {f('mnist_accuracy', '.2%')} | "
            f"{f('s_per_epoch', '.1f')} | {f('torch_accuracy', '.2%')} | "
            f"{f('torch_s_per_epoch', '.1f')} | {f('ratio', '.2f')} |")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated subset of {', '.join(WORKLOADS)}")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=None, help="override every recipe's epochs")
    parser.add_argument("--limit", type=int, default=None, help="fewer training samples")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the MNIST-1D runs")
    parser.add_argument("--variants", default="plain,std-bn-ls",
                        help="Fashion-MNIST models: plain (LeNet-5 modern), bn (with batch "
                             "normalization), bn-ls (that, trained with label smoothing 0.1), "
                             "std-bn-ls (that, with standardized inputs)")  # fmt: skip
    parser.add_argument("--shift", type=int, default=0,
                        help="Fashion-MNIST variant: random shifts of this many pixels")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(chosen) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; expected some of {', '.join(WORKLOADS)}")
    print("| workload | test accuracy | on mnist-5k | s/epoch | PyTorch accuracy | "
          "PyTorch s/epoch | ratio |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    rows = []
    for name in chosen:
        result = globals()[f"bench_{name}"](args)
        for row in result if isinstance(result, list) else [result]:
            rows.append(row)
            print(_row(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
