"""The deployment's nginx template in front of the app, end to end.

Segments take nginx's short way (an authorization subrequest, cached briefly, then the
file); thumbnails go through X-Accel-Redirect; everything refused is Django's answer.
"""

import http.client
import json
import os
import shutil
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.conf import settings as django_settings
from ninja_jwt.tokens import AccessToken

from benchmarks.nginx import nginx_available, running_nginx, videoflix_site
from catalog.streaminfo import stream_info_invalidate
from tests.support import free_port, prerequisite_missing

pytestmark = pytest.mark.slow


LINK_SECRET = "a-secret-shared-by-django-and-nginx"


@pytest.fixture(params=["signed-links", "no-link-secret"])
def nginx(request, live_server, settings, tmp_path, transactional_db):
    """nginx in front of the app, with signed segment links or without (empty secret)."""
    if not nginx_available():
        prerequisite_missing("nginx is not installed (apt-get install nginx-light)")
    secret = LINK_SECRET if request.param == "signed-links" else ""
    settings.STREAMING_X_ACCEL = True
    settings.STREAMING_X_ACCEL_PREFIX = "/protected-media/"
    settings.STREAMING_SEGMENT_LINK_SECRET = secret
    port = free_port()
    site = videoflix_site(
        upstream=live_server.url.removeprefix("http://"),
        media_root=settings.MEDIA_ROOT,
        port=port,
        auth_cache=tmp_path / "nginx" / "auth-cache",
        link_secret=secret,
    )
    with running_nginx(tmp_path / "nginx", site, ports=[port], workers=1):
        yield f"http://127.0.0.1:{port}"


def cookie_of(user) -> dict[str, str]:
    return {"Cookie": f"{django_settings.AUTH_COOKIE_ACCESS}={AccessToken.for_user(user)}"}


def fetch(url, headers=None, method="GET"):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        connection.request(method, target, headers=headers or {})
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


@pytest.mark.parametrize(
    "internal",
    [
        "/protected-media/hls/{v}/240p/segment000.ts",
        "/_videoflix/authorized/api/video/{v}/240p/segment000.ts",
    ],
)
def test_the_internal_locations_are_not_reachable_directly(nginx, video, internal):
    status, _, data = fetch(nginx + internal.format(v=video.pk))
    assert status == 404
    assert data != (video.hls_dir / "240p" / "segment000.ts").read_bytes()


def test_segments_cost_django_one_authorization_per_viewer_and_video(
    nginx, user, make_user, video, django_saw
):
    cookie = cookie_of(user)
    for name in ("segment000.ts", "segment001.ts", "segment000.ts/"):
        assert fetch(f"{nginx}/api/video/{video.pk}/240p/{name}", cookie)[0] == 200
    assert fetch(f"{nginx}/api/video/{video.pk}/360p/segment000.ts", cookie)[0] == 200
    assert django_saw == [f"/api/video/{video.pk}/master.m3u8"]

    # Another viewer is asked about afresh.
    assert (
        fetch(
            f"{nginx}/api/video/{video.pk}/240p/segment000.ts",
            cookie_of(make_user(email="other@example.com")),
        )[0]
        == 200
    )
    assert django_saw == [f"/api/video/{video.pk}/master.m3u8"] * 2


def test_an_authorization_is_kept_for_seconds_not_longer(nginx, user, video):
    """The price of the short way: a change reaches segments within the cache time."""
    cookie = cookie_of(user)
    url = f"{nginx}/api/video/{video.pk}/240p/segment000.ts"
    assert fetch(url, cookie)[0] == 200
    video.is_published = False
    video.save()
    stream_info_invalidate(video.pk)  # what the catalog services do after such a save
    assert fetch(f"{nginx}/api/video/{video.pk}/master.m3u8", cookie)[0] == 404
    assert fetch(url, cookie)[0] == 200  # nginx's 10 s authorization still holds
    deadline = time.monotonic() + 15
    while fetch(url, cookie)[0] == 200:
        assert time.monotonic() < deadline, "the authorization outlived its 10 s"
        time.sleep(0.5)
    assert fetch(url, cookie)[0] == 404


