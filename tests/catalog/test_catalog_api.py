"""The catalog router: GET /api/video/, /api/video/<id>/, and the staff's status and transcode."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog import transcode_jobs
from catalog.models import Category, Video, VideoStatus
from catalog.subtitles import subtitle_create

LIST_FIELDS = {"id", "created_at", "title", "description", "thumbnail_url", "category"}


def test_the_list_needs_the_access_cookie(client, make_row):
    make_row()
    response = client.get("/api/video/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided or are invalid."
    }


def test_the_list_holds_ready_published_videos_newest_first(auth_client, make_row):
    older = make_row(title="Older", category=Category.SCIENCE_FICTION, description="Space.")
    newer = make_row(title="Newer")
    Video.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    make_row(title="Unpublished", is_published=False)
    for status in (VideoStatus.PENDING, VideoStatus.PROCESSING, VideoStatus.FAILED):
        make_row(title=f"Not ready: {status}", status=status)

    response = auth_client.get("/api/video/")

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body] == [newer.pk, older.pk]
    assert all(set(item) == LIST_FIELDS for item in body)
    item = body[1]
    assert item["title"] == "Older"
    assert item["description"] == "Space."
    assert item["category"] == "Science fiction"
    assert item["thumbnail_url"] == f"http://testserver/api/video/{older.pk}/thumbnail.jpg"
    assert item["created_at"].startswith(str(timezone.now().date() - timedelta(days=1)))


def test_a_video_being_retranscoded_stays_in_the_list(auth_client, make_row):
    playing = make_row(title="Re-encoding", status=VideoStatus.PROCESSING, output_live=True)
    assert [item["id"] for item in auth_client.get("/api/video/").json()] == [playing.pk]


@pytest.mark.parametrize(
    "query", ["?ready_only=true&order=-created_at", "?ready_only=false&order=title", "?order=%00"]
)
def test_the_list_accepts_the_old_query_parameters(auth_client, make_row, query):
    first, second = make_row(), make_row()
    response = auth_client.get(f"/api/video/{query}")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [second.pk, first.pk]


def test_the_list_costs_the_same_queries_whatever_its_size(
    auth_client, make_row, django_assert_num_queries
):
    make_row()
    auth_client.get("/api/video/")  # caches the token's user, as any earlier request does
    with django_assert_num_queries(1):  # the list alone
        assert len(auth_client.get("/api/video/").json()) == 1
    for _ in range(25):
        make_row(category=Category.HORROR)
    with django_assert_num_queries(1):
        assert len(auth_client.get("/api/video/").json()) == 26


def test_the_detail_adds_duration_renditions_and_master_url(auth_client, make_row):
    video = make_row(title="Detailed")
    response = auth_client.get(f"/api/video/{video.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == LIST_FIELDS | {
        "duration", "renditions", "master_url",
        "has_iframe_playlists", "storyboard_url", "loudness", "subtitles", "position_seconds",
    }  # fmt: skip
    assert body["duration"] == 12.5
    assert body["renditions"] == ["480p", "720p"]
    assert body["master_url"] == f"http://testserver/api/video/{video.pk}/master.m3u8"
    # An output from before these features: the front ends light none of them up.
    assert (body["has_iframe_playlists"], body["storyboard_url"], body["loudness"]) == (
        False, None, None,
    )  # fmt: skip
    assert body["subtitles"] == []


LOUDNESS = {
    "integrated_lufs": -27.5,
    "true_peak_dbtp": -9.0,
    "target_lufs": -16.0,
    "gain_db": 8.0,
    "peak_limited": True,
}


def test_the_detail_tells_which_playback_features_the_output_has(auth_client, make_row):
    features = {"iframe_playlists": ["480p", "720p"], "storyboard": True, "loudness": LOUDNESS}
    video = make_row(output_features=features)

    body = auth_client.get(f"/api/video/{video.pk}/").json()

    assert body["has_iframe_playlists"] is True
    assert body["storyboard_url"] == f"http://testserver/api/video/{video.pk}/storyboard.vtt"
    assert body["loudness"] == LOUDNESS


def test_features_of_an_output_not_live_yet_are_not_offered(staff_client, make_row):
    features = {"iframe_playlists": ["480p"], "storyboard": True, "loudness": LOUDNESS}
    video = make_row(status=VideoStatus.PENDING, output_features=features)

    body = staff_client.get(f"/api/video/{video.pk}/").json()

    assert (body["has_iframe_playlists"], body["storyboard_url"], body["loudness"]) == (
        False, None, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [{"is_published": False}, {"status": VideoStatus.PENDING}, {"status": VideoStatus.FAILED}],
)
def test_viewers_get_404_for_a_video_they_may_not_watch(auth_client, make_row, fields):
    video = make_row(**fields)
    response = auth_client.get(f"/api/video/{video.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found."}
    assert auth_client.get(f"/api/video/{video.pk + 1000}/").json() == response.json()


def test_staff_see_any_video_in_detail(staff_client, make_row):
    video = make_row(status=VideoStatus.PENDING, is_published=False)
    body = staff_client.get(f"/api/video/{video.pk}/").json()
    assert (body["id"], body["master_url"], body["thumbnail_url"]) == (video.pk, None, None)


def test_status_is_for_staff_only(client, auth_client, staff_client, make_row):
    video = make_row()
    assert client.get(f"/api/video/{video.pk}/status/").status_code == 401
    response = auth_client.get(f"/api/video/{video.pk}/status/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff members may do this."}
    assert staff_client.get(f"/api/video/{video.pk + 1000}/status/").status_code == 404


def test_status_reports_progress_error_and_timings(staff_client, make_row):
    started = timezone.now() - timedelta(seconds=90)
    video = make_row(
        status=VideoStatus.PROCESSING,
        progress=42,
        error="ffmpeg was killed by signal 9. Attempt 1 of 3 failed; retrying in 30 s.",
        attempts=2,
        transcode_started_at=started,
        heartbeat_at=timezone.now(),
    )

    body = staff_client.get(f"/api/video/{video.pk}/status/").json()

    assert body["status"] == "processing"
    assert body["progress"] == 42
    assert body["error"].startswith("ffmpeg was killed")
    assert body["attempts"] == 2
    assert body["transcode_finished_at"] is None
    assert 89 <= body["transcode_seconds"] < 120
    assert {"created_at", "updated_at", "transcode_started_at", "heartbeat_at"} <= set(body)


def test_transcode_is_for_staff_only_and_changes_nothing_otherwise(auth_client, make_row):
    video = make_row()
    response = auth_client.post(f"/api/video/{video.pk}/transcode/")
    assert response.status_code == 403
    assert Video.objects.get(pk=video.pk).status == VideoStatus.READY


@pytest.mark.django_db(transaction=True)
def test_transcode_is_accepted_and_queued(staff_client, upload, clip_small, real_queue):
    real_queue.immediate = True
    video = upload(clip_small, title="Again")
    real_queue.immediate = False

    response = staff_client.post(f"/api/video/{video.pk}/transcode/")

    assert response.status_code == 202
    assert response.json() == {"detail": "Transcode accepted", "video_id": video.pk}
    video.refresh_from_db()
    assert (video.status, video.attempts, video.output_live) == (VideoStatus.PENDING, 0, True)
    assert real_queue.pending_count() == 1


@pytest.mark.django_db(transaction=True)
def test_transcode_while_processing_is_409(staff_client, upload, clip_small, real_queue):
    video = upload(clip_small, title="Busy")
    transcode_jobs.video_claim(video_id=video.pk)

    response = staff_client.post(f"/api/video/{video.pk}/transcode/")

    assert response.status_code == 409
    assert "being transcoded" in response.json()["detail"]
    assert Video.objects.get(pk=video.pk).status == VideoStatus.PROCESSING


def test_the_openapi_schema_declares_the_errors(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    # 400: a malformed id or query parameter (field errors)
    assert set(paths["/api/video/"]["get"]["responses"]) == {"200", "400", "401"}
    assert set(paths["/api/video/{video_id}/transcode/"]["post"]["responses"]) == {
        "202",
        "400",
        "401",
        "403",
        "404",
        "409",
    }


@pytest.mark.parametrize("video_id", [0, 2**63, 10**30])
def test_ids_out_of_range_are_404_not_500(staff_client, video_id):
    for url in (f"/api/video/{video_id}/", f"/api/video/{video_id}/status/"):
        response = staff_client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Video not found."}
    assert staff_client.post(f"/api/video/{video_id}/transcode/").status_code == 404


def test_a_non_numeric_id_is_a_client_error(staff_client):
    for url in ("/api/video/abc/", "/api/video/abc/status/"):
        response = staff_client.get(url)
        assert response.status_code == 400
        assert "video_id" in response.json()["errors"]


SUBTITLE_SRT = b"1\n00:00:00,000 --> 00:00:01,000\nHi\n"


def add_subtitle(video, language, **fields):
    return subtitle_create(
        video=video, language=language, file=SimpleUploadedFile("t.srt", SUBTITLE_SRT), **fields
    )


def test_the_detail_lists_the_tracks_with_their_webvtt_urls(auth_client, make_row):
    video = make_row()
    add_subtitle(video, "pt-BR", is_default=True)
    add_subtitle(video, "en", name="English (CC)")

    body = auth_client.get(f"/api/video/{video.pk}/").json()

    base = f"http://testserver/api/video/{video.pk}/subtitles"
    assert body["subtitles"] == [
        {"language": "en", "name": "English (CC)", "is_default": False, "url": f"{base}/en.vtt"},
        {
            "language": "pt-BR",
            "name": "Portugu\u00eas Brasileiro",
            "is_default": True,
            "url": f"{base}/pt-BR.vtt",
        },
    ]
    listed = auth_client.get("/api/video/").json()
    assert set(listed[0]) == LIST_FIELDS


@pytest.mark.parametrize("status", ["pending", "processing", "failed"])
def test_tracks_of_a_film_without_live_output_are_not_offered(staff_client, make_row, status):
    video = make_row(status=status)
    add_subtitle(video, "en")

    assert staff_client.get(f"/api/video/{video.pk}/").json()["subtitles"] == []
