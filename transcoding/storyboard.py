"""Scrubbing previews: one small tile every N seconds, packed into JPEG sprites, indexed by WebVTT.

The tiles come from the same decode as the ladder (one more branch of the split), so a
storyboard costs a few downscales, not another pass over the source. They are written one
file each and packed into sprites afterwards by a short ffmpeg run over the small JPEGs:
tiling inside the encode would hold back the first sprite for 25 intervals, and ffmpeg
reports no progress at all until every output has written its first frame.
"""

import math
import shutil
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from transcoding.errors import ValidationError
from transcoding.runner import run_ffmpeg

STORYBOARD_FOLDER = "storyboard"
SPRITE_PATTERN = "sprite%03d.jpg"
TILES_FOLDER = "tiles"  # inside STORYBOARD_FOLDER while the transcode runs
TILE_PATTERN = "%06d.jpg"
INDEX_NAME = "storyboard.vtt"
DEFAULT_INTERVAL_SECONDS = 5.0
TILE_WIDTH = 160
COLUMNS = ROWS = 5


@dataclass(frozen=True)
class Storyboard:
    interval: float  # seconds between tiles
    tile_width: int
    tile_height: int
    columns: int = COLUMNS
    rows: int = ROWS

    @property
    def tiles_per_sprite(self) -> int:
        return self.columns * self.rows

    def branch(self, branch_input: str, label: str) -> str:
        # eof_action=pass: a film shorter than half the interval still gets its one tile.
        return (
            f"{branch_input}fps=1/{self.interval:g}:eof_action=pass,"
            f"scale={self.tile_width}:{self.tile_height},setsar=1[{label}]"
        )

    def output_args(self, label: str, workdir: Path) -> list[str]:
        # Near-lossless tiles: they are compressed once more inside the sprites.
        return [
            "-map", f"[{label}]", "-c:v", "mjpeg", "-q:v", "2", "-f", "image2",
            "-start_number", "0", str(workdir / STORYBOARD_FOLDER / TILES_FOLDER / TILE_PATTERN),
        ]  # fmt: skip

    def packing_argv(self, workdir: Path) -> list[str]:
        """Pure: the ffmpeg run packing the tiles, in order, into sprites of columns x rows."""
        folder = workdir / STORYBOARD_FOLDER
        return [
            "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
            "-progress", "pipe:1", "-y",
            "-framerate", "1", "-start_number", "0",
            "-i", str(folder / TILES_FOLDER / TILE_PATTERN),
            "-vf", f"tile={self.columns}x{self.rows}",
            "-c:v", "mjpeg", "-q:v", "5", "-f", "image2",
            "-start_number", "0", str(folder / SPRITE_PATTERN),
        ]  # fmt: skip


def plan_storyboard(interval: float, display_width: int, display_height: int) -> Storyboard:
    if interval <= 0:
        raise ValueError("The storyboard interval must be positive.")
    height = max(2, 2 * round(Fraction(TILE_WIDTH * display_height, display_width) / 2))
    return Storyboard(interval=interval, tile_width=TILE_WIDTH, tile_height=height)


def tile_count(board: Storyboard, duration: float) -> int:
    return max(1, math.ceil(duration / board.interval))


def pack_sprites(board: Storyboard, workdir: Path, **run_options) -> None:
    """Pack the tiles the encode wrote into sprites, then drop them; `run_options` go to
    run_ffmpeg (cancel, timeouts)."""
    tiles = workdir / STORYBOARD_FOLDER / TILES_FOLDER
    count = len(list(tiles.glob("*.jpg")))
    if not count:
        raise ValidationError("ffmpeg finished without writing the storyboard tiles.")
    run_ffmpeg(board.packing_argv(workdir), duration=count, **run_options)
    shutil.rmtree(tiles)


def write_storyboard_index(board: Storyboard, workdir: Path, duration: float) -> Path:
    """The WebVTT file players use for thumbnails: each cue points at one tile of a sprite."""
    folder = workdir / STORYBOARD_FOLDER
    tiles = tile_count(board, duration)
    sprites_needed = math.ceil(tiles / board.tiles_per_sprite)
    sprites = sorted(p.name for p in folder.glob("sprite*.jpg"))
    if len(sprites) < sprites_needed:
        raise ValidationError(
            f"The storyboard has {len(sprites)} sprites but {sprites_needed} were expected."
        )
    lines = ["WEBVTT", ""]
    for tile in range(tiles):
        start, end = tile * board.interval, min((tile + 1) * board.interval, duration)
        sprite, position = divmod(tile, board.tiles_per_sprite)
        row, column = divmod(position, board.columns)
        x, y = column * board.tile_width, row * board.tile_height
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{STORYBOARD_FOLDER}/{sprites[sprite]}#xywh={x},{y},"
            f"{board.tile_width},{board.tile_height}",
            "",
        ]
    path = workdir / INDEX_NAME
    path.write_text("\n".join(lines))
    return path


def _timestamp(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest / 1000:06.3f}"
