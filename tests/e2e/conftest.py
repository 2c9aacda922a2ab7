"""A real browser against real processes.

Debian's chromium, driven through Playwright (never a browser Playwright downloads); hls.js
from the npm registry, installed once into a cache folder outside the checkout; a static front
end served from a second origin (http://127.0.0.1:5500, as the contract's front ends); Videoflix
as Granian plus a Huey consumer with production settings (tests/live_server.py). A failing test
leaves a screenshot, the browser console and the server logs in tests/artifacts/e2e/.
"""

import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.live_server import LiveStack
from tests.support import ROOT, free_port, prerequisite_missing

# One pin for both players: the admin's (player/, installed by `make setup`) and the test site's.
PLAYER_PACKAGE = json.loads((ROOT / "player" / "package.json").read_text())
HLS_JS_VERSION = PLAYER_PACKAGE["dependencies"]["hls.js"]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The closed network refuses Chromium's background connections; these flags stop it trying.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CACHE_DIR = Path(os.environ.get("VIDEOFLIX_TEST_CACHE", Path.home() / ".cache" / "videoflix-tests"))
SITE = Path(__file__).parent / "site"
ARTIFACTS = ROOT / "tests" / "artifacts" / "e2e"
FRONTEND_PORT = 5500
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture(scope="session")
def hls_js() -> Path:
    """hls.min.js of a pinned release, from the npm registry into the cache on first use."""
    folder = CACHE_DIR / f"hls.js-{HLS_JS_VERSION}"
    script = folder / "node_modules" / "hls.js" / "dist" / "hls.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        prerequisite_missing("npm is not installed: hls.js comes from the npm registry")
    argv = [npm, "install", "--prefix", str(folder), "--no-save", "--no-package-lock"]
    result = subprocess.run(
        [*argv, "--no-audit", "--no-fund", f"hls.js@{HLS_JS_VERSION}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 or not script.exists():
        prerequisite_missing(f"hls.js could not be installed from npm:\n{result.stderr[-800:]}")
    return script


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        prerequisite_missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@dataclass
class Site:
    stack: LiveStack
    frontend: str  # the front end's origin, e.g. http://127.0.0.1:5500

    @property
    def api(self) -> str:
        return self.stack.url("/api")


def _build_front_end(folder: Path, hls_js: Path, api: str) -> Path:
    shutil.copytree(SITE, folder)
    (folder / "vendor").mkdir()
    shutil.copy(hls_js, folder / "vendor" / "hls.min.js")
    (folder / "config.js").write_text(f'window.VIDEOFLIX_API = "{api}";\n')
    return folder


@pytest.fixture(scope="session")
def site(tmp_path_factory, hls_js) -> Iterator[Site]:
    """Videoflix running (web + worker) and the front end served from its own origin."""
    workdir = tmp_path_factory.mktemp("e2e")
    frontend_port = free_port(FRONTEND_PORT)
    frontend = f"http://127.0.0.1:{frontend_port}"
    stack = LiveStack(
        workdir / "stack",
        name="e2e",
        # ultrafast: picture quality is not what the browser test is about
        env={
            "FRONTEND_URL": frontend,
            "CORS_ALLOWED_ORIGINS": frontend,
            "VIDEO_TRANSCODE_PRESET": "ultrafast",
        },
    )
    server = None
    try:
        stack.install()
        # Production settings serve static files from collectstatic's manifest (the admin's).
        stack.manage("collectstatic", "--noinput", "-v", "0", timeout=300)
        stack.start_worker()
        stack.start_web()
        folder = _build_front_end(workdir / "site", hls_js, stack.url("/api"))
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", frontend_port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield Site(stack=stack, frontend=frontend)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        stack.close()


@pytest.fixture
def page(browser, site, request):
    """A fresh browser profile (no cookies) on the front end's home page."""
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.goto(f"{site.frontend}/index.html")
    yield page
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = request.node.name
        page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(console))
        for log in site.stack.logs_dir.glob("*.log"):
            shutil.copy(log, ARTIFACTS / f"{name}.{log.name}")
    context.close()
