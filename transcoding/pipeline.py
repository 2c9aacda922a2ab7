"""transcode(): probe, plan, encode every rung in one ffmpeg run, validate, publish by rename."""

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from transcoding.command import build_transcode_argv
from transcoding.complexity import measure_complexity
from transcoding.errors import (
    CorruptSourceError,
    OutputExistsError,
    TranscodeCancelledError,
    TranscodingError,
    ValidationError,
)
from transcoding.hls import RenditionOutput, measure_rendition, validate, write_master_playlist
from transcoding.iframes import IFrameOutput, write_iframe_playlist
from transcoding.ladder import DEFAULT_LADDER, Ladder, Plan, plan
from transcoding.loudness import DEFAULT_TARGET_LUFS, Loudness, measure_loudness
from transcoding.probe import SourceInfo, probe
from transcoding.runner import Progress, mentions_corruption, run_ffmpeg, run_side_by_side
from transcoding.storyboard import (
    DEFAULT_INTERVAL_SECONDS,
    STORYBOARD_FOLDER,
    TILES_FOLDER,
    pack_sprites,
    plan_storyboard,
    write_storyboard_index,
)
from transcoding.thumbnails import THUMBNAIL_NAME, plan_thumbnail
from transcoding.tuning import TitleEncoding, choose_tuning, tuned_ladder

# A hung ffmpeg is stopped when its progress stands still this long; a slow one goes on as
# long as it advances. At a load of 30 on 2 cores a 20 s 1080p ladder took over 320 s, which
# the former whole-run limit (120 s + 10 s per source second) cut off while it was advancing.
STALL_TIMEOUT_SECONDS = 120
# The whole-run ceiling is only a backstop for an ffmpeg that advances without end.
TIMEOUT_FLOOR_SECONDS = 600
TIMEOUT_PER_SOURCE_SECOND = 60
WORKDIR_SUFFIX = ".transcoding"
PUBLISHED_MODE = 0o755


@dataclass(frozen=True)
class TranscodeResult:
    output_dir: Path
    duration: float
    width: int  # of the top rung
    height: int
    renditions: tuple[RenditionOutput, ...]
    thumbnail: Path
    master_playlist: Path
    source: SourceInfo
    storyboard: Path | None = None  # the WebVTT index of the sprites, unless switched off
    iframe_playlists: tuple[IFrameOutput, ...] = ()
    loudness: Loudness | None = None  # None: no audio, or normalisation switched off
    encoding: TitleEncoding | None = None  # None: fixed settings (no classes, or nothing measured)

    def as_dict(self) -> dict:
        return {
            "output_dir": str(self.output_dir),
            "duration": self.duration,
            "width": self.width,
            "height": self.height,
            "renditions": [r.as_dict() for r in self.renditions],
            "thumbnail": str(self.thumbnail),
            "master_playlist": str(self.master_playlist),
            "source": self.source.as_dict(),
            "storyboard": str(self.storyboard) if self.storyboard else None,
            "iframe_playlists": [i.as_dict() for i in self.iframe_playlists],
            "loudness": self.loudness.as_dict() if self.loudness else None,
            "encoding": self.encoding.as_dict() if self.encoding else None,
        }


def default_timeout(duration: float) -> float:
    return TIMEOUT_FLOOR_SECONDS + TIMEOUT_PER_SOURCE_SECOND * duration


