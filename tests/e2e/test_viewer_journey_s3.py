"""The viewer's journey with MEDIA_STORAGE=s3 (issue 13): the film transcoded by the worker into a
bucket of the real S3 server, the API and the bucket behind nginx's s3 site, the front end on its
own origin. hls.js (cookies sent with `withCredentials`) plays every rung from signed URLs that
lead to nginx's bucket proxy, which answers with credentialed CORS for the front end; no segment
comes from Django or straight from the store, which cannot answer a credentialed player."""

from urllib.parse import urljoin, urlsplit

import pytest

from streaming.delivery import SEGMENTS_IN_THE_BUCKET
from tests.e2e.test_viewer_journey import (
    PASSWORD,
    browse_to,
    calls_api,
    publish_film,
    register_activate_log_in,
)

pytestmark = pytest.mark.slow

# What hls.js does with `xhrSetup: xhr => { xhr.withCredentials = true }`, or without it.
XHR = """([url, withCredentials]) => new Promise((resolve) => {
  const xhr = new XMLHttpRequest();
  xhr.open("GET", url);
  xhr.withCredentials = withCredentials;
  xhr.responseType = "arraybuffer";
  xhr.onload = () => resolve({ status: xhr.status, bytes: xhr.response.byteLength });
  xhr.onerror = () => resolve({ status: xhr.status, error: true });
  xhr.send();
})"""
PLAYING_ONLY = """([level, height]) => {
  const state = videoflix.state();
  return state.time > 2 && state.height === height && state.fragments.length > 0
    && state.fragments.every((fragment) => fragment.level === level);
}"""


@pytest.fixture(scope="session")
def s3_film(s3_site, tmp_path_factory) -> dict:
    return publish_film(s3_site.stack, tmp_path_factory.mktemp("s3-film"))


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def segment_urls(api, master_url: str) -> list[str]:
    """Every segment URI of every rung, as the page gets the playlists (with its cookies)."""
    found = []
    for rung in lines(api("GET", master_url)["body"]):
        rung_url = urljoin(master_url, rung)
        found += [urljoin(rung_url, uri) for uri in lines(api("GET", rung_url)["body"])]
    return found


def lines(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def test_every_rung_plays_from_the_bucket_through_the_proxy(s3_page, s3_site, s3_film):
    page, bucket = s3_page, s3_site.stack.env["S3_BUCKET"]
    responses = []
    page.on("response", lambda response: responses.append(response))
    api = register_activate_log_in(page, s3_site, "newcomer@example.com")
    master_url = browse_to(page, api, s3_film)
    assert master_url.startswith(s3_site.api)

    heights = []
    for level in (0, 1):
        ladder = page.evaluate("([url, level]) => videoflix.play(url, level)", [master_url, level])
        assert "error" not in ladder, ladder
        height = ladder["levels"][level]["height"]
        page.wait_for_function(PLAYING_ONLY, arg=[level, height], timeout=60_000)
        played = page.evaluate("videoflix.state()")
        assert [error for error in played["errors"] if error["fatal"]] == []
        for fragment in played["fragments"]:
            assert f"/{bucket}/hls/{s3_film['id']}/" in fragment["url"]
            assert f"/{height}p/" in fragment["url"]
        heights.append(height)
    assert sorted(heights) == [480, 720]

    # Everything the page fetched over the network came from its own origin or nginx's: nothing
    # from the web process's port, nothing straight from the store (blob: is the video's source).
    fetched = {origin(response.url) for response in responses if response.url.startswith("http")}
    assert fetched == {s3_site.frontend, s3_site.origin}
    segments = [response for response in responses if urlsplit(response.url).path.endswith(".ts")]
    rungs = {f"/{height}p/" for height in heights}
    assert {rung for response in segments for rung in rungs if rung in response.url} == rungs
    for response in segments:
        # The bucket's location of nginx (the only one that reports its cache), with the signed
        # query the store checked.
        assert response.url.startswith(f"{s3_site.origin}/media-bucket/{bucket}/hls/")
        assert "X-Amz-Signature=" in response.url
        headers = response.all_headers()
        assert response.status == 200, response.url
        assert headers["content-type"] == "video/MP2T"
        assert headers["access-control-allow-origin"] == s3_site.frontend
        assert headers["access-control-allow-credentials"] == "true"
        assert headers["x-cache-status"] in ("MISS", "HIT")

    # Django's own segment route sends no bytes in s3 mode: no playlist leads there.
    first = urlsplit(segments[0].url).path.rsplit("/", 1)[1]
    through_django = api("GET", f"/video/{s3_film['id']}/480p/{first}/")
    assert (through_django["status"], through_django["body"]) == (
        404,
        {"detail": SEGMENTS_IN_THE_BUCKET},
    )


def test_straight_from_the_store_a_credentialed_player_gets_no_segment(
    s3_page, s3_site, s3_film, s3_server
):
    """Why the proxy: SeaweedFS answers CORS with the exact origin but never with
    Access-Control-Allow-Credentials, so the browser withholds what it sent to a player whose
    requests carry credentials; the same signed URL through the proxy is handed over."""
    page = s3_page
    api = calls_api(page)
    s3_site.stack.create_user("direct@example.com", password=PASSWORD)
    logged_in = api("POST", "/login/", {"email": "direct@example.com", "password": PASSWORD})
    assert logged_in["status"] == 200, logged_in
    master_url = api("GET", f"/video/{s3_film['id']}/")["body"]["master_url"]
    proxied = segment_urls(api, master_url)[0]
    # S3_MEDIA_BASE_URL's rule backwards: the URL as signed, on the store's own endpoint.
    direct = proxied.replace(f"{s3_site.origin}/media-bucket", s3_server.endpoint_url, 1)
    assert direct.startswith(f"{s3_server.endpoint_url}/")

    through_proxy = page.evaluate(XHR, [proxied, True])
    assert through_proxy["status"] == 200, through_proxy
    assert through_proxy["bytes"] > 0
    # Without credentials the store's CORS answer suffices: its signature check passed.
    assert page.evaluate(XHR, [direct, False]) == through_proxy
    assert page.evaluate(XHR, [direct, True]) == {"status": 0, "error": True}
