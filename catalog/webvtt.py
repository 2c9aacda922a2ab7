"""Subtitle text as players take it: SRT converted to WebVTT, WebVTT checked and tidied.

Pure functions over text, no Django: `webvtt_from_bytes` is what an upload goes through.
Everything stored is UTF-8 WebVTT with LF line endings and no byte order mark, its cue
times relative to the film's start (the HLS timestamp map is added when it is served).
"""

import re

WEBVTT_HEADER = "WEBVTT"

# SRT in the wild: one- or two-digit hours, minutes and seconds, one to three fraction
# digits after a comma (or a dot), and sometimes SubRip's box coordinates after the times.
_SRT_TIME = r"(\d{1,3}):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_SRT_TIMING = re.compile(rf"{_SRT_TIME}\s*-->\s*{_SRT_TIME}(?:\s+[XY][12]:\s*-?\d+)*", re.ASCII)
# WebVTT's own timestamps: hours optional (at least two digits), then mm:ss.ttt.
_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t].*)?", re.ASCII)
# The HLS timestamp map names another clock: ours is always added on delivery instead.
_TIMESTAMP_MAP = re.compile(r"X-TIMESTAMP-MAP=.*")

# The styling WebVTT shares with SRT; anything else (<font color=...>) has no WebVTT form.
_KEPT_TAGS = frozenset({"b", "i", "u"})
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z]+)[^<>]*>")
# Advanced SubStation overrides that SRT files carry over, e.g. {\an8} (top centre).
_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
_BARE_AMPERSAND = re.compile(r"&(?!(?:[A-Za-z]+|#[0-9]+|#[xX][0-9A-Fa-f]+);)")


class SubtitleFormatError(ValueError):
    """The text is neither SRT nor WebVTT a player could read; the message says why."""


def webvtt_from_bytes(data: bytes) -> str:
    """WebVTT text from an uploaded SRT or WebVTT file's bytes (UTF-8, or UTF-16 with a BOM)."""
    text = _decoded(data)
    if not text.strip():
        raise SubtitleFormatError("The subtitle file is empty.")
    if "\x00" in text:
        raise SubtitleFormatError("The subtitle file contains NUL characters: it is not text.")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _is_webvtt(text):
        return checked_webvtt(text)
    return srt_to_webvtt(text)


def _decoded(data: bytes) -> str:
    # UTF-16 only with a BOM, which says the byte order; "utf-8-sig" drops a UTF-8 BOM if any.
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    encoding = "utf-16" if utf16 else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise SubtitleFormatError(
            "The subtitle file is not UTF-8 text; save it as UTF-8 and upload it again."
        ) from None


def _is_webvtt(text: str) -> bool:
    first_line = text.split("\n", 1)[0]
    return first_line == WEBVTT_HEADER or first_line.startswith((f"{WEBVTT_HEADER} ", "WEBVTT\t"))


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of each block of non-blank lines."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _milliseconds(hours, minutes, seconds, fraction) -> int:
    # A fraction is a decimal one: "5" is half a second, as in "00:00:01,5".
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(
        fraction.ljust(3, "0")
    )


def vtt_timestamp(milliseconds: int) -> str:
    """A WebVTT timestamp, hours always written: 3723004 -> "01:02:03.004"."""
    seconds, millis = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _checked_cue_times(match: re.Match, line_number: int) -> tuple[int, int]:
    start, end = _milliseconds(*match.groups()[:4]), _milliseconds(*match.groups()[4:])
    if end < start:
        raise SubtitleFormatError(f"Line {line_number}: the cue ends before it starts.")
    return start, end


def srt_to_webvtt(text: str) -> str:
    """WebVTT from SubRip text (LF line endings, no BOM): cue numbers dropped, times written
    the WebVTT way, <b> <i> <u> kept and other markup (<font>, {\\an8}) stripped."""
    cues = []
    for start_line, lines in _blocks(text):
        timing_at = 1 if len(lines) > 1 and lines[0].strip().isdigit() else 0
        match = _SRT_TIMING.fullmatch(lines[timing_at].strip())
        if match is None:
            raise SubtitleFormatError(
                f"Line {start_line + timing_at}: expected a cue timing such as "
                f"'00:00:01,000 --> 00:00:04,000', found {lines[timing_at].strip()[:60]!r}."
            )
        start, end = _checked_cue_times(match, start_line + timing_at)
        body = [_cue_text(line) for line in lines[timing_at + 1 :]]
        body = [line for line in body if _TAG.sub("", line).strip()]
        if body:  # a cue with nothing left to show is no cue
            cues.append(f"{vtt_timestamp(start)} --> {vtt_timestamp(end)}\n" + "\n".join(body))
    if not cues:
        raise SubtitleFormatError("The subtitle file has no cues.")
    return f"{WEBVTT_HEADER}\n\n" + "\n\n".join(cues) + "\n"


def _cue_text(line: str) -> str:
    """One SRT text line as WebVTT cue text."""
    line = _ASS_OVERRIDE.sub("", line)
    pieces = []
    position = 0
    for tag in _TAG.finditer(line):
        pieces.append(_escaped(line[position : tag.start()]))
        closing, name = tag.group(1), tag.group(2).lower()
        if name in _KEPT_TAGS:
            pieces.append(f"<{closing}{name}>")
        position = tag.end()
    pieces.append(_escaped(line[position:]))
    # Escaping ">" also keeps "-->", which cue text may not contain, out.
    return "".join(pieces).rstrip()


def _escaped(text: str) -> str:
    """Text outside tags: a lone "<" or "&" would start markup or a reference in WebVTT."""
    return _BARE_AMPERSAND.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def checked_webvtt(text: str) -> str:
    """WebVTT text (LF line endings, no BOM) after checking that every cue's timing reads,
    without a timestamp map of its own; raises SubtitleFormatError otherwise."""
    blocks = _blocks(text)
    header_start, header = blocks[0]
    if header_start != 1 or any("-->" in line for line in header):
        raise SubtitleFormatError(
            "A blank line must follow the WEBVTT header, before the first cue."
        )
    kept_header = [line for line in header if not _TIMESTAMP_MAP.fullmatch(line.strip())]
    cues = 0
    for start_line, lines in blocks[1:]:
        if lines[0].startswith(("NOTE", "STYLE", "REGION")) and "-->" not in lines[0]:
            continue
        timing_at = 0 if "-->" in lines[0] else 1
        if timing_at >= len(lines):
            raise SubtitleFormatError(f"Line {start_line}: a cue without a timing line.")
        match = _VTT_TIMING.fullmatch(lines[timing_at].strip())
        if match is None:
            raise SubtitleFormatError(
                f"Line {start_line + timing_at}: expected a cue timing such as "
                f"'00:00:01.000 --> 00:00:04.000', found {lines[timing_at].strip()[:60]!r}."
            )
        _checked_cue_times(match, start_line + timing_at)
        cues += 1
    if not cues:
        raise SubtitleFormatError("The subtitle file has no cues.")
    body = "\n\n".join("\n".join(lines) for _, lines in blocks[1:])
    return "\n".join(kept_header) + "\n\n" + body + "\n"
