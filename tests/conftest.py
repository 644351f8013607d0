"""Shared test configuration: Hypothesis profiles and the shared MNIST sample.

``ci`` (the default) keeps property tests quick; select another profile with the
``HYPOTHESIS_PROFILE`` environment variable (``thorough`` runs many more examples).
The 5,000 real MNIST digits live in ``../shared/data/mnist-5k`` beside the repository
(or wherever ``CONVOLAB_MNIST_5K`` points); tests that need them take the ``mnist_5k``
fixture and skip when the folder is absent.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from browser import CHROMIUM, PageLog, chromium_available

MNIST_5K = Path(
    os.environ.get(
        "CONVOLAB_MNIST_5K",
        Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist-5k",
    )
)


@pytest.fixture
def mnist_5k() -> Path:
    """The folder of the 5,000 shared MNIST digits (IDX files); skips when absent."""
    if not MNIST_5K.is_dir():
        pytest.skip("shared mnist-5k folder not present")
    return MNIST_5K



@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium (Debian's build) for the whole run; skips when it is absent."""
    if not chromium_available():
        pytest.skip("Playwright for Python or the system Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh page and its :class:`browser.PageLog` (console errors, outside requests)."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log = PageLog()
    log.watch(page)
    yield page, log
    context.close()


settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def spy(monkeypatch):
    """``spy(module, name)``: wrap ``module.name`` for the test and return the list that
    grows by one item per call (the wrapped function still runs)."""

    def install(module, name):
        calls = []
        original = getattr(module, name)

        def wrapped(*args, **kwargs):
            calls.append(1)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)
        return calls

    return install


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the oracle of the layer ops; the test skips without it."""
    return pytest.importorskip("torch")
