"""Helpers every room of the suite shares: waiting on conditions, ports, processes, clocks,
the production environment and the absence of a prerequisite."""

import os
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

ROOT = Path(__file__).resolve().parents[1]

# DEBUG off with a real key: what every production-like process of the suite starts from. The
# loopback names stay allowed for the servers the suite starts; videoflix.example stands for
# the public host name.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "videoflix.example,localhost,127.0.0.1,[::1]",
}

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T], *, timeout: float = 60, what: str = "condition", every=0.05
) -> T:
    """Poll until `condition()` is truthy and return its value. Ceilings are generous: on a
    loaded two-core machine a wait is slow, never wrong, so only a real hang reaches one."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def prerequisite_missing(reason: str) -> NoReturn:
    """Skip: a tool or service the test needs is absent. CI sets VIDEOFLIX_PROOF_REQUIRED=1
    (or CI=true), where the same absence fails, so a run never passes by quietly skipping."""
    import pytest  # benchmarks import this module too, without pytest

    if os.environ.get("VIDEOFLIX_PROOF_REQUIRED") or os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def free_port(preferred: int | None = None) -> int:
    """`preferred` when nothing listens there, else any free port on loopback."""
    candidates = [preferred, 0] if preferred else [0]
    for port in candidates:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def http_status(url: str, timeout: float = 2) -> int | None:
    """The status of GET url, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def child_processes(parent: int, name: str | None = None) -> list[int]:
    """Pids of the live (not zombie) children of `parent`, only those called `name` if given."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command = text[text.index("(") + 1 : text.rindex(")")]
        state, ppid = text[text.rindex(")") + 2 :].split()[:2]
        if int(ppid) == parent and state != "Z" and name in (None, command):
            found.append(int(stat.parent.name))
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class FrozenClock:
    """Stands in for the `time` module of a module under test that reads `time.time()`: its
    time moves only when the test advances it, so no deadline races a loaded machine."""

    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