def contract_error(response, status: int) -> str:
    code, headers, body = response
    assert code == status, body
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)["detail"]


def test_what_nginx_cannot_serve_gets_djangos_json_answer(nginx, user, video, make_video):
    cookie = cookie_of(user)
    base = f"{nginx}/api/video/{video.pk}"
    assert contract_error(fetch(f"{base}/240p/segment000.ts"), 401)
    assert contract_error(fetch(f"{base}/240p/segment999.ts", cookie), 404)
    assert contract_error(fetch(f"{base}/1080p/segment000.ts", cookie), 404)
    hidden = make_video(is_published=False)
    assert contract_error(fetch(f"{nginx}/api/video/{hidden.pk}/240p/segment000.ts", cookie), 404)
    assert fetch(f"{base}/240p/segment000.ts", cookie, method="POST")[0] == 405


def test_a_symlink_planted_in_the_folder_is_not_followed(nginx, user, video, tmp_path):
    secret = tmp_path / "secret.ts"
    secret.write_bytes(b"not for viewers")
    os.symlink(secret, video.hls_dir / "240p" / "planted.ts")
    os.symlink(tmp_path, video.hls_dir / "elsewhere")
    cookie = cookie_of(user)
    for path in ("240p/planted.ts", "elsewhere/secret.ts"):
        code, _, body = fetch(f"{nginx}/api/video/{video.pk}/{path}", cookie)
        assert code == 404
        assert b"not for viewers" not in body


@pytest.mark.parametrize(
    "path",
    [
        "240p/..%2F..%2F..%2Fetc%2Fpasswd",
        "240p/%2e%2e/%2e%2e/segment000.ts",
        "..%2F240p/segment000.ts",
        "240p/segment000.ts%00.jpg",
        "240p\\segment000.ts",
        "240p/" + "a" * 65 + ".ts",
        "240p//etc/passwd",
    ],
)
def test_traversal_attempts_through_nginx_get_nothing(nginx, user, video, path):
    code, _, body = fetch(f"{nginx}/api/video/{video.pk}/{path}", cookie_of(user))
    assert code in (400, 404)
    assert b"root:" not in body


def test_a_live_output_behind_its_version_symlink_is_served(nginx, user, video):
    """In production hls/<id> is a symlink to the current version (catalog.outputs)."""
    version = video.hls_dir.with_name(f"{video.pk}.v1")
    shutil.move(video.hls_dir, version)
    os.symlink(version.name, video.hls_dir)
    code, _, body = fetch(f"{nginx}/api/video/{video.pk}/240p/segment000.ts", cookie_of(user))
    assert code == 200
    assert body == (version / "240p" / "segment000.ts").read_bytes()


def test_the_short_way_sends_the_contracts_headers(nginx, user, video):
    code, headers, _ = fetch(
        f"{nginx}/api/video/{video.pk}/240p/segment000.ts",
        {**cookie_of(user), "Origin": "http://evil.example"},
    )
    assert code == 200
    assert headers["Content-Type"] == "video/MP2T"
    assert headers["Cache-Control"] == "private, max-age=86400"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"]
    assert headers["Last-Modified"]
    assert "Access-Control-Allow-Origin" not in headers  # a foreign origin gets no CORS


def segment_uris(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]


signed_links_only = pytest.mark.parametrize("nginx", ["signed-links"], indirect=True)


@signed_links_only
@pytest.mark.parametrize("rung", ["240p", "1080p"])  # 1080p: the best rung answers for it
def test_signed_links_cost_django_nothing(nginx, user, video, django_saw, rung):
    cookie = cookie_of(user)
    playlist_url = f"{nginx}/api/video/{video.pk}/{rung}/index.m3u8"
    status, _, playlist = fetch(playlist_url, cookie)
    assert status == 200
    uris = segment_uris(playlist)
    assert all("?e=" in uri and "&s=" in uri for uri in uris)

    for uri in uris[:3]:
        status, headers, data = fetch(urljoin(playlist_url, uri), cookie)
        assert status == 200
        assert headers["Content-Type"] == "video/MP2T"
        assert len(data) == int(headers["Content-Length"]) > 0
    assert django_saw == [f"/api/video/{video.pk}/{rung}/index.m3u8"]


