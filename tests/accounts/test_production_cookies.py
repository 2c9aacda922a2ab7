"""Under production settings (DEBUG off) the login cookies are Secure.

Settings are read once at start-up, so this runs a fresh Python with the production
environment, its own SQLite database, and a real login through the test client.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.support import PRODUCTION_ENV, ROOT

SCRIPT = """
import json
import django

django.setup()
from django.core.management import call_command
from django.test import Client
from accounts.models import User

call_command("migrate", verbosity=0)
credentials = {"email": "viewer@example.com", "password": "correct-horse-battery"}
User.objects.create_user(**credentials, is_active=True)
response = Client(HTTP_HOST="videoflix.example").post(
    "/api/login/",
    credentials,
    content_type="application/json",
    secure=True,
)
cookies = {
    name: {flag: morsel[flag] for flag in ("secure", "httponly", "samesite", "path")}
    for name, morsel in response.cookies.items()
}
print(json.dumps({"status": response.status_code, "cookies": cookies}))
"""


@pytest.mark.slow
def test_login_cookies_are_secure_under_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL", "DATABASE_URL"}},
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "videoflix.settings",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
    }

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 200
    for name in ("access_token", "refresh_token"):
        assert outcome["cookies"][name] == {
            "secure": True,
            "httponly": True,
            "samesite": "Lax",
            "path": "/",
        }
    assert outcome["cookies"]["csrftoken"]["secure"] is True
    assert outcome["cookies"]["csrftoken"]["httponly"] == ""
