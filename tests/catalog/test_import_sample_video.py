"""manage.py import_sample_video: a generated film, published through the same service, once."""

import io

import pytest
from django.core.management import call_command

from catalog.management.commands.import_sample_video import SAMPLE_TITLE
from catalog.models import Video, VideoStatus

pytestmark = pytest.mark.django_db(transaction=True)


def import_sample() -> str:
    out = io.StringIO()
    call_command("import_sample_video", "--seconds=2", "--width=640", "--height=360", stdout=out)
    return out.getvalue()


def test_the_sample_is_imported_published_and_transcoded_once():
    assert "Imported the sample video" in import_sample()

    video = Video.objects.get()
    assert video.title == SAMPLE_TITLE
    assert video.is_published
    assert video.status == VideoStatus.READY, video.error
    assert video.renditions == ["240p", "360p"]
    assert video.duration == pytest.approx(2.0, abs=0.2)

    assert "already in the catalog" in import_sample()
    assert Video.objects.count() == 1
