"""The ffmpeg argv for a planned ladder: decode once, split, encode every rung, mux HLS."""

from fractions import Fraction
from pathlib import Path
from typing import Protocol

from transcoding.ladder import Ladder, Plan
from transcoding.storyboard import Storyboard
from transcoding.thumbnails import Thumbnail

SEGMENT_PATTERN = "segment%03d.ts"
VARIANT_PLAYLIST = "index.m3u8"
# x264 never decides on its own to start a GOP before the forced grid keyframe arrives.
KEYINT_SLACK = 2


class SideOutput(Protocol):
    """A still-image product of the same decode (thumbnail, storyboard)."""

    def branch(self, branch_input: str, label: str) -> str: ...

    def output_args(self, label: str, workdir: Path) -> list[str]: ...


def filter_graph(
    source_stream: int, plan: Plan, scaler: str, side_outputs: dict[str, SideOutput]
) -> str:
    """Decode-side fixes once, then one scaled 8-bit 4:2:0 branch per rung ([v0], [v1], ...)
    and one branch per side output, labelled with its key."""
    count = len(plan.renditions) + len(side_outputs)
    shared = []
    if plan.deinterlace:
        shared.append("bwdif=mode=send_frame")
    if plan.resample_frame_rate:
        shared.append(f"fps={_rational(plan.frame_rate)}")
    if count > 1:
        shared.append(f"split={count}")
    chains = []
    if shared:
        branch_inputs = [f"[s{i}]" for i in range(count)]
        chains.append(f"[0:{source_stream}]" + ",".join(shared) + "".join(branch_inputs))
    else:
        branch_inputs = [f"[0:{source_stream}]"]
    for i, rung in enumerate(plan.renditions):
        chains.append(
            f"{branch_inputs[i]}scale={rung.width}:{rung.height}:flags={scaler},"
            f"format=yuv420p,setsar=1[v{i}]"
        )
    side_inputs = branch_inputs[len(plan.renditions) :]
    for branch_input, (label, side) in zip(side_inputs, side_outputs.items(), strict=True):
        chains.append(side.branch(branch_input, label))
    return ";".join(chains)


def build_transcode_argv(
    source: Path,
    source_stream: int,
    plan: Plan,
    ladder: Ladder,
    workdir: Path,
    *,
    thumbnail: Thumbnail,
    storyboard: Storyboard | None = None,
    audio_filter: str | None = None,
) -> list[str]:
    """Pure: the complete ffmpeg command writing `workdir/<rung>/index.m3u8` + segments,
    `workdir/thumbnail.jpg` and, when asked for, `workdir/storyboard/spriteNNN.jpg`.
    `audio_filter` (e.g. the loudness gain) applies to every rung's audio."""
    side_outputs: dict[str, SideOutput] = {"thumbnail": thumbnail}
    if storyboard:
        side_outputs["storyboard"] = storyboard
    argv = [
        "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
        "-progress", "pipe:1", "-y",
        "-i", str(source),
        "-filter_complex", filter_graph(source_stream, plan, ladder.scaler, side_outputs),
    ]  # fmt: skip
    keyframe_frames = max(1, round(ladder.keyframe_seconds * plan.frame_rate))
    stream_map = []
    for i, rung in enumerate(plan.renditions):
        settings = rung.settings
        argv += ["-map", f"[v{i}]"]
        argv += [
            f"-preset:v:{i}", settings.preset or ladder.preset,
            f"-crf:v:{i}", _number(settings.crf if settings.crf is not None else ladder.crf),
            f"-maxrate:v:{i}", f"{settings.max_bitrate}k",
            f"-bufsize:v:{i}", f"{settings.buffer_size}k",
            f"-profile:v:{i}", settings.profile,
            f"-level:v:{i}", settings.level,
        ]  # fmt: skip
        x264_params = ":".join(p for p in (ladder.x264_params, settings.x264_params) if p)
        if x264_params:
            argv += [f"-x264-params:v:{i}", x264_params]
        entry = f"v:{i}"
        if plan.audio is not None:
            argv += ["-map", f"0:{plan.audio.index}", f"-b:a:{i}", f"{settings.audio_bitrate}k"]
            entry += f",a:{i}"
        stream_map.append(f"{entry},name:{rung.name}")
    argv += [
        "-c:v", "libx264",
        "-r", _rational(plan.frame_rate),
        "-g", str(keyframe_frames * KEYINT_SLACK),
        "-sc_threshold", "0",
        "-force_key_frames", f"expr:gte(t,n_forced*{_number(ladder.keyframe_seconds)})",
    ]  # fmt: skip
    if plan.audio is not None:
        argv += ["-c:a", "aac"]
        if audio_filter:
            argv += ["-filter:a", audio_filter]
        if plan.audio.channels > 2:
            argv += ["-ac", "2"]
    argv += [
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-f", "hls",
        "-hls_time", _number(ladder.segment_seconds),
        "-hls_playlist_type", "vod",
        "-hls_list_size", "0",
        "-hls_flags", "independent_segments",
        "-hls_segment_type", "mpegts",
        "-hls_segment_filename", str(workdir / "%v" / SEGMENT_PATTERN),
        "-var_stream_map", " ".join(stream_map),
        str(workdir / "%v" / VARIANT_PLAYLIST),
    ]  # fmt: skip
    for label, side in side_outputs.items():
        argv += side.output_args(label, workdir)
    return argv


def _rational(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def _number(value: float) -> str:
    return f"{value:g}"