@signed_links_only
def test_a_signed_link_opens_nothing_to_another_token_or_none(nginx, user, make_user, video):
    playlist_url = f"{nginx}/api/video/{video.pk}/240p/index.m3u8"
    uri = segment_uris(fetch(playlist_url, cookie_of(user))[2])[0]
    url = urljoin(playlist_url, uri)

    assert contract_error(fetch(url), 401)
    assert contract_error(fetch(url, {"Cookie": "access_token=someone.else.s"}), 401)
    other = make_user(email="other@example.com")
    # Another valid viewer is asked about (and allowed: the video is public to viewers).
    assert fetch(url, cookie_of(other))[0] == 200


@signed_links_only
@pytest.mark.parametrize(
    "spoil",
    [
        lambda url: url.replace("&s=", "&s=A"),
        lambda url: url.split("?e=")[0] + "?e=1" + url[url.index("&s=") :],  # long expired
        lambda url: url.replace("segment000.ts", "segment001.ts"),  # another segment
    ],
    ids=["tampered", "expired", "other-path"],
)
def test_a_spoiled_link_falls_back_to_asking_django(nginx, user, video, django_saw, spoil):
    cookie = cookie_of(user)
    playlist_url = f"{nginx}/api/video/{video.pk}/240p/index.m3u8"
    url = urljoin(playlist_url, segment_uris(fetch(playlist_url, cookie)[2])[0])

    assert fetch(spoil(url), cookie)[0] == 200  # the viewer may watch: Django says so
    assert f"/api/video/{video.pk}/master.m3u8" in django_saw
    assert fetch(spoil(url))[0] == 401  # and nobody else gets in


