"""Signing keys: never one published anywhere, in the embedded mode one made on first run.

`SECRET_KEY` signs sessions, CSRF tokens and account links; `JWT_SIGNING_KEY` (by default
the same) signs access and refresh tokens. Anyone holding either can mint credentials for
any account, so a key written in this repository must never sign anything, whatever
DEBUG says.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Keys that have appeared in this repository (and so are known to everyone).
PUBLISHED_KEYS = frozenset(
    {
        "django-insecure-videoflix-development-only-key-change-me",
        "collectstatic-at-build-time-only",
    }
)
MIN_KEY_LENGTH = 32
EMBEDDED_KEY_FILE = "secret_key"


def checked_key(name: str, key: str) -> str:
    if key in PUBLISHED_KEYS or len(key) < MIN_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"{name} is published or shorter than {MIN_KEY_LENGTH} characters: set it to a "
            "long random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    return key


def embedded_secret_key(var_dir: Path) -> str:
    """The embedded mode's key, made on first run and kept in `var_dir` (mode 0600).

    Web and worker start together: the key is written to a private temporary file and
    linked into place, so a second process either wins the link or reads the winner's key.
    """
    path = var_dir / EMBEDDED_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    draft = var_dir / f".{EMBEDDED_KEY_FILE}.{os.getpid()}"
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(50))
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
