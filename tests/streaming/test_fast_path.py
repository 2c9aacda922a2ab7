"""The segment fast path (streaming/fastpath.py) in front of Django's WSGI handler.

Every request is sent both ways, to the fast path's WSGI application and to Django's
alone, with the caches warmed by Django first: the answers must be the same status,
headers and bytes. Where the fast path must not answer (a range, a refusal, a cache
miss, an odd host...) it has to leave the request to Django untouched.
"""

import io
import os
import shutil
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from ninja_jwt.tokens import AccessToken, RefreshToken

from catalog.models import VideoStatus
from catalog.streaminfo import stream_info_invalidate
from streaming.fastpath import SegmentFastPath
from tests.streaming.test_segment_routes import SECRET, TRAVERSALS

FRONT_END = "http://127.0.0.1:5500"


@pytest.fixture
def django_app():
    """Django's own WSGI handler; as the test client does, requests keep the test's
    database connection (and its transaction) open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fast_app(django_app):
    return SegmentFastPath(django_app)


@pytest.fixture
def token(user):
    return str(AccessToken.for_user(user))


def environ_for(path, *, token=None, method="GET", **headers):
    environ = RequestFactory().generic(method, path, **headers).environ
    environ["wsgi.input"] = io.BytesIO()
    # As a server hands it over: the URL's bytes, percent-decoded, read as ISO-8859-1.
    environ["PATH_INFO"] = environ["PATH_INFO"].encode().decode("iso-8859-1")
    if token:
        environ["HTTP_COOKIE"] = f"access_token={token}"
    return environ


def call(application, environ):
    """(status, sorted headers, body) as a client would receive them."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    chunks = application(dict(environ), start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    headers = sorted((name.lower(), value) for name, value in answer["headers"])
    return answer["status"], headers, content


def segment_path(video, name="segment001.ts", rung="240p"):
    return f"/api/video/{video.pk}/{rung}/{name}"


def assert_fast_path_answers_like_django(fast_app, django_app, django_saw, environ):
    expected = call(django_app, environ)  # also warms the caches
    django_saw.clear()
    status, headers, content = call(fast_app, environ)
    assert django_saw == [], "the fast path left this request to Django"
    assert status == expected[0]
    assert dict(headers) == dict(expected[1])
    assert headers == expected[1]
    assert content == expected[2]
    return expected


@pytest.mark.parametrize("trailing_slash", ["", "/"])
def test_a_plain_segment_get_is_answered_exactly_as_django_would(
    fast_app, django_app, django_saw, video, token, trailing_slash
):
    environ = environ_for(segment_path(video) + trailing_slash, token=token)
    status, headers, content = assert_fast_path_answers_like_django(
        fast_app, django_app, django_saw, environ
    )
    assert status == "200 OK"
    assert content == (video.hls_dir / "240p" / "segment001.ts").read_bytes()
    names = {name for name, _ in headers}
    assert {"etag", "last-modified", "content-length", "cache-control", "vary"} <= names
    assert ("x-content-type-options", "nosniff") in headers


