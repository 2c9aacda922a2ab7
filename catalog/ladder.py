"""The HLS ladder the settings ask for, shared by the transcode task and the start-up check."""

from dataclasses import replace

from django.conf import settings

from transcoding import DEFAULT_LADDER, Ladder


def configured_ladder() -> Ladder:
    ladder = DEFAULT_LADDER
    if settings.VIDEO_TRANSCODE_RENDITIONS:
        ladder = ladder.select(list(settings.VIDEO_TRANSCODE_RENDITIONS))
    if settings.VIDEO_TRANSCODE_PRESET:
        ladder = replace(ladder, preset=settings.VIDEO_TRANSCODE_PRESET)
    return ladder
