"""MEDIA_STORAGE=s3 with the store out of reach or refusing our credentials at run time: an
upload answers 503 with a sentence and saves nothing, a transcode retries with back-off, and
what is live keeps its version. The web gives up after two attempts (seconds, not minutes),
the worker keeps botocore's retries."""

import io
import socket
import threading

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from huey.contrib.djhuey import HUEY

from catalog import tasks
from catalog.models import Video, VideoStatus
from catalog.objectstore import WORKER_ATTEMPTS
from catalog.services import video_retranscode
from catalog.storage import BucketFiles, MediaStoreError
from tests.catalog.conftest import media_files
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


class DroppingStore:
    """A port that accepts every connection and closes it unanswered, counting them: what a
    store going down looks like, whose every request attempt can be told apart."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._drop, daemon=True).start()

    def _drop(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed at the end of the test
                return
            self.connections += 1  # before the close: the client learns of it only after
            connection.close()


@pytest.fixture
def dropping_store(s3_media, settings):
    store = DroppingStore()
    reconfigure_store(settings, S3_ENDPOINT_URL=store.endpoint)
    yield store
    store.server.close()


def test_an_admin_upload_gives_up_after_two_attempts(
    dropping_store, s3_media, admin_client, clip_small
):
    response = admin_client.post(f"{CHANGELIST}add/", add_form(clip_small, title="Dropped"))

    assert response.status_code == 503
    assert response.content.decode() == (
        "The media store cannot be reached. Nothing was saved; try the upload again shortly."
    )
    # botocore's default is 3 attempts with 60 s connect and read timeouts each: 180 s against
    # a store that accepts and never answers (measured); the web's client stops after a retry.
    assert dropping_store.connections == 2
    assert not Video.objects.exists()
    assert media_files(django_settings.MEDIA_ROOT) == []
    assert s3_media.list_objects_v2(Bucket=django_settings.S3_BUCKET).get("KeyCount", 0) == 0


def test_the_webs_client_waits_seconds_and_the_workers_keeps_botocores_patience(s3_media):
    web = BucketFiles().client.meta.config
    worker = BucketFiles().worker_client.meta.config
    assert (web.connect_timeout, web.read_timeout) == (3, 10)
    assert (worker.connect_timeout, worker.read_timeout) == (60, 60)
    # Both speak path-style SigV4, as django-storages was configured.
    for config in (web, worker):
        assert config.s3 == {"addressing_style": "path"}
        assert config.signature_version == "s3v4"


def test_a_transcodes_copy_of_the_original_keeps_botocores_retries(dropping_store, tmp_path):
    with pytest.raises(MediaStoreError, match="cannot be reached"):
        BucketFiles().copy_source("originals/film.mp4", tmp_path)
    assert dropping_store.connections == WORKER_ATTEMPTS == 3


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
