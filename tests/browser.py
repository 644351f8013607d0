"""A real headless Chromium for the end-to-end tests (the lab and the documentation site).

Playwright for Python drives Debian's ``chromium`` package (``/usr/bin/chromium``, or
wherever ``CONVOLAB_CHROMIUM`` points); Playwright's own browser download is never used.
Tests take the ``browser_page`` fixture from ``tests/conftest.py``; it skips when either part
is missing. Every page records its console errors and every request to a host other than the
loopback, so a test can assert that nothing leaves the machine.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from urllib.parse import urlparse

CHROMIUM = os.environ.get("CONVOLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass
class PageLog:
    """What a page did that a test may want to refuse: console errors and outside requests."""

    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        """Record console errors, uncaught page errors and requests that leave the loopback."""
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        page.on("request", self._request)

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOOPBACK_HOSTS:
            self.outside_requests.append(request.url)

    def assert_clean(self) -> None:
        """No console error and no request to any host but the loopback."""
        assert not self.console_errors, self.console_errors
        assert not self.outside_requests, self.outside_requests


def chromium_available() -> bool:
    """Whether Playwright for Python and the system Chromium are both installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return os.path.exists(CHROMIUM)