def transcode(
    source: Path,
    output_dir: Path,
    *,
    ladder: Ladder = DEFAULT_LADDER,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    stall_timeout: float | None = STALL_TIMEOUT_SECONDS,
    thumbnail_at: float = 3.0,
    storyboard_interval: float | None = DEFAULT_INTERVAL_SECONDS,
    loudness_target: float | None = DEFAULT_TARGET_LUFS,
) -> TranscodeResult:
    """Turn `source` into an HLS ladder with a thumbnail in the new folder `output_dir`.

    Everything is written into a hidden sibling folder first and renamed into place only
    after validation, so on any failure `output_dir` does not exist. Each ffmpeg run is
    stopped after `stall_timeout` seconds without progress, or after `timeout` seconds in
    all (default: a generous ceiling proportional to the source's duration). Every rung gets
    an I-frame playlist. Scrubbing-preview sprites and `storyboard.vtt` get a tile every
    `storyboard_interval` seconds (None: none). The default audio track is brought to
    `loudness_target` LUFS by one gain measured in an audio-only pass (None: as it is).
    A ladder with `tunings` gets the x264 settings of the class a short complexity pass
    finds for this source (the choice is in the result's `encoding`).
    """
    source, output_dir = Path(source), Path(output_dir)
    if output_dir.exists():
        raise OutputExistsError(f"The output folder {output_dir.name} already exists.")
    info = probe(source)
    run_options = {
        "cancel": cancel,
        "timeout": timeout if timeout is not None else default_timeout(info.duration),
        "stall_timeout": stall_timeout,
    }
    audio = info.default_audio

    def complexity_pass(stop: threading.Event):
        return measure_complexity(
            source,
            info.video.index,
            width=info.video.display_width,
            height=info.video.display_height,
            duration=info.duration,
            **{**run_options, "cancel": stop},
        )

    def loudness_pass(stop: threading.Event):
        return measure_loudness(
            source,
            audio.index,
            target_lufs=loudness_target,
            duration=info.duration,
            downmix=audio.channels > 2,  # as the encode does
            **{**run_options, "cancel": stop},
        )

    # Both passes are small and mostly single-threaded: side by side they leave the second
    # core less idle before the ladder, which needs what both found.
    complexity, loudness = run_side_by_side(
        [
            complexity_pass if ladder.tunings else lambda _: None,
            loudness_pass if audio is not None and loudness_target is not None else lambda _: None,
        ],
        cancel=cancel,
    )
    encoding = None
    if complexity is not None:
        encoding = TitleEncoding(choose_tuning(ladder.tunings, complexity), complexity)
        ladder = tuned_ladder(ladder, encoding.tuning)
    planned = plan(info, ladder)
    board = (
        plan_storyboard(storyboard_interval, info.video.display_width, info.video.display_height)
        if storyboard_interval
        else None
    )
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(
        tempfile.mkdtemp(
            prefix=f".{output_dir.name}.", suffix=WORKDIR_SUFFIX, dir=output_dir.parent
        )
    )
    workdir.chmod(PUBLISHED_MODE)  # mkdtemp's 0700 would hide the output from the web server
    try:
        folders = [rung.name for rung in planned.renditions]
        for folder in [*folders, f"{STORYBOARD_FOLDER}/{TILES_FOLDER}"] if board else folders:
            (workdir / folder).mkdir(parents=True)
        stderr_tail = run_ffmpeg(
            build_transcode_argv(
                source,
                info.video.index,
                planned,
                ladder,
                workdir,
                thumbnail=plan_thumbnail(
                    thumbnail_at,
                    info.duration,
                    info.video.display_width,
                    info.video.display_height,
                    planned.frame_rate,
                ),
                storyboard=board,
                audio_filter=loudness.audio_filter() if loudness else None,
            ),
            duration=info.duration,
            on_progress=on_progress,
            **run_options,
        )
        try:
            renditions = _check_output(workdir, planned, ladder.segment_seconds, info.duration)
        except ValidationError as exc:
            # ffmpeg skips undecodable frames and exits 0; what it said explains the gaps.
            if mentions_corruption(stderr_tail):
                raise CorruptSourceError(stderr_tail=stderr_tail) from exc
            exc.stderr_tail = stderr_tail
            raise
        iframe_playlists = tuple(write_iframe_playlist(workdir / r.name, r) for r in renditions)
        master_playlist = write_master_playlist(workdir, renditions, iframe_playlists)
        storyboard = None
        if board:
            pack_sprites(board, workdir, **run_options)
            storyboard = write_storyboard_index(board, workdir, info.duration)
        if cancel is not None and cancel.is_set():
            raise TranscodeCancelledError()
        _publish(workdir, output_dir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    top = renditions[-1]
    return TranscodeResult(
        output_dir=output_dir,
        duration=info.duration,
        width=top.width,
        height=top.height,
        renditions=renditions,
        thumbnail=output_dir / THUMBNAIL_NAME,
        master_playlist=output_dir / master_playlist.name,
        source=info,
        storyboard=output_dir / storyboard.name if storyboard else None,
        iframe_playlists=iframe_playlists,
        loudness=loudness,
        encoding=encoding,
    )


def _check_output(
    workdir: Path, planned: Plan, segment_seconds: float, source_duration: float
) -> tuple[RenditionOutput, ...]:
    if not (workdir / THUMBNAIL_NAME).is_file():
        raise ValidationError("ffmpeg finished without writing the thumbnail.")
    renditions = tuple(
        measure_rendition(
            workdir / rung.name, rung, planned.frame_rate, has_audio=planned.audio is not None
        )
        for rung in planned.renditions
    )
    validate(workdir, renditions, source_duration=source_duration, segment_seconds=segment_seconds)
    return renditions


def _publish(workdir: Path, output_dir: Path) -> None:
    try:
        os.rename(workdir, output_dir)
    except FileExistsError as exc:
        raise OutputExistsError(f"The output folder {output_dir.name} already exists.") from exc
    except OSError as exc:
        if output_dir.exists():
            raise OutputExistsError(f"The output folder {output_dir.name} already exists.") from exc
        raise TranscodingError(f"Could not move the output into place: {exc.strerror}.") from exc
