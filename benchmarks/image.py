"""Classic image filtering: convolab against scipy.ndimage, scikit-image and OpenCV.

Workload (docs/architecture.md section 6): a 4096 x 4096 RGB float32 image, Gaussian blur
with sigma 1, 3 and 8 (radius 4 sigma) and the Sobel gradient magnitude, all
with the mirror border (convolab ``reflect`` = ndimage ``mirror`` = OpenCV
``BORDER_REFLECT_101``). Every library computes the same result (checked
against convolab before timing; scikit-image's Sobel is scaled by a constant,
so it is checked up to that constant). Times are the best of ``--repeat`` rounds
in one process, each round calling every library once in turn.

Run: ``python benchmarks/image.py`` (``--size 1024`` for a quick look). Needs
the ``bench`` extra (OpenCV) and scikit-image; a missing library is skipped.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np
from scipy import ndimage

from convolab import image
from convolab.runtime import load_compiled

__all__ = ["main"]


def _best_ms(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Best milliseconds of each function over ``repeat`` rounds, every function once a
    round in turn, so that a burst of load from other processes hits them all alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: t * 1e3 for name, t in best.items()}


def _ndimage_sobel(x: np.ndarray) -> np.ndarray:
    # ndimage.sobel on a 3D array would also smooth across the channels: do the
    # derivative and the smoothing along the two spatial axes only.
    gx = ndimage.correlate1d(ndimage.correlate1d(x, [-1, 0, 1], 1, mode="mirror"),
                             [1, 2, 1], 0, mode="mirror")
    gy = ndimage.correlate1d(ndimage.correlate1d(x, [-1, 0, 1], 0, mode="mirror"),
                             [1, 2, 1], 1, mode="mirror")
    return np.hypot(gx, gy)


def _libraries() -> dict[str, dict[str, Callable]]:
    """name -> {'blur': f(x, sigma), 'sobel': f(x)} for every library available here."""
    libs: dict[str, dict[str, Callable]] = {
        "convolab": {
            "blur": lambda x, s: image.blur(x, s, "reflect"),
            "sobel": lambda x: image.edges(x, "sobel", "reflect"),
        },
        "scipy.ndimage": {
            "blur": lambda x, s: ndimage.gaussian_filter(x, (s, s, 0), mode="mirror"),
            "sobel": _ndimage_sobel,
        },
    }
    try:
        from skimage import filters

        def sk_sobel(x):
            # per channel: on a 3D array scikit-image takes the gradient over all 3 axes
            return np.stack([filters.sobel(x[..., c], mode="mirror") for c in range(x.shape[2])],
                            axis=-1)

        libs["scikit-image"] = {
            "blur": lambda x, s: filters.gaussian(x, sigma=s, mode="mirror", channel_axis=-1,
                                                  preserve_range=True, truncate=4.0),
            "sobel": sk_sobel,
        }
    except ImportError:
        pass
    try:
        import cv2

        def cv_blur(x, s):
            return cv2.GaussianBlur(x, (0, 0), s, borderType=cv2.BORDER_REFLECT_101)

        def cv_sobel(x):
            gx = cv2.Sobel(x, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101)
            gy = cv2.Sobel(x, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT_101)
            return cv2.magnitude(gx.reshape(x.shape[0], -1), gy.reshape(x.shape[0], -1)).reshape(
                x.shape
            )

        libs["OpenCV"] = {"blur": cv_blur, "sobel": cv_sobel}
    except ImportError:
        pass
    return libs


def _check(name: str, case: str, got: np.ndarray, ref: np.ndarray) -> None:
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if name == "scikit-image" and case == "sobel":
        got = got * (4 * np.sqrt(2))  # skimage: kernels / 4, magnitude / sqrt(ndim)
    err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)
    if err > 1e-3:
        raise AssertionError(f"{name} {case}: relative difference {err:.2e} from convolab")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a Markdown table (milliseconds, best of ``--repeat``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4096, help="image side (default 4096)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds per case (best is kept)")
    args = parser.parse_args(argv)
    loaded = load_compiled()  # a warm process: the optional loops (stencil) loaded too

    rng = np.random.default_rng(0)
    x = rng.random((args.size, args.size, 3), dtype=np.float32)
    libs = _libraries()
    cases: list[tuple[str, Callable[[Callable], Callable[[], object]]]] = [
        (f"Gaussian blur sigma={s}", lambda lib, s=s: (lambda: lib["blur"](x, s)))
        for s in (1, 3, 8)
    ]
    cases.append(("Sobel gradient magnitude", lambda lib: (lambda: lib["sobel"](x))))

    names = list(libs)
    print(f"{args.size}x{args.size} RGB float32, best of {args.repeat} (ms); "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"compiled loops loaded: {loaded}")
    print()
    header = ["case", *names, "vs ndimage", "vs scikit-image", "OpenCV / convolab"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, make in cases:
        kind = "sobel" if label.startswith("Sobel") else "blur"
        ref = make(libs["convolab"])()
        runs = {name: make(libs[name]) for name in names}
        for name, run in runs.items():
            _check(name, kind, run(), ref)
        times = _best_ms(runs, args.repeat)
        ours = times["convolab"]

        def ratio(other: str, ours: float = ours, times: dict = times) -> str:
            return f"{times[other] / ours:.2f}x faster" if other in times else "n/a"

        cv = f"{times['OpenCV'] / ours:.2f}" if "OpenCV" in times else "n/a"
        cells = [label, *(f"{times[n]:.0f}" for n in names), ratio("scipy.ndimage"),
                 ratio("scikit-image"), cv]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
