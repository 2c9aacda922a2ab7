"""Continue watching: PUT /api/video/<id>/progress/, GET /api/continue-watching/ and the
viewer's position in the video detail (catalog.watch_progress)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Video, VideoStatus, WatchProgress
from catalog.services import video_unpublish
from catalog.streaminfo import stream_info
from tests.accounts.helpers import logged_in_client

LIST_FIELDS = {"id", "created_at", "title", "description", "thumbnail_url", "category"}
TRUSTED_ORIGIN = "http://127.0.0.1:5500"  # a default CORS_ALLOWED_ORIGINS entry


def report(client, video_id: int, body, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.put(
        f"/api/video/{video_id}/progress/", data=data, content_type="application/json", **extra
    )


def positions(user) -> dict[int, tuple[float, bool]]:
    rows = WatchProgress.objects.filter(user=user).values_list(
        "video_id", "position_seconds", "finished"
    )
    return {video_id: (position, finished) for video_id, position, finished in rows}


def test_both_routes_need_the_access_cookie(client, make_row):
    video = make_row()
    response = report(client, video.pk, {"position_seconds": 3})
    assert response.status_code == 401
    assert client.get("/api/continue-watching/").status_code == 401
    assert not WatchProgress.objects.exists()


def test_a_report_is_recorded_and_the_film_shows_in_continue_watching(auth_client, user, make_row):
    video = make_row(title="Half seen", duration=12.5)

    response = report(auth_client, video.pk, {"position_seconds": 5})

    assert response.status_code == 200
    body = response.json()
    assert body["video_id"] == video.pk
    assert (body["position_seconds"], body["duration"], body["progress_percent"]) == (5, 12.5, 40)
    assert body["finished"] is False
    assert positions(user) == {video.pk: (5.0, False)}

    listed = auth_client.get("/api/continue-watching/").json()
    assert [item["id"] for item in listed] == [video.pk]
    item = listed[0]
    assert set(item) == LIST_FIELDS | {
        "duration", "position_seconds", "progress_percent", "watched_at",
    }  # fmt: skip
    assert (item["position_seconds"], item["duration"], item["progress_percent"]) == (5, 12.5, 40)
    assert item["title"] == "Half seen"
    # The same absolute thumbnail URL as the catalog list gives.
    catalog_item = auth_client.get("/api/video/").json()[0]
    assert item["thumbnail_url"] == catalog_item["thumbnail_url"]
    assert item["thumbnail_url"] == f"http://testserver/api/video/{video.pk}/thumbnail.jpg"


def test_the_last_report_wins(auth_client, user, make_row):
    video = make_row()
    for position in (8, 9.5, 3.25):  # a viewer who jumped back
        assert report(auth_client, video.pk, {"position_seconds": position}).status_code == 200
    assert positions(user) == {video.pk: (3.25, False)}
    assert WatchProgress.objects.count() == 1


def test_a_position_past_the_end_is_the_end_and_finishes_the_film(auth_client, user, make_row):
    video = make_row(duration=12.5)

    body = report(auth_client, video.pk, {"position_seconds": 99999}).json()

    assert (body["position_seconds"], body["progress_percent"], body["finished"]) == (
        12.5, 100, True,
    )  # fmt: skip
    assert positions(user) == {video.pk: (12.5, True)}
    assert auth_client.get("/api/continue-watching/").json() == []


@pytest.mark.parametrize(
    ("position", "finished"), [(0, False), (94.9, False), (95, True), (100, True)]
)
def test_95_percent_finishes_the_film(auth_client, user, make_row, position, finished):
    video = make_row(duration=100)
    assert report(auth_client, video.pk, {"position_seconds": position}).json()["finished"] is (
        finished
    )
    assert positions(user) == {video.pk: (position, finished)}


def test_watching_a_finished_film_again_brings_it_back(auth_client, make_row):
    video = make_row(duration=100)
    report(auth_client, video.pk, {"position_seconds": 99})
    assert auth_client.get("/api/continue-watching/").json() == []

    report(auth_client, video.pk, {"position_seconds": 4})

    assert [item["id"] for item in auth_client.get("/api/continue-watching/").json()] == [video.pk]


def test_a_film_of_unknown_duration_is_never_clamped_nor_finished(auth_client, make_row):
    video = make_row(duration=None)
    body = report(auth_client, video.pk, {"position_seconds": 5000}).json()
    assert (body["position_seconds"], body["progress_percent"], body["finished"]) == (
        5000, None, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"position_seconds": -1},
        {"position_seconds": -0.001},
        {"position_seconds": "12"},
        {"position_seconds": True},
        {"position_seconds": None},
        {"position_seconds": [3]},
        {"seconds": 3},
        {},
        '{"position_seconds": NaN}',  # Python's JSON parser accepts these literals
        '{"position_seconds": Infinity}',
        '{"position_seconds": -Infinity}',
        "[]",
        "not json",
    ],
)
def test_a_bad_position_is_a_400_with_a_message_and_records_nothing(auth_client, make_row, body):
    video = make_row()

    response = report(auth_client, video.pk, body)

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not WatchProgress.objects.exists()


def test_a_body_that_is_not_json_is_a_415(auth_client, make_row):
    video = make_row()
    response = auth_client.put(
        f"/api/video/{video.pk}/progress/", data="position_seconds=3", content_type="text/plain"
    )
    assert response.status_code == 415
    assert not WatchProgress.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"is_published": False},
        {"status": VideoStatus.PENDING},
        {"status": VideoStatus.PROCESSING},
        {"status": VideoStatus.FAILED},
    ],
)
def test_a_film_the_viewer_may_not_watch_is_404(auth_client, make_row, fields):
    video = make_row(**fields)

    response = report(auth_client, video.pk, {"position_seconds": 1})

    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found."}
    assert not WatchProgress.objects.exists()


@pytest.mark.parametrize("video_id", [0, 999999, 2**63, 10**30])
def test_a_film_that_cannot_exist_is_404(auth_client, make_row, video_id):
    make_row()
    response = report(auth_client, video_id, {"position_seconds": 1})
    assert response.status_code == 404
    assert not WatchProgress.objects.exists()


def test_staff_may_record_on_a_ready_film_they_preview(staff_client, staff_user, make_row):
    # The streaming rule: staff may play ready films before they are published.
    video = make_row(is_published=False)
    assert report(staff_client, video.pk, {"position_seconds": 2}).status_code == 200
    assert positions(staff_user) == {video.pk: (2.0, False)}
    # ...but continue watching lists only what viewers may stream.
    assert staff_client.get("/api/continue-watching/").json() == []


def test_continue_watching_is_the_viewers_own_unfinished_streamable_films_latest_first(
    auth_client, user, make_user, make_row, django_capture_on_commit_callbacks
):
    first, second, finished, unpublished = (make_row(duration=100) for _ in range(4))
    for video, position in ((first, 10), (second, 20), (finished, 99), (unpublished, 30)):
        report(auth_client, video.pk, {"position_seconds": position})
    someone_else = make_user(email="other@example.com")
    WatchProgress.objects.create(
        user=someone_else, video=make_row(), position_seconds=1, updated_at=timezone.now()
    )
    # Reports in a known order, without racing the clock.
    now = timezone.now()
    for age, video in enumerate((second, first, unpublished)):
        WatchProgress.objects.filter(user=user, video=video).update(
            updated_at=now - timedelta(minutes=age)
        )
    with django_capture_on_commit_callbacks(execute=True):
        video_unpublish(video=unpublished)

    listed = auth_client.get("/api/continue-watching/").json()

    assert [(item["id"], item["position_seconds"]) for item in listed] == [
        (second.pk, 20), (first.pk, 10),
    ]  # fmt: skip

    WatchProgress.objects.filter(user=user, video=first).update(updated_at=now + timedelta(1))
    assert [item["id"] for item in auth_client.get("/api/continue-watching/").json()] == [
        first.pk, second.pk,
    ]  # fmt: skip


def test_the_detail_carries_the_viewers_position(auth_client, make_user, make_row):
    video = make_row()
    assert auth_client.get(f"/api/video/{video.pk}/").json()["position_seconds"] is None

    report(auth_client, video.pk, {"position_seconds": 7.5})

    assert auth_client.get(f"/api/video/{video.pk}/").json()["position_seconds"] == 7.5
    other = logged_in_client(make_user(email="other@example.com"))
    assert other.get(f"/api/video/{video.pk}/").json()["position_seconds"] is None


def test_a_warm_report_costs_one_query(auth_client, make_row, django_assert_num_queries):
    video = make_row()
    report(auth_client, video.pk, {"position_seconds": 1})  # caches the user and stream facts
    with django_assert_num_queries(1):  # the upsert alone
        assert report(auth_client, video.pk, {"position_seconds": 2}).status_code == 200
    other = make_row()
    stream_info(other.pk)  # warm, as after the viewer opened the film
    with django_assert_num_queries(1):  # a first report on another film: the insert alone
        assert report(auth_client, other.pk, {"position_seconds": 2}).status_code == 200


def test_continue_watching_costs_one_query_whatever_its_size(
    auth_client, user, make_row, django_assert_num_queries
):
    for _ in range(12):
        WatchProgress.objects.create(
            user=user, video=make_row(), position_seconds=3, updated_at=timezone.now()
        )
    auth_client.get("/api/continue-watching/")  # caches the token's user
    with django_assert_num_queries(1):
        assert len(auth_client.get("/api/continue-watching/").json()) == 12


@pytest.fixture
def browser(user):
    """A browser logged in through the real login route, enforcing CSRF as browsers need."""
    return logged_in_client(user, enforce_csrf_checks=True)


def test_a_cookie_report_with_the_csrf_token_passes(browser, user, make_row):
    video = make_row()
    response = report(
        browser,
        video.pk,
        {"position_seconds": 4},
        HTTP_ORIGIN=TRUSTED_ORIGIN,
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert response.status_code == 200
    assert positions(user) == {video.pk: (4.0, False)}


def test_a_cookie_report_without_the_csrf_token_is_refused(browser, make_row):
    video = make_row()
    response = report(browser, video.pk, {"position_seconds": 4}, HTTP_ORIGIN=TRUSTED_ORIGIN)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF check failed")
    assert not WatchProgress.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_film_deleted_while_its_facts_are_cached_is_404_not_500(auth_client, make_row):
    video = make_row()
    assert stream_info(video.pk) is not None  # cached, as on another web process
    Video.objects.filter(pk=video.pk).delete()  # gone before the cache noticed

    response = report(auth_client, video.pk, {"position_seconds": 1})

    assert response.status_code == 404
    assert not WatchProgress.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_progress_on_a_really_transcoded_film(auth_client, upload, clip_small):
    video = upload(clip_small, title="Real", publish=True)
    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    assert 1.5 < video.duration < 2.5

    body = report(auth_client, video.pk, {"position_seconds": 1}).json()

    assert body["duration"] == video.duration
    assert body["progress_percent"] == round(100 / video.duration, 1)
    listed = auth_client.get("/api/continue-watching/").json()
    assert [(item["id"], item["duration"]) for item in listed] == [(video.pk, video.duration)]
