"""X-Accel-Redirect end to end: the deployment's nginx template in front of the app."""

import http.client
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from ninja_jwt.tokens import AccessToken

from benchmarks.nginx import free_port, nginx_available, running_nginx, videoflix_site

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is not installed"),
]


@pytest.fixture
def nginx(live_server, settings, tmp_path, transactional_db):
    settings.STREAMING_X_ACCEL = True
    settings.STREAMING_X_ACCEL_PREFIX = "/protected-media/"
    port = free_port()
    site = videoflix_site(
        upstream=live_server.url.removeprefix("http://"),
        media_root=settings.MEDIA_ROOT,
        port=port,
    )
    with running_nginx(tmp_path / "nginx", site, ports=[port], workers=1):
        yield f"http://127.0.0.1:{port}"


def fetch(url, headers=None):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_nginx_sends_the_segment_django_authorized(nginx, user, video):
    cookie = {"Cookie": f"{django_settings.AUTH_COOKIE_ACCESS}={AccessToken.for_user(user)}"}
    segment = (video.hls_dir / "240p" / "segment000.ts").read_bytes()
    url = f"{nginx}/api/video/{video.pk}/240p/segment000.ts"

    status, headers, data = fetch(url, cookie)
    assert status == 200
    assert data == segment
    assert headers["Content-Type"] == "video/MP2T"
    assert headers["Cache-Control"] == "private, max-age=86400"
    assert "X-Accel-Redirect" not in headers

    status, headers, data = fetch(url, {**cookie, "Range": "bytes=10-19"})
    assert status == 206
    assert data == segment[10:20]
    assert headers["Content-Range"] == f"bytes 10-19/{len(segment)}"

    etag = headers["ETag"]
    status, _, data = fetch(url, {**cookie, "If-None-Match": etag})
    assert status == 304
    assert data == b""


def test_the_front_ends_origin_keeps_its_cors_answer(nginx, user, video):
    cookie = {"Cookie": f"{django_settings.AUTH_COOKIE_ACCESS}={AccessToken.for_user(user)}"}
    status, headers, _ = fetch(
        f"{nginx}/api/video/{video.pk}/240p/segment000.ts/",
        {**cookie, "Origin": "http://127.0.0.1:5500"},
    )
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5500"
    assert headers["Access-Control-Allow-Credentials"] == "true"


def test_playlists_and_thumbnails_pass_through_nginx(nginx, user, video):
    cookie = {"Cookie": f"{django_settings.AUTH_COOKIE_ACCESS}={AccessToken.for_user(user)}"}
    status, headers, data = fetch(f"{nginx}/api/video/{video.pk}/1080p/index.m3u8", cookie)
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert b"../360p/segment000.ts" in data
    status, headers, data = fetch(f"{nginx}/api/video/{video.pk}/thumbnail.jpg", cookie)
    assert status == 200
    assert headers["Content-Type"] == "image/jpeg"
    assert data == (video.hls_dir / "thumbnail.jpg").read_bytes()


def test_nginx_refuses_what_django_refuses(nginx, user, make_video):
    cookie = {"Cookie": f"{django_settings.AUTH_COOKIE_ACCESS}={AccessToken.for_user(user)}"}
    hidden = make_video(is_published=False)
    assert fetch(f"{nginx}/api/video/{hidden.pk}/240p/segment000.ts")[0] == 401
    assert fetch(f"{nginx}/api/video/{hidden.pk}/240p/segment000.ts", cookie)[0] == 404


def test_the_internal_location_is_not_reachable_directly(nginx, video):
    status, _, data = fetch(f"{nginx}/protected-media/hls/{video.pk}/240p/segment000.ts")
    assert status == 404
    assert data != (video.hls_dir / "240p" / "segment000.ts").read_bytes()
