"""Signed segment links (`streaming.links`): what Django signs and how playlists carry it.

That nginx accepts exactly these signatures is tested with the real nginx in
tests/streaming/test_nginx_x_accel.py.
"""

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.test import Client, RequestFactory
from ninja_jwt.tokens import AccessToken

from streaming.links import SegmentLinks, link_expiry, segment_links_for
from tests.streaming.http import body

SECRET = "links-secret"
PLAYLIST = (
    b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n\n#EXTINF:2.0,\nsegment000.ts\r\n"
    b"#EXTINF:2.0,\n../720p/segment001.ts\n#EXT-X-ENDLIST\n"
)


def links(**overrides) -> SegmentLinks:
    fields = {
        "expires": 2_000_000_000,
        "origin": "",
        "cookie": "tok",
        "authorization": "",
        "secret": SECRET,
    }
    return SegmentLinks(**{**fields, **overrides})


def test_signing_touches_only_the_uri_lines_and_keeps_their_endings():
    signed = links().sign(PLAYLIST, "/api/video/7/1080p/index.m3u8").decode()
    lines = signed.split("\n")
    assert [line for line in lines if line.startswith("#") or not line] == [
        line for line in PLAYLIST.decode().split("\n") if line.startswith("#") or not line
    ]
    assert "segment000.ts?e=2000000000&s=" in signed
    assert signed.count("\r\n") == 1


def test_each_link_is_signed_for_the_path_it_resolves_to():
    signer = links()
    playlist_path = "/api/video/7/1080p/index.m3u8"
    signed = signer.sign(PLAYLIST, playlist_path).decode()
    uris = [line.strip() for line in signed.splitlines() if line and not line.startswith("#")]
    for uri in uris:
        parts = urlsplit(uri)
        resolved = urljoin(playlist_path, parts.path)
        assert parse_qs(parts.query)["s"] == [signer.signature(resolved)]
    assert urljoin(playlist_path, urlsplit(uris[1]).path) == "/api/video/7/720p/segment001.ts"


@pytest.mark.parametrize(
    "change",
    [{"expires": 2_000_000_001}, {"origin": "http://127.0.0.1:5500"}, {"cookie": "other"},
     {"authorization": "Bearer tok"}, {"secret": "another"}],
)  # fmt: skip
def test_the_signature_covers_every_input(change):
    path = "/api/video/7/720p/segment000.ts"
    assert links(**change).signature(path) != links().signature(path)
    assert links().signature(path) != links().signature(path.replace("000", "001"))


def request_with_token(user, **headers):
    token = AccessToken.for_user(user)
    request = RequestFactory().get("/api/video/1/240p/index.m3u8", **headers)
    request.COOKIES["access_token"] = str(token)
    return request, token


def test_nothing_is_signed_without_a_secret(settings, user):
    settings.STREAMING_SEGMENT_LINK_SECRET = ""
    assert segment_links_for(request_with_token(user)[0]) is None


def test_links_expire_with_the_token_and_carry_the_origin(settings, user):
    settings.STREAMING_SEGMENT_LINK_SECRET = SECRET
    settings.STREAMING_SEGMENT_LINK_SECONDS = 10**9  # longer than the token
    request, token = request_with_token(user, HTTP_ORIGIN="http://127.0.0.1:5500")
    signer = segment_links_for(request)
    assert signer.expires == token["exp"]
    assert signer.origin == "http://127.0.0.1:5500"
    assert signer.cookie == str(token)


def test_no_links_are_signed_for_an_origin_cors_refuses(settings, user):
    settings.STREAMING_SEGMENT_LINK_SECRET = SECRET
    assert segment_links_for(request_with_token(user, HTTP_ORIGIN="http://evil.example")[0]) is None


def test_the_served_playlist_is_signed_per_token(settings, user, video):
    settings.STREAMING_SEGMENT_LINK_SECRET = SECRET
    url = f"/api/video/{video.pk}/240p/index.m3u8"
    first, second = Client(), Client()
    first.cookies["access_token"] = str(AccessToken.for_user(user))
    second.cookies["access_token"] = str(AccessToken.for_user(user))
    one, two = first.get(url), second.get(url)
    assert one.status_code == two.status_code == 200
    assert b"?e=" in body(one)
    assert body(one) != body(two)
    assert one["ETag"] != two["ETag"]
    assert first.get(url, headers={"If-None-Match": one["ETag"]}).status_code == 304


def test_django_serves_a_signed_link_too(settings, user, video, auth_client):
    """Without nginx in front the query is simply ignored; the token decides."""
    settings.STREAMING_SEGMENT_LINK_SECRET = SECRET
    playlist_url = f"/api/video/{video.pk}/240p/index.m3u8"
    uri = next(
        line for line in body(auth_client.get(playlist_url)).decode().splitlines()
        if line and not line.startswith("#")
    )  # fmt: skip
    response = auth_client.get(urljoin(playlist_url, uri))
    assert response.status_code == 200
    assert body(response) == (video.hls_dir / "240p" / "segment000.ts").read_bytes()
    assert Client().get(urljoin(playlist_url, uri)).status_code == 401


@pytest.mark.parametrize(
    ("now", "expires"),
    [
        (6_000_000, 6_000_240),
        (6_000_119, 6_000_240),
        (6_000_120, 6_000_360),
        (6_000_900, 6_000_950),
    ],
    ids=["step-start", "step-end", "next-step", "token-first"],
)
def test_links_live_one_to_two_steps_and_never_past_the_token(settings, now, expires):
    """Logout or a password change reach links nginx checks alone within two steps."""
    settings.STREAMING_SEGMENT_LINK_SECONDS = 120

    assert link_expiry(token_expires=6_000_950.0, now=now) == expires
