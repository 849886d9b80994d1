"""Real headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright.

    @pytest.mark.browser
    def test_something(live_server, page, login, requests_seen, owner):
        login(owner)
        page.goto(live_server.url + "/crm/")
        assert requests_seen.outside(live_server.url) == []

Fixtures:
- browser: one Chromium per test session (skipped with a message when it is not installed);
  Playwright never downloads a browser here, so PLAYWRIGHT_BROWSERS_PATH does not matter.
- context / page: a fresh browser context per test (own cookies and storage), with the
  script hook of HOOK_SCRIPT in every frame and every request recorded.
- login(user): puts a session of `user` into the context's cookies (no login form).
- requests_seen: every request the page, its frames and popups made.
- script_runs(page): what the hook (HOOK_SCRIPT) recorded in the page and each of its frames:
  dialogs and window.open called, window.f30*/xss* flags set, CSP violations.
- attacker: an HTTP server on a second local port (another origin than the live server) that
  answers every request with a small PNG and records the paths it was asked for.

Tests that use live_server run on a transactional database (pytest-django's rule).
"""

import http.server
import os
import shutil
import threading
from dataclasses import dataclass, field

import pytest

CHROMIUM = "/usr/bin/chromium"
# From ../shared/NOTES.md. Playwright itself adds --headless and a fresh temporary
# --user-data-dir for every launch (it refuses one in `args`).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FLAG_PATTERN = r"^(f30|xss)"

# Injected by Playwright into every frame before the page's own scripts, the mail's sandboxed
# frame included (DevTools injects it although the frame's own scripts cannot run). Each frame
# keeps a log in window.__scriptRuns: calls of alert/confirm/prompt/open/print, window.f30* /
# xss* flags found at load or when asked, and every CSP violation (what the sanitiser should
# have removed already). eval is not wrapped: Playwright's own evaluate() goes through it.
HOOK_SCRIPT = """
(() => {
  const log = [];
  Object.defineProperty(window, "__scriptRuns", {value: log});
  const report = (entry) => { entry.frame = String(location.href); log.push(entry); };
  for (const name of ["alert", "confirm", "prompt", "open", "print"]) {
    window[name] = (...args) => { report({what: "call", name, args: args.map(String)}); };
  }
  const pattern = /FLAG_PATTERN/;
  const flags = () => {
    for (const key of Object.keys(window)) {
      if (pattern.test(key)) { report({what: "flag", name: key}); }
    }
  };
  Object.defineProperty(window, "__reportFlags", {value: flags});
  window.addEventListener("load", flags);
  document.addEventListener("securitypolicyviolation", (event) => {
    report({what: "csp", directive: event.effectiveDirective, blocked: event.blockedURI});
  });
})();
""".replace("FLAG_PATTERN", FLAG_PATTERN)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: `make test-deps` installs Debian's chromium package")
    # The sync API runs Playwright's event loop in this thread; Django then believes it is in
    # async code and refuses ORM calls from the test itself.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class RequestLog:
    urls: list = field(default_factory=list)

    def record(self, request):
        self.urls.append(request.url)

    def outside(self, base_url):
        """The requests to anything but `base_url` (data: URLs are no requests)."""
        base = base_url.rstrip("/") + "/"
        return [u for u in self.urls if not u.startswith(base) and not u.startswith("data:")]


@pytest.fixture
def requests_seen():
    return RequestLog()


@pytest.fixture
def context(browser, requests_seen):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.add_init_script(HOOK_SCRIPT)
    context.on("request", requests_seen.record)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def login(live_server, context):
    """login(user): the context's requests to the live server carry a session of `user`."""
    from django.conf import settings
    from django.test import Client

    def login_as(user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}]
        )
        # The UI in English, so that tests read the English msgids.
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
        )

    return login_as


def script_runs(page):
    """What HOOK_SCRIPT recorded in the page and all its frames (flags collected first)."""
    runs = []
    for frame in page.frames:
        runs += frame.evaluate(
            "window.__reportFlags ? (window.__reportFlags(), window.__scriptRuns) : "
            "[{what: 'hook missing', frame: String(location.href)}]"
        )
    return runs


def window_flags(frame):
    """window.f30*/xss* properties of one frame, read through Playwright (which can evaluate in
    a frame whose own scripts are disabled)."""
    return frame.evaluate(f"Object.keys(window).filter((k) => /{FLAG_PATTERN}/.test(k))")


class _AttackerHandler(http.server.BaseHTTPRequestHandler):
    PNG = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
    )

    def do_GET(self):
        self.server.paths.append(self.path)
        self.server.hit.set()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.PNG)))
        self.end_headers()
        self.wfile.write(self.PNG)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def attacker():
    """A server on 127.0.0.1 (the live server is "localhost": another origin)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AttackerHandler)
    server.paths = []
    server.hit = threading.Event()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
