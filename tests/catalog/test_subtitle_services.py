"""subtitle_create / subtitle_update / subtitle_delete: what a track write stores, refuses and
removes, and that deleting a video takes its subtitle files along."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Subtitle, Video
from catalog.services import video_delete
from catalog.streaminfo import stream_info
from catalog.subtitles import subtitle_create, subtitle_delete, subtitle_update
from tests.catalog.conftest import media_files

SRT = b"1\r\n00:00:00,500 --> 00:00:01,500\r\n<i>Hello</i>\r\n"
VTT = b"WEBVTT\n\n00:00.500 --> 00:01.500\nHallo\n"


def srt(data: bytes = SRT, name: str = "film.en.srt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def film(db):
    return Video.objects.create(title="Subtitled", original="originals/film.mp4")


def test_an_srt_track_is_stored_as_webvtt(settings, film):
    subtitle = subtitle_create(video=film, language="EN", file=srt())

    assert (subtitle.language, subtitle.name, subtitle.display_name) == ("en", "", "English")
    assert subtitle.file.name == f"subtitles/{film.pk}/en.vtt"
    assert (settings.MEDIA_ROOT / subtitle.file.name).read_bytes() == (
        b"WEBVTT\n\n00:00:00.500 --> 00:00:01.500\n<i>Hello</i>\n"
    )


def test_a_webvtt_track_is_kept_and_named(settings, film):
    subtitle = subtitle_create(
        video=film, language="de", name=" Deutsch (SDH) ", file=srt(VTT, "film.de.vtt")
    )

    assert subtitle.name == "Deutsch (SDH)"
    assert (settings.MEDIA_ROOT / subtitle.file.name).read_bytes() == VTT


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"language": "english"}, "'english' is not a language tag"),
        ({"language": "en/../x"}, "is not a language tag"),
        ({"name": 'The "best" one'}, "may not contain quotes"),
        ({"file": srt(b"")}, "The subtitle file is empty."),
        ({"file": srt("Caf\u00e9".encode("latin-1"))}, "not UTF-8 text"),
        ({"file": srt(b"1\n00:00:01,000 to 00:00:02,000\nx\n")}, "Line 2: expected a cue timing"),
    ],
)
def test_a_bad_track_is_refused_and_nothing_is_stored(settings, film, fields, message):
    arguments = {"video": film, "language": "en", "file": srt(), **fields}

    with pytest.raises(ValidationError, match=message):
        subtitle_create(**arguments)

    assert not Subtitle.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_an_absurdly_large_file_is_refused_before_it_is_read(settings, film):
    settings.SUBTITLE_UPLOAD_MAX_BYTES = 1000

    with pytest.raises(ValidationError, match="uploads are limited to 1000"):
        subtitle_create(video=film, language="en", file=srt(SRT * 100))

    assert not Subtitle.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_one_track_per_language(settings, film):
    first = subtitle_create(video=film, language="pt-BR", file=srt())

    with pytest.raises(ValidationError, match="already has subtitles in this language"):
        subtitle_create(video=film, language="pt-br", file=srt())

    assert list(Subtitle.objects.all()) == [first]
    assert media_files(settings.MEDIA_ROOT) == [first.file.name]
    # Another video may have its own.
    other = Video.objects.create(title="Other", original="originals/other.mp4")
    assert subtitle_create(video=other, language="pt-BR", file=srt()).language == "pt-BR"


def test_marking_a_track_default_unmarks_the_others(film):
    english = subtitle_create(video=film, language="en", file=srt(), is_default=True)
    german = subtitle_create(video=film, language="de", file=srt(), is_default=True)

    assert list(Subtitle.objects.filter(is_default=True)) == [german]

    subtitle_update(subtitle=english, data={"is_default": True})
    assert list(Subtitle.objects.filter(is_default=True)) == [english]


def test_a_write_drops_the_cached_stream_facts(film, django_capture_on_commit_callbacks):
    before = stream_info(film.pk)

    with django_capture_on_commit_callbacks(execute=True):
        subtitle_create(video=film, language="en", file=srt())

    assert stream_info(film.pk).updated_at > before.updated_at


def test_replacing_the_file_removes_the_old_one_after_the_commit(
    settings, film, django_capture_on_commit_callbacks
):
    subtitle = subtitle_create(video=film, language="en", file=srt())
    old_name = subtitle.file.name

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        subtitle_update(subtitle=subtitle, data={"name": "English"}, file=srt(VTT))
    assert len(media_files(settings.MEDIA_ROOT)) == 2  # the old file stays until the commit
    for callback in callbacks:
        callback()

    subtitle.refresh_from_db()
    assert subtitle.name == "English"
    assert media_files(settings.MEDIA_ROOT) == [subtitle.file.name]
    assert subtitle.file.name != old_name
    assert (settings.MEDIA_ROOT / subtitle.file.name).read_bytes() == VTT


def test_a_refused_replacement_keeps_the_track_as_it_was(settings, film):
    subtitle = subtitle_create(video=film, language="en", file=srt())

    with pytest.raises(ValidationError, match="empty"):
        subtitle_update(subtitle=subtitle, data={"name": "New"}, file=srt(b""))

    assert Subtitle.objects.get().name == ""
    assert media_files(settings.MEDIA_ROOT) == [subtitle.file.name]


def test_deleting_a_track_removes_its_file_after_the_commit(
    settings, film, django_capture_on_commit_callbacks
):
    subtitle = subtitle_create(video=film, language="en", file=srt())

    with django_capture_on_commit_callbacks(execute=True):
        subtitle_delete(subtitle=subtitle)

    assert not Subtitle.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_deleting_the_video_removes_its_subtitle_files(
    settings, film, django_capture_on_commit_callbacks
):
    subtitle_create(video=film, language="en", file=srt())
    subtitle_create(video=film, language="fr", file=srt())
    other = Video.objects.create(title="Other", original="originals/other.mp4")
    kept = subtitle_create(video=other, language="en", file=srt())

    with django_capture_on_commit_callbacks(execute=True):
        video_delete(video=film)

    assert list(Subtitle.objects.all()) == [kept]
    assert media_files(settings.MEDIA_ROOT) == [kept.file.name]
