from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User


class Command(BaseCommand):
    help = "Create (or reset) the active demo account of the embedded mode."

    def handle(self, *args, **options):
        if not settings.DEMO_ACCOUNT_ENABLED:
            raise CommandError("The demo account is disabled (DEMO_ACCOUNT_ENABLED=false).")
        user, created = User.objects.get_or_create(
            email=User.objects.normalize_email(settings.DEMO_ACCOUNT_EMAIL),
            defaults={"is_active": True},
        )
        user.is_active = True
        user.set_password(settings.DEMO_ACCOUNT_PASSWORD)
        user.save()
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} demo account {user.email} (password: {settings.DEMO_ACCOUNT_PASSWORD})"
        )
