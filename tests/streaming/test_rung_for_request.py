"""`rung_for_request`: the rung that answers a variant request, never an upscale."""

import pytest

from streaming.selectors import rung_for_request

LADDER = ("480p", "720p")


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("480p", "480p"),
        ("720p", "720p"),
        # Above the best rung: the best rung answers, so the 1080p button keeps playing.
        ("1080p", "720p"),
        ("2160p", "720p"),
        ("721p", "720p"),
        # Below or between existing rungs: no such rung.
        ("360p", None),
        ("600p", None),
        ("240p", None),
    ],
)
def test_rung_for_request(requested, expected):
    assert rung_for_request(requested, LADDER) == expected


def test_the_order_of_renditions_does_not_matter():
    assert rung_for_request("1080p", ("720p", "360p", "480p")) == "720p"


def test_no_renditions_means_no_rung():
    assert rung_for_request("1080p", ()) is None


def test_rendition_names_outside_the_pattern_are_ignored():
    assert rung_for_request("1080p", ("audio", "720p")) == "720p"
