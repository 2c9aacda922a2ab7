"""Staff signed in to the admin (a Django session, no JWT) may stream, for the preview player;
no other session opens anything, and the session reaches the streaming reads only."""

import pytest
from django.conf import settings
from django.test import Client
from ninja_jwt.tokens import AccessToken

from catalog.models import VideoStatus
from tests.streaming.http import body
from tests.streaming.test_stream_for_viewer import stream_urls as first_stream_urls

UNAUTHENTICATED = {"detail": "Authentication credentials were not provided or are invalid."}


def stream_urls(video_id):
    """Every streaming route: the first ones' list, the I-frame playlist and the storyboard."""
    return [
        *first_stream_urls(video_id),
        f"/api/video/{video_id}/240p/iframes.m3u8",
        f"/api/video/{video_id}/storyboard.vtt",
        f"/api/video/{video_id}/storyboard/sprite000.jpg",
    ]


def session_client(user, **options) -> Client:
    """A browser signed in to the admin as `user`: a session cookie, no access token."""
    client = Client(**options)
    client.force_login(user)
    assert settings.AUTH_COOKIE_ACCESS not in client.cookies
    return client


@pytest.fixture
def unpublished(make_video):
    return make_video(is_published=False)


def test_a_staff_session_plays_an_unpublished_ready_film_on_every_route(staff_user, unpublished):
    client = session_client(staff_user)

    for url in stream_urls(unpublished.pk):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:200])
    segment = client.get(f"/api/video/{unpublished.pk}/240p/segment000.ts")
    assert body(segment) == (unpublished.hls_dir / "240p" / "segment000.ts").read_bytes()


def test_a_staff_session_answers_head_requests_too(staff_user, unpublished):
    response = session_client(staff_user).head(f"/api/video/{unpublished.pk}/master.m3u8")

    assert response.status_code == 200


@pytest.mark.parametrize("published", [True, False])
def test_a_session_of_someone_not_staff_opens_nothing(user, make_video, published):
    video = make_video(is_published=published)
    client = session_client(user)

    for url in stream_urls(video.pk):
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json() == UNAUTHENTICATED


def test_a_staff_session_still_gets_404_for_a_film_without_live_output(staff_user, make_video):
    pending = make_video(status=VideoStatus.PENDING, with_output=False, renditions=[])

    response = session_client(staff_user).get(f"/api/video/{pending.pk}/master.m3u8")

    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found."}


def test_the_session_ends_with_the_admin_logout(staff_user, unpublished):
    client = session_client(staff_user)
    url = f"/api/video/{unpublished.pk}/master.m3u8"
    assert client.get(url).status_code == 200

    client.logout()

    assert client.get(url).status_code == 401


@pytest.mark.parametrize(
    "change", [{"is_staff": False}, {"is_active": False}], ids=["no-longer-staff", "deactivated"]
)
def test_a_session_counts_only_while_its_user_is_active_staff(staff_user, unpublished, change):
    client = session_client(staff_user)
    url = f"/api/video/{unpublished.pk}/master.m3u8"
    assert client.get(url).status_code == 200

    for field, value in change.items():
        setattr(staff_user, field, value)
    staff_user.save()

    assert client.get(url).status_code == 401


def test_a_password_change_ends_the_staff_session(staff_user, unpublished):
    client = session_client(staff_user)
    url = f"/api/video/{unpublished.pk}/master.m3u8"
    assert client.get(url).status_code == 200

    staff_user.set_password("another-long-passphrase-9")
    staff_user.save()

    assert client.get(url).status_code == 401


def test_reads_need_no_csrf_token_even_from_another_origin(staff_user, unpublished):
    """GETs are no CSRF concern: the player fetches playlists and segments with plain GETs."""
    client = session_client(staff_user, enforce_csrf_checks=True)

    response = client.get(
        f"/api/video/{unpublished.pk}/master.m3u8", headers={"Origin": "https://evil.example"}
    )

    assert response.status_code == 200


def test_the_session_does_not_open_the_staff_api(staff_user, unpublished):
    """Job controls and the catalog still take a token: the session serves the player only."""
    client = session_client(staff_user, enforce_csrf_checks=True)

    status = client.get(f"/api/video/{unpublished.pk}/status/")
    transcode = client.post(f"/api/video/{unpublished.pk}/transcode/")
    detail = client.get(f"/api/video/{unpublished.pk}/")

    assert [status.status_code, transcode.status_code, detail.status_code] == [401, 401, 401]
    unpublished.refresh_from_db()
    assert unpublished.status == VideoStatus.READY


def test_a_token_wins_over_a_session(user, staff_user, unpublished):
    """A viewer's token on a browser that also holds a staff session streams as the viewer."""
    client = session_client(staff_user)
    client.cookies[settings.AUTH_COOKIE_ACCESS] = str(AccessToken.for_user(user))

    response = client.get(f"/api/video/{unpublished.pk}/master.m3u8")

    assert response.status_code == 404


def test_the_openapi_document_names_both_ways_in(client):
    document = client.get("/api/openapi.json").json()

    operation = document["paths"]["/api/video/{video_id}/master.m3u8"]["get"]
    schemes = document["components"]["securitySchemes"]
    names = {name for requirement in operation["security"] for name in requirement}
    named = {(schemes[name]["in"], schemes[name]["name"]) for name in names}
    assert named == {
        ("cookie", settings.AUTH_COOKIE_ACCESS),
        ("cookie", settings.SESSION_COOKIE_NAME),
    }


def test_a_staff_session_reads_the_subtitle_tracks_the_master_lists(user, staff_user, unpublished):
    """The preview player follows the master's subtitle group, so those routes take it too."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.subtitles import subtitle_create

    subtitle_create(
        video=unpublished,
        language="en",
        file=SimpleUploadedFile("en.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"),
    )
    staff, viewer = session_client(staff_user), session_client(user)
    for name in ("en.m3u8", "en.vtt"):
        url = f"/api/video/{unpublished.pk}/subtitles/{name}"
        assert staff.get(url).status_code == 200, url
        assert viewer.get(url).json() == UNAUTHENTICATED
