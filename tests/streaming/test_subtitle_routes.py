"""Subtitle tracks in the stream: the master playlist lists them (and stays byte-identical
without them), each has a media playlist and a WebVTT file, under the film's access rules."""

import math
import re
import subprocess
from urllib.parse import urljoin

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Subtitle
from catalog.subtitles import subtitle_create, subtitle_delete, subtitle_update
from streaming.subtitles import FIRST_PTS
from tests.streaming.http import body

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SUBTITLES_NOT_FOUND = {"detail": "Subtitles not found."}
SEGMENT_NOT_FOUND = {"detail": "Video segment not found."}
SRT = b"1\r\n00:00:00,500 --> 00:00:02,000\r\nHello, <i>world</i>.\r\n"
STORED = b"WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nHello, <i>world</i>.\n"
TIMESTAMP_MAP = b"X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000"
SECRET = b"WEBVTT\n\n00:00.000 --> 00:01.000\nsecret\n"


@pytest.fixture
def add_subtitle(django_capture_on_commit_callbacks):
    """A track added through the service, its commit callbacks run (as a request's would)."""

    def add(video, language="en", data=SRT, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return subtitle_create(
                video=video, language=language, file=SimpleUploadedFile("t.srt", data), **fields
            )

    return add


@pytest.fixture
def subtitled(make_video, add_subtitle):
    video = make_video(duration=4.04)
    add_subtitle(video, "en")
    add_subtitle(video, "pt-BR", is_default=True)
    add_subtitle(video, "de", name="Deutsch (SDH)")
    return video


def master_of(client, video):
    response = client.get(f"/api/video/{video.pk}/master.m3u8")
    assert response.status_code == 200
    return response, body(response)


def test_the_master_playlist_lists_each_track_and_every_variant_names_the_group(
    auth_client, subtitled
):
    response, master = master_of(auth_client, subtitled)
    on_disk = (subtitled.hls_dir / "master.m3u8").read_bytes()

    assert response["Content-Type"] == PLAYLIST_TYPE
    assert response["Cache-Control"] == "private, no-cache"
    lines = master.decode().splitlines()
    media = [line for line in lines if line.startswith("#EXT-X-MEDIA:")]
    assert media == [
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="de",NAME="Deutsch (SDH)",'
        'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/de.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="en",NAME="English",'
        'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subtitles/en.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="pt-BR",'
        'NAME="Portugu\u00eas Brasileiro",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,'
        'URI="subtitles/pt-BR.m3u8"',
    ]
    variants = [line for line in lines if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(variants) == 2
    assert all(line.endswith(',SUBTITLES="subs"') for line in variants)
    # Everything else is the transcode's file, in its order, the tracks before the variants.
    assert lines.index(media[-1]) < lines.index(variants[0])
    kept = [line for line in lines if line not in media]
    assert "\n".join(kept).replace(',SUBTITLES="subs"', "") + "\n" == on_disk.decode()
    assert all("SUBTITLES" not in line for line in lines if "I-FRAME" in line)


def test_without_tracks_the_master_playlist_is_the_file_as_written(
    auth_client, make_video, subtitled
):
    plain = make_video()  # another video's tracks change nothing here

    _, master = master_of(auth_client, plain)

    assert master == (plain.hls_dir / "master.m3u8").read_bytes()
    assert b"SUBTITLES" not in master


def test_adding_renaming_and_removing_a_track_reaches_the_master_playlist_at_once(
    auth_client, video, add_subtitle, django_capture_on_commit_callbacks
):
    plain_response, plain = master_of(auth_client, video)  # cached stream facts from here on

    english = add_subtitle(video, "en")
    with_track_response, with_track = master_of(auth_client, video)
    assert b'LANGUAGE="en",NAME="English"' in with_track
    assert with_track_response["ETag"] != plain_response["ETag"]
    unchanged = auth_client.get(
        f"/api/video/{video.pk}/master.m3u8",
        headers={"If-None-Match": with_track_response["ETag"]},
    )
    assert unchanged.status_code == 304

    with django_capture_on_commit_callbacks(execute=True):
        subtitle_update(subtitle=english, data={"name": "English (CC)"})
    renamed_response, renamed = master_of(auth_client, video)
    assert b'NAME="English (CC)"' in renamed
    assert renamed_response["ETag"] != with_track_response["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        subtitle_delete(subtitle=english)
    assert master_of(auth_client, video)[1] == plain


def test_tracks_with_the_same_name_are_told_apart(auth_client, video, add_subtitle):
    add_subtitle(video, "en")
    add_subtitle(video, "en-US")

    names = re.findall(rb'NAME="([^"]+)"', master_of(auth_client, video)[1])

    assert names == [b"English (en)", b"English (en-US)"]


def test_a_player_walks_from_the_master_to_each_tracks_webvtt(auth_client, subtitled):
    master_url = f"http://testserver/api/video/{subtitled.pk}/master.m3u8"
    _, master = master_of(auth_client, subtitled)
    for uri in re.findall(rb'URI="(subtitles/[^"]+)"', master):
        playlist_url = urljoin(master_url, uri.decode())
        response = auth_client.get(playlist_url)
        assert response.status_code == 200, playlist_url
        assert response["Content-Type"] == PLAYLIST_TYPE
        assert response["Cache-Control"] == "private, no-cache"
        language = uri.decode().removeprefix("subtitles/").removesuffix(".m3u8")
        assert body(response).decode() == (
            "#EXTM3U\n#EXT-X-VERSION:3\n"
            f"#EXT-X-TARGETDURATION:{math.ceil(4.04)}\n"
            "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
            f"#EXTINF:4.040,\n{language}.vtt\n#EXT-X-ENDLIST\n"
        )
        vtt = auth_client.get(urljoin(playlist_url, f"{language}.vtt"))
        assert vtt.status_code == 200
        assert body(vtt) == b"WEBVTT\n" + TIMESTAMP_MAP + STORED.removeprefix(b"WEBVTT")


def test_the_webvtt_file_and_its_validators(auth_client, subtitled):
    url = f"/api/video/{subtitled.pk}/subtitles/en.vtt"
    response = auth_client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache"
    vtt = body(response)
    assert vtt.splitlines()[:3] == [b"WEBVTT", TIMESTAMP_MAP, b""]
    assert response["Content-Length"] == str(len(vtt))
    assert auth_client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 304
    ranged = auth_client.get(url, headers={"Range": "bytes=0-5"})
    assert (ranged.status_code, body(ranged)) == (206, b"WEBVTT")
    head = auth_client.head(url)
    assert (head.status_code, head["Content-Length"], body(head)) == (200, str(len(vtt)), b"")
    # Tags are case-insensitive; the canonical one is what playlists use.
    assert body(auth_client.get(f"/api/video/{subtitled.pk}/subtitles/PT-br.vtt")) == vtt


def test_the_timestamp_map_names_where_our_transcodes_start(hls_output):
    """MPEGTS in the map must be the first PTS of the segments the transcode writes."""
    start = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=start_time", "-of", "csv=p=0",
         str(hls_output / "240p" / "segment000.ts")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert round(float(start) * 90000) == FIRST_PTS


@pytest.mark.parametrize("path", ["subtitles/en.vtt", "subtitles/en.m3u8"])
def test_tracks_follow_the_films_access_rules(
    client, auth_client, staff_client, make_video, add_subtitle, path
):
    published = make_video()
    hidden = make_video(is_published=False)
    not_ready = make_video(status="processing")
    for video in (published, hidden, not_ready):
        add_subtitle(video, "en")

    anonymous = client.get(f"/api/video/{published.pk}/{path}")
    assert anonymous.status_code == 401
    assert auth_client.get(f"/api/video/{published.pk}/{path}").status_code == 200
    for video in (hidden, not_ready):
        refused = auth_client.get(f"/api/video/{video.pk}/{path}")
        assert refused.status_code == 404
        assert refused.json() == {"detail": "Video not found."}
    assert staff_client.get(f"/api/video/{hidden.pk}/{path}").status_code == 200  # preview
    assert staff_client.get(f"/api/video/{not_ready.pk}/{path}").status_code == 404


@pytest.fixture
def planted(subtitled, make_video, add_subtitle, settings):
    """What a traversal would like to reach: a file in MEDIA_ROOT, another video's track."""
    (settings.MEDIA_ROOT / "secret.vtt").write_bytes(SECRET)
    hidden = make_video(is_published=False)
    add_subtitle(hidden, "fr", data=SECRET)
    return {"video": subtitled, "hidden": hidden}


TRAVERSALS = [
    "{v}/subtitles/fr.vtt",  # another video's language
    "{v}/subtitles/..%2F..%2F..%2Fsecret.vtt",
    "{v}/subtitles/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.vtt",
    "{v}/subtitles/..%2F{h}%2Fsubtitles%2Ffr.vtt",
    "{v}/subtitles/..%5C..%5Csecret.vtt",
    "{v}/subtitles/%2Fetc%2Fpasswd.vtt",
    "{v}/subtitles/en%00.vtt",
    "{v}/subtitles/en%0A.vtt",
    "{v}/subtitles/.vtt",
    "{v}/subtitles/english.vtt",
    "{v}/subtitles/en-.m3u8",
    "{v}/subtitles/en_US.vtt",
    "{v}/subtitles/" + "a" * 5000 + ".vtt",
    "{v}/subtitles/%D9%A7%D9%A2.vtt",
    "{v}/subtitles/en.srt",
    "{v}/subtitles/en.vtt.bak",
    "{v}/subtitles/en.vtt/",
    "{v}/subtitles//etc/passwd",
    "{v}/subtitles/en/x.vtt",
]


@pytest.mark.parametrize("template", TRAVERSALS)
def test_traversal_attempts_are_404_and_leak_nothing(auth_client, planted, template):
    url = "/api/video/" + template.format(v=planted["video"].pk, h=planted["hidden"].pk)
    response = auth_client.get(url)
    assert response.status_code == 404, url
    assert response.json() in (SUBTITLES_NOT_FOUND, SEGMENT_NOT_FOUND)
    assert b"secret" not in body(response)


def test_a_track_whose_file_is_gone_is_404(auth_client, subtitled, settings):
    (settings.MEDIA_ROOT / Subtitle.objects.get(video=subtitled, language="en").file.name).unlink()

    response = auth_client.get(f"/api/video/{subtitled.pk}/subtitles/en.vtt")

    assert response.status_code == 404
    assert response.json() == SUBTITLES_NOT_FOUND


def test_with_x_accel_and_signed_links_the_tracks_are_still_sent_by_django(
    auth_client, subtitled, settings
):
    settings.STREAMING_X_ACCEL = True
    settings.STREAMING_SEGMENT_LINK_SECRET = "links-secret"

    for path, starts in (("master.m3u8", b"#EXTM3U"), ("subtitles/en.m3u8", b"#EXTM3U"),
                         ("subtitles/en.vtt", b"WEBVTT\nX-TIMESTAMP-MAP")):  # fmt: skip
        response = auth_client.get(f"/api/video/{subtitled.pk}/{path}")
        assert response.status_code == 200
        assert "X-Accel-Redirect" not in response
        assert body(response).startswith(starts)
    # The WebVTT is read by the track's row, so its URI carries no link signature to check.
    playlist = body(auth_client.get(f"/api/video/{subtitled.pk}/subtitles/en.m3u8"))
    assert b"\nen.vtt\n" in playlist
