"""System checks: a wrong ladder setting is reported at start-up, not at the first upload."""

from django.conf import settings
from django.core.checks import Error, register

from catalog.ladder import configured_ladder

X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)  # fmt: skip


@register()
def check_transcode_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    try:
        configured_ladder()
    except ValueError as exc:
        errors.append(Error(f"VIDEO_TRANSCODE_RENDITIONS: {exc}", id="catalog.E001"))
    preset = settings.VIDEO_TRANSCODE_PRESET
    if preset and preset not in X264_PRESETS:
        errors.append(
            Error(
                f"VIDEO_TRANSCODE_PRESET {preset!r} is not an x264 preset; "
                f"choose one of {', '.join(X264_PRESETS)}.",
                id="catalog.E002",
            )
        )
    return errors
