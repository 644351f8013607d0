"""One Fashion-MNIST epoch as a whole process: ``convolab train`` against PyTorch, same recipe.

The recipe (issue 17, item 4): LeNet-5 (modern), the 60,000 training images of Fashion-MNIST
(``--val-fraction 0``: no validation split), batch 128, Adam 1e-3 at a constant rate, seed 0,
one epoch; inputs standardized inside the model with the training set's mean and std (the
command's default for images; Fashion-MNIST's 60,000 images are above the size under which
``convolab train`` augments, so there is no augmentation); then the 10,000 test images are
classified and the model, its metrics and the training curve are written. The convolab side is
exactly the command::

    convolab train lenet5 --data fashion-mnist --epochs 1 --batch-size 128 --optimizer adam \\
        --lr 1e-3 --val-fraction 0 --seed 0 --out RUN --quiet

The PyTorch side is the script a PyTorch user would write for the same recipe
(:func:`torch_recipe`, run as ``python benchmarks/train_process.py --torch-run RUN``): read
the IDX files with NumPy, standardize inside the model, ``TensorDataset`` and
``DataLoader(shuffle=True)``, ``torch.optim.Adam``, evaluate the test set, ``torch.save``
the weights, write the metrics.
Both sides read the same gzip files, so both pay the same decompression.

Each round runs the two processes in turn (the order alternates), after one unmeasured round
that fills Numba's cache and the page cache; printed are the median and best wall-clock
seconds, the test accuracy, and the ratio of the medians (convolab / PyTorch). On a machine
shared with other work, interleaved rounds keep the ratio meaningful when the absolute times
move.

On a loaded machine PyTorch's OpenMP threads, which spin between calls, lose most when a
core is taken from them; ``--threads 1`` gives every process one thread, a comparison of the
work itself that load moves less.

Run: ``python benchmarks/train_process.py [--repeat 3] [--baseline OLD/src] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["CONVOLAB_ARGS", "main", "run_convolab", "run_torch", "torch_recipe"]

FASHION = Path(os.environ.get("CONVOLAB_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
CONVOLAB_ARGS = ("train", "lenet5", "--data", "fashion-mnist", "--epochs", "1",
                 "--batch-size", "128", "--optimizer", "adam", "--lr", "1e-3",
                 "--val-fraction", "0", "--seed", "0", "--quiet")  # fmt: skip


def _read_idx(path: Path):
    import numpy as np

    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def torch_recipe(out: Path, folder: Path = FASHION) -> None:
    """The recipe in PyTorch, as its own process: train, test, save the weights and metrics."""
    import numpy as np
    import torch

    torch.manual_seed(0)

    def split(kind: str):
        x = _read_idx(folder / f"{kind}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
        y = _read_idx(folder / f"{kind}-labels-idx1-ubyte.gz").astype(np.int64)
        return torch.from_numpy(x[:, None]), torch.from_numpy(y)

    x_train, y_train = split("train")
    x_test, y_test = split("t10k")
    mean, std = float(x_train.mean()), float(x_train.std())

    class Standardize(torch.nn.Module):
        def forward(self, x):
            return (x - mean) * (1.0 / std)

    net = torch.nn.Sequential(
        Standardize(),
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 120, 5), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(120, 84), torch.nn.ReLU(), torch.nn.Linear(84, 10),
    )  # fmt: skip
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train),
                                         batch_size=128, shuffle=True)  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        logits = torch.cat([net(x_test[i : i + 500]) for i in range(0, len(x_test), 500)])
    accuracy = float((logits.argmax(1) == y_test).float().mean())
    out.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), out / "model.pt")
    (out / "metrics.json").write_text(json.dumps({"test": {"accuracy": accuracy}}))


_THREADS: list[int] = []  # --threads, when given


def _timed(cmd: list[str], out: Path, source: Path | None = None) -> tuple[float, float]:
    """Wall-clock seconds of ``cmd`` as a process, and the test accuracy it wrote.

    ``source``: a ``src`` folder put first on the process's ``PYTHONPATH``.
    """
    env = dict(os.environ)
    if _THREADS:  # both libraries' pools and BLAS
        for name in ("CONVOLAB_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[name] = str(_THREADS[0])
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source), env.get("PYTHONPATH", "")])
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, json.loads((out / "metrics.json").read_text())["test"]["accuracy"]


def run_convolab(out: Path, source: Path | None = None) -> tuple[float, float]:
    """``convolab train`` (as ``python -m convolab``) into the new folder ``out``.

    ``source``: run the convolab of this ``src`` folder (default: the one Python finds).
    """
    cmd = [sys.executable, "-m", "convolab", *CONVOLAB_ARGS, "--out", str(out)]
    return _timed(cmd, out, source)


def run_torch(out: Path) -> tuple[float, float]:
    """:func:`torch_recipe` as its own process, into ``out``."""
    return _timed([sys.executable, __file__, "--torch-run", str(out)], out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds")
    parser.add_argument("--only", choices=("convolab", "torch"), default=None,
                        help="run one side only")  # fmt: skip
    parser.add_argument("--baseline", type=Path, default=None,
                        help="also run the convolab of this src folder (e.g. an earlier "
                             "commit's, from git archive) in the same rounds")  # fmt: skip
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of every process (CONVOLAB_NUM_THREADS, OMP_NUM_THREADS, "
                             "OPENBLAS_NUM_THREADS); default: each library's own")  # fmt: skip
    parser.add_argument("--torch-run", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be >= 1; got {args.threads}")
        _THREADS[:] = [args.threads]
    if args.torch_run is not None:
        torch_recipe(args.torch_run)
        return 0
    sides = {"convolab": run_convolab, "torch": run_torch}
    if args.only:
        sides = {args.only: sides[args.only]}
    if args.baseline is not None:
        if not (args.baseline / "convolab" / "__init__.py").is_file():
            parser.error(f"--baseline {str(args.baseline)!r} holds no convolab package")
        source = args.baseline.resolve()
        sides["baseline"] = lambda out: run_convolab(out, source)
    print(f"# LeNet-5 Fashion-MNIST epoch as a whole process; {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}, threads "
          f"{args.threads or 'default'}")  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in sides}
    accuracy: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat + 1):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for name in order:
                seconds, accuracy[name] = sides[name](Path(tmp) / f"{name}-{round_}")
                if round_:  # the first round fills the caches
                    times[name].append(seconds)
                print(f"round {round_} {name}: {seconds:.2f} s, test accuracy "
                      f"{accuracy[name]:.2%}", file=sys.stderr, flush=True)  # fmt: skip
    print("| process | median s | best s | test accuracy |")
    print("|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | "
              f"{accuracy[name]:.2%} |")  # fmt: skip
    if "torch" in times:
        for name in ("convolab", "baseline"):
            if name in times:
                ratio = statistics.median(times[name]) / statistics.median(times["torch"])
                print(f"ratio {name} / PyTorch (medians): {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
