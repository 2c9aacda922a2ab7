"""SRT to WebVTT, and WebVTT checked: what a subtitle upload turns into, or why it is refused."""

import pytest

from catalog.webvtt import SubtitleFormatError, srt_to_webvtt, vtt_timestamp, webvtt_from_bytes

SRT = """1
00:00:01,000 --> 00:00:04,500
Hello there.

2
00:00:05,250 --> 00:01:02,003
Two lines,
both kept.
"""

VTT_OF_SRT = """WEBVTT

00:00:01.000 --> 00:00:04.500
Hello there.

00:00:05.250 --> 00:01:02.003
Two lines,
both kept.
"""


def test_srt_becomes_webvtt_with_dots_and_without_cue_numbers():
    assert webvtt_from_bytes(SRT.encode()) == VTT_OF_SRT


@pytest.mark.parametrize(
    "encoded",
    [
        SRT.replace("\n", "\r\n").encode(),
        SRT.replace("\n", "\r").encode(),
        b"\xef\xbb\xbf" + SRT.encode(),
        SRT.encode("utf-16"),  # with its BOM
        b"\xef\xbb\xbf" + SRT.replace("\n", "\r\n").encode(),
    ],
    ids=["crlf", "cr", "utf8-bom", "utf16-bom", "bom-and-crlf"],
)
def test_line_endings_and_byte_order_marks_do_not_matter(encoded):
    assert webvtt_from_bytes(encoded) == VTT_OF_SRT


def test_sloppy_srt_times_are_written_out_in_full():
    srt = "7\n0:0:1,5 --> 0:00:02,25  X1:100 X2:600 Y1:20 Y2:80\nShort forms.\n"
    assert srt_to_webvtt(srt) == ("WEBVTT\n\n00:00:01.500 --> 00:00:02.250\nShort forms.\n")


def test_styling_webvtt_knows_is_kept_and_the_rest_stripped():
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\n"
        '{\\an8}<I>Loud</I> and <font color="#ff0000">red</font> <b>bold</b>\n'
        "Tom & Jerry <3 --> fin\n"
    )
    assert srt_to_webvtt(srt).splitlines()[3:] == [
        "<i>Loud</i> and red <b>bold</b>",
        "Tom &amp; Jerry &lt;3 --&gt; fin",
    ]


def test_existing_character_references_stay_as_they_are():
    srt = "1\n00:00:01,000 --> 00:00:02,000\nFish &amp; chips &#233;\n"
    assert srt_to_webvtt(srt).splitlines()[-1] == "Fish &amp; chips &#233;"


def test_srt_blocks_without_numbers_and_empty_cues():
    srt = "00:00:01,000 --> 00:00:02,000\nNo number.\n\n2\n00:00:03,000 --> 00:00:04,000\n<i></i>\n"
    assert srt_to_webvtt(srt) == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nNo number.\n"


def test_webvtt_is_kept_and_tidied():
    vtt = (
        "\ufeffWEBVTT - a title\r\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\r\n\r\n"
        "NOTE made by hand\r\n\r\n"
        "intro\r\n00:01.000 --> 00:02.000 align:start line:0\r\n<v Anna>Hi</v>\r\n\r\n"
        "01:00:00.000 --> 01:00:01.000\r\nLater\r\n"
    )
    assert webvtt_from_bytes(vtt.encode()) == (
        "WEBVTT - a title\n\n"
        "NOTE made by hand\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start line:0\n<v Anna>Hi</v>\n\n"
        "01:00:00.000 --> 01:00:01.000\nLater\n"
    )


def test_vtt_timestamp():
    assert vtt_timestamp(0) == "00:00:00.000"
    assert vtt_timestamp(3_723_004) == "01:02:03.004"
    assert vtt_timestamp(100 * 3_600_000) == "100:00:00.000"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The subtitle file is empty."),
        (b" \r\n\n\t\n", "The subtitle file is empty."),
        ("Caf\u00e9\n".encode("latin-1"), "not UTF-8 text"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nA\x00B\n", "NUL characters"),
        (b"Just some notes,\nnot subtitles.\n", "Line 1: expected a cue timing"),
        (b"1\n00:00:01,000 -> 00:00:02,000\nArrow\n", "Line 2: expected a cue timing"),
        (
            b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nno timing\ntext\n",
            "Line 6: expected a cue timing",
        ),
        (b"1\n00:00:05,000 --> 00:00:02,000\nBackwards\n", "Line 2: the cue ends before"),
        (b"1\n00:00:01,000 --> 00:00:02,000\n\n", "has no cues"),
        (b"WEBVTT\n", "has no cues"),
        (b"WEBVTT\n\nNOTE only a note\n", "has no cues"),
        (b"WEBVTT\n00:01.000 --> 00:02.000\nNo blank line\n", "A blank line must follow"),
        (b"WEBVTT\n\n00:01,000 --> 00:02,000\nCommas\n", "Line 3: expected a cue timing"),
        (b"WEBVTT\n\n00:61.000 --> 00:62.000\nSixty-one\n", "Line 3: expected a cue timing"),
        (b"WEBVTT\n\nan identifier alone\n", "Line 3: a cue without a timing line"),
    ],
)
def test_malformed_files_are_refused_with_a_reason(data, message):
    with pytest.raises(SubtitleFormatError, match=message):
        webvtt_from_bytes(data)
