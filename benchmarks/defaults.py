"""`convolab train lenet5` defaults on a few thousand digits: held-out accuracy, splits x seeds.

``convolab train lenet5 --data FOLDER --seed S`` on a folder holding one split (the 5,000
digits of ``$CONVOLAB_MNIST_5K``, default ``../shared/data/mnist-5k``) shuffles the folder with
``S`` and holds out 10% (500 digits) for the test, then 10% of the rest (450) to choose the
best epoch, and trains on the other 4,050 from initial weights and batches drawn with ``S``.
This script takes the same steps with the same library calls, but draws the held-out digits
with a *split seed* and the weights and batches with a *model seed*, so the spread from the
500 digits and the spread from training can be told apart. With split seed = model seed a
run is the command's run. The 500 test digits never enter training or the choice of epoch.

Usage::

    python benchmarks/defaults.py --epochs 30 --splits 0,1,2 --seeds 0,1,2
    python benchmarks/defaults.py --epochs 30 --no-augment --no-standardize   # the old defaults

Prints one JSON line per run, then the table of accuracies (rows: splits, columns: seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from convolab import data, models, train

MNIST_5K = Path(os.environ.get("CONVOLAB_MNIST_5K", Path("..") / "shared" / "data" / "mnist-5k"))


def one_run(folder, split_seed: int, model_seed: int, epochs: int, augment: bool,
            standardize: bool) -> dict:  # fmt: skip
    """The steps of ``convolab train lenet5`` with its defaults, seeds taken apart."""
    train_full, test = data.load_splits(folder, seed=split_seed, test_fraction=0.1)
    n_val = int(round(len(train_full) * 0.1))
    fit_on, val = data.random_split(train_full, [len(train_full) - n_val, n_val], seed=split_seed)
    shape = tuple(train_full.x.shape[1:])
    stats = None
    if standardize:  # as the command: per channel, from the samples the model trains on
        stats = data.channel_stats(fit_on.x)
    model = models.build("lenet5", list(shape), train_full.num_classes, seed=model_seed,
                         standardize=stats)  # fmt: skip
    augmentation = data.default_augmentation(shape, len(fit_on)) if augment else None
    t0 = time.perf_counter()
    history = train.fit(model, fit_on, val, epochs=epochs, batch_size=128, lr=1e-3,
                        seed=model_seed, progress=False, augment=augmentation)  # fmt: skip
    return {
        "split_seed": split_seed, "model_seed": model_seed, "epochs": epochs,
        "augment": repr(augmentation), "standardize": stats is not None,
        "test_accuracy": train.evaluate(model, test)["accuracy"], "test_n": len(test),
        "best_epoch": history.best_epoch, "val_accuracy": history.best,
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip


def table(runs: list[dict]) -> str:
    """Markdown: accuracy (%) per split (rows) and model seed (columns), with the summary."""
    splits = sorted({r["split_seed"] for r in runs})
    seeds = sorted({r["model_seed"] for r in runs})
    grid = {(r["split_seed"], r["model_seed"]): 100 * r["test_accuracy"] for r in runs}
    lines = ["| 500 held-out digits drawn with | " + " | ".join(f"model seed {s}" for s in seeds)
             + " | mean |", "|---|" + "---|" * (len(seeds) + 1)]  # fmt: skip
    for split in splits:
        row = [grid.get((split, s)) for s in seeds]
        mean = np.mean([v for v in row if v is not None])
        cells = " | ".join("-" if v is None else f"{v:.1f}" for v in row)
        lines.append(f"| split seed {split} | {cells} | {mean:.2f} |")
    acc = np.array(list(grid.values()))
    spread = f", sd {acc.std(ddof=1):.2f}" if len(acc) > 1 else ""
    lines.append(f"\nall {len(acc)} runs: mean {acc.mean():.2f}%{spread}, "
                 f"range {acc.min():.1f}-{acc.max():.1f}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(MNIST_5K))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--splits", default="0,1,2")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--no-augment", dest="augment", action="store_false")
    parser.add_argument("--no-standardize", dest="standardize", action="store_false")
    args = parser.parse_args(argv)
    runs = []
    for split in (int(s) for s in args.splits.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            runs.append(one_run(args.data, split, seed, args.epochs, args.augment,
                                args.standardize))  # fmt: skip
            print(json.dumps(runs[-1]), flush=True)
    print(table(runs))


if __name__ == "__main__":
    main()