def test_a_bearer_token_and_a_query_string_are_answered_alike(
    fast_app, django_app, django_saw, video, token
):
    environ = environ_for(segment_path(video) + "?e=1&s=x", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert assert_fast_path_answers_like_django(fast_app, django_app, django_saw, environ)[0] == (
        "200 OK"
    )


def test_an_allowed_front_end_origin_gets_the_same_cors_answer(
    fast_app, django_app, django_saw, video, token
):
    environ = environ_for(segment_path(video), token=token, HTTP_ORIGIN=FRONT_END)
    _, headers, _ = assert_fast_path_answers_like_django(fast_app, django_app, django_saw, environ)
    assert ("access-control-allow-origin", FRONT_END) in headers
    assert ("access-control-allow-credentials", "true") in headers


def test_behind_a_tls_proxy_the_hsts_header_matches(
    fast_app, django_app, django_saw, video, token, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    # SecurityMiddleware reads its settings when the handler loads it.
    django_app = WSGIHandler()
    fast_app = SegmentFastPath(django_app)
    environ = environ_for(segment_path(video), token=token, HTTP_X_FORWARDED_PROTO="https")
    _, headers, _ = assert_fast_path_answers_like_django(fast_app, django_app, django_saw, environ)
    assert ("strict-transport-security", "max-age=3600; includeSubDomains; preload") in headers


def test_staff_preview_of_an_unpublished_video(
    fast_app, django_app, django_saw, make_video, staff_user
):
    hidden = make_video(is_published=False)
    environ = environ_for(segment_path(hidden), token=str(AccessToken.for_user(staff_user)))
    status, _, _ = assert_fast_path_answers_like_django(fast_app, django_app, django_saw, environ)
    assert status == "200 OK"


def test_the_fast_path_costs_no_query(
    fast_app, django_app, video, token, django_assert_num_queries
):
    environ = environ_for(segment_path(video), token=token)
    call(django_app, environ)
    with django_assert_num_queries(0):
        assert fast_app.answer(environ) is not None


def assert_left_to_django(fast_app, django_app, django_saw, environ):
    """The fast path does not answer, and the client gets exactly Django's answer."""
    expected = call(django_app, environ)
    assert fast_app.answer(environ) is None
    django_saw.clear()
    assert call(fast_app, environ) == expected
    assert django_saw == [environ["PATH_INFO"]]
    return expected


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"HTTP_RANGE": "bytes=0-99"}, "206 Partial Content"),
        ({"HTTP_RANGE": "bytes=999999999-"}, "416 Requested Range Not Satisfiable"),
        ({"HTTP_IF_MODIFIED_SINCE": "Fri, 01 Jan 2100 00:00:00 GMT"}, "304 Not Modified"),
        ({"HTTP_IF_NONE_MATCH": '"nope"'}, "200 OK"),
        ({"HTTP_IF_MATCH": '"nope"'}, "412 Precondition Failed"),
        ({"HTTP_IF_UNMODIFIED_SINCE": "Sat, 01 Jan 2000 00:00:00 GMT"}, "412 Precondition Failed"),
        ({"HTTP_ORIGIN": "https://evil.example"}, "200 OK"),
        ({"HTTP_HOST": "evil.example"}, "400 Bad Request"),
    ],
)
def test_ranges_conditions_foreign_origins_and_hosts_are_left_to_django(
    fast_app, django_app, django_saw, video, token, headers, status
):
    environ = environ_for(segment_path(video), token=token, **headers)
    assert assert_left_to_django(fast_app, django_app, django_saw, environ)[0] == status


def test_head_and_other_methods_are_left_to_django(fast_app, django_app, django_saw, video, token):
    for method, status in (("HEAD", "200 OK"), ("POST", "405 Method Not Allowed")):
        environ = environ_for(segment_path(video), token=token, method=method)
        assert assert_left_to_django(fast_app, django_app, django_saw, environ)[0] == status


def test_an_https_redirect_due_is_left_to_django(
    fast_app, django_app, django_saw, video, token, settings
):
    settings.SECURE_SSL_REDIRECT = True
    django_app = WSGIHandler()
    fast_app = SegmentFastPath(django_app)
    environ = environ_for(segment_path(video), token=token)
    status, headers, _ = assert_left_to_django(fast_app, django_app, django_saw, environ)
    assert status == "301 Moved Permanently"
    assert dict(headers)["location"].startswith("https://")


@pytest.mark.parametrize(
    "credentials",
    [None, "not-a-jwt", "expired", "refresh-token", "bearer-garbage"],
)
def test_no_valid_token_is_left_to_django_which_says_401(
    fast_app, django_app, django_saw, video, user, credentials
):
    extra = {}
    token = None
    if credentials == "not-a-jwt":
        token = "not-a-jwt"
    elif credentials == "expired":
        expired = AccessToken.for_user(user)
        expired.set_exp(lifetime=-timedelta(seconds=1))
        token = str(expired)
    elif credentials == "refresh-token":
        token = str(RefreshToken.for_user(user))
    elif credentials == "bearer-garbage":
        extra["HTTP_AUTHORIZATION"] = "Bearer garbage"
    environ = environ_for(segment_path(video), token=token, **extra)
    status, _, content = assert_left_to_django(fast_app, django_app, django_saw, environ)
    assert status == "401 Unauthorized"
    assert b"Segment" not in content


