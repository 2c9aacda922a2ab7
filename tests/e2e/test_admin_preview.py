"""Staff's way in Chromium: log in to the admin, upload a generated film (unpublished), watch the
list's live status reach "ready" while the worker transcodes it, then preview it on its change
page: hls.js from the server's own static files, the admin session as the only credential, past
2 s of playback, both rungs, and a storyboard tile under the pointer."""

import re

import pytest

from catalog.preview import HLS_JS
from tests.media import generate_video
from tests.support import ROOT, prerequisite_missing

pytestmark = pytest.mark.slow

STAFF_EMAIL = "editor@example.com"
PASSWORD = "a-long-and-unusual-passphrase-8"
TITLE = "Preview before publishing"
# A transcode of a few seconds of 720p takes well under a minute; a loaded machine gets slack.
TRANSCODE_CEILING_MS = 300_000
PLAYBACK_CEILING_MS = 60_000


@pytest.fixture(scope="module")
def admin_player_installed():
    if not (ROOT / "player" / "static" / HLS_JS).exists():
        prerequisite_missing("hls.js is not in player/static: run `make setup` with npm access")


@pytest.fixture(scope="module")
def staff_account(site):
    site.stack.shell(
        "from accounts.models import User; "
        f"User.objects.create_superuser(email={STAFF_EMAIL!r}, password={PASSWORD!r})"
    )
    return STAFF_EMAIL


def test_staff_upload_watch_it_become_ready_and_preview_it_unpublished(
    page, site, tmp_path, admin_player_installed, staff_account
):
    # 720p: a ladder of two rungs (480p, 720p) to choose between.
    film = generate_video(tmp_path / "preview.mp4", seconds=6, width=1280, height=720)

    page.goto(site.stack.url("/admin/login/"))
    page.fill("#id_username", staff_account)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    cookies = {cookie["name"] for cookie in page.context.cookies()}
    assert "sessionid" in cookies
    assert "access_token" not in cookies  # the player gets no token: the session is enough

    page.goto(site.stack.url("/admin/catalog/video/add/"))
    page.fill("#id_title", TITLE)
    page.set_input_files("#id_original", str(film))
    assert not page.is_checked("#id_is_published")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/catalog/video/$"))

    link = page.locator("#result_list").get_by_role("link", name=TITLE)
    video_id = int(re.search(r"/video/(\d+)/change/", link.get_attribute("href")).group(1))
    badge = f'[data-video-id="{video_id}"][data-video-status]'
    assert page.get_attribute(badge, "data-video-status") in ("pending", "processing", "ready")
    # The list's own script polls the status and reloads the list once the job has ended.
    page.wait_for_selector(
        f'[data-video-id="{video_id}"][data-video-status="ready"]', timeout=TRANSCODE_CEILING_MS
    )
    assert site.stack.video(video_id)["is_published"] in (False, 0)

    page.locator("#result_list").get_by_role("link", name=TITLE).click()
    page.wait_for_selector(".vf-player")
    scripts = page.eval_on_selector_all("script[src]", "nodes => nodes.map(n => n.src)")
    hls_script = next(src for src in scripts if "/vendor/hls.js/hls.min" in src)
    assert hls_script.startswith(site.stack.url("/static/"))  # this server's, no CDN
    rungs = page.eval_on_selector_all(".vf-player-rung option", "nodes => nodes.map(n => n.value)")
    assert rungs == ["auto", "480p", "720p"]

    page.evaluate(
        """() => {
            const video = document.querySelector(".vf-player-video");
            video.muted = true;  // headless Chromium lets muted media play without a gesture
            video.play().catch((error) => { video.dataset.playError = String(error); });
        }"""
    )
    # Past 2 s, or a refusal the player shows (then the assertions below say which).
    page.wait_for_function(
        """() => {
            const video = document.querySelector(".vf-player-video");
            return video.currentTime > 2 || video.dataset.playError
                || !document.querySelector(".vf-player-error").hidden;
        }""",
        timeout=PLAYBACK_CEILING_MS,
    )
    assert page.get_attribute(".vf-player-video", "data-play-error") is None
    assert page.is_hidden(".vf-player-error"), page.inner_text(".vf-player-error")
    assert page.evaluate("document.querySelector('.vf-player-video').currentTime") > 2

    for name, height in (("720p", "720"), ("480p", "480")):
        page.select_option(".vf-player-rung", name)
        page.wait_for_function(
            "height => document.querySelector('.vf-player').dataset.playingHeight === height",
            arg=height,
            timeout=PLAYBACK_CEILING_MS,
        )

    # The storyboard: pointing at the scrub bar shows the tile of that time.
    page.wait_for_function(
        "Number(document.querySelector('.vf-player').dataset.storyboardCues) > 0",
        timeout=PLAYBACK_CEILING_MS,
    )
    scrubber = page.locator(".vf-player-scrubber")
    box = scrubber.bounding_box()
    scrubber.hover(position={"x": box["width"] * 0.1, "y": box["height"] / 2})
    tile = page.locator(".vf-player-tile")
    tile.wait_for(state="visible")
    sprite = tile.get_attribute("data-image")
    assert re.search(rf"/api/video/{video_id}/storyboard/sprite\d+\.jpg$", sprite)
    sprite_loaded = page.evaluate(
        """url => new Promise(resolve => {
            const image = new Image();
            image.onload = () => resolve(image.naturalWidth > 0);
            image.onerror = () => resolve(false);
            image.src = url;
        })""",
        sprite,
    )
    assert sprite_loaded

    # Without the admin session the same stream is refused.
    master = site.stack.url(f"/api/video/{video_id}/master.m3u8")
    fetch = "url => fetch(url, {cache: 'no-store'}).then(r => r.status)"
    assert page.evaluate(fetch, master) == 200
    page.context.clear_cookies()
    assert page.evaluate(fetch, master) == 401
