"""`servable_file` and the name patterns: only regular files inside the asked folder."""

import os

import pytest

from catalog.outputs import servable_file
from streaming.paths import is_resolution, is_segment


@pytest.fixture
def media(tmp_path):
    """media/hls/7/240p/segment000.ts, a secret next to the folder, another video's folder."""
    media_root = tmp_path / "media"
    rung = media_root / "hls" / "7" / "240p"
    rung.mkdir(parents=True)
    (rung / "segment000.ts").write_bytes(b"segment bytes")
    (rung / "index.m3u8").write_text("#EXTM3U\n")
    (media_root / "hls" / "8" / "240p").mkdir(parents=True)
    (media_root / "hls" / "8" / "240p" / "segment000.ts").write_bytes(b"other video")
    (media_root / "secret.ts").write_bytes(b"secret")
    return media_root


def folder(media_root, video_id=7):
    return media_root / "hls" / str(video_id)


def test_a_file_inside_the_folder_is_servable(media):
    found = servable_file(media, folder(media), "240p/segment000.ts")
    assert found is not None
    assert found.path == (media / "hls/7/240p/segment000.ts").resolve()
    assert found.media_name == "hls/7/240p/segment000.ts"
    assert found.path.read_bytes() == b"segment bytes"


def test_the_media_name_is_relative_to_the_media_root_even_for_the_root_itself(media):
    assert servable_file(media, media, "secret.ts").media_name == "secret.ts"
    # A folder elsewhere is the caller's mistake, not a file to name.
    media_sibling = media.parent / "media-other"
    (media_sibling / "240p").mkdir(parents=True)
    (media_sibling / "240p" / "segment000.ts").write_bytes(b"x")
    with pytest.raises(ValueError, match="does not lie below"):
        servable_file(media, media_sibling, "240p/segment000.ts")


@pytest.mark.parametrize(
    "name",
    [
        "../8/240p/segment000.ts",
        "240p/../../8/240p/segment000.ts",
        "../../secret.ts",
        "240p/../../../secret.ts",
        "/etc/passwd",
        "240p/segment000.ts\x00.jpg",
        "240p\\..\\..\\..\\secret.ts",
        "240p/missing.ts",
        "240p",
        "",
        "x" * 5000,
    ],
)
def test_names_escaping_or_missing_are_refused(media, name):
    assert servable_file(media, folder(media), name) is None


def test_a_symlink_planted_in_the_folder_pointing_outside_is_refused(media):
    (media / "hls/7/240p/evil.ts").symlink_to(media / "secret.ts")
    (media / "hls/7/240p/neighbour.ts").symlink_to(media / "hls/8/240p/segment000.ts")
    (media / "hls/7/999p").symlink_to(media / "hls/8/240p", target_is_directory=True)
    assert servable_file(media, folder(media), "240p/evil.ts") is None
    assert servable_file(media, folder(media), "240p/neighbour.ts") is None
    assert servable_file(media, folder(media), "999p/segment000.ts") is None


def test_a_symlinked_folder_below_the_video_folder_staying_inside_is_followed(media):
    (media / "hls/7/240p-copy").symlink_to("240p", target_is_directory=True)
    found = servable_file(media, folder(media), "240p-copy/segment000.ts")
    assert found is not None
    assert found.path.read_bytes() == b"segment bytes"


def test_a_symlink_loop_is_refused(media):
    (media / "hls/7/240p/loop.ts").symlink_to(media / "hls/7/240p/loop.ts")
    assert servable_file(media, folder(media), "240p/loop.ts") is None


def test_a_symlink_staying_inside_the_folder_is_followed(media):
    (media / "hls/7/240p/alias.ts").symlink_to("segment000.ts")
    found = servable_file(media, folder(media), "240p/alias.ts")
    assert found is not None
    assert found.path.read_bytes() == b"segment bytes"
    assert found.media_name == "hls/7/240p/alias.ts"


def test_a_video_folder_that_is_a_symlink_to_a_versioned_output_works(media):
    versioned = media / "hls" / ".versions" / "7-b"
    versioned.parent.mkdir()
    os.rename(folder(media), versioned)
    folder(media).symlink_to(versioned, target_is_directory=True)
    found = servable_file(media, folder(media), "240p/segment000.ts")
    assert found is not None
    assert found.path.resolve() == versioned.resolve() / "240p" / "segment000.ts"
    # nginx is sent through the stable name, which it resolves the same way.
    assert found.media_name == "hls/7/240p/segment000.ts"


def test_directories_and_special_files_are_refused(media):
    os.mkfifo(media / "hls/7/240p/fifo.ts")
    assert servable_file(media, folder(media), "240p/fifo.ts") is None
    assert servable_file(media, folder(media), ".") is None


def test_a_missing_video_folder_is_refused(media):
    assert servable_file(media, folder(media, 99), "240p/segment000.ts") is None


@pytest.mark.parametrize("name", ["240p", "480p", "720p", "1080p", "2160p"])
def test_resolution_pattern_accepts(name):
    assert is_resolution(name)


@pytest.mark.parametrize(
    "name",
    [
        "24p",
        "10800p",
        "720",
        "720P",
        "p720",
        "..",
        "720p\n",
        " 720p",
        "720p/",
        "\u0667\u0662\u0660p",
        "",
    ],
)
def test_resolution_pattern_refuses(name):
    assert not is_resolution(name)


@pytest.mark.parametrize("name", ["segment000.ts", "a.ts", "A-b_9.ts", "s" * 64 + ".ts"])
def test_segment_pattern_accepts(name):
    assert is_segment(name)


@pytest.mark.parametrize(
    "name",
    [
        "s" * 65 + ".ts",
        ".ts",
        "..ts",
        "../x.ts",
        "seg.ts\n",
        "seg.ts\x00",
        "seg\\x.ts",
        "seg.m3u8",
        "seg.TS",
        "segé.ts",
        "seg.ts.ts",
    ],
)
def test_segment_pattern_refuses(name):
    assert not is_segment(name)
