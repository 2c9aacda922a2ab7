"""The subtitle inline on the video admin: SRT converted, WebVTT kept, bad files refused with
their reason and nothing of the page saved, replace and remove, tracks on the add page."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Category, Subtitle, Video
from tests.catalog.conftest import media_files
from tests.catalog.test_admin import CHANGELIST, add_form

pytestmark = pytest.mark.django_db(transaction=True)

SRT = b"\xef\xbb\xbf1\r\n00:00:01,000 --> 00:00:02,500\r\n<b>Bold</b> move\r\n"
CONVERTED = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<b>Bold</b> move\n"
VTT = b"WEBVTT\n\n00:01.000 --> 00:02.000\nGuten Tag\n"


def upload(data: bytes, name: str = "track.srt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/x-subrip")


def inline(*rows: dict, initial: int = 0) -> dict:
    """The inline's POST fields: `rows` in order, the first `initial` of them existing tracks."""
    data = {
        "subtitles-TOTAL_FORMS": str(len(rows)),
        "subtitles-INITIAL_FORMS": str(initial),
        "subtitles-MIN_NUM_FORMS": "0",
        "subtitles-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            if value is not False:
                data[f"subtitles-{index}-{name}"] = "on" if value is True else value
    return data


@pytest.fixture
def film(db):
    return Video.objects.create(
        title="Film", original="originals/film.mp4", category=Category.DRAMA
    )


def change(admin_client, video, *rows, initial=0, title=None):
    fields = {"title": title or video.title, "description": "", "category": video.category}
    return admin_client.post(
        f"{CHANGELIST}{video.pk}/change/", {**fields, **inline(*rows, initial=initial)}
    )


def test_the_change_page_has_the_subtitle_inline(admin_client, film):
    page = admin_client.get(f"{CHANGELIST}{film.pk}/change/").content.decode()
    assert 'name="subtitles-0-language"' in page
    assert 'accept=".srt,.vtt"' in page


def test_an_srt_upload_is_stored_as_webvtt_and_a_vtt_as_it_is(settings, admin_client, film):
    response = change(
        admin_client,
        film,
        {"language": "en", "name": "", "is_default": True, "file": upload(SRT)},
        {"language": "de", "name": "Deutsch", "file": upload(VTT, "track.vtt")},
    )

    assert response.status_code == 302, response.content.decode()[-3000:]
    english, german = Subtitle.objects.order_by("language").reverse()
    assert (english.language, english.display_name, english.is_default) == ("en", "English", True)
    assert (settings.MEDIA_ROOT / english.file.name).read_bytes() == CONVERTED
    assert (german.language, german.name, german.is_default) == ("de", "Deutsch", False)
    assert (settings.MEDIA_ROOT / german.file.name).read_bytes() == VTT
    [entry] = LogEntry.objects.all()
    assert entry.get_change_message() == (
        "Added subtitle “English (en)”. Added subtitle “Deutsch (de)”."
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"language": "en", "file": upload(b"")}, "The submitted file is empty."),
        ({"language": "en", "file": upload(b"\n\r\n")}, "The subtitle file is empty."),
        ({"language": "en", "file": upload(b"caf\xe9\n")}, "not UTF-8 text"),
        ({"language": "en", "file": upload(b"hello\nworld\n")}, "Line 1: expected a cue timing"),
        ({"language": "english", "file": upload(SRT)}, "&#x27;english&#x27; is not a language"),
        ({"language": "en", "name": 'Say "hi"', "file": upload(SRT)}, "may not contain quotes"),
        ({"language": "en"}, "This field is required."),
    ],
)
def test_a_bad_track_is_refused_with_its_reason_and_nothing_is_saved(
    settings, admin_client, film, row, message
):
    response = change(admin_client, film, row, title="Renamed")

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subtitle.objects.exists()
    assert Video.objects.get().title == "Film"  # the rest of the page is not saved either
    assert media_files(settings.MEDIA_ROOT) == []


def test_an_absurdly_large_file_is_refused(settings, admin_client, film):
    settings.SUBTITLE_UPLOAD_MAX_BYTES = 100

    response = change(admin_client, film, {"language": "en", "file": upload(SRT * 10)})

    assert "uploads are limited to 100" in response.content.decode()
    assert not Subtitle.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [{"language": "en", "file": upload(SRT)}, {"language": "EN", "file": upload(SRT)}],
            "Please correct the duplicate data for language.",
        ),
        (
            [
                {"language": "en", "is_default": True, "file": upload(SRT)},
                {"language": "fr", "is_default": True, "file": upload(SRT)},
            ],
            "Only one track can be the default; en, fr are all marked.",
        ),
    ],
)
def test_one_track_per_language_and_one_default(settings, admin_client, film, rows, message):
    response = change(admin_client, film, *rows)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subtitle.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == []


def test_a_language_the_video_has_is_refused(settings, admin_client, film):
    change(admin_client, film, {"language": "en", "file": upload(SRT)})
    stored = media_files(settings.MEDIA_ROOT)
    existing = Subtitle.objects.get()

    response = change(
        admin_client,
        film,
        {"id": str(existing.pk), "video": str(film.pk), "language": "en", "name": ""},
        {"language": "En", "file": upload(VTT)},
        initial=1,
    )

    assert response.status_code == 200
    assert "duplicate data for language." in response.content.decode()
    assert list(Subtitle.objects.all()) == [existing]
    assert media_files(settings.MEDIA_ROOT) == stored


def test_replacing_renaming_and_removing_tracks(settings, admin_client, film):
    change(
        admin_client,
        film,
        {"language": "en", "file": upload(SRT)},
        {"language": "fr", "file": upload(SRT)},
    )
    english, french = Subtitle.objects.order_by("language")
    old_file = english.file.name

    response = change(
        admin_client,
        film,
        {"id": str(english.pk), "video": str(film.pk), "language": "en-GB", "name": "UK",
         "file": upload(VTT, "new.vtt")},
        {"id": str(french.pk), "video": str(film.pk), "language": "fr", "DELETE": True},
        initial=2,
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[-3000:]
    english.refresh_from_db()
    assert (english.language, english.name) == ("en-GB", "UK")
    assert (settings.MEDIA_ROOT / english.file.name).read_bytes() == VTT
    assert not Subtitle.objects.filter(pk=french.pk).exists()
    assert media_files(settings.MEDIA_ROOT) == [english.file.name]  # old and deleted files gone
    assert english.file.name != old_file


def test_tracks_attach_on_the_add_page_with_the_upload(settings, admin_client, clip_small):
    form = add_form(clip_small)
    response = admin_client.post(
        f"{CHANGELIST}add/", {**form, **inline({"language": "es", "file": upload(SRT)})}
    )

    assert response.status_code == 302
    video = Video.objects.get()
    [subtitle] = video.subtitles.all()
    assert subtitle.language == "es"
    assert (settings.MEDIA_ROOT / subtitle.file.name).read_bytes() == CONVERTED
