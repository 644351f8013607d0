"""The browser fixture itself: a page loads local content and records an outside request."""


def test_page_log_records_console_errors_and_outside_requests(browser_page):
    page, log = browser_page
    page.set_content("<script>console.error('boom')</script><p>ok</p>")
    assert page.inner_text("p") == "ok"
    assert log.console_errors == ["boom"]
    log.console_errors.clear()
    log.assert_clean()
    log._request(type("R", (), {"url": "https://example.org/x.js"})())
    assert log.outside_requests == ["https://example.org/x.js"]
