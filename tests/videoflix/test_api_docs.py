import pytest
from django.db import connection

from tests.support import free_port


def test_interactive_docs_are_served(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_openapi_schema_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Videoflix API"
    assert schema["openapi"].startswith("3.")


def test_health_reports_database(client, db):
    response = client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.fixture
def database_unreachable(transactional_db):
    """The default database pointed where nothing answers: a SQLite file in a folder that does
    not exist, or a PostgreSQL port nothing listens on. Restored afterwards. (A database test:
    run with them, not after the browser tests, whose event loop forbids sync database calls.)"""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-videoflix-folder/videoflix.sqlite3"
    else:
        connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(original)


def test_health_answers_503_when_the_database_is_unreachable(client, database_unreachable):
    response = client.get("/api/health/")

    assert response.status_code == 503
    assert response.json() == {"detail": "The database is unreachable."}


def test_unknown_api_path_is_a_json_404_free_of_traces(client, db):
    response = client.get("/api/does-not-exist/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert b"Traceback" not in response.content
