"""Behind the deployment's nginx, subtitle paths are not taken for segments: they reach Django
(location /), which answers them as it does alone, with or without signed segment links."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.subtitles import subtitle_create
from tests.streaming.test_nginx_x_accel import cookie_of, fetch, nginx  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

SRT = b"1\n00:00:00,500 --> 00:00:01,000\nThrough nginx\n"


def test_tracks_pass_through_nginx_under_djangos_rules(nginx, user, make_video, django_saw):  # noqa: F811
    video, hidden = make_video(duration=4.0), make_video(is_published=False)
    for film in (video, hidden):
        subtitle_create(video=film, language="en", file=SimpleUploadedFile("en.srt", SRT))
    cookie = cookie_of(user)

    status, headers, master = fetch(f"{nginx}/api/video/{video.pk}/master.m3u8", cookie)
    assert status == 200
    assert b'URI="subtitles/en.m3u8"' in master
    status, headers, playlist = fetch(f"{nginx}/api/video/{video.pk}/subtitles/en.m3u8", cookie)
    assert (status, headers["Content-Type"]) == (200, "application/vnd.apple.mpegurl")
    assert b"#EXT-X-TARGETDURATION:4\n" in playlist
    status, headers, vtt = fetch(f"{nginx}/api/video/{video.pk}/subtitles/en.vtt", cookie)
    assert (status, headers["Content-Type"]) == (200, "text/vtt")
    assert vtt.startswith(b"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n")
    assert b"Through nginx" in vtt
    assert f"/api/video/{video.pk}/subtitles/en.vtt" in django_saw

    assert fetch(f"{nginx}/api/video/{video.pk}/subtitles/en.vtt")[0] == 401
    assert fetch(f"{nginx}/api/video/{hidden.pk}/subtitles/en.vtt", cookie)[0] == 404
    status, _, refused = fetch(f"{nginx}/api/video/{video.pk}/subtitles/..%2F..%2Fen.vtt", cookie)
    assert status == 404
    assert b"Through nginx" not in refused
