"""MEDIA_STORAGE=s3 delivery on a real S3 server: playlists through Django with signed URLs,
segment, sprite and thumbnail bytes straight from the bucket; the access rules as in local
mode; the bucket's faults as the contract's JSON 404 / 503."""

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import Client

from catalog.models import Video, VideoStatus
from catalog.storage import BucketFiles
from tests.storage.stacks import fetch, uris
from tests.storage.store_settings import reconfigure_store
from tests.streaming.conftest import RUNGS
from tests.streaming.http import body
from tests.support import free_port

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
_BYTERANGE = re.compile(r"#EXT-X-BYTERANGE:(\d+)@(\d+)")


@pytest.fixture
def bucket_video(s3_media, db, hls_output):
    """A ready, published video whose output was uploaded as a version, as the worker does."""
    video = Video.objects.create(
        title="In the bucket",
        original="originals/source.mp4",
        status=VideoStatus.READY,
        is_published=True,
        renditions=list(RUNGS),
    )
    version = BucketFiles().stage(video.pk, hls_output)
    video.output_version = version
    video.thumbnail.name = f"hls/{video.pk}/{version}/thumbnail.jpg"
    video.save()
    return video


def test_the_master_playlist_comes_from_the_bucket(auth_client, bucket_video, hls_output):
    response = auth_client.get(f"/api/video/{bucket_video.pk}/master.m3u8")
    assert response.status_code == 200
    assert response["Content-Type"] == PLAYLIST_TYPE
    assert response["Cache-Control"] == "private, no-cache"
    assert body(response) == (hls_output / "master.m3u8").read_bytes()


@pytest.mark.parametrize("requested", [*RUNGS, "1080p"])
def test_each_segment_uri_is_a_signed_bucket_url_that_opens_the_segment(
    auth_client, bucket_video, hls_output, requested
):
    response = auth_client.get(f"/api/video/{bucket_video.pk}/{requested}/index.m3u8")
    assert response.status_code == 200
    playlist = body(response)
    # The rung-above rule: 1080p on a 360p film is answered by the 360p rung.
    rung = requested if requested in RUNGS else RUNGS[-1]
    plain = (hls_output / rung / "index.m3u8").read_bytes()
    assert [line for line in playlist.splitlines() if line.startswith(b"#")] == [
        line for line in plain.splitlines() if line.startswith(b"#")
    ]
    signed = uris(playlist)
    assert len(signed) == len(uris(plain)) == 2
    prefix = f"{django_settings.S3_ENDPOINT_URL}/{django_settings.S3_BUCKET}/hls/{bucket_video.pk}/"
    for url, name in zip(signed, uris(plain), strict=True):
        assert url.startswith(f"{prefix}{bucket_video.output_version}/{rung}/{name}?X-Amz-")
        assert "X-Amz-Signature=" in url
        assert fetch(url) == (200, (hls_output / rung / name).read_bytes())


def test_a_player_walks_master_to_bytes_without_python_sending_any(
    auth_client, bucket_video, hls_output, django_saw
):
    master_url = f"http://testserver/api/video/{bucket_video.pk}/master.m3u8"
    master = body(auth_client.get(master_url))
    segments = 0
    for uri in uris(master):
        playlist_url = urljoin(master_url, uri)
        response = auth_client.get(playlist_url)
        assert response.status_code == 200, playlist_url
        for segment_url in uris(body(response)):
            status, data = fetch(urljoin(playlist_url, segment_url))
            assert status == 200
            rung, name = urlsplit(segment_url).path.split("/")[-2:]
            assert data == (hls_output / rung / name).read_bytes()
            segments += 1
    assert segments == 4  # two rungs, two segments each
    assert not [path for path in django_saw if path.endswith(".ts") or path.endswith(".ts/")]


def test_iframe_playlists_sign_their_segments_and_keep_the_byte_ranges(
    auth_client, bucket_video, hls_output
):
    playlist = body(auth_client.get(f"/api/video/{bucket_video.pk}/240p/iframes.m3u8"))
    lines = playlist.decode().splitlines()
    checked = 0
    for i, line in enumerate(lines):
        match = _BYTERANGE.fullmatch(line)
        if match:
            length, offset = int(match[1]), int(match[2])
            url = lines[i + 1]
            name = urlsplit(url).path.rsplit("/", 1)[-1]
            status, data = fetch(url, {"Range": f"bytes={offset}-{offset + length - 1}"})
            assert status == 206
            assert data == (hls_output / "240p" / name).read_bytes()[offset : offset + length]
            checked += 1
    assert checked == 4


