"""A viewer's whole journey in Chromium, from the front end's own origin (http://127.0.0.1:5500):
register, activate through the mailed link, log in, browse, play the adaptive stream with hls.js
(cookies sent with `withCredentials`) across two rungs, log out, and be refused the stream."""

import json
import re

import pytest

from tests.live_server import text_body
from tests.media import generate_video

pytestmark = pytest.mark.slow

PASSWORD = "a-long-and-unusual-passphrase-7"


def publish_film(stack, folder) -> dict:
    """A published 720p film, so its ladder has two rungs: uploaded, transcoded by the worker."""
    source = generate_video(folder / "film.mp4", seconds=8, width=1280, height=720)
    result = stack.manage(
        "upload_video", str(source), "--title", "Browser film", "--category", "animation",
        "--publish", "--wait", "--json", timeout=600,
    )  # fmt: skip
    return json.loads(result.stdout[result.stdout.index("{") :])


@pytest.fixture(scope="session")
def film(site, tmp_path_factory) -> dict:
    return publish_film(site.stack, tmp_path_factory.mktemp("film"))


def activation_link(mail, frontend: str) -> str:
    found = re.search(re.escape(frontend) + r"/\S+", text_body(mail))
    assert found, text_body(mail)
    return found.group(0)


def calls_api(page):
    """`api(method, path, body=None, **fetch_options)` run by the page's own script."""

    def api(method, path, body=None, **options):
        return page.evaluate(
            "([m, p, b, o]) => videoflix.api(m, p, b ?? undefined, o)",
            [method, path, body, options],
        )

    return api


def register_activate_log_in(page, site, email: str):
    """A newcomer registers, activates through the mailed link and logs in, all from the front
    end's page; returns the page's `api` for the calls that follow."""
    api = calls_api(page)
    form = {"email": email, "password": PASSWORD, "confirmed_password": PASSWORD}
    registered = api("POST", "/register/", {**form, "privacy_policy": "on"})
    assert registered["status"] == 201, registered
    assert registered["body"]["user"]["email"] == email

    page.goto(activation_link(site.stack.wait_for_mail(email), site.frontend))
    result = page.locator("#result[data-status]")
    result.wait_for()
    assert (result.get_attribute("data-status"), result.inner_text()) == (
        "200",
        "Account successfully activated.",
    )

    page.goto(f"{site.frontend}/index.html")
    logged_in = api("POST", "/login/", {"email": email, "password": PASSWORD})
    assert logged_in["status"] == 200, logged_in
    assert logged_in["body"]["detail"] == "Login successful"
    readable = page.evaluate("document.cookie")  # HttpOnly JWTs stay out of the page's reach
    assert "csrftoken=" in readable
    assert "access_token" not in readable
    assert "refresh_token" not in readable
    return api


def browse_to(page, api, film: dict) -> str:
    """The catalog lists the one film with a thumbnail that loads; its details name both rungs.
    Returns its master playlist's URL."""
    listing = api("GET", "/video/")
    assert listing["status"] == 200, listing
    assert [entry["id"] for entry in listing["body"]] == [film["id"]]
    thumbnail = page.evaluate(
        "url => videoflix.loadImage(url)", listing["body"][0]["thumbnail_url"]
    )
    assert thumbnail["loaded"]
    assert thumbnail["width"] > 0
    detail = api("GET", f"/video/{film['id']}/")
    assert detail["body"]["renditions"] == ["480p", "720p"]
    return detail["body"]["master_url"]


def test_register_activate_log_in_browse_play_two_rungs_then_log_out(page, site, film):
    api = register_activate_log_in(page, site, "newcomer@example.com")
    master_url = browse_to(page, api, film)

    ladder = page.evaluate("url => videoflix.play(url, 0)", master_url)
    assert "error" not in ladder, ladder
    heights = [level["height"] for level in ladder["levels"]]
    assert sorted(heights) == [480, 720]
    page.wait_for_function("videoflix.state().time > 2", timeout=30_000)
    before = page.evaluate("videoflix.state()")
    assert before["height"] == heights[0]

    page.evaluate("level => videoflix.switchLevel(level)", 1)
    page.wait_for_function(
        "([time, height]) => videoflix.state().time > time + 1"
        " && videoflix.state().height === height",
        arg=[before["time"], heights[1]],
        timeout=30_000,
    )
    after = page.evaluate("videoflix.state()")
    rung_names = [f"/{height}p/" for height in heights]
    assert {fragment["level"] for fragment in after["fragments"]} == {0, 1}
    for fragment in after["fragments"]:
        assert rung_names[fragment["level"]] in fragment["url"]
    assert [error for error in after["errors"] if error["fatal"]] == []

    logged_out = api("POST", "/logout/")
    assert logged_out["status"] == 200, logged_out
    # A request that reaches the server (the browser's cache is the next test's concern).
    refused = api("GET", master_url, cache="no-store")
    assert refused["status"] == 401, refused


def test_after_logout_the_player_cannot_load_the_stream_again(page, site, film):
    api = calls_api(page)
    site.stack.create_user("returning@example.com", password=PASSWORD)
    logged_in = api("POST", "/login/", {"email": "returning@example.com", "password": PASSWORD})
    assert logged_in["status"] == 200, logged_in
    master_url = api("GET", f"/video/{film['id']}/")["body"]["master_url"]
    assert "error" not in page.evaluate("url => videoflix.play(url, 0)", master_url)
    page.wait_for_function("videoflix.state().fragments.length > 0", timeout=30_000)

    assert api("POST", "/logout/")["status"] == 200
    replayed = page.evaluate("url => videoflix.play(url, 0)", master_url)

    assert replayed.get("error", {}).get("code") == 401, replayed
