"""Master and media playlists: content, headers, the rung-above rule, and a player's walk."""

import re
import shutil
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from catalog.outputs import live_dir, swap_in
from tests.streaming.http import body

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"


def uris(playlist: bytes) -> list[str]:
    lines = playlist.decode().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


_VERSION_QUERY = re.compile(rb"\?v=([0-9a-f]+-[0-9a-f]+)$", re.MULTILINE)


def versions(playlist: bytes) -> set[bytes]:
    """The output versions named in a media playlist's segment URIs."""
    return set(_VERSION_QUERY.findall(playlist))


def without_versions(playlist: bytes) -> bytes:
    return _VERSION_QUERY.sub(b"", playlist)


def test_master_playlist(auth_client, video):
    url = reverse("api:video_master", args=[video.pk])
    assert url == f"/api/video/{video.pk}/master.m3u8"
    response = auth_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == PLAYLIST_TYPE
    assert response["Cache-Control"] == "private, no-cache"
    playlist = body(response)
    assert playlist == (video.hls_dir / "master.m3u8").read_bytes()
    assert uris(playlist) == ["240p/index.m3u8", "360p/index.m3u8"]


@pytest.mark.parametrize("rung", ["240p", "360p"])
def test_variant_playlist_of_an_existing_rung(auth_client, video, rung):
    url = reverse("api:video_variant", args=[video.pk, rung])
    response = auth_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == PLAYLIST_TYPE
    playlist = body(response)
    assert response["Content-Length"] == str(len(playlist))
    # The file's playlist, each segment URI naming the output's version.
    assert without_versions(playlist) == (video.hls_dir / rung / "index.m3u8").read_bytes()
    assert len(versions(playlist)) == 1
    assert len(uris(playlist)) == 2
    assert all(uri.endswith(f"?v={versions(playlist).pop().decode()}") for uri in uris(playlist))


def walk_like_a_player(client, master_url):
    """Fetch every playlist and segment the master playlist leads to, as hls.js would."""
    fetched = {}
    pending = [master_url]
    while pending:
        url = pending.pop()
        response = client.get(url)
        assert response.status_code == 200, url
        fetched[url] = body(response)
        if urlsplit(url).path.endswith(".m3u8"):
            pending += [urljoin(url, uri) for uri in uris(fetched[url])]
    return fetched


def test_every_uri_in_the_playlists_resolves_through_these_routes(auth_client, video):
    fetched = walk_like_a_player(auth_client, f"http://testserver/api/video/{video.pk}/master.m3u8")
    segments = {url: data for url, data in fetched.items() if urlsplit(url).path.endswith(".ts")}
    assert len(segments) == 4
    for url, data in segments.items():
        rung, name = urlsplit(url).path.split("/")[-2:]
        assert data == (video.hls_dir / rung / name).read_bytes()


@pytest.mark.parametrize("above", ["480p", "720p", "1080p", "2160p"])
def test_a_rung_above_the_best_answers_with_the_best_rungs_playlist(auth_client, video, above):
    url = f"http://testserver/api/video/{video.pk}/{above}/index.m3u8"
    response = auth_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == PLAYLIST_TYPE
    playlist = body(response)
    assert response["Content-Length"] == str(len(playlist))
    best = (video.hls_dir / "360p" / "index.m3u8").read_bytes()
    assert without_versions(playlist).replace(b"../360p/", b"") == best
    assert uris(without_versions(playlist)) == ["../360p/segment000.ts", "../360p/segment001.ts"]
    for uri in uris(playlist):
        segment_url = urljoin(url, uri)
        assert segment_url.startswith(f"http://testserver/api/video/{video.pk}/360p/")
        segment = auth_client.get(segment_url)
        assert segment.status_code == 200
        name = urlsplit(segment_url).path.split("/")[-1]
        assert body(segment) == (video.hls_dir / "360p" / name).read_bytes()


def test_the_rewritten_playlist_has_its_own_validators(auth_client, video):
    best = auth_client.get(f"/api/video/{video.pk}/360p/index.m3u8")
    above = auth_client.get(f"/api/video/{video.pk}/1080p/index.m3u8")
    assert above["ETag"] != best["ETag"]
    assert above["Cache-Control"] == "private, no-cache"
    again = auth_client.get(
        f"/api/video/{video.pk}/1080p/index.m3u8", headers={"If-None-Match": above["ETag"]}
    )
    assert again.status_code == 304
    ranged = auth_client.get(
        f"/api/video/{video.pk}/1080p/index.m3u8", headers={"Range": "bytes=0-6"}
    )
    assert ranged.status_code == 206
    assert body(ranged) == b"#EXTM3U"


@pytest.mark.parametrize("missing", ["144p", "100p", "300p", "359p"])
def test_a_missing_rung_below_or_between_is_404(auth_client, video, missing):
    response = auth_client.get(f"/api/video/{video.pk}/{missing}/index.m3u8")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video segment not found."}


def test_the_rung_above_rule_uses_the_videos_renditions(auth_client, make_video):
    only_low = make_video(renditions=["240p"])
    response = auth_client.get(f"/api/video/{only_low.pk}/360p/index.m3u8")
    assert response.status_code == 200
    assert uris(without_versions(body(response)))[0] == "../240p/segment000.ts"


def test_a_rendition_listed_but_missing_on_disk_is_404(auth_client, make_video):
    video = make_video(renditions=["240p", "360p", "480p"])
    response = auth_client.get(f"/api/video/{video.pk}/1080p/index.m3u8")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video segment not found."}


def test_a_ready_video_without_output_is_404(auth_client, make_video):
    video = make_video(with_output=False)
    response = auth_client.get(f"/api/video/{video.pk}/master.m3u8")
    assert response.status_code == 404
    assert response.json() == {"detail": "Video segment not found."}


def test_the_front_ends_origin_may_read_playlists_and_segments_with_credentials(auth_client, video):
    origin = {"Origin": "http://127.0.0.1:5500"}
    for url in (
        f"/api/video/{video.pk}/master.m3u8",
        f"/api/video/{video.pk}/240p/segment000.ts",
    ):
        response = auth_client.get(url, headers=origin)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "http://127.0.0.1:5500"
        assert response["Access-Control-Allow-Credentials"] == "true"
    foreign = auth_client.get(
        f"/api/video/{video.pk}/master.m3u8", headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in foreign


def test_a_new_output_gives_its_segments_new_urls(auth_client, video, hls_output, tmp_path):
    """Segments stay cached for a day under their URL; a re-transcode must not reuse it."""
    url = f"/api/video/{video.pk}/240p/index.m3u8"
    before = body(auth_client.get(url))
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(hls_output, rebuilt, copy_function=shutil.copyfile)  # new files, new times
    swap_in(video.pk, rebuilt)

    after = body(auth_client.get(url))
    assert without_versions(after) == without_versions(before)
    assert versions(after) != versions(before)
    for uri in uris(after):
        segment = auth_client.get(urljoin(f"http://testserver{url}", uri))
        assert segment.status_code == 200
        assert body(segment) == (live_dir(video.pk) / "240p" / urlsplit(uri).path).read_bytes()
