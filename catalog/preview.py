"""The admin's preview player: what a video's change page embeds to play its live ladder.

The player (hls.js, served by staticfiles like the admin's own scripts) fetches the very
streaming routes viewers use; they accept the staff member's admin session (streaming/api.py),
so staff preview unpublished films exactly as viewers will see them once published.
"""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static

from catalog.links import stream_path
from catalog.models import Video

HLS_JS = "vendor/hls.js/hls.min.js"


def hls_js_url() -> str | None:
    """The player script's URL, or None when `make setup` could not install it."""
    if finders.find(HLS_JS) is None:
        return None
    try:
        return static(HLS_JS)
    except ValueError:  # installed after the last collectstatic: not served yet
        return None


def preview_player_html(video: Video) -> str:
    if not video.has_live_output:
        return "- (no output yet)"
    features = video.output_features or {}
    return render_to_string(
        "catalog/admin/preview_player.html",
        {
            "hls_js": hls_js_url(),
            "master_url": stream_path("video_master", video.pk),
            "poster_url": stream_path("video_thumbnail", video.pk),
            "storyboard_url": (
                stream_path("video_storyboard", video.pk) if features.get("storyboard") else ""
            ),
            "renditions": video.renditions,
        },
    )