def test_the_storyboard_signs_its_sprites_and_keeps_the_tiles(
    auth_client, bucket_video, hls_output
):
    response = auth_client.get(f"/api/video/{bucket_video.pk}/storyboard.vtt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt"
    index = body(response).decode()
    plain = (hls_output / "storyboard.vtt").read_text()
    references = [line for line in index.splitlines() if "#xywh=" in line]
    assert len(references) == len([line for line in plain.splitlines() if "#xywh=" in line]) > 0
    for line in references:
        url, _, fragment = line.partition("#")
        assert fragment.startswith("xywh=")
        name = urlsplit(url).path.rsplit("/", 1)[-1]
        assert fetch(url) == (200, (hls_output / "storyboard" / name).read_bytes())


@pytest.mark.parametrize("route", ["thumbnail.jpg", "storyboard/sprite000.jpg"])
def test_images_redirect_to_their_signed_url(auth_client, bucket_video, hls_output, route):
    response = auth_client.get(f"/api/video/{bucket_video.pk}/{route}")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(django_settings.S3_ENDPOINT_URL)
    assert response["Cache-Control"].startswith("private")
    status, data = fetch(location)
    assert status == 200
    assert data == (hls_output / route).read_bytes()


def test_the_segment_route_sends_no_bytes_and_no_redirect(auth_client, bucket_video):
    response = auth_client.get(f"/api/video/{bucket_video.pk}/240p/segment000.ts/")
    assert response.status_code == 404
    assert "object storage" in response.json()["detail"]


def test_a_playlist_signed_twice_within_a_step_is_the_same_bytes_and_a_304(
    auth_client, bucket_video
):
    url = f"/api/video/{bucket_video.pk}/240p/index.m3u8"
    first, second = auth_client.get(url), auth_client.get(url)
    assert body(first) == body(second)
    assert first["ETag"] == second["ETag"]
    again = auth_client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_urls_go_to_the_media_base_url_when_one_is_set(auth_client, bucket_video, settings):
    settings.S3_MEDIA_BASE_URL = "https://media.example.com/media-bucket"
    playlist = body(auth_client.get(f"/api/video/{bucket_video.pk}/240p/index.m3u8"))
    for url in uris(playlist):
        assert url.startswith(
            f"https://media.example.com/media-bucket/{django_settings.S3_BUCKET}/hls/"
        )
    # The proxy under the base URL forwards path and query: the signature still holds.
    direct = url.replace("https://media.example.com/media-bucket", settings.S3_ENDPOINT_URL)
    assert fetch(direct)[0] == 200


# --- the access rules, unchanged in s3 mode -------------------------------------------


@pytest.mark.parametrize(
    "route",
    ["master.m3u8", "240p/index.m3u8", "240p/iframes.m3u8", "storyboard.vtt", "thumbnail.jpg"],
)
def test_without_credentials_401(bucket_video, route):
    response = Client().get(f"/api/video/{bucket_video.pk}/{route}")
    assert response.status_code == 401
    assert "Location" not in response


@pytest.mark.parametrize("route", ["master.m3u8", "240p/index.m3u8", "thumbnail.jpg"])
def test_an_unpublished_video_is_404_for_viewers_and_playable_for_staff(
    auth_client, staff_client, bucket_video, route
):
    Video.objects.filter(pk=bucket_video.pk).update(is_published=False)
    response = auth_client.get(f"/api/video/{bucket_video.pk}/{route}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video not found."}
    assert staff_client.get(f"/api/video/{bucket_video.pk}/{route}").status_code in (200, 302)


def test_a_missing_rung_between_rungs_is_404(auth_client, bucket_video):
    response = auth_client.get(f"/api/video/{bucket_video.pk}/300p/index.m3u8")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video segment not found."}


# --- faults: the bucket gone, an object missing, the store unreachable or refusing -------


def test_a_deleted_bucket_answers_the_contracts_404(auth_client, bucket_video, s3_media):
    bucket = django_settings.S3_BUCKET
    pages = s3_media.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    for page in pages:
        for item in page.get("Contents", ()):
            s3_media.delete_object(Bucket=bucket, Key=item["Key"])
    s3_media.delete_bucket(Bucket=bucket)

    for route in ("master.m3u8", "240p/index.m3u8", "storyboard.vtt"):
        response = auth_client.get(f"/api/video/{bucket_video.pk}/{route}")
        assert response.status_code == 404, route
        assert set(response.json()) == {"detail"}


def test_a_missing_playlist_object_answers_404(auth_client, bucket_video, s3_media):
    key = f"hls/{bucket_video.pk}/{bucket_video.output_version}/240p/index.m3u8"
    s3_media.delete_object(Bucket=django_settings.S3_BUCKET, Key=key)
    response = auth_client.get(f"/api/video/{bucket_video.pk}/240p/index.m3u8")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video segment not found."}


@pytest.mark.parametrize("fault", ["unreachable", "wrong credentials"])
def test_a_store_out_of_reach_answers_503_with_a_sentence(
    auth_client, bucket_video, settings, fault
):
    if fault == "unreachable":
        reconfigure_store(settings, S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    else:
        reconfigure_store(settings, S3_SECRET_ACCESS_KEY="not-the-secret")
    caches["hot"].clear()

    response = auth_client.get(f"/api/video/{bucket_video.pk}/240p/index.m3u8")

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The media store cannot be reached right now; try again shortly."
    }


def test_what_is_live_keeps_playing_from_the_cache_while_the_store_is_away(
    auth_client, bucket_video, settings
):
    url = f"/api/video/{bucket_video.pk}/240p/index.m3u8"
    assert auth_client.get(url).status_code == 200
    reconfigure_store(settings, S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    assert auth_client.get(url).status_code == 200  # a version's playlist never changes
