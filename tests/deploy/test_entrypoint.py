"""deploy/entrypoint.sh as the container runs it: `setup` (compose's one-shot service) runs the
one-time start steps on a fresh embedded database; any other command (web, worker) waits for
setup's migrations and runs none of them."""

import os
import secrets
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password

from catalog.management.commands.import_sample_video import SAMPLE_TITLE

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
# Commands standing in for web and worker.
SHOW_ARGV_EXIT_3 = ["python", "-c", "import sys; print(*sys.argv[1:]); sys.exit(3)"]
SHOW_MIGRATED = [
    "python",
    "-c",
    "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
    "print('migrated:', db.execute('SELECT count(*) FROM django_migrations').fetchone()[0] > 0)",
]

pytestmark = pytest.mark.slow  # every test starts the entrypoint's processes

ADMIN = {
    "DJANGO_SUPERUSER_EMAIL": "Admin@Videoflix.Example",
    "DJANGO_SUPERUSER_PASSWORD": "s3cret-admin",
}


class Container:
    """One data volume (SQLite database, Huey file, media) that successive starts share."""

    def __init__(self, folder: Path):
        self.database = folder / "var" / "videoflix.sqlite3"
        self.media = folder / "media"
        self.spawned: list[subprocess.Popen] = []
        self.base_env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "LANG": "C.UTF-8",
            "VAR_DIR": str(folder / "var"),
            "MEDIA_ROOT": str(self.media),
            "DATABASE_URL": f"sqlite:///{self.database}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        }

    def spawn(self, *command: str, **env: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [str(ENTRYPOINT), *command],
            cwd=ROOT,
            env={**self.base_env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.spawned.append(process)
        return process

    def start(self, *command: str, **env: str) -> subprocess.CompletedProcess:
        process = self.spawn(*command, **env)
        stdout, stderr = process.communicate(timeout=600)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def rows(self, sql: str) -> list[tuple]:
        with closing(sqlite3.connect(self.database)) as db:
            return db.execute(sql).fetchall()


@pytest.fixture
def container(tmp_path):
    container = Container(tmp_path)
    yield container
    for process in container.spawned:
        if process.poll() is None:  # a failed test left a start waiting for migrations
            process.kill()
            process.wait()


def stopped_with_one_sentence(started: subprocess.CompletedProcess) -> str:
    assert started.returncode == 1, started.stdout + started.stderr
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr  # no traceback, no restart loop: one reason
    assert lines[0].startswith("CommandError: Setup stopped: ")
    return lines[0]


@pytest.mark.parametrize("debug", ["false", "true"])
def test_setup_migrates_and_creates_nothing_it_was_not_asked_for(container, debug):
    started = container.start("setup", DEBUG=debug)

    assert started.returncode == 0, started.stderr
    assert container.rows("SELECT count(*) FROM django_migrations WHERE app = 'catalog'")[0][0] > 0
    assert container.rows("SELECT count(*) FROM accounts_user") == [(0,)]
    assert container.rows("SELECT count(*) FROM catalog_video") == [(0,)]


@pytest.mark.parametrize("debug", ["false", "true"])
def test_setup_creates_the_superuser_once_and_leaves_it_alone_afterwards(container, debug):
    first = container.start("setup", DEBUG=debug, **ADMIN)
    assert first.returncode == 0, first.stderr
    [(email, password, superuser, staff, active)] = container.rows(
        "SELECT email, password, is_superuser, is_staff, is_active FROM accounts_user"
    )
    assert (email, superuser, staff, active) == ("admin@videoflix.example", 1, 1, 1)
    assert check_password("s3cret-admin", password)

    again = container.start("setup", DEBUG=debug, **{**ADMIN, "DJANGO_SUPERUSER_PASSWORD": "other"})

    assert again.returncode == 0, again.stderr
    assert "admin@videoflix.example already exists" in again.stdout
    assert container.rows("SELECT password FROM accounts_user") == [(password,)]


@pytest.mark.parametrize("given", ["DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_PASSWORD"])
def test_setup_with_half_a_superuser_stops_with_one_sentence(container, given):
    started = container.start("setup", **{given: ADMIN[given]})

    assert "set both DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD" in (
        stopped_with_one_sentence(started)
    )
    assert container.rows("SELECT count(*) FROM accounts_user") == [(0,)]


def test_demo_data_without_debug_creates_the_demo_account_and_the_sample_film_once(container):
    """The documented `DEMO_DATA=true docker compose up -d`: production settings, demo data."""
    started = container.start("setup", DEMO_DATA="true")

    assert started.returncode == 0, started.stderr
    [(password, active)] = container.rows(
        "SELECT password, is_active FROM accounts_user WHERE email = 'demo@videoflix.local'"
    )
    assert active == 1
    assert check_password("videoflix-demo", password)
    [(title, published, status, original)] = container.rows(
        "SELECT title, is_published, status, original FROM catalog_video"
    )
    assert (title, published, status) == (SAMPLE_TITLE, 1, "pending")  # the worker's job next
    assert (container.media / original).stat().st_size > 0

    again = container.start("setup", DEMO_DATA="true")

    assert again.returncode == 0, again.stderr
    assert "already in the catalog" in again.stdout
    assert container.rows("SELECT count(*) FROM catalog_video") == [(1,)]
    assert container.rows("SELECT count(*) FROM accounts_user") == [(1,)]


def test_demo_data_with_the_demo_account_switched_off_stops_with_one_sentence(container):
    started = container.start("setup", DEMO_DATA="true", DEMO_ACCOUNT_ENABLED="false")

    assert "The demo account is disabled" in stopped_with_one_sentence(started)
    assert container.rows("SELECT count(*) FROM catalog_video") == [(0,)]


def test_debug_alone_creates_no_demo_data(container):
    started = container.start("setup", DEBUG="true")

    assert started.returncode == 0, started.stderr
    assert container.rows("SELECT count(*) FROM accounts_user") == [(0,)]


def test_setup_stops_with_one_sentence_when_the_database_is_unreachable(container):
    unreachable = "postgres://videoflix@127.0.0.1:9/videoflix"  # discard port: nobody listens

    started = container.start("setup", DATABASE_URL=unreachable, SETUP_WAIT_SECONDS="2", **ADMIN)

    assert "the database failed" in stopped_with_one_sentence(started)


def test_any_other_command_runs_as_given_with_no_start_step(container):
    """web and worker share .env with setup: start flags there must not run steps in them."""
    assert container.start("setup").returncode == 0

    started = container.start(
        *SHOW_ARGV_EXIT_3,
        "--port",
        "8000",
        DEMO_DATA="true",
        MIGRATE_ON_START="true",
        **ADMIN,
    )

    assert (started.returncode, started.stdout) == (3, "--port 8000\n")
    assert container.rows("SELECT count(*) FROM accounts_user") == [(0,)]
    assert container.rows("SELECT count(*) FROM catalog_video") == [(0,)]


def test_any_other_command_waits_until_setup_has_migrated_the_database(container):
    waiting = container.spawn(*SHOW_MIGRATED, str(container.database), SETUP_WAIT_SECONDS="600")

    assert container.start("setup").returncode == 0

    assert waiting.communicate(timeout=600) == ("migrated: True\n", "")
    assert waiting.returncode == 0


def test_any_other_command_gives_up_with_one_sentence_when_nothing_migrates(container):
    started = container.start(*SHOW_MIGRATED, str(container.database), SETUP_WAIT_SECONDS="0")

    assert (started.returncode, started.stdout) == (1, "")
    assert started.stderr.strip().splitlines() == [
        "CommandError: The database is not migrated after 0 s: run the setup service "
        "(docker compose logs setup says why it stopped)."
    ]
