"""The video admin: upload, list with live status, actions, the change page, extra views."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import transcode_jobs
from catalog.models import Category, Video, VideoStatus
from tests.catalog.conftest import media_files
from transcoding import DEFAULT_LADDER

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/catalog/video/"
# The subtitle inline's management form, with no tracks: what the pages post when none is added.
NO_SUBTITLES = {"subtitles-TOTAL_FORMS": "0", "subtitles-INITIAL_FORMS": "0"}


def add_form(path, **fields):
    return {
        "title": "Uploaded in the admin",
        "description": "From the add form.",
        "category": Category.DOCUMENTARY,
        "is_published": "on",
        "original": SimpleUploadedFile(path.name, path.read_bytes(), "video/mp4"),
        **NO_SUBTITLES,
        **fields,
    }


@pytest.mark.slow
def test_upload_in_the_add_form_stores_the_file_and_transcodes_it(
    settings, admin_client, admin_user, clip_480p
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload streams to a temporary file

    response = admin_client.post(f"{CHANGELIST}add/", add_form(clip_480p))

    assert response.status_code == 302
    video = Video.objects.get()
    assert (video.title, video.category, video.is_published) == (
        "Uploaded in the admin",
        "documentary",
        True,
    )
    assert video.uploaded_by == admin_user
    assert video.original.open("rb").read() == clip_480p.read_bytes()
    assert video.status == VideoStatus.READY, video.error
    assert video.renditions == ["240p", "360p", "480p"]


def test_an_oversized_upload_is_refused_in_the_form_and_nothing_is_stored(
    settings, admin_client, clip_small
):
    settings.VIDEO_UPLOAD_MAX_BYTES = 1000

    response = admin_client.post(f"{CHANGELIST}add/", add_form(clip_small))

    assert response.status_code == 200
    assert "uploads are limited to 1000" in response.content.decode()
    assert not Video.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_the_list_shows_thumbnail_status_progress_duration_renditions(
    admin_client, upload, clip_small, not_a_video
):
    ready = upload(clip_small, title="Ready film")
    failed = upload(not_a_video, title="Broken film")

    page = admin_client.get(CHANGELIST).content.decode()

    assert reverse("admin:catalog_video_thumbnail", args=[ready.pk]) in page
    assert f'data-video-id="{ready.pk}" data-video-status="ready"' in page
    assert f'data-video-id="{failed.pk}" data-video-status="failed"' in page
    assert f'<span data-video-progress="{ready.pk}">100%</span>' in page
    assert "0:02" in page  # duration
    assert '<td class="field-renditions_display">240p</td>' in page
    assert "catalog/admin/live_status.js" in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?status__exact=failed", "Broken film", "Ready film"),
        ("?q=ready", "Ready film", "Broken film"),
        ("?is_published__exact=1", "Ready film", "Broken film"),
    ],
)
def test_filters_and_search(admin_client, query, shown, hidden):
    Video.objects.create(
        title="Ready film", original="originals/a.mp4", status=VideoStatus.READY, is_published=True
    )
    Video.objects.create(title="Broken film", original="originals/b.mp4", status=VideoStatus.FAILED)
    page = admin_client.get(CHANGELIST + query).content.decode()
    assert shown in page
    assert hidden not in page


def test_the_change_page_shows_error_metadata_sizes_and_stream_url(
    admin_client, upload, clip_small, not_a_video
):
    ready = upload(clip_small, title="Ready film")
    failed = upload(not_a_video, title="Broken film")
    failed.refresh_from_db()

    ready_page = admin_client.get(f"{CHANGELIST}{ready.pk}/change/").content.decode()
    failed_page = admin_client.get(f"{CHANGELIST}{failed.pk}/change/").content.decode()

    assert f"/api/video/{ready.pk}/master.m3u8" in ready_page
    assert "&quot;codec&quot;: &quot;h264&quot;" in ready_page  # source metadata, escaped
    assert "<th>240p</th>" in ready_page
    assert "<th>total</th>" in ready_page
    assert "<th>I-frame playlists</th><td>240p</td>" in ready_page
    assert "<th>Storyboard</th><td>yes</td>" in ready_page
    assert re.search(r"<th>Loudness</th><td>measured -[0-9.]+ LUFS, true peak", ready_page)
    classes = "|".join(tuning.name for tuning in DEFAULT_LADDER.tunings)
    assert re.search(
        rf"<th>Encoder settings</th><td>({classes}) \(intra [0-9.]+ bits per pixel in the "
        r"complexity pass\): CRF [0-9.]+, x264 me=dia:",
        ready_page,
    )
    assert failed.error
    assert failed.error in failed_page
    assert "no output yet" in failed_page


def test_editing_in_the_change_form_keeps_the_job_fields(admin_client, upload, clip_small):
    video = upload(clip_small, title="Before")
    video.refresh_from_db()

    response = admin_client.post(
        f"{CHANGELIST}{video.pk}/change/",
        {"title": "After", "description": "", "category": Category.HORROR, **NO_SUBTITLES},
    )

    assert response.status_code == 302
    after = Video.objects.get(pk=video.pk)
    assert (after.title, after.category, after.is_published) == ("After", "horror", False)
    assert (after.status, after.renditions) == (VideoStatus.READY, video.renditions)


def test_actions_publish_unpublish_and_retranscode(admin_client, upload, clip_small):
    first = upload(clip_small, title="First")
    second = upload(clip_small, title="Second")
    ids = [str(first.pk), str(second.pk)]

    admin_client.post(CHANGELIST, {"action": "publish", "_selected_action": ids})
    assert set(Video.objects.values_list("is_published", flat=True)) == {True}

    admin_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": ids[:1]})
    assert not Video.objects.get(pk=first.pk).is_published

    Video.objects.filter(pk=second.pk).update(attempts=3)
    response = admin_client.post(
        CHANGELIST, {"action": "retranscode", "_selected_action": ids[1:]}, follow=True
    )
    assert "Queued 1 video(s) for transcoding." in response.content.decode()
    second.refresh_from_db()
    assert (second.status, second.attempts) == (VideoStatus.READY, 1)


def test_retranscode_action_skips_a_video_being_transcoded(
    admin_client, upload, clip_small, real_queue
):
    video = upload(clip_small, title="Busy one")
    transcode_jobs.video_claim(video_id=video.pk)

    response = admin_client.post(
        CHANGELIST, {"action": "retranscode", "_selected_action": [video.pk]}, follow=True
    )

    assert "Skipped, transcoding right now: Busy one." in response.content.decode()
    assert Video.objects.get(pk=video.pk).status == VideoStatus.PROCESSING


def test_the_status_view_feeds_the_live_badges(admin_client, upload, clip_small, real_queue):
    video = upload(clip_small, title="Queued")
    url = reverse("admin:catalog_video_status")

    body = admin_client.get(f"{url}?ids={video.pk},999999,junk").json()

    [status] = body["videos"]
    assert (status["id"], status["status"], status["progress"]) == (video.pk, "pending", 0)
    assert {"error", "attempts", "transcode_started_at", "heartbeat_at"} <= set(status)


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_extra_views_are_for_staff_only(
    client, user, upload, clip_small, real_queue, signed_in
):
    video = upload(clip_small, title="Private")
    if signed_in:
        client.force_login(user)  # a viewer with a session, not staff
    for url in (
        reverse("admin:catalog_video_status") + f"?ids={video.pk}",
        reverse("admin:catalog_video_thumbnail", args=[video.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_thumbnail_view_sends_the_jpeg(admin_client, upload, clip_small):
    video = upload(clip_small, title="With a thumbnail")
    response = admin_client.get(reverse("admin:catalog_video_thumbnail", args=[video.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    missing = admin_client.get(reverse("admin:catalog_video_thumbnail", args=[video.pk + 1]))
    assert missing.status_code == 404


def test_deleting_in_the_admin_removes_the_files(settings, admin_client, upload, clip_small):
    video = upload(clip_small, title="To delete")
    assert media_files(settings.MEDIA_ROOT)

    response = admin_client.post(f"{CHANGELIST}{video.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Video.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_bulk_delete_in_the_admin_removes_the_files(settings, admin_client, upload, clip_small):
    ids = [upload(clip_small, title=f"Bulk {n}").pk for n in range(2)]

    admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )

    assert not Video.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize("name", ["../../../../etc/hostname", "/etc/hostname", "hls/../../x.jpg"])
def test_the_thumbnail_view_never_sends_a_file_outside_the_media_folder(
    admin_client, upload, clip_small, real_queue, name
):
    video = upload(clip_small, title="Tampered")
    Video.objects.filter(pk=video.pk).update(thumbnail=name)
    response = admin_client.get(reverse("admin:catalog_video_thumbnail", args=[video.pk]))
    assert response.status_code == 404


def test_staff_who_may_only_view_cannot_run_the_actions(
    client, make_user, upload, clip_small, real_queue
):
    viewer = make_user(email="viewer-staff@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_video"))
    client.force_login(viewer)
    video = upload(clip_small, title="Untouchable")

    page = client.get(CHANGELIST).content.decode()
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [video.pk]})

    assert 'value="publish"' not in page
    assert response.status_code == 200  # "No action selected", nothing done
    assert not Video.objects.get(pk=video.pk).is_published


def test_the_status_view_ignores_ids_that_are_not_plain_numbers(admin_client, db):
    url = reverse("admin:catalog_video_status")
    response = admin_client.get(f"{url}?ids=\u00b2,-1,1e3,{10**30}")
    assert response.status_code == 200
    assert response.json() == {"videos": []}
