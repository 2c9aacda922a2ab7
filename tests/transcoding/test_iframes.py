"""I-frame playlists: one byte range per keyframe of each rung, listed in the master."""

import subprocess

import pytest

from transcoding.hls import read_variant_playlist
from transcoding.iframes import rung_iframes
from transcoding.mpegts import video_frames

# ffmpeg starts every segment with its SDT, PAT and PMT: the media initialization section.
TABLE_BYTES = 3 * 188


def iframe_entries(path):
    """(duration, length, offset, uri) for each entry of an I-frame playlist."""
    lines = path.read_text().splitlines()
    entries = []
    for i, line in enumerate(lines):
        if line.startswith("#EXTINF:"):
            length, offset = lines[i + 1].removeprefix("#EXT-X-BYTERANGE:").split("@")
            entries.append((float(line[8:].rstrip(",")), int(length), int(offset), lines[i + 2]))
    return entries


def decoded_frames(data: bytes) -> list[str]:
    completed = subprocess.run(
        [
            "ffprobe", "-v", "error", "-f", "mpegts", "-i", "pipe:0", "-select_streams", "v",
            "-show_entries", "frame=pict_type", "-of", "csv=p=0",
        ],
        input=data, capture_output=True, check=True,
    )  # fmt: skip
    return [line.strip(",") for line in completed.stdout.decode().split()]


def test_every_rung_has_an_iframe_playlist_with_one_entry_per_keyframe(transcoded):
    result, _ = transcoded
    for rendition in result.renditions:
        playlist = result.output_dir / rendition.name / "iframes.m3u8"
        lines = playlist.read_text().splitlines()

        assert lines[:6] == [
            "#EXTM3U", "#EXT-X-VERSION:4", "#EXT-X-TARGETDURATION:1", "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-I-FRAMES-ONLY",
        ]  # fmt: skip
        assert lines[-1] == "#EXT-X-ENDLIST"
        entries = iframe_entries(playlist)
        # 5 s with a keyframe every second, two per 2 s segment.
        assert [uri for *_, uri in entries] == [
            "segment000.ts", "segment000.ts", "segment001.ts", "segment001.ts", "segment002.ts",
        ]  # fmt: skip
        assert [d for d, *_ in entries] == pytest.approx([1.0] * 5, abs=0.05)
        assert sum(d for d, *_ in entries) == pytest.approx(rendition.duration, abs=0.01)


def test_each_byte_range_holds_exactly_one_decodable_iframe(transcoded):
    result, _ = transcoded
    folder = result.output_dir / "240p"
    for _, length, offset, uri in iframe_entries(folder / "iframes.m3u8"):
        data = (folder / uri).read_bytes()
        assert offset >= TABLE_BYTES  # the range leaves out the initialization section

        frames = decoded_frames(data[:TABLE_BYTES] + data[offset : offset + length])

        assert frames == ["I"]


def test_keyframes_found_match_what_ffprobe_sees(transcoded):
    result, _ = transcoded
    segment = result.output_dir / "144p" / "segment001.ts"
    completed = subprocess.run(
        [
            "ffprobe", "-v", "error", "-select_streams", "v", "-show_entries",
            "packet=flags", "-of", "csv=p=0", str(segment),
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    flags = completed.stdout.split()

    assert [f.keyframe for f in video_frames(segment)] == ["K" in f for f in flags]


def test_master_lists_each_iframe_stream_with_its_measured_bandwidth(transcoded):
    result, _ = transcoded
    lines = result.master_playlist.read_text().splitlines()
    listed = [line for line in lines if line.startswith("#EXT-X-I-FRAME-STREAM-INF:")]

    assert len(listed) == len(result.renditions) == len(result.iframe_playlists)
    for line, stream, rendition in zip(
        listed, result.iframe_playlists, result.renditions, strict=True
    ):
        folder = result.output_dir / rendition.name
        iframes = rung_iframes(folder, rendition)
        peak = max(8 * f.length / f.duration for f in iframes)
        average = 8 * sum(f.length for f in iframes) / sum(f.duration for f in iframes)
        assert stream.bandwidth == round(peak)
        assert stream.average_bandwidth == round(average)
        assert line == (
            f"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={stream.bandwidth},"
            f"AVERAGE-BANDWIDTH={stream.average_bandwidth},"
            f'CODECS="{rendition.codecs.split(",")[0]}",'
            f"RESOLUTION={rendition.width}x{rendition.height},"
            f'URI="{rendition.name}/iframes.m3u8"'
        )
        # Bytes of I-frames only: far less than the whole rung.
        assert stream.average_bandwidth < rendition.average_bandwidth


def test_iframe_playlists_add_no_media_files(transcoded):
    result, _ = transcoded
    for rendition in result.renditions:
        folder = result.output_dir / rendition.name
        _, segments = read_variant_playlist(folder)
        media = sorted(p.name for p in folder.glob("*.ts"))
        assert media == [s.uri for s in segments]
        assert {uri for *_, uri in iframe_entries(folder / "iframes.m3u8")} <= set(media)
