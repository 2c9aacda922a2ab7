"""Who may stream: a valid token, a ready video, published unless the viewer is staff."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from ninja_jwt.tokens import AccessToken, RefreshToken

from catalog.models import Video, VideoStatus
from catalog.streaminfo import stream_info_invalidate
from streaming.selectors import stream_for_viewer

VIDEO_NOT_FOUND = {"detail": "Video not found."}


def stream_urls(video_id):
    return [
        f"/api/video/{video_id}/master.m3u8",
        f"/api/video/{video_id}/240p/index.m3u8",
        f"/api/video/{video_id}/1080p/index.m3u8",
        f"/api/video/{video_id}/240p/segment000.ts/",
        f"/api/video/{video_id}/240p/segment000.ts",
        f"/api/video/{video_id}/thumbnail.jpg",
    ]


def test_every_route_answers_401_without_a_token(client, video):
    for url in stream_urls(video.pk):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json() == {
            "detail": "Authentication credentials were not provided or are invalid."
        }


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        str(RefreshToken()),  # a refresh token is not an access token
        "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl",
    ],
)
def test_an_invalid_token_is_401(video, token):
    client = Client()
    client.cookies[settings.AUTH_COOKIE_ACCESS] = token
    assert client.get(f"/api/video/{video.pk}/master.m3u8").status_code == 401


def test_an_expired_token_is_401(user, video):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-token.lifetime)
    client = Client()
    client.cookies[settings.AUTH_COOKIE_ACCESS] = str(token)
    assert client.get(f"/api/video/{video.pk}/master.m3u8").status_code == 401


def test_a_deactivated_user_is_401(user, auth_client, video):
    assert auth_client.get(f"/api/video/{video.pk}/master.m3u8").status_code == 200
    user.is_active = False
    user.save()
    assert auth_client.get(f"/api/video/{video.pk}/master.m3u8").status_code == 401


def test_a_bearer_token_works_without_cookie(user, video):
    response = Client().get(
        f"/api/video/{video.pk}/master.m3u8",
        headers={"Authorization": f"Bearer {AccessToken.for_user(user)}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("status", "published"),
    [
        (VideoStatus.PENDING, True),
        (VideoStatus.PROCESSING, True),
        (VideoStatus.FAILED, True),
        (VideoStatus.READY, False),
        (VideoStatus.PENDING, False),
    ],
)
def test_a_video_not_ready_and_published_is_404_for_viewers(
    auth_client, make_video, status, published
):
    video = make_video(status=status, is_published=published)
    for url in stream_urls(video.pk):
        response = auth_client.get(url)
        assert response.status_code == 404, url
        assert response.json() == VIDEO_NOT_FOUND


def test_an_unknown_video_looks_exactly_like_an_unpublished_one(auth_client, make_video):
    hidden = make_video(is_published=False)
    unknown = auth_client.get(f"/api/video/{hidden.pk + 1000}/master.m3u8")
    unpublished = auth_client.get(f"/api/video/{hidden.pk}/master.m3u8")
    assert unknown.status_code == unpublished.status_code == 404
    assert unknown.json() == unpublished.json() == VIDEO_NOT_FOUND


def test_staff_may_preview_a_ready_unpublished_video(staff_client, make_video):
    video = make_video(is_published=False)
    for url in stream_urls(video.pk):
        assert staff_client.get(url).status_code == 200, url


def test_staff_cannot_stream_a_video_that_is_not_ready(staff_client, make_video):
    video = make_video(status=VideoStatus.PROCESSING, is_published=False)
    assert staff_client.get(f"/api/video/{video.pk}/master.m3u8").status_code == 404


@pytest.mark.parametrize("video_id", [0, -1, 2**63, 10**30])
def test_ids_outside_the_key_range_are_404_without_a_query(user, video_id):
    with CaptureQueriesContext(connection) as queries:
        assert stream_for_viewer(video_id=video_id, user=user) is None
    assert len(queries) == 0


def test_a_huge_id_in_the_url_is_404_not_500(auth_client):
    response = auth_client.get(f"/api/video/{10**30}/240p/segment000.ts")
    assert response.status_code == 404
    assert response.json() == VIDEO_NOT_FOUND


def test_a_non_numeric_id_is_a_client_error(auth_client):
    response = auth_client.get("/api/video/abc/master.m3u8")
    assert response.status_code == 400
    assert "video_id" in response.json()["errors"]


def video_queries(queries):
    return [q["sql"] for q in queries.captured_queries if "catalog_video" in q["sql"]]


def test_one_indexed_query_on_a_cold_cache_and_none_when_cached(auth_client, video):
    url = f"/api/video/{video.pk}/240p/segment000.ts"
    with CaptureQueriesContext(connection) as cold:
        assert auth_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert auth_client.get(url).status_code == 200
    assert len(video_queries(cold)) == 1
    assert '"catalog_video"."id" = ' in video_queries(cold)[0]
    assert video_queries(warm) == []
    # Besides that, only the token's user lookup (which also yields is_staff).
    assert len(warm) <= 1


def test_staff_preview_costs_no_extra_query(staff_client, make_video):
    video = make_video(is_published=False)
    url = f"/api/video/{video.pk}/240p/segment000.ts"
    staff_client.get(url)
    with CaptureQueriesContext(connection) as warm:
        assert staff_client.get(url).status_code == 200
    assert video_queries(warm) == []
    assert len(warm) <= 1


def test_unpublishing_stops_streaming_once_the_stream_info_is_invalidated(auth_client, video):
    url = f"/api/video/{video.pk}/master.m3u8"
    assert auth_client.get(url).status_code == 200
    Video.objects.filter(pk=video.pk).update(is_published=False)
    stream_info_invalidate(video.pk)
    assert auth_client.get(url).status_code == 404
