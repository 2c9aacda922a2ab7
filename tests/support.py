"""Helpers every room of the suite shares: waiting on conditions, ports, processes, clocks,
the production environment and the absence of a prerequisite."""

import os
import random
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


# Ports handed out by free_port are drawn from here: below the kernel's ephemeral range, so no
# outgoing connection's automatic local port can take one between the choice and the bind.
FIRST_CHOSEN_PORT = 10_000
_handed_out: set[int] = set()


def free_port(preferred: int | None = None) -> int:
    """`preferred` when nothing listens there, else a free port on loopback.

    Many ports are bound long after they are chosen (a stack's web or nginx starts minutes
    later, after migrations and the worker). bind(0) would take them from the ephemeral range,
    where outgoing connections (to PostgreSQL, Redis, the S3 server) also get their local
    ports, and one of those took a chosen front-end port in CI. So the port comes from below
    that range, and a drawn port never twice from one process.
    """
    ephemeral_low = _ephemeral_range_start()
    rng = random.SystemRandom()
    candidates = [preferred] if preferred else []
    if ephemeral_low > FIRST_CHOSEN_PORT:
        candidates += [rng.randrange(FIRST_CHOSEN_PORT, ephemeral_low) for _ in range(100)]
    for port in [*candidates, 0]:
        if port != preferred and port in _handed_out:
            continue
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen = sock.getsockname()[1]
        _handed_out.add(chosen)
        return chosen
    raise OSError("no free port on 127.0.0.1")


def _ephemeral_range_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


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
