"""probe(): what ffprobe tells about a source, and the typed errors for what is not a video."""

import subprocess

import pytest

from transcoding import (
    NotMediaError,
    NoVideoStreamError,
    SourceMissingError,
    TranscodingError,
    ZeroDurationError,
    probe,
)


def test_probe_reads_container_streams_and_duration(sample_video):
    info = probe(sample_video)

    assert "mp4" in info.container
    assert info.duration == pytest.approx(5.0, abs=0.1)
    assert info.size_bytes == sample_video.stat().st_size
    video = info.video
    assert (video.codec, video.width, video.height) == ("h264", 320, 240)
    assert (video.display_width, video.display_height, video.rotation) == (320, 240, 0)
    assert video.frame_rate == 25
    assert not video.variable_frame_rate
    assert (video.pixel_format, video.bit_depth, video.interlaced) == ("yuv420p", 8, False)
    assert [(a.codec, a.sample_rate) for a in info.audio] == [("aac", 48000)]
    assert info.default_audio == info.audio[0]


def test_probe_summary_is_json_serialisable(sample_video):
    import json

    summary = json.loads(json.dumps(probe(sample_video).as_dict()))

    assert summary["video"]["width"] == 320
    assert summary["audio"][0]["codec"] == "aac"
    assert summary["path"] == str(sample_video)


def test_probe_of_video_without_audio_lists_no_audio(silent_video):
    info = probe(silent_video)

    assert info.audio == ()
    assert info.default_audio is None


def test_missing_file_is_a_permanent_error(tmp_path):
    with pytest.raises(SourceMissingError) as caught:
        probe(tmp_path / "nowhere.mp4")

    assert caught.value.permanent
    assert "does not exist" in caught.value.reason


def test_zero_byte_file_is_not_media(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()

    with pytest.raises(NotMediaError) as caught:
        probe(empty)

    assert caught.value.permanent
    assert caught.value.reason == "The source file is empty."


def test_text_file_named_mp4_is_not_media_and_keeps_ffprobes_words(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("This is a shopping list, not a film.\n" * 20)

    with pytest.raises(NotMediaError) as caught:
        probe(text)

    assert caught.value.permanent
    assert "not a readable" in caught.value.reason
    assert "Invalid data" in caught.value.stderr_tail


def test_audio_only_file_has_no_video_stream(tmp_path):
    audio = tmp_path / "tone.m4a"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", str(audio)],
        check=True,
    )

    with pytest.raises(NoVideoStreamError) as caught:
        probe(audio)

    assert caught.value.permanent
    assert caught.value.reason == "The source file has no video stream."


def test_a_still_image_has_no_duration(tmp_path):
    still = tmp_path / "frame.png"
    argv = ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=64x48"]
    subprocess.run([*argv, "-frames:v", "1", str(still)], check=True)

    with pytest.raises(ZeroDurationError) as caught:
        probe(still)

    assert caught.value.permanent
    assert caught.value.reason == "The source video has no duration."


def test_every_probe_error_is_a_transcoding_error():
    for error in (NotMediaError, NoVideoStreamError, SourceMissingError, ZeroDurationError):
        assert issubclass(error, TranscodingError)
        assert error().reason.endswith(".")
