"""manage.py upload_video --subtitles LANGUAGE:FILE: tracks stored with the film, or the whole
upload refused before anything is stored."""

import pytest
from django.core.management import CommandError

from catalog.models import Subtitle, Video, VideoStatus
from tests.catalog.conftest import media_files
from tests.catalog.test_upload_video import upload_video

pytestmark = pytest.mark.django_db(transaction=True)

SRT = b"1\r\n00:00:00,000 --> 00:00:01,000\r\nHola\r\n"
VTT = b"WEBVTT\n\n00:00.000 --> 00:01.000\nBonjour\n"


@pytest.fixture
def tracks(tmp_path):
    (tmp_path / "film.es.srt").write_bytes(SRT)
    (tmp_path / "film.fr.vtt").write_bytes(VTT)
    (tmp_path / "broken.srt").write_bytes(b"not subtitles at all\n")
    return tmp_path


def test_each_track_is_stored_with_the_film(settings, clip_small, tracks):
    upload_video(
        clip_small,
        "--title=With subtitles",
        f"--subtitles=es:{tracks / 'film.es.srt'}",
        "--subtitles",
        f"FR:{tracks / 'film.fr.vtt'}",
    )

    video = Video.objects.get()
    assert video.status == VideoStatus.READY
    spanish, french = video.subtitles.order_by("language")
    assert (spanish.language, french.language) == ("es", "fr")
    assert (settings.MEDIA_ROOT / spanish.file.name).read_bytes() == (
        b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHola\n"
    )
    assert (settings.MEDIA_ROOT / french.file.name).read_bytes() == VTT


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("es:{d}/broken.srt", "broken.srt: Line 1: expected a cue timing"),
        ("es:{d}/missing.srt", "No such subtitle file: "),
        ("{d}/film.es.srt", "expected LANGUAGE:FILE"),
        ("spanish:{d}/film.es.srt", "'spanish' is not a language tag"),
        ("es:", "expected LANGUAGE:FILE"),
    ],
)
def test_a_bad_track_refuses_the_whole_upload(settings, clip_small, tracks, argument, message):
    good = f"--subtitles=fr:{tracks / 'film.fr.vtt'}"

    with pytest.raises(CommandError, match=message):
        upload_video(
            clip_small, "--title=Refused", good, f"--subtitles={argument.format(d=tracks)}"
        )

    assert not Video.objects.exists()
    assert not Subtitle.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_a_language_given_twice_refuses_the_upload(settings, clip_small, tracks):
    with pytest.raises(CommandError, match=r"Subtitles given twice for: es\."):
        upload_video(
            clip_small,
            "--title=Twice",
            f"--subtitles=es:{tracks / 'film.es.srt'}",
            f"--subtitles=ES:{tracks / 'film.fr.vtt'}",
        )

    assert not Video.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []
