"""The one-time start steps of a deployment (compose's one-shot `setup` service runs them), and
the wait of the other containers until they are done."""

import time

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from catalog.objectstore import StoreProblem, admin_client, where
from videoflix.env import env_int, env_str


class Command(BaseCommand):
    help = (
        "Migrate, prepare the bucket (MEDIA_STORAGE=s3), then create the superuser "
        "(DJANGO_SUPERUSER_EMAIL + DJANGO_SUPERUSER_PASSWORD) and the demo account and sample "
        "film (DEMO_DATA=true) if asked for. Safe to repeat."
    )
    # Run by hand below: the object store's check asks for the bucket storage_setup creates.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Run no step: wait until the database is migrated (web and worker containers).",
        )

    def handle(self, *args, wait, **options):
        # Compose starts containers as soon as their database runs (podman-compose without
        # waiting for it to be healthy), and web and worker beside this one-shot setup: each
        # waits up to SETUP_WAIT_SECONDS instead of failing into a restart loop.
        seconds = env_int("SETUP_WAIT_SECONDS", 300)
        if wait:
            if not wait_until(migrated, seconds):
                raise CommandError(
                    f"The database is not migrated after {seconds} s: run the setup service "
                    "(docker compose logs setup says why it stopped)."
                )
            self.check()  # setup prepared the bucket before it migrated
            return
        if settings.MEDIA_STORAGE == "s3":
            # First, so the checks find the bucket and uploads (the sample film) have it. The
            # store may start after this container (podman-compose does not wait for health):
            # wait for it to answer at all; what it answers is storage_setup's to judge.
            if not store_answers():
                self.stdout.write(f"Waiting for the object store at {where()} ...", ending="\n")
                self.stdout.flush()
                wait_until(store_answers, seconds)
            try:
                call_command("storage_setup", stdout=self.stdout, stderr=self.stderr)
            except CommandError as exc:
                raise CommandError(f"Setup stopped: {exc}") from exc
        self.check()
        # A step that was asked for and cannot run stops here with one sentence (exit status 1),
        # which a one-shot service keeps showing instead of restarting.
        try:
            wait_until(reachable, seconds)  # if it never is, migrate says why
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            self.create_superuser()
            if settings.DEMO_DATA:
                call_command("create_demo_user", stdout=self.stdout)
                call_command("import_sample_video", stdout=self.stdout)
        except DatabaseError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"Setup stopped: the database failed ({reason}).") from exc
        except CommandError as exc:
            raise CommandError(f"Setup stopped: {exc}") from exc

    def create_superuser(self) -> None:
        email = env_str("DJANGO_SUPERUSER_EMAIL")
        password = env_str("DJANGO_SUPERUSER_PASSWORD")
        if not email and not password:
            return
        if not (email and password):
            raise CommandError(
                "set both DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD to create a "
                "superuser, or neither."
            )
        email = User.objects.normalize_email(email)
        if User.objects.filter(email=email).exists():
            self.stdout.write(f"The account {email} already exists; it is left as it is.")
            return
        call_command("createsuperuser", interactive=False, email=email, stdout=self.stdout)


def store_answers() -> bool:
    """The object store answers a request, whatever it says (credentials are judged later)."""
    try:
        admin_client().list_buckets()
    except (ClientError, StoreProblem):
        return True
    except BotoCoreError:
        return False
    return True


def reachable() -> bool:
    connection.ensure_connection()
    return True


def migrated() -> bool:
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def wait_until(ready, seconds: int) -> bool:
    """Ask `ready` every second until it says yes (True) or `seconds` have passed (False); a
    database error counts as no."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return True
        except DatabaseError:
            connection.close()
        if time.monotonic() >= deadline:
            return False
        time.sleep(1)