@signed_links_only
def test_a_signed_link_answers_cors_only_for_the_origin_it_was_signed_for(nginx, user, video):
    allowed = {**cookie_of(user), "Origin": "http://127.0.0.1:5500"}
    playlist_url = f"{nginx}/api/video/{video.pk}/240p/index.m3u8"
    url = urljoin(playlist_url, segment_uris(fetch(playlist_url, allowed)[2])[0])

    _, headers, _ = fetch(url, allowed)
    assert headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5500"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    # Replayed from another origin the link does not check out; Django then answers.
    _, headers, _ = fetch(url, {**allowed, "Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in headers


@signed_links_only
def test_no_links_are_signed_for_an_origin_cors_refuses(nginx, user, video):
    status, _, playlist = fetch(
        f"{nginx}/api/video/{video.pk}/240p/index.m3u8",
        {**cookie_of(user), "Origin": "http://evil.example"},
    )
    assert status == 200
    uris = segment_uris(playlist)
    assert uris
    assert not any({"e", "s"} & set(parse_qs(urlsplit(uri).query)) for uri in uris)


@pytest.mark.parametrize("nginx", ["no-link-secret"], indirect=True)
def test_without_a_secret_a_link_signed_with_none_opens_nothing(nginx, video):
    from streaming.links import SegmentLinks

    path = f"/api/video/{video.pk}/240p/segment000.ts"
    forged = SegmentLinks(expires=2_000_000_000, origin="", cookie="", authorization="", secret="")
    url = f"{nginx}{path}?e=2000000000&s={forged.signature(path)}"

    assert contract_error(fetch(url), 401)


def test_a_doubled_access_cookie_primes_no_authorization_for_others(nginx, user, video):
    """nginx reads the first access_token, Django the last: the subrequest must carry only
    what nginx keyed, or one viewer's "yes" opens the video to requests with no token."""
    url = f"{nginx}/api/video/{video.pk}/240p/segment000.ts"
    token = AccessToken.for_user(user)

    primed = fetch(url, {"Cookie": f"access_token=; access_token={token}"})
    anonymous = fetch(url)
    empty_cookie = fetch(url, {"Cookie": "access_token="})

    assert primed[0] == 401  # Django refuses a header naming the cookie twice
    assert (anonymous[0], empty_cookie[0]) == (401, 401)


def test_the_authorization_cache_holds_no_token(nginx, user, video, tmp_path):
    token = str(AccessToken.for_user(user))
    header_and_payload = token.rsplit(".", 1)[0]
    url = f"{nginx}/api/video/{video.pk}/240p/segment000.ts"
    # The playlist call signs the links; the segment request itself must ask Django.
    assert fetch(f"{url}?e=1&s=spoiled", {"Cookie": f"access_token={token}"})[0] == 200

    files = [path for path in (tmp_path / "nginx" / "auth-cache").rglob("*") if path.is_file()]

    assert files, "the authorization was not cached"
    assert not any(header_and_payload.encode() in path.read_bytes() for path in files)


def test_a_credential_nginx_cannot_read_as_a_jwt_is_asked_about_every_time(
    nginx, user, video, django_saw
):
    """Django trims the blank before the token, nginx does not: nothing nginx cannot key
    exactly is kept, so its "yes" can never stand for another credential."""
    url = f"{nginx}/api/video/{video.pk}/240p/segment000.ts?e=1&s=spoiled"
    blank_before = {"Cookie": f"access_token=\t{AccessToken.for_user(user)}"}

    statuses = [fetch(url, blank_before)[0] for _ in range(2)]

    assert statuses == [200, 200]
    assert django_saw.count(f"/api/video/{video.pk}/master.m3u8") == 2


def iframe_ranges(playlist: bytes) -> list[tuple[int, int, str]]:
    """(offset, length, uri) of each entry of an I-frame playlist."""
    lines = playlist.decode().splitlines()
    return [
        (int(line.split("@")[1]), int(line.split(":")[1].split("@")[0]), lines[i + 1])
        for i, line in enumerate(lines)
        if line.startswith("#EXT-X-BYTERANGE:")
    ]


@pytest.mark.parametrize("rung", ["240p", "1080p"])  # 1080p: the best rung answers for it
def test_iframe_ranges_come_through_nginx_in_every_mode(nginx, user, video, django_saw, rung):
    cookie = cookie_of(user)
    playlist_url = f"{nginx}/api/video/{video.pk}/{rung}/iframes.m3u8"
    status, headers, playlist = fetch(playlist_url, cookie)
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
    ranges = iframe_ranges(playlist)
    assert len(ranges) == 4

    for offset, length, uri in ranges:
        url = urljoin(playlist_url, uri)
        end = offset + length - 1
        status, headers, data = fetch(url, {**cookie, "Range": f"bytes={offset}-{end}"})
        assert status == 206
        rung_folder, name = urlsplit(url).path.split("/")[-2:]
        assert data == (video.hls_dir / rung_folder / name).read_bytes()[offset : end + 1]
    if "?e=" in ranges[0][2]:  # signed links: nginx alone sent every range
        assert django_saw == [f"/api/video/{video.pk}/{rung}/iframes.m3u8"]


def test_the_storyboard_and_its_sprites_come_through_nginx(nginx, user, video, make_video):
    cookie = cookie_of(user)
    vtt_url = f"{nginx}/api/video/{video.pk}/storyboard.vtt"
    status, headers, vtt = fetch(vtt_url, cookie)
    assert status == 200
    assert headers["Content-Type"] == "text/vtt"
    image = vtt.decode().splitlines()[3].partition("#")[0]

    status, headers, data = fetch(urljoin(vtt_url, image), cookie)
    assert status == 200
    assert headers["Content-Type"] == "image/jpeg"
    assert "X-Accel-Redirect" not in headers
    assert data == (video.hls_dir / "storyboard" / "sprite000.jpg").read_bytes()
    hidden = make_video(is_published=False)
    for path in ("storyboard.vtt", "storyboard/sprite000.jpg"):
        assert fetch(f"{nginx}/api/video/{video.pk}/{path}")[0] == 401
        assert fetch(f"{nginx}/api/video/{hidden.pk}/{path}", cookie)[0] == 404
