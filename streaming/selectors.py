"""Who may stream what, and the choice of the rung that answers."""

# The access rule lives with the stream facts (catalog.streaminfo), so the catalog's viewer
# routes (watch progress) apply the very same one; streaming's routes keep asking here.
from catalog.streaminfo import stream_for_viewer as stream_for_viewer
from streaming.paths import is_resolution, rung_height


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
