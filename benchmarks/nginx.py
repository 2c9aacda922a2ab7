"""Debian's nginx as a throw-away child process, configured from deploy/nginx.

Used by the streaming benchmark and by the X-Accel-Redirect integration test, so both
exercise the very template the deployment uses.
"""

import os
import shutil
import socket
import string
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE_TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "default.conf.template"
S3_SITE_TEMPLATE = ROOT / "deploy" / "nginx" / "s3" / "default.conf.template"


def nginx_available() -> bool:
    return shutil.which("nginx") is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(
    port: int, *, process: subprocess.Popen | None = None, timeout: float = 30.0
) -> None:
    """Return once 127.0.0.1:port accepts; fail early if `process` died meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                errors = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"{process.args[0]} exited: {errors.strip()}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"Nothing listens on 127.0.0.1:{port}.") from None
            time.sleep(0.05)


def videoflix_site(
    *, upstream: str, media_root: Path, port: int, auth_cache: Path, link_secret: str
) -> str:
    """The deployment's server block, rendered as the nginx image's envsubst would."""
    return string.Template(SITE_TEMPLATE.read_text()).safe_substitute(
        VIDEOFLIX_UPSTREAM=upstream,
        VIDEOFLIX_MEDIA_ROOT=str(media_root),
        VIDEOFLIX_AUTH_CACHE=str(auth_cache),
        VIDEOFLIX_SEGMENT_LINK_SECRET=link_secret,
        NGINX_PORT=f"127.0.0.1:{port}",
    )


def s3_site(
    *,
    upstream: str,
    port: int,
    endpoint_url: str,
    bucket: str,
    origins: list[str],
    cache: Path,
    cache_size: str = "1g",
) -> str:
    """The MEDIA_STORAGE=s3 server block (the API and the bucket proxy), rendered likewise."""
    endpoint_host = endpoint_url.split("://", 1)[1].rstrip("/")
    return string.Template(S3_SITE_TEMPLATE.read_text()).safe_substitute(
        VIDEOFLIX_UPSTREAM=upstream,
        NGINX_PORT=f"127.0.0.1:{port}",
        VIDEOFLIX_BUCKET_UPSTREAM=endpoint_host,
        VIDEOFLIX_BUCKET_HOST=endpoint_host,
        VIDEOFLIX_BUCKET=bucket,
        VIDEOFLIX_CORS_ALLOWED_ORIGINS=",".join(origins),
        VIDEOFLIX_BUCKET_CACHE=str(cache),
        VIDEOFLIX_BUCKET_CACHE_SIZE=cache_size,
    )


@contextmanager
def running_nginx(
    workdir: Path, servers: str, *, ports: list[int], workers: int = 2
) -> Iterator[subprocess.Popen]:
    """nginx in the foreground with `servers` (server blocks) until the block exits."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "nginx.conf"
    temp = {name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # As root, nginx would drop its workers to www-data, who cannot read pytest's or the
    # benchmark's private temporary folders; these throw-away workers keep our own user.
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(
        f"""
daemon off;
{user}
worker_processes {workers};
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{servers}
}}
"""
    )
    process = subprocess.Popen(
        ["nginx", "-c", str(config), "-p", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for port in ports:
            wait_for_port(port, process=process)
        yield process
    finally:
        stop(process, grace=10)


def stop(process: subprocess.Popen, *, grace: float) -> None:
    """Terminate `process`, killing it if it has not exited after `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
