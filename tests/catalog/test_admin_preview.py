"""The preview player on the video change page: what it embeds, what it fetches with the admin
session, and what it says when hls.js is not installed. The browser test (tests/e2e) plays it."""

import html
import re

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.preview import HLS_JS, hls_js_url
from tests.catalog.test_admin import CHANGELIST

pytestmark = pytest.mark.django_db(transaction=True)

UNAVAILABLE = "The preview player is unavailable: hls.js is not installed"


@pytest.fixture
def player_installed(settings, tmp_path):
    """hls.js where `make setup` puts it (a stand-in file: these tests only read the page)."""
    folder = tmp_path / "player-static"
    (folder / HLS_JS).parent.mkdir(parents=True)
    (folder / HLS_JS).write_text("/* stand-in for hls.min.js */\n")
    settings.STATICFILES_DIRS = [folder]
    return folder


@pytest.fixture
def player_missing(settings):
    settings.STATICFILES_DIRS = []


def player(page: str) -> dict:
    """The player's attributes, options and scripts as the page holds them."""
    root = re.search(r'<div class="vf-player" ([^>]*)>', page)
    video = re.search(r'<video class="vf-player-video" ([^>]*)>', page)
    assert root, page
    assert video, page
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', root.group(1) + " " + video.group(1)))
    return {
        **{name: html.unescape(value) for name, value in attributes.items()},
        "rungs": re.findall(r'<option value="([^"]+)"', page.split("vf-player-rung", 1)[1]),
        "scripts": re.findall(r'<script src="([^"]+)"', page),
    }


def test_a_ready_unpublished_film_gets_a_player_of_its_live_ladder(
    admin_client, upload, clip_480p, player_installed
):
    video = upload(clip_480p, title="Not yet out", publish=False)
    video.refresh_from_db()
    assert video.renditions == ["240p", "360p", "480p"]

    page = admin_client.get(f"{CHANGELIST}{video.pk}/change/").content.decode()

    shown = player(page)
    assert shown["data-master-url"] == f"/api/video/{video.pk}/master.m3u8"
    assert shown["poster"] == f"/api/video/{video.pk}/thumbnail.jpg"
    assert shown["data-storyboard-url"] == f"/api/video/{video.pk}/storyboard.vtt"
    assert shown["rungs"] == ["auto", "240p", "360p", "480p"]
    assert "/static/vendor/hls.js/hls.min.js" in shown["scripts"]
    assert "/static/catalog/admin/preview_player.js" in shown["scripts"]
    assert UNAVAILABLE not in page


def test_everything_the_player_fetches_opens_with_the_admin_session(
    admin_client, upload, clip_small, player_installed
):
    """The page's URLs answer the admin's own session, and nobody else."""
    video = upload(clip_small, publish=False)
    shown = player(admin_client.get(f"{CHANGELIST}{video.pk}/change/").content.decode())
    urls = [shown["data-master-url"], shown["poster"], shown["data-storyboard-url"]]

    answers = [admin_client.get(url) for url in urls]
    anonymous = [Client().get(url).status_code for url in urls]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer["Content-Type"] for answer in answers] == [
        "application/vnd.apple.mpegurl",
        "image/jpeg",
        "text/vtt",
    ]
    assert anonymous == [401, 401, 401]


def test_collectstatic_ships_hls_js_and_whitenoise_serves_it(settings, tmp_path, player_installed):
    """Served like the admin's own scripts, from this server: never from a CDN."""
    settings.STATIC_ROOT = tmp_path / "collected"
    call_command("collectstatic", "--noinput", verbosity=0)

    response = Client().get(hls_js_url())  # WhiteNoise reads STATIC_ROOT when it starts

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"".join(response.streaming_content) == (player_installed / HLS_JS).read_bytes()


def test_a_film_without_storyboard_gets_the_player_without_previews(
    admin_client, upload, clip_small, player_installed
):
    video = upload(clip_small)
    video.output_features = {**video.output_features, "storyboard": False}
    video.save(update_fields=["output_features"])

    shown = player(admin_client.get(f"{CHANGELIST}{video.pk}/change/").content.decode())

    assert shown["data-storyboard-url"] == ""


def test_a_film_without_output_gets_no_player(admin_client, upload, not_a_video, player_installed):
    failed = upload(not_a_video)

    page = admin_client.get(f"{CHANGELIST}{failed.pk}/change/").content.decode()

    assert "vf-player" not in page
    assert "hls.min.js" not in page
    assert '<div class="readonly">- (no output yet)</div>' in page


def test_without_hls_js_the_page_says_the_player_is_unavailable(
    admin_client, upload, clip_small, player_missing
):
    video = upload(clip_small)

    response = admin_client.get(f"{CHANGELIST}{video.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert UNAVAILABLE in page
    assert "make setup" in page
    assert "<video" not in page
    assert "hls.min.js" not in page


def test_installed_after_the_last_collectstatic_counts_as_unavailable(
    settings, tmp_path, player_installed
):
    """Production serves what collectstatic recorded: a script missing from its manifest is
    reported as unavailable instead of breaking the page."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATICFILES_DIRS = []
    call_command("collectstatic", "--noinput", verbosity=0)
    settings.STATICFILES_DIRS = [player_installed]

    assert hls_js_url() is None

    call_command("collectstatic", "--noinput", verbosity=0)
    assert re.fullmatch(r"/static/vendor/hls\.js/hls\.min\.[0-9a-f]{12}\.js", hls_js_url())


def test_the_list_keeps_its_live_status_and_loads_no_player(
    admin_client, upload, clip_small, player_installed
):
    video = upload(clip_small)

    page = admin_client.get(CHANGELIST).content.decode()

    assert f'data-video-id="{video.pk}" data-video-status="ready"' in page
    assert "catalog/admin/live_status.js" in page
    assert "hls.min.js" not in page
    assert "vf-player" not in page
