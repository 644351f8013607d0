"""``convolab demo``: the articles' tour on data made in code, figures and a summary.

Sections, each one a convolution at heart:

1. smooth the noisy signal ``[10, 9, 10, 9, 10, 1, 10, 9, 10, 8]`` with a box kernel;
2. shift ``[0, 0, 0, 3, 4, 5, 4, 3, 0, 0]`` with ``[1, 0, 0]``, ``[0, 0, 1]`` and the
   soft ``[0.8, 0.1, 0.1]``;
3. detect a shape in a noisy signal with a spike, with the one-layer detector,
   then learn the detector's kernel from examples (``detector1d`` on ``shapes1d``);
4. edge-detect an image drawn in code (Sobel, Laplacian);
5. train LeNet-5 on synthetic OCR digits rendered from the system's fonts and report
   its test accuracy (and, when the MNIST sample folder is at hand, its accuracy on
   real handwriting).

Everything lands in ``--out`` (default ``demo-output``): PNG figures, the trained
model (``lenet5-ocr/``) and ``summary.md`` showing them all.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from convolab.cli.errors import UsageProblem
from convolab.cli.options import force_option
from convolab.outputs import save_figure, write_json, write_text
from convolab.runtime import compile_in_background

__all__ = ["demo", "run_demo"]

_MARKER = ".convolab-demo"
_MNIST_5K_ENV = "CONVOLAB_MNIST_5K"
_MNIST_5K_DEFAULT = Path("..") / "shared" / "data" / "mnist-5k"


# One LeNet-5 training step and one evaluation batch, as section 5 runs them: it compiles the
# loops they use (Numba caches them on disk, where the demo's own process finds them).
_WARM_UP = """
import numpy as np
from convolab import models, nn
from convolab.nn import functional as F
model = models.lenet5("modern", seed=0)
optimizer = nn.optim.Adam(model.parameters(), lr=2e-3)
F.cross_entropy(model(np.zeros((64, 1, 28, 28), np.float32)), np.zeros(64, int)).backward()
optimizer.step()
model.eval()
with nn.no_grad():
    model(np.zeros((500, 1, 28, 28), np.float32))
