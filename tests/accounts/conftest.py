import pytest

from accounts import throttling
from tests.accounts.helpers import JsonApi
from tests.support import free_port


@pytest.fixture(autouse=True)
def _throttle_clock(freeze_time):
    """Throttle windows stand still: a minute (or day) boundary never resets a count mid-test."""
    return freeze_time(throttling, start=20_000 * 86_400 + 1)


@pytest.fixture
def api(client, django_capture_on_commit_callbacks):
    return JsonApi(client, django_capture_on_commit_callbacks)


@pytest.fixture
def unused_tcp_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    return free_port()


@pytest.fixture
def smtp_at(settings):
    """Send mail over real SMTP to a local port."""

    def point_at(port: int) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port

    return point_at
