"""MEDIA_STORAGE=s3 with the store out of reach or refusing our credentials at run time: an
upload answers 503 with a sentence and saves nothing, a transcode retries with back-off, and
what is live keeps its version."""

import io

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from huey.contrib.djhuey import HUEY

from catalog import tasks
from catalog.models import Video, VideoStatus
from catalog.services import video_retranscode
from tests.catalog.test_admin import CHANGELIST, add_form
from tests.storage.store_settings import reconfigure_store
from tests.support import free_port

pytestmark = pytest.mark.django_db(transaction=True)


FAULTS = {
    "unreachable": ({"S3_ENDPOINT_URL": "http://127.0.0.1:{port}"}, "cannot be reached"),
    "wrong credentials": ({"S3_SECRET_ACCESS_KEY": "not-the-secret"}, "refused our credentials"),
}


def break_store(settings, fault: str) -> str:
    changes, sentence = FAULTS[fault]
    port = free_port()
    reconfigure_store(settings, **{k: v.format(port=port) for k, v in changes.items()})
    return sentence


@pytest.mark.parametrize("fault", FAULTS)
def test_an_admin_upload_answers_503_with_a_sentence_and_saves_nothing(
    s3_media, settings, admin_client, clip_small, fault
):
    sentence = break_store(settings, fault)
    form = add_form(clip_small, title="Uploaded while the store is away")

    response = admin_client.post(f"{CHANGELIST}add/", form)

    assert response.status_code == 503
    text = response.content.decode()
    assert sentence in text
    assert "Nothing was saved" in text
    assert "Traceback" not in text
    assert not Video.objects.exists()
    listed = s3_media.list_objects_v2(Bucket=django_settings.S3_BUCKET)
    assert listed.get("KeyCount", 0) == 0


def test_upload_video_says_in_one_sentence_that_the_store_is_unreachable(
    s3_media, settings, clip_small
):
    break_store(settings, "unreachable")
    with pytest.raises(CommandError, match=r"cannot be reached\. Nothing was stored"):
        call_command("upload_video", str(clip_small), "--title", "Away", stdout=io.StringIO())
    assert not Video.objects.exists()


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS)
def test_a_transcode_retries_with_back_off_and_the_live_version_stays(
    s3_media, settings, upload, clip_small, fault
):
    settings.VIDEO_TRANSCODE_RETRY_DELAY_SECONDS = 30
    video = upload(clip_small, publish=True)  # Huey runs the task at once here
    video.refresh_from_db()
    live = video.output_version
    assert video.status == VideoStatus.READY
    assert live
    HUEY.flush()
    endpoint, secret = settings.S3_ENDPOINT_URL, settings.S3_SECRET_ACCESS_KEY

    sentence = break_store(settings, fault)
    video_retranscode(video=video)

    video.refresh_from_db()
    assert video.status == VideoStatus.PENDING
    assert sentence in video.error
    assert video.error.endswith("Attempt 1 of 3 failed; retrying in 30 s.")
    assert video.output_version == live
    assert video.output_live
    [retry] = HUEY.scheduled()
    assert retry.args == (video.pk,)

    # The store comes back: the retry publishes a new version.
    reconfigure_store(settings, S3_ENDPOINT_URL=endpoint, S3_SECRET_ACCESS_KEY=secret)
    tasks.transcode_video.call_local(video.pk)
    video.refresh_from_db()
    assert video.status == VideoStatus.READY, video.error
    assert video.output_version > live
    assert video.attempts == 2
