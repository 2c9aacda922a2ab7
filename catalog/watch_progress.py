"""Watch progress: where each viewer stopped in each film, and what they may continue watching.

Players report the position every few seconds, so the write is one statement in one round
trip: an upsert (INSERT ... ON CONFLICT DO UPDATE) of the one row per (viewer, film); the
last report wins. The access check before it reads the cached stream facts
(catalog.streaminfo), so a warm report costs that statement alone.
"""

import functools

from django.db import connection
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from catalog.models import Video, WatchProgress
from catalog.selectors import LIST_FIELDS
from catalog.streaminfo import StreamInfo

# Watched this far, a film counts as finished: the credits need not be sat through.
FINISHED_SHARE = 0.95
# The row shows a handful; more than this is never "continue watching" any more.
CONTINUE_WATCHING_MAX = 50


# The unique pair first, then what a report overwrites.
UPSERT_FIELDS = ("user", "video", "position_seconds", "finished", "updated_at")


@functools.cache
def _upsert_sql() -> str:
    meta = WatchProgress._meta
    quote = connection.ops.quote_name
    columns = [quote(meta.get_field(name).column) for name in UPSERT_FIELDS]
    conflict = ", ".join(columns[:2])
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns[2:])
    # Names from the model's metadata; values travel as parameters.
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )


def watch_progress_record(
    *, user: User, info: StreamInfo, position_seconds: float
) -> WatchProgress:
    """Record the viewer's position in the film `info` describes (checked watchable by the
    caller): clamped to the film's end, finished from 95 % on. Returns the row as recorded
    (unsaved: its id is not needed), carrying the film's `duration` too for the answer.

    One statement in autocommit, atomic by itself: INSERT ... ON CONFLICT DO UPDATE, the
    same SQL on PostgreSQL and SQLite. `bulk_create(update_conflicts=True)` sends it too, but
    inside a transaction of its own (BEGIN, INSERT, COMMIT: three round trips); measured
    with PostgreSQL on the loaded 2-core machine, 7.3 ms against 3.2 ms of wall time and
    0.78 against 0.28 ms of CPU per report. Not under @transaction.atomic for the same reason.
    Raises IntegrityError when the film or the viewer was deleted a moment ago.
    """
    duration = info.duration
    if duration:
        position_seconds = min(position_seconds, duration)
    progress = WatchProgress(
        user=user,
        video_id=info.video_id,
        position_seconds=position_seconds,
        finished=bool(duration) and position_seconds >= FINISHED_SHARE * duration,
        updated_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _upsert_sql(),
            [
                user.pk,
                info.video_id,
                progress.position_seconds,
                progress.finished,
                connection.ops.adapt_datetimefield_value(progress.updated_at),
            ],
        )
    progress.duration = duration
    return progress


def progress_percent(position_seconds: float, duration: float | None) -> float | None:
    if not duration:
        return None
    return round(min(100.0, 100 * position_seconds / duration), 1)


def continue_watching_list(*, user: User) -> QuerySet[Video]:
    """The viewer's unfinished films that are still streamable, most recently watched first,
    each annotated with `position_seconds` and `watched_at`: one query."""
    viewers_own = FilteredRelation("watch_progress", condition=Q(watch_progress__user=user))
    return (
        Video.objects.streamable()
        .annotate(viewer_progress=viewers_own)
        .filter(viewer_progress__finished=False)
        .annotate(
            position_seconds=F("viewer_progress__position_seconds"),
            watched_at=F("viewer_progress__updated_at"),
        )
        .only(*LIST_FIELDS, "duration")
        .order_by("-watched_at", "-id")[:CONTINUE_WATCHING_MAX]
    )


def watch_position_get(*, user: User, video_id: int) -> float | None:
    """Where the viewer last stopped in the film, or None if they never started it."""
    return (
        WatchProgress.objects.filter(user=user, video_id=video_id)
        .values_list("position_seconds", flat=True)
        .first()
    )
