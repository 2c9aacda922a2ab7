"""Thumbnails: the stream's access rule, cacheable, an uploaded one wins, only images."""

import pytest
from django.urls import reverse

from tests.streaming.http import body

THUMBNAIL_NOT_FOUND = {"detail": "Thumbnail not found."}


def test_the_transcoded_thumbnail_is_served(auth_client, video):
    url = reverse("api:video_thumbnail", args=[video.pk])
    assert url == f"/api/video/{video.pk}/thumbnail.jpg"
    response = auth_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    data = body(response)
    assert data[:3] == b"\xff\xd8\xff"
    assert data == (video.hls_dir / "thumbnail.jpg").read_bytes()
    assert response["Content-Length"] == str(len(data))


def test_the_thumbnail_revalidates_with_304(auth_client, video):
    url = f"/api/video/{video.pk}/thumbnail.jpg"
    first = auth_client.get(url)
    again = auth_client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, max-age=3600"


def test_an_uploaded_thumbnail_wins(auth_client, make_video, settings):
    (settings.MEDIA_ROOT / "thumbnails").mkdir()
    (settings.MEDIA_ROOT / "thumbnails" / "poster.png").write_bytes(b"\x89PNG\r\n\x1a\nposter")
    video = make_video(thumbnail="thumbnails/poster.png")
    response = auth_client.get(f"/api/video/{video.pk}/thumbnail.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert body(response) == b"\x89PNG\r\n\x1a\nposter"


@pytest.mark.parametrize(
    "name",
    [
        "thumbnails/missing.jpg",
        "../outside.jpg",
        "/etc/passwd",
        "originals/source.mp4",
        "thumbnails/page.html",
    ],
)
def test_a_thumbnail_field_naming_no_image_inside_media_is_404(
    auth_client, make_video, settings, tmp_path, name
):
    (tmp_path / "outside.jpg").write_bytes(b"outside media root")
    (settings.MEDIA_ROOT / "originals").mkdir()
    (settings.MEDIA_ROOT / "originals" / "source.mp4").write_bytes(b"the original film")
    (settings.MEDIA_ROOT / "thumbnails").mkdir()
    (settings.MEDIA_ROOT / "thumbnails" / "page.html").write_text("<script>alert(1)</script>")
    video = make_video(thumbnail=name)
    response = auth_client.get(f"/api/video/{video.pk}/thumbnail.jpg")
    assert response.status_code == 404
    assert response.json() == THUMBNAIL_NOT_FOUND


def test_no_thumbnail_at_all_is_404(auth_client, make_video):
    video = make_video()
    (video.hls_dir / "thumbnail.jpg").unlink()
    response = auth_client.get(f"/api/video/{video.pk}/thumbnail.jpg")
    assert response.status_code == 404
    assert response.json() == THUMBNAIL_NOT_FOUND


def test_a_thumbnail_needs_the_access_cookie(client, video):
    assert client.get(f"/api/video/{video.pk}/thumbnail.jpg").status_code == 401


def test_an_unpublished_videos_thumbnail_is_hidden_from_viewers(auth_client, make_video):
    video = make_video(is_published=False)
    response = auth_client.get(f"/api/video/{video.pk}/thumbnail.jpg")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found."}


def test_thumbnails_do_not_depend_on_debug_static_serving(auth_client, video, settings):
    settings.DEBUG = False
    response = auth_client.get(f"/api/video/{video.pk}/thumbnail.jpg")
    assert response.status_code == 200
    assert body(response) == (video.hls_dir / "thumbnail.jpg").read_bytes()
