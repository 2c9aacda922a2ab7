"""hls.js in Chromium finds a film's subtitle tracks in the master playlist, loads the WebVTT
through the track's media playlist with the viewer's cookies, and places each cue where the
SRT put it: the timestamp map matches where the transcode's segments start."""

import json
from collections.abc import Iterator

import pytest

from tests.e2e.test_viewer_journey import PASSWORD, calls_api
from tests.media import generate_video

pytestmark = pytest.mark.slow

SRT = (
    "1\r\n00:00:00,500 --> 00:00:02,000\r\nFirst words.\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:04,250\r\n<i>Second</i> words.\r\n"
)


@pytest.fixture(scope="module")
def subtitled_film(site, tmp_path_factory) -> Iterator[dict]:
    """Published for this module only: the session's other browser tests expect a catalog
    holding their own films, so it is deleted (through the service) when the module ends."""
    folder = tmp_path_factory.mktemp("subtitled")
    source = generate_video(folder / "film.mp4", seconds=6, width=320, height=240)
    (folder / "film.en.srt").write_text(SRT)
    (folder / "film.de.vtt").write_text("WEBVTT\n\n00:01.000 --> 00:02.000\nErste Worte.\n")
    result = site.stack.manage(
        "upload_video", str(source), "--title", "Subtitled film", "--publish", "--wait", "--json",
        "--subtitles", f"en:{folder / 'film.en.srt'}",
        "--subtitles", f"de:{folder / 'film.de.vtt'}",
        timeout=600,
    )  # fmt: skip
    film = json.loads(result.stdout[result.stdout.index("{") :])
    yield film
    site.stack.manage(
        "shell", "-c",
        "from catalog.models import Video; from catalog.services import video_delete; "
        f"video_delete(video=Video.objects.get(pk={film['id']}))",
    )  # fmt: skip


def test_hls_js_shows_the_subtitle_tracks_with_their_cues_in_place(page, site, subtitled_film):
    api = calls_api(page)
    site.stack.create_user("reader@example.com", password=PASSWORD)
    assert (
        api("POST", "/login/", {"email": "reader@example.com", "password": PASSWORD})["status"]
        == 200
    )
    detail = api("GET", f"/video/{subtitled_film['id']}/")["body"]
    assert [track["language"] for track in detail["subtitles"]] == ["de", "en"]

    ladder = page.evaluate("url => videoflix.play(url, 0)", detail["master_url"])
    assert "error" not in ladder, ladder
    found = page.evaluate("videoflix.subtitles()")
    assert found["tracks"] == [
        {"lang": "de", "name": "Deutsch", "default": False},
        {"lang": "en", "name": "English", "default": False},
    ]

    page.wait_for_function(
        "videoflix.subtitles(1).textTracks.some(t => t.language === 'en' && t.cues.length === 2)",
        timeout=60_000,
    )
    english = next(
        track for track in page.evaluate("videoflix.subtitles()")["textTracks"]
        if track["language"] == "en"
    )  # fmt: skip
    assert [cue["text"] for cue in english["cues"]] == ["First words.", "<i>Second</i> words."]
    for cue, (start, end) in zip(english["cues"], [(0.5, 2.0), (3.0, 4.25)], strict=True):
        assert cue["start"] == pytest.approx(start, abs=0.05)
        assert cue["end"] == pytest.approx(end, abs=0.05)
    assert [error for error in page.evaluate("videoflix.state()")["errors"] if error["fatal"]] == []
