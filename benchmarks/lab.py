"""The lab's speed targets (issue 19): a filter, a drawn digit, the first page load.

* **Filter**: a 512 x 512 gray image (the bundled ``camera``) and a 3 x 3 kernel through the
  ``/api/filter`` handler: ``choose_method``, the filter, the edge magnitude, the histogram and
  the three PNGs it returns. Target: <= 50 ms server time.
* **Digit**: a drawn 140 x 140 canvas through ``/api/network/forward`` on the embedded LeNet-5:
  MNIST-style preprocessing, probabilities and every layer's feature maps. Target: <= 150 ms.
* **First page load**: headless Chromium (a fresh context, so nothing is cached) opens each
  page of a real uvicorn server; the time from navigation to the page's first results drawn
  (its ``data-ready`` mark, after its API calls). Target: <= 1 s.

Server times are measured in the handler (the work of one request), and again as the whole
HTTP round trip through uvicorn. Best and median of ``--repeat`` runs. The machine is shared:
every figure is noisy.

Run: ``python benchmarks/lab.py [--repeat 20]``. Needs the ``lab`` extra; the page loads also
need Playwright for Python and Debian's ``chromium``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

from convolab.lab import LabConfig, create_app, network, sections

__all__ = ["main"]


def _times(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm-up: first calls compile and fill caches
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1e3)
    return min(runs), statistics.median(runs)


def _digit() -> np.ndarray:
    canvas = np.zeros((140, 140))
    canvas[30:42, 40:100] = 1.0
    for i in range(60):  # the stroke of a "7"
        r = 42 + i
        c = int(95 - 0.5 * i)
        canvas[r, c - 6:c + 6] = 1.0
    return canvas


def _serve():
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(LabConfig()), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def _post(url: str, body: dict) -> bytes:
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(req) as r:
        return r.read()


def _page_loads(base: str, repeat: int) -> dict[str, tuple[float, float]] | None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    try:
        from browser import CHROMIUM, chromium_available
    except ImportError:
        return None
    if not chromium_available():
        return None
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for page_name in ("", "slide", "filter", "signals", "network", "train"):
            runs = []
            for _ in range(repeat):
                context = browser.new_context()
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(f"{base}/{page_name}")
                page.wait_for_selector("body[data-ready]" if page_name else ".cards")
                runs.append((time.perf_counter() - t0) * 1e3)
                context.close()
            out[page_name or "(home)"] = (min(runs), statistics.median(runs))
        browser.close()
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the three measurements and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    registry = network.Models()
    uploads = sections.Uploads()
    # what the page sends when the kernel changes (the photo it already shows is not resent)
    filt = {"image": "camera", "kernel": {"name": "laplacian", "params": {"neighbours": 8}},
            "boundary": "reflect", "scale": "abs", "with_input": False}  # fmt: skip
    assert sections.sample("camera").shape == (512, 512)
    digit = {"canvas": _digit().tolist()}
    rows = []
    best, med = _times(lambda: sections.filter_image(filt, uploads), args.repeat)
    engine = sections.filter_image(filt, uploads)
    rows.append(("512² image, 3×3 Laplacian: /api/filter handler", best, med, 50))
    first = {**filt, "image": "astronaut", "with_input": True}
    best, med = _times(lambda: sections.filter_image(first, uploads), args.repeat)
    rows.append(("(256² photo, its own pixels sent too, as on a change of photo)", best, med, ""))
    engine_ms = [sections.filter_image(filt, uploads)["ms"] for _ in range(args.repeat)]
    best, med = _times(lambda: network.forward(registry, digit), args.repeat)
    rows.append(("drawn digit → probabilities + all feature maps: handler", best, med, 150))
    server, base = _serve()
    try:
        best, med = _times(lambda: _post(base + "/api/filter", filt), args.repeat)
        rows.append(("512² image, 3×3 Laplacian: HTTP round trip", best, med, 50))
        best, med = _times(lambda: _post(base + "/api/network/forward", digit), args.repeat)
        rows.append(("drawn digit: HTTP round trip", best, med, 150))
        loads = _page_loads(base, max(3, args.repeat // 4))
    finally:
        server.should_exit = True
    print(f"# lab benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"filter engine: method {engine['method']}, {engine['reason']}")
    print("| measurement | best ms | median ms | target ms |\n|---|---|---|---|")
    for name, b, m, target in rows:
        print(f"| {name} | {b:.1f} | {m:.1f} | {target} |")
    print(f"| (the filter call alone, as the page shows it) | {min(engine_ms):.1f} | "
          f"{statistics.median(engine_ms):.1f} | |")  # fmt: skip
    if loads is None:
        print("page loads: skipped (no Playwright or no chromium)")
        return
    for name, (b, m) in loads.items():
        print(f"| first load of {name} (fresh browser context, to first results) | {b:.0f} | "
              f"{m:.0f} | 1000 |")  # fmt: skip


if __name__ == "__main__":
    main()
