"""Catalog search, categories and paging: the reads behind GET /api/video/?q=&category=&limit=
&cursor= and GET /api/categories/.

Pages are keyset pages on the list's own order (newest first: created_at, then id), so a
page costs the same at any depth and a film published meanwhile never shifts the next page.
The cursor names the last film of a page; it is opaque to clients, and checked when it
comes back.

Text search: PostgreSQL full-text search over title and description (web-search syntax:
words, "quoted phrases", -excluded, or), served by the GIN index migration
0006_video_search_index adds; on SQLite every word must appear in the title or the
description (case-insensitive substring).
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Count, Q, QuerySet

from catalog.models import MAX_VIDEO_ID, Category, Video
from catalog.selectors import video_list_streamable

PAGE_SIZE_MAX = 100
# A cursor without a limit (a hand-made link) still pages.
PAGE_SIZE_DEFAULT = 20
# Must stay the configuration of the index in migration 0006_video_search_index, or
# PostgreSQL scans every row instead.
SEARCH_CONFIG = "english"
SEARCH_FIELDS = ("title", "description")

BAD_CURSOR = "The cursor is not one this API gave out; start again without it."


class CatalogQueryError(ValueError):
    """A search or page request that cannot be answered; the message says why."""


@dataclass(frozen=True)
class CatalogPage:
    videos: list[Video]
    total: int
    next_cursor: str | None


def category_from_param(raw: str) -> str:
    """The category a parameter names, by slug ("science-fiction") or by name ("Science
    fiction"), case-insensitively."""
    wanted = raw.strip().casefold()
    for category in Category:
        if wanted in (category.value, category.label.casefold()):
            return category.value
    raise CatalogQueryError(
        f"Unknown category {raw[:64]!r}: GET /api/categories/ lists the categories."
    )


def cursor_encode(video: Video) -> str:
    text = f"{video.created_at.isoformat()}|{video.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def cursor_decode(raw: str) -> tuple[datetime, int]:
    """(created_at, id) of the film a cursor names; CatalogQueryError for anything else."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        created_at, _, video_id = text.partition("|")
        after = (datetime.fromisoformat(created_at), int(video_id))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise CatalogQueryError(BAD_CURSOR) from None
    if after[0].tzinfo is None or not 0 < after[1] <= MAX_VIDEO_ID:
        raise CatalogQueryError(BAD_CURSOR)
    return after


def _matching_text(videos: QuerySet[Video], q: str) -> QuerySet[Video]:
    if connection.vendor == "postgresql":
        # alias, not annotate: the vector is matched in the index, never selected.
        return videos.alias(search=SearchVector(*SEARCH_FIELDS, config=SEARCH_CONFIG)).filter(
            search=SearchQuery(q, config=SEARCH_CONFIG, search_type="websearch")
        )
    for word in q.split():
        videos = videos.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return videos


def video_search(*, q: str | None = None, category: str | None = None) -> QuerySet[Video]:
    """The streamable films matching the text `q` (blank: any) in `category` (a parameter
    as clients send it), newest first."""
    videos = video_list_streamable()
    if category is not None:
        videos = videos.filter(category=category_from_param(category))
    if q and q.strip():
        if "\x00" in q:  # PostgreSQL refuses NUL in text; no title holds one
            raise CatalogQueryError("The search text must not contain NUL characters.")
        videos = _matching_text(videos, q.strip())
    return videos


def video_page(
    *, q: str | None, category: str | None, limit: int | None, cursor: str | None
) -> CatalogPage:
    """The films matching `q` and `category` (see `video_search`). Without `limit` and
    `cursor` all of them, in one query. Otherwise one page after the film `cursor` names, in
    two queries whatever its depth: the total, then the page and one more film to know
    whether another page follows."""
    videos = video_search(q=q, category=category)
    if limit is None and cursor is None:
        rows = list(videos)
        return CatalogPage(videos=rows, total=len(rows), next_cursor=None)
    after = cursor_decode(cursor) if cursor is not None else None
    total = videos.count()
    if after is not None:
        created_at, video_id = after
        videos = videos.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=video_id)
        )
    size = limit or PAGE_SIZE_DEFAULT
    rows = list(videos[: size + 1])
    next_cursor = cursor_encode(rows[size - 1]) if len(rows) > size else None
    return CatalogPage(videos=rows[:size], total=total, next_cursor=next_cursor)


def category_counts() -> list[tuple[str, str, int]]:
    """(slug, name, number of streamable films) of every category that has any, in the
    categories' own order: one query."""
    counts = dict(
        Video.objects.streamable()
        .values("category")
        .annotate(films=Count("id"))
        .order_by()
        .values_list("category", "films")
    )
    return [
        (category.value, category.label, counts[category.value])
        for category in Category
        if counts.get(category.value)
    ]
