"""Full-text search of the catalog on PostgreSQL: a GIN index over title and description.

The expression must stay the one catalog.search matches (`SearchVector("title",
"description", config="english")`), or PostgreSQL scans every row instead. SQLite has no
such index: catalog.search falls back to substring matching there, and this migration does
nothing.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "catalog_video_search"


def search_index() -> GinIndex:
    return GinIndex(SearchVector("title", "description", config="english"), name=INDEX_NAME)


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("catalog", "Video"), search_index())


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("catalog", "Video"), search_index())


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_watch_progress"),
    ]

    operations = [
        migrations.RunPython(add_search_index, remove_search_index, elidable=False),
    ]
