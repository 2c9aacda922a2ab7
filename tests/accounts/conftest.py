import socket

import pytest

from tests.accounts.helpers import JsonApi


@pytest.fixture(autouse=True)
def _quick_argon2(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.QuickArgon2PasswordHasher"]


@pytest.fixture
def api(client, django_capture_on_commit_callbacks):
    return JsonApi(client, django_capture_on_commit_callbacks)


@pytest.fixture
def unused_tcp_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
