"""The one-time start steps of a deployment (compose's one-shot `setup` service runs them)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from accounts.models import User
from videoflix.env import env_str


class Command(BaseCommand):
    help = (
        "Migrate, then create the superuser (DJANGO_SUPERUSER_EMAIL + DJANGO_SUPERUSER_PASSWORD) "
        "and the demo account and sample film (DEMO_DATA=true) if asked for. Safe to repeat."
    )

    def handle(self, *args, **options):
        # A deployment that asked for a step which cannot run stops with this one sentence
        # (exit status 1); the web and worker services wait for this command to succeed.
        try:
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
