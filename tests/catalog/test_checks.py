"""The ladder settings are checked when Django starts."""

from catalog.checks import check_transcode_settings


def test_the_test_ladder_passes():
    assert check_transcode_settings(None) == []


def test_an_unknown_rendition_is_reported(settings):
    settings.VIDEO_TRANSCODE_RENDITIONS = ["480p", "4k"]
    [error] = check_transcode_settings(None)
    assert error.id == "catalog.E001"
    assert "Unknown rendition 4k" in error.msg


def test_an_unknown_preset_is_reported(settings):
    settings.VIDEO_TRANSCODE_PRESET = "warp"
    [error] = check_transcode_settings(None)
    assert error.id == "catalog.E002"
    assert "'warp' is not an x264 preset" in error.msg
