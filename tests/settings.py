"""The project's settings with a VAR_DIR of the test session's own.

VAR_DIR holds the SQLite test database and Huey's SQLite queue; in the checkout's var/ two
sessions (or a session and `make run`) would share them. It must be set before
videoflix.settings is imported, which pytest-django does before any conftest is read.
"""

import os
import tempfile

os.environ["VAR_DIR"] = SESSION_VAR_DIR = tempfile.mkdtemp(prefix="videoflix-tests-var-")
# Processes the tests start inherit VAR_DIR (a worker must share the queue file) but keep the
# project's settings module: only this process needs the swap above.
os.environ["DJANGO_SETTINGS_MODULE"] = "videoflix.settings"

from videoflix.settings import *  # noqa: F403
