"""Settings come from the environment; production refuses unsafe defaults."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.support import PRODUCTION_ENV, ROOT
from videoflix.env import env_bool, env_int, env_list


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_with_development_secret_refuses_to_start():
    result = run_manage("check", env={"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


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
