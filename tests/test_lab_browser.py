"""End to end: the lab's pages in headless Chromium against a real uvicorn server.

Each test loads one section, interacts as a person would (sliders, a kernel cell, a digit drawn
with the mouse, a training run started and stopped), checks that the numbers on the page are the
library's own, that nothing went wrong in the console and that no request left 127.0.0.1, and
saves a screenshot (into docs/images/ when CONVOLAB_SAVE_SCREENSHOTS=1, else a temporary folder).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

import convolab  # noqa: E402
from convolab import data, image, kernels, nn, signal  # noqa: E402
from convolab import train as training  # noqa: E402
from convolab.explain import explain, explain_unit  # noqa: E402
from convolab.lab import LabConfig, create_app  # noqa: E402
from convolab.lab.network import EMBEDDED  # noqa: E402
from convolab.lab.sections import SAMPLES  # noqa: E402

pytestmark = pytest.mark.slow
DOCS_IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"


@pytest.fixture(scope="module")
def lab_url():
    """A real uvicorn server on a free loopback port, in a thread, for this module."""
    folders = ()
    mnist = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist-5k"
    mnist = Path(os.environ.get("CONVOLAB_MNIST_5K", mnist))
    if mnist.is_dir():  # named as a person would, relative to the repository
        folders = (Path(os.path.relpath(mnist)),)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(LabConfig(data_folders=folders))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the lab server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", folders
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def shots(tmp_path):
    folder = DOCS_IMAGES if os.environ.get("CONVOLAB_SAVE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return lambda page, name: page.screenshot(path=str(folder / f"lab-{name}.png"), full_page=True)


def _open(page, url):
    page.goto(url)
    page.wait_for_selector("body[data-ready]", timeout=30_000)


def _press(page, selector, key, times):
    page.focus(selector)
    for _ in range(times):
        page.keyboard.press(key)


def test_home_links_every_section(browser_page, lab_url):
    page, log = browser_page
    page.goto(lab_url[0] + "/")
    hrefs = page.eval_on_selector_all(".card", "cards => cards.map(c => c.getAttribute('href'))")
    assert hrefs == ["/slide", "/filter", "/signals", "/network", "/train"]
    log.assert_clean()


def test_slide(browser_page, lab_url, shots):
    page, log = browser_page
    _open(page, lab_url[0] + "/slide")
    x = [0, 0, 0, 3, 4, 5, 4, 3, 0, 0]
    first = explain(x, [1, 0, 0], op="correlate", mode="same")
    assert page.inner_text("#current") == str(first).splitlines()[4]
    # edit a kernel cell: [1, 0, 0] -> [1, 2, 0]
    with page.expect_response("**/api/slide"):
        page.fill("#k-cells input[data-j='1']", "2")
        page.keyboard.press("Tab")
    # move the stride slider to 2
    with page.expect_response("**/api/slide"):
        _press(page, "#stride", "ArrowRight", 1)
    page.wait_for_function("document.getElementById('stride-v').textContent === '2'")
    e = explain(x, [1, 2, 0], op="correlate", mode="same", stride=2)
    rows = page.eval_on_selector_all("#rows div", "ds => ds.map(d => d.textContent)")
    assert rows == str(e).splitlines()[:-1]
    shown = page.eval_on_selector_all("#output-table td[data-out]",
                                      "ts => ts.map(t => t.textContent)")  # fmt: skip
    expected = convolab.correlate(x, [1, 2, 0], mode="same", stride=2)
    np.testing.assert_allclose([float(v) for v in shown], expected)
    # convolve shows the flipped kernel
    with page.expect_response("**/api/slide"):
        page.select_option("#op", "convolve")
    page.wait_for_function("document.getElementById('flip').textContent.includes('flips')")
    assert "[0,2,1]" in page.inner_text("#flip")
    page.click("#prev")  # from the last of the 5 outputs back to t = 3
    e = explain(x, [1, 2, 0], op="convolve", mode="same", stride=2)
    assert page.inner_text("#current") == str(e).splitlines()[3]
    assert "floor((10 + 2 − 3) / 2) + 1 = 5" in page.inner_text("#formula")
    shots(page, "slide")
    # 2D: the default image and Sobel kernel
    with page.expect_response("**/api/slide"):
        page.select_option("#dims", "2")
    page.wait_for_selector("#kernel-table")
    x2 = np.array(page.evaluate("S.x2"))
    out = page.eval_on_selector_all("#output-table td", "ts => ts.map(t => t.textContent)")
    ref = convolab.convolve(x2, kernels.sobel(), mode="same", stride=2)
    np.testing.assert_allclose([float(v) for v in out], ref.ravel())
    shots(page, "slide-2d")
    log.assert_clean()


def test_filter(browser_page, lab_url, shots, tmp_path):
    page, log = browser_page
    _open(page, lab_url[0] + "/filter")
    img = image.load(SAMPLES / "camera.png")
    lap = kernels.laplacian(8)
    assert page.inner_text("#method") == convolab.choose_method(img, lap, mode="same",
                                                               boundary="reflect")[0]  # fmt: skip
    # a Gaussian with sigma typed in
    with page.expect_response("**/api/filter"):
        page.select_option("#kernel", "gaussian")
    with page.expect_response("**/api/filter"):
        page.fill("#params input[data-param='sigma']", "2.5")
        page.keyboard.press("Tab")
    page.wait_for_function("document.querySelectorAll('#kernel-cells td').length === 1")
    k = kernels.gaussian(sigma=2.5)
    method, reason = convolab.choose_method(img, k, mode="same", boundary="reflect")
    assert page.inner_text("#method") == method and page.inner_text("#reason") == reason
    assert f"{k.shape[0]}×{k.shape[1]} kernel" in page.inner_text("#kernel-cells")
    stats = page.inner_text("#stats")
    out = image.filter(img, k.astype(np.float32), boundary="reflect")
    assert f"max {float(np.format_float_positional(out.max(), 4, fractional=False))}" in stats
    # an upload: a ramp, filtered with a typed matrix
    ramp = np.tile(np.linspace(0, 1, 40), (30, 1))
    image.save(tmp_path / "ramp.png", ramp)
    with page.expect_response("**/api/filter"):
        page.set_input_files("#upload", str(tmp_path / "ramp.png"))
    page.wait_for_function("document.getElementById('stats').textContent.startsWith('30×40')")
    with page.expect_response("**/api/filter"):
        page.fill("#matrix", "0 0 0\n-1 0 1\n0 0 0")
        page.keyboard.press("Tab")
    page.wait_for_function("document.querySelectorAll('#kernel-cells td').length === 9")
    up = image.load(tmp_path / "ramp.png")
    grad = image.filter(up, np.array([[0, 0, 0], [-1, 0, 1], [0, 0, 0]], np.float32))
    assert f"max {float(np.format_float_positional(grad.max(), 4, fractional=False))}" in (
        page.inner_text("#stats"))  # fmt: skip
    with page.expect_response("**/api/filter"):
        page.select_option("#image", "camera")
    with page.expect_response("**/api/filter"):
        page.select_option("#kernel", "sobel")
    sobel = " ".join(str(int(v)) for v in kernels.sobel().ravel())
    page.wait_for_function(  # the typed matrix's request may still answer first
        "want => document.getElementById('kernel-cells').innerText.split(/\\s+/).join(' ')"
        " === want", arg=sobel)  # fmt: skip
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#method") == convolab.choose_method(img, kernels.sobel(),
                                                               boundary="reflect",
                                                               mode="same")[0]  # fmt: skip
    drawn = page.evaluate("""() => {
        const c = document.getElementById('out-img');
        const d = c.getContext('2d').getImageData(0, 256, c.width, 1).data;
        return [c.width, c.height, Array.from(d.filter((_, i) => i % 4 === 0))];
    }""")  # fmt: skip
    sobel_out = image.filter(img, kernels.sobel().astype(np.float32), boundary="reflect")
    assert drawn[:2] == [512, 512]
    np.testing.assert_array_equal(drawn[2], image.to_uint8(sobel_out, "abs")[256])
    shots(page, "filter")
    log.assert_clean()


def test_signals(browser_page, lab_url, shots):
    page, log = browser_page
    _open(page, lab_url[0] + "/signals")
    with page.expect_response("**/api/signals"):
        _press(page, "#s-width", "ArrowRight", 1)  # width 3 -> 5
    page.wait_for_function("document.getElementById('s-values').textContent.includes('7.6')")
    x = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]
    smoothed = signal.smooth(x, kind="box", width=5)
    assert page.inner_text("#s-values") == "smoothed = [" + ", ".join(
        f"{float(f'{v:.4g}'):g}" for v in smoothed) + "]"  # fmt: skip
    # beta from -0.8 up by 6 steps of 0.05; noise up by 2 steps
    _press(page, "#d-beta", "ArrowRight", 6)
    _press(page, "#d-noise", "ArrowRight", 2)
    page.wait_for_function("document.getElementById('d-noise-v').textContent === '0.25'")
    page.wait_for_function(
        "document.getElementById('d-formula').textContent.includes('+ (-0.5)')")
    page.wait_for_load_state("networkidle")
    scene = signal.make_shape_signal(noise=0.25, seed=0)
    found = signal.detect(scene.signal, scene.template, beta=-0.5)
    assert page.inner_text("#d-formula").endswith(f"= {found.probability:.4f}")
    assert page.inner_text("#d-positions") == ", ".join(str(p) for p in found.positions)
    hard = signal.shift([0, 0, 0, 3, 4, 5, 4, 3, 0, 0], 1)
    assert page.inner_text("#h-hard") == "hard = [" + ", ".join(f"{v:g}" for v in hard) + "]"
    shots(page, "signals")
    log.assert_clean()


def _draw_seven(page):
    box = page.locator("#draw").bounding_box()
    x0, y0 = box["x"], box["y"]
    page.click("#clear")
    page.mouse.move(x0 + 70, y0 + 60)
    page.mouse.down()
    for px, py in [(200, 60), (190, 110), (150, 170), (120, 240)]:
        page.mouse.move(x0 + px, y0 + py, steps=8)
    page.mouse.up()


def test_network(browser_page, lab_url, shots):
    page, log = browser_page
    _open(page, lab_url[0] + "/network")
    _draw_seven(page)
    page.wait_for_timeout(300)  # a throttled pass may still be due after the mouse went up
    latest = page.evaluate("N.seq")
    page.wait_for_function(f"document.body.dataset.shown === '{latest}'")
    canvas = np.array(page.evaluate("canvasValues()"))
    model = nn.load(EMBEDDED)
    x = data.to_mnist(canvas)
    probs = training.predict(model, x[None])[0]
    shown = page.eval_on_selector_all(".prob", "ps => ps.map(p => p.textContent)")
    np.testing.assert_allclose([float(p) for p in shown], probs, atol=1e-4)
    assert page.inner_text("#predicted") == str(int(np.argmax(probs)))
    maps = page.locator("canvas[data-layer='3']")
    assert maps.count() == 16  # every channel of C3
    assert page.locator("canvas[data-layer='0']").count() == 6
    # click pixel (4, 6) of channel 5 of C3 (6 canvas pixels per map pixel)
    with page.expect_response("**/api/network/unit"):
        maps.nth(5).click(position={"x": 6 * 6 + 3, "y": 4 * 6 + 3})
    page.wait_for_selector("#unit-sum")
    from convolab import analysis

    acts = analysis.activations(model, x[None])
    u = explain_unit(model[3], acts[2].output[0], 5, (4, 6))
    assert page.inner_text("#unit-text") == str(u)
    assert float(page.inner_text("#unit-sum")) == pytest.approx(u.sum, rel=1e-5)
    assert float(page.inner_text("#unit-value")) == pytest.approx(float(acts[3].output[0, 5, 4, 6]),
                                                                  rel=1e-5, abs=1e-6)  # fmt: skip
    assert "rows 6–19, columns 10–23" in page.inner_text("#field")
    shots(page, "network")
    log.assert_clean()


def test_train_then_explore(browser_page, lab_url, shots):
    page, log = browser_page
    url, folders = lab_url
    if not folders:
        pytest.skip("shared mnist-5k folder not present")
    _open(page, url + "/train")
    assert page.input_value("#data") == str(folders[0])
    page.fill("#epochs", "50")
    page.fill("#limit", "2000")
    page.fill("#batch", "32")
    page.click("#start")
    page.wait_for_function("document.getElementById('status').textContent === 'running'",
                           timeout=30_000)  # fmt: skip
    page.wait_for_function("document.getElementById('latest').textContent.includes('step')")
    time.sleep(2)
    page.click("#stop")
    page.wait_for_function("document.getElementById('status').textContent === 'stopped'",
                           timeout=30_000)  # fmt: skip
    run = page.evaluate("T.id")
    events = page.evaluate(f"fetch('/api/train/{run}?since=0').then(r => r.json())")["events"]
    epochs = [e for e in events if e["type"] == "epoch"]
    rows = page.eval_on_selector_all("#epochs-table tr", "rs => rs.slice(1).map(r => r.innerText)")
    assert len(rows) == len(epochs) >= 1
    assert rows[-1].split()[1] == f"{epochs[-1]['loss']:.4f}"
    assert page.locator("#chart polyline").count() == 2
    shots(page, "train")
    page.click("#explore-link")
    page.wait_for_selector("body[data-ready]")
    assert page.input_value("#model").startswith(run)
    assert page.locator("canvas[data-layer='0']").count() == 6
    log.assert_clean()
