"""Which names a streaming URL may carry.

Names are checked against strict patterns before they touch the filesystem; the file
they resolve to must then pass `catalog.outputs.servable_file`, so no `..`, absolute
path, NUL byte or planted symlink reaches anything else.
"""

import re

# ASCII only: `\d` alone would also accept other scripts' digits.
RESOLUTION_PATTERN = re.compile(r"[0-9]{3,4}p", re.ASCII)
SEGMENT_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\.ts", re.ASCII)
SPRITE_PATTERN = re.compile(r"sprite[0-9]{3,6}\.jpg", re.ASCII)


def is_resolution(name: str) -> bool:
    return RESOLUTION_PATTERN.fullmatch(name) is not None


def is_segment(name: str) -> bool:
    return SEGMENT_PATTERN.fullmatch(name) is not None


def is_sprite(name: str) -> bool:
    return SPRITE_PATTERN.fullmatch(name) is not None


def rung_height(name: str) -> int:
    """The height a rung name stands for: "720p" -> 720."""
    return int(name[:-1])
