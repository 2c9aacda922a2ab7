"""Settings come from the environment; production refuses unsafe defaults."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.support import PRODUCTION_ENV, ROOT
from videoflix.env import env_bool, env_int, env_list


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    unset = {"DEBUG", "SECRET_KEY", "JWT_SIGNING_KEY"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = run_manage("check", env={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


PUBLISHED_KEY = "django-insecure-videoflix-development-only-key-change-me"


@pytest.mark.parametrize(
    "env",
    [
        {"DEBUG": "false", "SECRET_KEY": PUBLISHED_KEY},
        {"DEBUG": "true", "SECRET_KEY": PUBLISHED_KEY},
        {"DEBUG": "true", "JWT_SIGNING_KEY": PUBLISHED_KEY},
        {**PRODUCTION_ENV, "JWT_SIGNING_KEY": "short"},
    ],
    ids=["production", "debug", "jwt-key", "short-jwt-key"],
)
def test_a_published_or_short_key_never_signs_anything(env, tmp_path):
    result = run_manage("check", env={"VAR_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert "is published or shorter than 32 characters" in result.stderr


def test_the_embedded_mode_makes_a_private_key_on_first_run_and_keeps_it(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    )

    def key() -> str:
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}},
                "DJANGO_SETTINGS_MODULE": "videoflix.settings",
                "VAR_DIR": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    first, second = key(), key()

    kept = tmp_path / "secret_key"
    assert first == second == kept.read_text().strip()
    assert len(first) >= 50
    assert kept.stat().st_mode & 0o777 == 0o600


def test_deploy_check_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_cookies_are_secure():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AUTH_COOKIE_SECURE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "videoflix.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True", "True", "False"], result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("no", False)]
)
def test_env_bool_parses(monkeypatch, raw, expected):
    monkeypatch.setenv("VF_FLAG", raw)
    assert env_bool("VF_FLAG", not expected) is expected


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("VF_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="VF_FLAG"):
        env_bool("VF_FLAG", False)


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("VF_NUMBER", "42")
    monkeypatch.setenv("VF_ITEMS", " a.example , b.example,,")
    assert env_int("VF_NUMBER", 1) == 42
    assert env_list("VF_ITEMS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("VF_NUMBER", "forty")
    with pytest.raises(ImproperlyConfigured):
        env_int("VF_NUMBER", 1)