"""


# The longest section 5 waits for the warm-up (it takes 9 s on a fresh clone of a 2-core machine);
# past it, the training compiles what it still lacks itself.
_WARM_UP_WAIT_S = 60.0


def _wait(process: Any, seconds: float) -> None:
    """Wait up to ``seconds`` for ``process`` to end."""
    import subprocess

    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass


def _fmt(values: Any, digits: int = 2) -> str:
    return "[" + ", ".join(f"{float(v):.{digits}f}".rstrip("0").rstrip(".") for v in values) + "]"


def _signals(out: Path) -> dict[str, Any]:
    """Sections 1 and 2: smoothing and shifting are correlations with tiny kernels."""
    from convolab import signal, viz

    noisy = np.array([10, 9, 10, 9, 10, 1, 10, 9, 10, 8], dtype=float)
    smoothed = signal.smooth(noisy, "box", width=3)
    viz.plot_convolution(noisy, np.ones(3) / 3, smoothed, title="box smoothing (width 3)",
                         path=out / "01_smooth.png")  # fmt: skip
    f = np.array([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], dtype=float)
    shifts = {
        "[1, 0, 0]": signal.soft_shift(f, [1, 0, 0]),
        "[0, 0, 1]": signal.soft_shift(f, [0, 0, 1]),
        "[0.8, 0.1, 0.1]": signal.soft_shift(f, [0.8, 0.1, 0.1]),
    }
    viz.plot_convolution(f, np.array([0.8, 0.1, 0.1]), shifts["[0.8, 0.1, 0.1]"],
                         title="soft shift [0.8, 0.1, 0.1]", path=out / "02_shift.png")  # fmt: skip
    return {"noisy": noisy, "smoothed": smoothed, "f": f, "shifts": shifts}


def _detection(out: Path, seed: int) -> dict[str, Any]:
    """Section 3: the matched-filter detector, then the same detector learned from data."""
    from matplotlib.figure import Figure

    from convolab import data, models, signal, train

    scene = signal.make_shape_signal(seed=seed)
    found = signal.detect(scene.signal, scene.template)
    threshold_hits = np.flatnonzero(scene.signal > 1.5)
    fig = Figure(figsize=(9, 5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(scene.signal, lw=1)
    top.axhline(1.5, color="grey", ls=":", label="plain threshold 1.5")
    top.plot(threshold_hits, scene.signal[threshold_hits], "rx", label="threshold hits")
    top.set_ylabel("signal x(t)")
    top.legend(fontsize=8)
    bottom.plot(found.score, lw=1, label="normalized (K * x)(t)")
    bottom.plot(found.positions, found.score[found.positions], "go", label="detections")
    bottom.set_ylabel("score")
    bottom.set_xlabel("t")
    bottom.legend(fontsize=8)
    fig.suptitle(f"shape detection: Pr(shape) = {found.probability:.3f}")
    save_figure(fig, out / "03_detect.png", dpi=100)

    train_set, test_set = data.shapes1d(1000, seed=seed), data.shapes1d(500, seed=seed + 1)
    detector = models.detector1d(length=train_set.x.shape[-1], seed=seed)
    train.fit(detector, train_set, epochs=6, batch_size=32, lr=0.05, seed=seed, progress=False)
    # batches as in training: one large batch would compile a loop for eight calls
    learned = train.evaluate(detector, test_set, batch_size=32)["accuracy"]
    kernel = detector[0].weight.data[0, 0]
    template = data.shape_template(kernel.size)
    fig = Figure(figsize=(6, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(template / np.linalg.norm(template), "o-", label="the shape (normalized)")
    ax.plot(kernel / np.linalg.norm(kernel), "s--", label="learned kernel K (normalized)")
    ax.legend(fontsize=8)
    ax.set_title(f"detector1d learned on shapes1d: test accuracy {learned:.3f}")
    save_figure(fig, out / "04_learned_detector.png", dpi=100)
    cosine = float(kernel @ template / (np.linalg.norm(kernel) * np.linalg.norm(template)))
    return {"scene": scene, "found": found, "threshold_hits": threshold_hits,
            "learned_accuracy": learned, "cosine": cosine}  # fmt: skip


def _scene(size: int = 128) -> np.ndarray:
    """A grayscale test picture drawn in code: a disc, a square, a triangle, a ramp."""
    y, x = np.mgrid[0:size, 0:size] / size
    img = 0.15 + 0.2 * x  # a soft ramp: no edge, the detectors should stay quiet
    img = np.where((x - 0.3) ** 2 + (y - 0.3) ** 2 < 0.18**2, 0.9, img)
    img = np.where((abs(x - 0.72) < 0.16) & (abs(y - 0.3) < 0.16), 0.6, img)
    img = np.where((y > 0.55) & (y < 0.92) & (abs(x - 0.5) < (y - 0.55) * 0.8), 1.0, img)
    return img.astype(np.float32)


def _edges(out: Path) -> dict[str, Any]:
    """Section 4: gradient magnitude (Sobel) and the Laplacian on the drawn picture."""
    from matplotlib.figure import Figure

    from convolab import image

    img = _scene()
    sobel = image.edges(img, "sobel")
    laplace = image.edges(img, "laplacian")
    image.save(out / "05_scene.png", img)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    for ax, (name, a) in zip(fig.subplots(1, 3), (("picture", img), ("Sobel |gradient|", sobel),
                                                  ("|Laplacian|", laplace))):  # fmt: skip
        ax.imshow(a, cmap="gray")
        ax.set_title(name)
        ax.axis("off")
    save_figure(fig, out / "06_edges.png", dpi=100)
    ramp = sobel[100:110, 5:25]  # inside the ramp, away from every shape
    return {"sobel_max": float(sobel.max()), "ramp_max": float(ramp.max())}


def _show_image(a: np.ndarray, title: str, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(a.shape[1] / 40, a.shape[0] / 40 + 0.4), layout="constrained")
    ax = fig.subplots()
    ax.imshow(a, cmap="gray")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    save_figure(fig, path, dpi=100)


def _mnist_5k() -> Path | None:
    folder = Path(os.environ.get(_MNIST_5K_ENV, _MNIST_5K_DEFAULT))
    return folder if (folder / "train-images-idx3-ubyte.gz").is_file() else None


def _lenet(out: Path, seed: int, quick: bool, progress: bool,
           compiled: Any = None) -> dict[str, Any]:  # fmt: skip
    """Section 5: LeNet-5 trained on synthetic OCR digits, tested on fonts and handwriting.

    ``compiled``, when given, is called before the training: it returns once the loops the
    training runs are compiled (by :data:`_WARM_UP`'s process)."""
    from convolab import data, models, nn, train, viz

    n_train, n_test, epochs = (2000, 300, 2) if quick else (10000, 2000, 3)
    t0 = time.perf_counter()
    train_set = data.ocr_digits(n_train, seed=seed)
    test_set = data.ocr_digits(n_test, seed=seed + 1)
    gen_s = time.perf_counter() - t0
    grid = np.concatenate([np.concatenate(list(train_set.x[r * 12:(r + 1) * 12, 0]), axis=1)
                           for r in range(4)])  # fmt: skip
    _show_image(grid, "synthetic OCR digits (rendered from fonts)", out / "07_ocr_digits.png")
    model = models.lenet5("modern", seed=seed)
    run = out / "lenet5-ocr"
    if compiled is not None:
        compiled()
    t0 = time.perf_counter()
    history = train.fit(model, train_set, test_set, epochs=epochs, batch_size=64, lr=2e-3,
                        seed=seed, out=run, progress=progress,
                        metadata={"model": "lenet5", "data": "ocr-digits",
                                  "input_shape": [1, 28, 28],
                                  "classes": train_set.classes})  # fmt: skip
    train_s = time.perf_counter() - t0
    best = nn.load(run / "model.npz")
    scores = train.evaluate(best, test_set)
    write_json(run / "metrics.json", {**history.to_dict(), "test": scores})
    train.plot_history(history, out / "08_training.png", title="LeNet-5 on synthetic OCR digits")
    viz.plot_confusion(scores["confusion"], train_set.classes, title="confusion (OCR test set)",
                       path=out / "09_confusion.png")  # fmt: skip
    viz.plot_kernels(best[0], title="LeNet-5 first-layer kernels", path=out / "10_kernels.png")
    viz.plot_feature_maps(best, test_set.x[0], path=out / "11_feature_maps.png")
    result = {"n_train": n_train, "n_test": n_test, "epochs": epochs, "gen_s": gen_s,
              "train_s": train_s, "scores": scores, "history": history,
              "fonts": train_set.name}  # fmt: skip
    folder = _mnist_5k()
    if folder is not None:
        real = data.idx_folder(folder)
        result["mnist"] = train.evaluate(best, real)
        result["mnist_folder"] = str(folder)
    return result


def _summary(out: Path, sig, det, edges, lenet, seconds: float) -> str:
    s = lenet["scores"]
    lines = [
        "# convolab demo",
        "",
        f"Everything below was computed by `convolab demo` in {seconds:.0f} s; each step is a "
        "convolution through the same engine.",
        "",
        "## 1. Smoothing a noisy signal",
        "",
        f"`x = {_fmt(sig['noisy'])}` correlated with the box kernel `[1/3, 1/3, 1/3]` "
        f"(reflected borders) gives `{_fmt(sig['smoothed'])}`: the dip at t = 5 is spread out.",
        "",
        "![smoothing](01_smooth.png)",
        "",
        "## 2. Shifting with a kernel",
        "",
        f"`f = {_fmt(sig['f'])}`",
        "",
        "| kernel | f correlated with it |",
        "|---|---|",
        *[f"| `{k}` | `{_fmt(v)}` |" for k, v in sig["shifts"].items()],
        "",
        "![soft shift](02_shift.png)",
        "",
        "## 3. Detecting a shape",
        "",
        f"Shapes placed at t = {det['scene'].positions.tolist()}, a spike at t = "
        f"{det['scene'].spike_at}. A plain threshold fires at "
        f"{det['threshold_hits'].tolist()}; the detector sigmoid(ReLU(max_t (K * x)(t) + beta)) "
        f"says Pr = {det['found'].probability:.3f} and finds the shape at "
        f"t = {det['found'].positions.tolist()}.",
        "",
        "![detection](03_detect.png)",
        "",
        f"Learned from 1,000 labelled signals (`detector1d` on `shapes1d`, 6 epochs), the same "
        f"one-kernel network reaches **{det['learned_accuracy']:.1%}** test accuracy; its kernel "
        f"has cosine similarity {det['cosine']:.2f} with the true shape.",
        "",
        "![learned kernel](04_learned_detector.png)",
        "",
        "## 4. Edges of a picture drawn in code",
        "",
        f"Sobel gradient magnitude peaks at {edges['sobel_max']:.2f} on the outlines and stays "
        f"at {edges['ramp_max']:.2f} on the smooth ramp.",
        "",
        "![picture](05_scene.png) ![edges](06_edges.png)",
        "",
        "## 5. LeNet-5 on synthetic OCR digits",
        "",
        f"{lenet['n_train']:,} training and {lenet['n_test']:,} test digits rendered from "
        f"{lenet['fonts'].split('(')[-1].rstrip(')')} with random rotation, shear, scale, stroke "
        f"width, elastic distortion, blur and noise, centred by mass like MNIST "
        f"(generated in {lenet['gen_s']:.1f} s).",
        "",
        "![digits](07_ocr_digits.png)",
        "",
        f"LeNet-5 (ReLU, max-pool, 6-16-120-84-10), Adam, batch 64, {lenet['epochs']} epochs in "
        f"{lenet['train_s']:.1f} s: **test accuracy {s['accuracy']:.2%}** on {s['n']:,} unseen "
        f"rendered digits (best epoch {lenet['history'].best_epoch}).",
    ]
    if "mnist" in lenet:
        m = lenet["mnist"]
        lines += [
            "",
            f"The same model, never shown handwriting, on the {m['n']:,} real MNIST digits of "
            f"`{lenet['mnist_folder']}`: **{m['accuracy']:.2%}**.",
        ]
    lines += [
        "",
        "![training](08_training.png) ![confusion](09_confusion.png)",
        "",
        "![kernels](10_kernels.png)",
        "",
        "![feature maps](11_feature_maps.png)",
        "",
        f"The model is in `lenet5-ocr/model.npz`: `convolab predict {out / 'lenet5-ocr'} "
        "IMAGE...` classifies your own pictures of digits.",
        "",
    ]
    return "\n".join(lines)


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageProblem(f"--out {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).exists() and not force:
        raise UsageProblem(f"--out {str(out)!r} is not empty and holds no earlier demo; choose "
                           "another folder or pass --force")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / _MARKER, "written by convolab demo; its files are replaced on each run\n")
    for stale in ("checkpoint.npz", "model.npz", "metrics.json"):  # a new run, not a resume
        (out / "lenet5-ocr" / stale).unlink(missing_ok=True)


def run_demo(out: str | os.PathLike = "demo-output", *, seed: int = 0, quick: bool = False,
             progress: bool = False, force: bool = False) -> dict[str, Any]:  # fmt: skip
    """Run the tour and write its figures and ``summary.md`` to ``out``.

    Parameters
    ----------
    out : path-like
        Output folder (created; refused when it holds other files, unless ``force``).
    seed : int
        Seed of all the generated data and of the training.
    quick : bool
        Train on fewer digits for fewer epochs (a smoke test, about 10 s).
    progress : bool
        Show training progress bars.
    force : bool
        Write into a non-empty folder that is not an earlier demo's.

    Returns
    -------
    dict
        The numbers reported in the summary (``lenet_accuracy``, ``mnist_accuracy`` when
        the MNIST sample folder was found, ``detector_accuracy``, ``seconds``) and
        ``files``, the files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    t0 = time.perf_counter()
    out = Path(out)
    _prepare(out, force)
    # Section 5's loops compile in a second process while this one draws sections 1-4 and
    # renders the digits (mostly one core): on two cores the first run's Numba compilation
    # overlaps that work instead of following it.
    warm_up = None if quick else compile_in_background(_WARM_UP)
    # Section 5 waits for it: compiling a loop the warm-up is already compiling would take the
    # core its training needs and finish no sooner.
    compiled = None if warm_up is None else lambda: _wait(warm_up, _WARM_UP_WAIT_S)
    try:
        sig = _signals(out)
        det = _detection(out, seed)
        edges = _edges(out)
        lenet = _lenet(out, seed, quick, progress, compiled)
    finally:
        if warm_up is not None:
            warm_up.kill()  # long finished unless section 5 outran it; the cache stays whole
            warm_up.wait()
    seconds = time.perf_counter() - t0
    text = _summary(out, sig, det, edges, lenet, seconds)
    write_text(out / "summary.md", text)
    result = {
        "lenet_accuracy": lenet["scores"]["accuracy"],
        "detector_accuracy": det["learned_accuracy"],
        "seconds": seconds,
        "files": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()),
    }
    if "mnist" in lenet:
        result["mnist_accuracy"] = lenet["mnist"]["accuracy"]
    return result


@click.command("demo")
@click.option("--out", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the figures, the model and summary.md.")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quick", is_flag=True, help="A smaller training run (smoke test).")
@force_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def demo(out: str, seed: int, quick: bool, force: bool, quiet: bool) -> None:
    """Run the tour: smooth and shift signals, detect a shape, find edges, train LeNet-5."""
    import sys

    result = run_demo(out, seed=seed, quick=quick, progress=not quiet and sys.stderr.isatty(),
                      force=force)  # fmt: skip
    click.echo(f"LeNet-5 on synthetic OCR digits: test accuracy {result['lenet_accuracy']:.2%}")
    if "mnist_accuracy" in result:
        click.echo(f"the same model on real MNIST digits: {result['mnist_accuracy']:.2%}")
    click.echo(f"detector1d on shapes1d: test accuracy {result['detector_accuracy']:.2%}")
    click.echo(f"{len(result['files'])} files in {out}/ (see summary.md), "
               f"{result['seconds']:.0f} s")  # fmt: skip
