"""Real-browser fixtures: the test app served on a free local port, Debian's Chromium through Playwright.

No browser is ever downloaded: Playwright drives /usr/bin/chromium (apt-get install chromium). Without
it the browser tests are skipped locally, but under CI=true they fail, because CI must run them.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.conftest import stop_feed_hub

CHROMIUM = Path(os.environ.get("MOTIONS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
TIMEOUT_MS = 10_000  # a page that takes longer than this on localhost is a failure, not a wait

DEMO_PASSWORD = "solidarity"  # the demo people's password, printed by `motions demo`


def _unavailable(reason: str):
    """Skip locally; under CI=true the browser tests may not be skipped, so fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run, not be skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        from motions.extensions import db

        # Close the server threads' connections before the app fixture empties the database.
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def short_streams(request, app, live_server):
    """Event streams of the test module's STREAM_SECONDS (3 s by default): the browsers reconnect (Last-Event-ID) during the test, as they
    do every 30 s in a meeting. After the browsers close (new_context's teardown runs before the
    caller's fixture teardown) the app's feed hub is stopped, which ends the streams waiting on it
    at once, and the server's request threads are waited for: no stream may go on reading the
    database once the test has emptied or dropped it."""
    seconds = getattr(request.module, "STREAM_SECONDS", 3.0)
    app.config["EVENT_STREAM_SECONDS"] = seconds
    yield
    stop_feed_hub(app)  # the streams waiting on it end now rather than at their time
    # The request threads of this test's server (socketserver's process_request_thread), not serve_forever.
    server = live_server._server
    requests = [t for t in threading.enumerate()
                if getattr(getattr(t, "_target", None), "__self__", None) is server
                and t._target.__name__ == "process_request_thread"]
    for thread in requests:
        thread.join(timeout=seconds + 5)
    assert not any(t.is_alive() for t in requests), "a request of the live server is still running"


@pytest.fixture
def live_server(app):
    """The test `app` (tests/conftest.py) served on 127.0.0.1 on a free port, in a background thread."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def new_context(browser, live_server):
    """Open a browser context (a fresh profile: own cookies, locale, viewport); closed after the test."""
    contexts = []

    def open_context(**options):
        options.setdefault("base_url", live_server.url)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a desktop-sized English context."""
    return new_context(locale="en-GB", viewport={"width": 1280, "height": 800}).new_page()


def _sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Your meetings")).to_be_visible()


@pytest.fixture
def sign_in():
    """sign_in(page, email[, password]): through the sign-in page, as a person would, in English."""
    return _sign_in
