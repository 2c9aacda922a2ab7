"""Who may stream what: the access rule and the choice of the rung that answers."""

from catalog.models import MAX_VIDEO_ID
from catalog.streaminfo import StreamInfo, stream_info
from streaming.paths import is_resolution, rung_height


def stream_for_viewer(*, video_id: int, user) -> StreamInfo | None:
    """The stream facts of a video the user may watch, else None.

    Viewers see ready and published videos; staff may also preview ready videos that
    are not published yet. Costs no query while the stream facts are cached, one
    indexed query otherwise; `user` is the one authentication already loaded.
    """
    if not 0 < video_id <= MAX_VIDEO_ID:
        return None
    info = stream_info(video_id)
    return info if info is not None and may_watch(info, user) else None


def may_watch(info: StreamInfo, user) -> bool:
    """The access rule: ready and published, or ready and `user` is staff."""
    return info.ready and (info.published or user.is_staff)


def rung_for_request(requested: str, renditions: tuple[str, ...]) -> str | None:
    """The rung whose media playlist answers a request for `requested`, else None.

    A rung that exists answers for itself. A valid name above the best rung (the
    front ends' fixed 1080p button on a 720p film) is answered by the best rung,
    since we never upscale; a missing name below or between rungs is not.
    """
    if requested in renditions:
        return requested
    rungs = [name for name in renditions if is_resolution(name)]
    if not rungs:
        return None
    best = max(rungs, key=rung_height)
    return best if rung_height(requested) > rung_height(best) else None
