"""Every model change ships with its migration."""

import io

import pytest
from django.core.management import call_command


def test_no_model_change_lacks_a_migration(db):
    report = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=report, stderr=report)
    except SystemExit:
        pytest.fail(f"a model changed without its migration:\n{report.getvalue()}")
