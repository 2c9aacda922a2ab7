"""Faults injected into real processes: a killed ffmpeg or worker, a database that goes away,
a full disk, a Redis restart. Each test gets its own stack (tests/live_server.py) with short
job timings, uploads through `manage.py upload_video`, and reads the outcome from the stack's
database and media folder.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveStack
from tests.media import generate_video
from tests.support import child_processes, free_port, prerequisite_missing, wait_for

# Seconds instead of minutes, so a test sees retries and requeues happen; the fastest x264
# preset, as picture quality is not what these tests are about.
FAST_JOBS = {
    "VIDEO_TRANSCODE_PRESET": "ultrafast",
    "VIDEO_TRANSCODE_RETRY_DELAY_SECONDS": "1",
    "VIDEO_HEARTBEAT_STALE_SECONDS": "3",
    "VIDEO_PENDING_REQUEUE_SECONDS": "2",
}
# The periodic sweep would run once a minute in the worker; the workers here run none, and the
# tests run it at the moment it matters: on a loaded machine a running job's heartbeat can lag
# past the short stale limit, and a sweep at that moment would requeue a job nobody abandoned.
RUN_SWEEP = "from catalog.tasks import sweep_transcodes; sweep_transcodes.call_local()"


def wait_for_status(stack: LiveStack, video_id: int, *statuses: str, timeout: float = 90):
    def reached():
        row = stack.video(video_id)
        return row if row["status"] in statuses else None

    try:
        return wait_for(reached, timeout=timeout, what=f"video {video_id} to be {statuses}")
    except AssertionError as error:
        raise AssertionError(
            f"{error}; now {stack.video(video_id)}\nworker log:\n{stack.log('worker')[-4000:]}"
        ) from None


def sweep_until_requeued(stack: LiveStack, video_id: int) -> None:
    """Run the sweep, as the worker's periodic task would once a minute, until it has taken
    the abandoned job out of `processing` (once its heartbeat has gone stale)."""

    def requeued():
        stack.shell(RUN_SWEEP)
        return stack.video(video_id)["status"] != "processing"

    wait_for(requeued, timeout=60, what="the sweep to requeue the abandoned job", every=1)


def upload(stack: LiveStack, source: Path, title: str) -> int:
    """Store and queue a film as staff do from the command line; its id."""
    result = stack.manage("upload_video", str(source), "--title", title, "--publish", "--json")
    return json.loads(result.stdout[result.stdout.index("{") :])["id"]


def encoder_of(worker_pid: int) -> int | None:
    """The pid of the ladder encode the worker runs, if any: the ffmpeg with a filter graph
    (the loudness analysis and the sprite packing before and after it have none)."""
    for pid in child_processes(worker_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"ffmpeg") and b"-filter_complex" in argv:
            return pid
    return None


def hls_entries(stack: LiveStack, video_id: int) -> dict[str, list[str]]:
    """A video's entries in MEDIA_ROOT/hls (its link and versions) and in hls/.work."""
    root = stack.media_root / "hls"
    mine = re.compile(rf"^\.?{video_id}(\..*|-.*)?$")

    def names(folder: Path) -> list[str]:
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if mine.match(p.name))

    return {"top": names(root), "work": names(root / ".work")}


def assert_one_live_output(stack: LiveStack, video_id: int) -> Path:
    """Exactly the live link and the one version it points to; no work folders left."""
    # The job removes its work folder just after it records the video ready.
    wait_for(lambda: not hls_entries(stack, video_id)["work"], timeout=60, what="no work folder")
    entries = hls_entries(stack, video_id)
    link = stack.media_root / "hls" / str(video_id)
    assert link.is_symlink(), entries
    live = link.resolve()
    assert entries == {"top": sorted([str(video_id), live.name]), "work": []}
    assert (live / "master.m3u8").is_file()
    return live


@pytest.fixture
def source(tmp_path) -> Path:
    """30 s of 640x360: a few seconds of encoding, long enough to be interrupted."""
    return generate_video(tmp_path / "film.mp4", seconds=30, width=640, height=360)


@pytest.fixture
def make_stack(tmp_path) -> Iterator[Callable[..., LiveStack]]:
    stacks: list[LiveStack] = []

    def make(name: str, env: dict[str, str] | None = None) -> LiveStack:
        stack = LiveStack(
            tmp_path / name, name=name, env={**FAST_JOBS, **(env or {})}, periodic=False
        )
        stacks.append(stack)
        return stack.install()

    yield make
    for stack in stacks:
        stack.close()


class TcpProxy:
    """A TCP forwarder in front of a server that can cut the line, like a network outage:
    open connections are dropped and new ones refused until `restore()`."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def restore(self) -> "TcpProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() would not
            listener.close()
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            a.close()
            b.close()


class RedisServer:
    """A private redis-server on its own port and folder, which a test may restart."""

    def __init__(self, folder: Path, *, persistent: bool):
        self.folder = folder
        self.persistent = persistent
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> "RedisServer":
        executable = shutil.which("redis-server")
        if executable is None:
            prerequisite_missing("redis-server is not installed (apt-get install redis-server)")
        argv = [
            executable, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--save", "", "--appendonly", "yes" if self.persistent else "no",
            "--appendfsync", "always",
        ]  # fmt: skip
        log = (self.folder / "redis.log").open("a")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(self._answers, timeout=20, what="redis-server to answer")
        return self

    def stop(self) -> None:
        """SIGTERM: what a service manager sends; Redis flushes its append-only file first."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Callable[[Path, int], Path]]:
    """Mount a size-limited tmpfs (root only); unmounted at the end."""
    mounted: list[Path] = []

    def mount(folder: Path, megabytes: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            prerequisite_missing(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def private_redis(tmp_path) -> Iterator[Callable[..., RedisServer]]:
    """Start a private redis-server; stopped after the stacks using it are closed."""
    servers: list[RedisServer] = []

    def start(*, persistent: bool) -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(servers)}", persistent=persistent)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def fill_disk(path: Path, *, leave: int) -> None:
    """Write `path` until only `leave` bytes remain free on its filesystem."""
    stats = os.statvfs(path.parent)
    size = stats.f_bavail * stats.f_frsize - leave
    with path.open("wb") as filler:
        chunk = b"\0" * (1024 * 1024)
        while size > 0:
            size -= filler.write(chunk[: min(len(chunk), size)])


def api_call(stack: LiveStack, method: str, path: str, token: str) -> tuple[int, bytes]:
    """One request to the stack's web server with the access token: (status, body).

    As a tool, not a browser: by Bearer header, so writes need no CSRF token.
    """
    request = urllib.request.Request(
        stack.url(path), method=method, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
