"""video_publish / video_unpublish / video_update: the row changes and streaming's cache follows."""

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Category, Video, VideoStatus
from catalog.services import video_publish, video_unpublish, video_update
from catalog.streaminfo import stream_info


@pytest.fixture
def ready_video(db):
    return Video.objects.create(
        title="Ready",
        original="originals/ready.mp4",
        status=VideoStatus.READY,
        output_live=True,
        renditions=["480p"],
    )


def test_publishing_shows_the_video_to_streaming_after_the_commit(
    ready_video, django_capture_on_commit_callbacks
):
    assert stream_info(ready_video.pk).published is False  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        video_publish(video=ready_video)

    assert Video.objects.get(pk=ready_video.pk).is_published
    assert stream_info(ready_video.pk).published is True


def test_unpublishing_hides_it_again(ready_video, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        video_publish(video=ready_video)
    assert stream_info(ready_video.pk).published is True

    with django_capture_on_commit_callbacks(execute=True):
        video_unpublish(video=ready_video)

    assert not Video.objects.get(pk=ready_video.pk).is_published
    assert stream_info(ready_video.pk).published is False


def test_update_changes_only_the_editable_fields(ready_video):
    video_update(
        video=ready_video,
        data={"title": "Renamed", "category": Category.WESTERN, "status": VideoStatus.FAILED},
    )
    stored = Video.objects.get(pk=ready_video.pk)
    assert (stored.title, stored.category, stored.status) == (
        "Renamed",
        "western",
        VideoStatus.READY,
    )


def test_update_refuses_an_unknown_category(ready_video):
    with pytest.raises(ValidationError) as refused:
        video_update(video=ready_video, data={"category": "telenovela"})
    assert "category" in refused.value.message_dict
    assert Video.objects.get(pk=ready_video.pk).category == Category.DRAMA
