"""Videoflix as real processes: Granian and the Huey consumer, each a subprocess of its own.

For the tests and benchmarks that must cross a real socket, a real queue and a real process
boundary (browser, fuzzing, faults, load). A `LiveStack` is one installation in its own folder:
its own database (a SQLite file, or a PostgreSQL database beside the one in DATABASE_URL), its
own Huey queue and cache prefix on the Redis of REDIS_URL, its own media and mail folders.
"""

import contextlib
import email
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.support import PRODUCTION_ENV, ROOT, free_port, http_status, wait_for

# What the production image runs with, minus TLS: everything here speaks plain HTTP on loopback.
_PLAIN_HTTP_PRODUCTION = {
    **PRODUCTION_ENV,
    "AUTH_COOKIE_SECURE": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "INFO",  # the default; the worker's "consumer started" line is awaited
}
# The file-based backend stands in for the mail server: each mail lands as a file to read back.
FILE_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
_MAIL_SEPARATOR = re.compile(rb"^-{79}\r?\n", re.MULTILINE)
# Variables of the test process that must not leak into a stack: it gets its own of each.
_OWN_VARIABLES = {"DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "VAR_DIR", "HUEY_NAME", "DEBUG"}


class PostgresDatabase:
    """A database of its own on the server of `base_url`, created empty and dropped at the end."""

    def __init__(self, base_url: str, suffix: str):
        parts = urlsplit(base_url)
        self.name = f"{parts.path.lstrip('/') or 'postgres'}_{suffix}"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self._admin_url = urlunsplit(parts._replace(path="/postgres"))

    def _execute(self, sql: str) -> None:
        import psycopg2

        connection = psycopg2.connect(self._admin_url)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def create(self) -> None:
        self.drop()
        self._execute(f'CREATE DATABASE "{self.name}"')

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        """Rows as dicts; `sql` uses %s placeholders."""
        import psycopg2
        import psycopg2.extras

        connection = psycopg2.connect(self.url)
        try:
            with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                cursor.execute(sql, params)
                return [dict(row) for row in cursor.fetchall()]
        finally:
            connection.close()

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class SqliteDatabase:
    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        """Rows as dicts; `sql` uses %s placeholders (as for PostgreSQL)."""
        connection = sqlite3.connect(self.path, timeout=20)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute(sql.replace("%s", "?"), params)]
        finally:
            connection.close()

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class LiveStack:
    """One Videoflix installation run as real processes, in `workdir`.

    `env` adds to or overrides the production-like environment (e.g. throttle rates);
    `periodic=False` starts workers without the periodic tasks, for tests that sweep themselves.
    """

    def __init__(
        self, workdir: Path, *, name: str, env: dict[str, str] | None = None, periodic: bool = True
    ):
        self.workdir = workdir
        self.name = f"vflive{re.sub(r'[^a-z0-9]', '', name.lower())}{os.getpid()}"
        self.media_root = workdir / "media"
        self.mail_dir = workdir / "mail"
        self.logs_dir = workdir / "logs"
        base_database = os.environ.get("DATABASE_URL", "")
        self.database = (
            PostgresDatabase(base_database, self.name)
            if base_database.startswith(("postgres://", "postgresql://"))
            else SqliteDatabase(workdir / "var" / "videoflix.sqlite3")
        )
        redis_url = os.environ.get("REDIS_URL", "")
        self.port: int | None = None
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in _OWN_VARIABLES},
            **_PLAIN_HTTP_PRODUCTION,
            "DATABASE_URL": self.database.url,
            "VAR_DIR": str(workdir / "var"),
            "MEDIA_ROOT": str(self.media_root),
            "STATIC_ROOT": str(workdir / "static"),
            "HUEY_NAME": self.name,
            "CACHE_KEY_PREFIX": self.name,
            "EMAIL_BACKEND": FILE_EMAIL_BACKEND,
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "PYTHONUNBUFFERED": "1",
            **({"REDIS_URL": redis_url} if redis_url else {}),
            **(env or {}),
        }
        self.redis_url = self.env.get("REDIS_URL", "")
        self.periodic = periodic
        for folder in (self.media_root, self.mail_dir, self.logs_dir, workdir / "var"):
            folder.mkdir(parents=True, exist_ok=True)

    # --- lifecycle -------------------------------------------------------------------------
    def install(self) -> "LiveStack":
        """An empty, migrated database."""
        self.database.create()
        self.manage("migrate", "--noinput", "-v", "0", timeout=300)
        return self

    def start_web(self, *, port: int | None = None, workers: int = 1) -> str:
        """Granian through `manage.py serve --no-worker`, as `make run` starts it; its base URL."""
        self.port = port or free_port()
        argv = ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(self.port)]
        self._spawn("web", [*argv, "--workers", str(workers)])
        self._await_start("web", lambda: http_status(self.url("/api/health/")) == 200)
        return self.url("")

    def start_worker(self, env: dict[str, str] | None = None) -> subprocess.Popen:
        """The Huey consumer (with `env` on top of the stack's); returns once it consumes."""
        log_size = len(self.log("worker"))  # a restarted worker appends to the same log
        argv = ["run_huey", "--flush-locks", *([] if self.periodic else ["--no-periodic"])]
        process = self._spawn("worker", argv, env=env)
        self._await_start(
            "worker", lambda: "consumer started" in self.log("worker")[log_size:].lower()
        )
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL, *, group: bool = True) -> None:
        """Signal `name` and wait for it to end: its whole process group (a server and the
        processes it started), or with group=False that one process, leaving its children."""
        process = self.processes.pop(name)
        if process.poll() is None:
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop(self, name: str) -> None:
        """Stop `name` the way an operator would: SIGTERM, a grace period, then SIGKILL."""
        self.kill(name, signal.SIGTERM)

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        self.database.drop()
        if self.redis_url:
            import redis

            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=f"*{self.name}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()

    def __enter__(self) -> "LiveStack":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- helpers ---------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def manage(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run a management command against this stack and return its output."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def shell(self, code: str, timeout: float = 120) -> str:
        """Run Python in this stack's Django (manage.py shell -c) and return what it printed."""
        return self.manage("shell", "-c", code, timeout=timeout).stdout

    def video(self, video_id: int) -> dict:
        """The catalog row of a video, read straight from the stack's database."""
        rows = self.database.query("SELECT * FROM catalog_video WHERE id = %s", (video_id,))
        if not rows:
            raise LookupError(f"no video {video_id}")
        return rows[0]

    def create_user(self, email: str, *, password: str | None = None, staff: bool = False) -> str:
        """An active account; returns an access token for it (as login would set)."""
        code = (
            "from accounts.models import User; from ninja_jwt.tokens import AccessToken; "
            f"user = User.objects.create_user(email={email!r}, password={password!r}, "
            f"is_active=True, is_staff={staff!r}); print(AccessToken.for_user(user))"
        )
        return self.shell(code).strip().splitlines()[-1]

    def log(self, name: str) -> str:
        path = self._log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def mails(self) -> list[Message]:
        """Every mail the stack has sent so far, oldest first."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            for chunk in _MAIL_SEPARATOR.split(path.read_bytes()):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk))
        return messages

    def wait_for_mail(self, to: str, timeout: float = 60) -> Message:
        def addressed() -> Message | None:
            return next(
                (m for m in self.mails() if to.lower() in str(m.get("To", "")).lower()), None
            )

        try:
            return wait_for(addressed, timeout=timeout, what=f"a mail to {to}", every=0.2)
        except AssertionError as error:
            raise AssertionError(f"{error}; worker log:\n{self.log('worker')[-3000:]}") from None

    def _await_start(self, name: str, started: Callable[[], bool]) -> None:
        """Wait until `started()` while process `name` lives; fail with its log otherwise."""
        process = self.processes[name]
        with contextlib.suppress(AssertionError):  # timed out: reported below, with the log
            wait_for(lambda: started() or process.poll() is not None, timeout=120, every=0.2)
        if not started():
            raise RuntimeError(f"{name} did not start:\n{self.log(name)}")

    def _log_path(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def _spawn(
        self, name: str, manage_args: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        if name in self.processes and self.processes[name].poll() is None:
            raise RuntimeError(f"{name} is already running")
        with self._log_path(name).open("a") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *manage_args],
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches its children
            )
        self.processes[name] = process
        return process


def text_body(message: Message) -> str:
    """The plain-text part of a mail (or its only part)."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"mail without a text/plain part: {message.get('Subject')}")
