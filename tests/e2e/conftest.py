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
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from benchmarks.nginx import nginx_available, running_nginx
from benchmarks.nginx import s3_site as s3_nginx_site
from tests.live_server import LiveStack
from tests.s3server import unique_bucket_name
from tests.storage.stacks import s3_environment
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
    origin: str  # where the front end reaches the API: the web itself, or nginx in front of it

    @property
    def api(self) -> str:
        return f"{self.origin}/api"


def _build_front_end(folder: Path, hls_js: Path, api: str) -> Path:
    shutil.copytree(SITE, folder)
    (folder / "vendor").mkdir()
    shutil.copy(hls_js, folder / "vendor" / "hls.min.js")
    (folder / "config.js").write_text(f'window.VIDEOFLIX_API = "{api}";\n')
    return folder


@contextmanager
def _running_stack(
    workdir: Path, *, name: str, frontend: str, env: dict[str, str] | None = None
) -> Iterator[LiveStack]:
    """Videoflix with production settings, migrated, its worker consuming; the web is the
    caller's to start (on a port of its choosing)."""
    stack = LiveStack(
        workdir / "stack",
        name=name,
        # ultrafast: picture quality is not what the browser test is about
        env={
            "FRONTEND_URL": frontend,
            "CORS_ALLOWED_ORIGINS": frontend,
            "VIDEO_TRANSCODE_PRESET": "ultrafast",
            **(env or {}),
        },
    )
    try:
        if stack.env.get("MEDIA_STORAGE") == "s3":
            # As compose's setup service does first: the bucket, its CORS rules, a verdict.
            stack.manage("storage_setup", timeout=120)
        stack.install()
        # Production settings serve static files from collectstatic's manifest (the admin's).
        stack.manage("collectstatic", "--noinput", "-v", "0", timeout=300)
        stack.start_worker()
        yield stack
    finally:
        stack.close()


@contextmanager
def _serving_front_end(workdir: Path, hls_js: Path, *, api: str, port: int) -> Iterator[None]:
    folder = _build_front_end(workdir / "site", hls_js, api)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site(tmp_path_factory, hls_js) -> Iterator[Site]:
    """Videoflix running (web + worker) and the front end served from its own origin."""
    workdir = tmp_path_factory.mktemp("e2e")
    frontend_port = free_port(FRONTEND_PORT)
    frontend = f"http://127.0.0.1:{frontend_port}"
    with _running_stack(workdir, name="e2e", frontend=frontend) as stack:
        stack.start_web()
        with _serving_front_end(workdir, hls_js, api=stack.url("/api"), port=frontend_port):
            yield Site(stack=stack, frontend=frontend, origin=stack.url(""))


@pytest.fixture(scope="session")
def s3_site(tmp_path_factory, hls_js, s3_server) -> Iterator[Site]:
    """The same with MEDIA_STORAGE=s3, as compose.s3.yaml runs it: the media in a bucket of the
    real S3 server, which checks every signature; nginx's s3 site (deploy/nginx/s3/) in front of
    the web and of the bucket, whose signed URLs point at it (S3_MEDIA_BASE_URL), since the
    store cannot answer credentialed CORS itself. The front end reaches the API through nginx."""
    if not nginx_available():
        prerequisite_missing("nginx is not installed (apt-get install nginx-light)")
    workdir = tmp_path_factory.mktemp("e2e-s3")
    frontend_port = free_port(FRONTEND_PORT)
    frontend = f"http://127.0.0.1:{frontend_port}"
    web_port, proxy_port = free_port(), free_port()
    proxy = f"http://127.0.0.1:{proxy_port}"
    bucket = unique_bucket_name("vf-e2e")
    env = {**s3_environment(s3_server, bucket), "S3_MEDIA_BASE_URL": f"{proxy}/media-bucket"}
    with _running_stack(workdir, name="e2es3", frontend=frontend, env=env) as stack:
        stack.start_web(port=web_port)
        # Under the stack's logs: a failing test's artifacts include nginx's error.log.
        nginx_dir = stack.logs_dir / "nginx"
        nginx_site = s3_nginx_site(
            upstream=f"127.0.0.1:{web_port}",
            port=proxy_port,
            endpoint_url=s3_server.endpoint_url,
            bucket=bucket,
            origins=[frontend],
            cache=nginx_dir / "bucket-cache",
        )
        with (
            running_nginx(nginx_dir, nginx_site, ports=[proxy_port], workers=1),
            _serving_front_end(workdir, hls_js, api=f"{proxy}/api", port=frontend_port),
        ):
            yield Site(stack=stack, frontend=frontend, origin=proxy)


@contextmanager
def _browsing(browser, site: Site, request) -> Iterator:
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
        for log in site.stack.logs_dir.rglob("*.log"):
            shutil.copy(log, ARTIFACTS / f"{name}.{log.name}")
    context.close()


@pytest.fixture
def page(browser, site, request):
    with _browsing(browser, site, request) as page:
        yield page


@pytest.fixture
def s3_page(browser, s3_site, request):
    with _browsing(browser, s3_site, request) as page:
        yield page