def test_a_video_the_viewer_may_not_watch_is_left_to_django(
    fast_app, django_app, django_saw, make_video, token
):
    for video in (
        make_video(is_published=False),
        make_video(status=VideoStatus.PROCESSING, with_output=False),
    ):
        environ = environ_for(segment_path(video), token=token)
        assert assert_left_to_django(fast_app, django_app, django_saw, environ)[0] == (
            "404 Not Found"
        )


def test_unpublishing_and_deactivation_reach_the_fast_path_at_once(
    fast_app, django_app, video, user, token
):
    environ = environ_for(segment_path(video), token=token)
    call(django_app, environ)
    assert fast_app.answer(environ) is not None
    video.is_published = False
    video.save()
    stream_info_invalidate(video.pk)  # what the catalog services do after commit
    assert fast_app.answer(environ) is None
    assert call(fast_app, environ)[0] == "404 Not Found"

    video.is_published = True
    video.save()
    stream_info_invalidate(video.pk)
    call(django_app, environ)
    assert fast_app.answer(environ) is not None
    user.is_active = False
    user.save()  # accounts.signals drops the cached user
    assert fast_app.answer(environ) is None
    assert call(fast_app, environ)[0] == "401 Unauthorized"


def test_cold_caches_are_left_to_django_which_fills_them(
    fast_app, django_app, django_saw, video, token
):
    caches["hot"].clear()
    environ = environ_for(segment_path(video), token=token)
    assert fast_app.answer(environ) is None
    assert call(fast_app, environ)[0] == "200 OK"
    assert django_saw == [environ["PATH_INFO"]]
    assert fast_app.answer(environ) is not None


def test_missing_files_and_planted_symlinks_are_left_to_django(
    fast_app, django_app, django_saw, video, token, settings
):
    (settings.MEDIA_ROOT / "secret.ts").write_bytes(SECRET)
    rung = video.hls_dir / "240p"
    os.symlink(settings.MEDIA_ROOT / "secret.ts", rung / "planted.ts")
    shutil.rmtree(video.hls_dir / "360p")
    os.symlink(settings.MEDIA_ROOT, video.hls_dir / "360p")
    for path in (
        segment_path(video, "segment999.ts"),
        segment_path(video, "planted.ts"),
        segment_path(video, "secret.ts", rung="360p"),
        f"/api/video/{2**63}/240p/segment001.ts",
    ):
        environ = environ_for(path, token=token)
        status, _, content = assert_left_to_django(fast_app, django_app, django_saw, environ)
        assert status == "404 Not Found", path
        assert SECRET not in content


@pytest.mark.parametrize("template", TRAVERSALS)
def test_traversal_attempts_never_take_the_fast_path(
    fast_app, django_app, video, make_video, token, settings, template
):
    (settings.MEDIA_ROOT / "secret.ts").write_bytes(SECRET)
    hidden = make_video(is_published=False)
    call(django_app, environ_for(segment_path(video), token=token))  # warm caches
    url = "/api/video/" + template.format(v=video.pk, h=hidden.pk)
    environ = environ_for(url, token=token)
    assert fast_app.answer(environ) is None
    status, _, content = call(fast_app, environ)
    assert status == "404 Not Found"
    assert SECRET not in content


def test_the_deployed_application_has_the_fast_path_unless_nginx_sends_files():
    import importlib

    import videoflix.wsgi

    assert isinstance(videoflix.wsgi.application, SegmentFastPath)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.STREAMING_FAST_PATH", False)
        reloaded = importlib.reload(videoflix.wsgi)
        assert isinstance(reloaded.application, WSGIHandler)
        patch.setattr("django.conf.settings.STREAMING_FAST_PATH", True)
        patch.setattr("django.conf.settings.STREAMING_X_ACCEL", True)
        reloaded = importlib.reload(videoflix.wsgi)
        assert isinstance(reloaded.application, WSGIHandler)
    importlib.reload(videoflix.wsgi)
