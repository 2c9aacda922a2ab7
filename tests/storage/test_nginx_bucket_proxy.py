"""The deployment's MEDIA_STORAGE=s3 nginx (deploy/nginx/s3/) in front of the real SeaweedFS:
the bucket under the API's origin for a store that cannot answer credentialed CORS itself.
Credentialed CORS for the front ends' exact origins only, the store still judges every
signature (cached objects included), ranges, the one bucket, read-only."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings

from benchmarks.nginx import nginx_available, running_nginx, s3_site
from tests.streaming.test_nginx_x_accel import fetch
from tests.support import free_port, prerequisite_missing, wait_for

pytestmark = pytest.mark.slow  # starts nginx

FRONT_END = "http://127.0.0.1:5500"
OTHER_FRONT_END = "http://localhost:5500"
SEGMENT = bytes(range(256)) * 64  # 16 KiB, every byte position distinguishable


@pytest.fixture
def bucket(s3_server):
    name = s3_server.fresh_bucket("vf-proxy")
    s3_server.client().put_object(
        Bucket=name, Key="hls/7/v1/720p/segment000.ts", Body=SEGMENT, ContentType="video/MP2T"
    )
    return name


@pytest.fixture
def proxy(s3_server, bucket, tmp_path):
    """nginx's s3 site; the API upstream is a port nobody listens on unless a test needs it."""
    if not nginx_available():
        prerequisite_missing("nginx is not installed (apt-get install nginx-light)")
    return start_proxy(s3_server, bucket, tmp_path, api=f"127.0.0.1:{free_port()}")


def start_proxy(s3_server, bucket, tmp_path, *, api):
    port = free_port()
    site = s3_site(
        upstream=api,
        port=port,
        endpoint_url=s3_server.endpoint_url,
        bucket=bucket,
        origins=[FRONT_END, OTHER_FRONT_END],
        cache=tmp_path / "nginx" / "bucket-cache",
    )
    return port, site


@pytest.fixture
def nginx(proxy, tmp_path):
    port, site = proxy
    with running_nginx(tmp_path / "nginx", site, ports=[port], workers=1):
        yield f"http://127.0.0.1:{port}"


def signed(s3_server, bucket, key, *, expires=600, method="get_object"):
    """The URL a playlist hands out: signed for the store's endpoint, path and query kept."""
    return s3_server.client().generate_presigned_url(
        method, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
    )


def through(nginx, url, s3_server):
    """S3_MEDIA_BASE_URL's rule: the base URL + /<bucket>/<key>?<the same query>."""
    return url.replace(s3_server.endpoint_url, f"{nginx}/media-bucket", 1)


def test_a_signed_segment_comes_with_credentialed_cors_for_a_front_end(nginx, s3_server, bucket):
    url = through(nginx, signed(s3_server, bucket, "hls/7/v1/720p/segment000.ts"), s3_server)
    for origin in (FRONT_END, OTHER_FRONT_END):
        status, headers, body = fetch(url, {"Origin": origin})
        assert (status, body) == (200, SEGMENT)
        assert headers["Content-Type"] == "video/MP2T"
        assert headers["Access-Control-Allow-Origin"] == origin
        assert headers["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in headers["Vary"]


@pytest.mark.parametrize("origin", [None, "http://evil.test", "http://127.0.0.1:5500.evil.test"])
def test_no_cors_answer_for_anybody_else(nginx, s3_server, bucket, origin):
    url = through(nginx, signed(s3_server, bucket, "hls/7/v1/720p/segment000.ts"), s3_server)
    status, headers, body = fetch(url, {"Origin": origin} if origin else {})
    assert (status, body) == (200, SEGMENT)  # the bytes, but a browser will not hand them over
    assert "Access-Control-Allow-Origin" not in headers
    assert "Access-Control-Allow-Credentials" not in headers


def test_the_store_still_judges_every_signature_even_for_cached_objects(nginx, s3_server, bucket):
    key = "hls/7/v1/720p/segment000.ts"
    good = through(nginx, signed(s3_server, bucket, key), s3_server)
    assert fetch(good)[1]["X-Cache-Status"] == "MISS"
    # One cached copy for every front end and signature.
    again = through(nginx, signed(s3_server, bucket, key, expires=900), s3_server)
    status, headers, body = fetch(again, {"Origin": FRONT_END})
    assert (status, body, headers["X-Cache-Status"]) == (200, SEGMENT, "HIT")

    unsigned = good.split("?", 1)[0]
    tampered = good.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    s3_server.client().put_object(Bucket=bucket, Key="hls/7/v1/720p/other.ts", Body=b"other")
    other_key = good.replace("segment000.ts", "other.ts")  # a signature for another object
    for url in (unsigned, tampered, other_key):
        for origin in ({}, {"Origin": FRONT_END}):
            status, _, body = fetch(url, origin)
            assert status == 403, url
            assert SEGMENT not in body


def test_an_expired_link_is_refused_though_the_object_is_cached(nginx, s3_server, bucket):
    key = "hls/7/v1/720p/segment000.ts"
    assert fetch(through(nginx, signed(s3_server, bucket, key), s3_server))[0] == 200
    short = through(nginx, signed(s3_server, bucket, key, expires=1), s3_server)
    # Valid for a second at most; from then on the store refuses it, cached object or not.
    wait_for(lambda: fetch(short)[0] == 403, timeout=30, what="the store to refuse it")
    assert fetch(short)[2] != SEGMENT


def test_range_requests_pass_fresh_and_cached(nginx, s3_server, bucket):
    url = through(nginx, signed(s3_server, bucket, "hls/7/v1/720p/segment000.ts"), s3_server)
    for _ in ("from the store", "from the cache"):
        status, headers, body = fetch(url, {"Origin": FRONT_END, "Range": "bytes=1000-1999"})
        assert status == 206
        assert body == SEGMENT[1000:2000]
        assert headers["Content-Range"] == f"bytes 1000-1999/{len(SEGMENT)}"
        assert headers["Access-Control-Allow-Origin"] == FRONT_END


def test_a_preflight_for_a_range_is_answered_for_front_ends_only(nginx, s3_server, bucket):
    url = through(nginx, signed(s3_server, bucket, "hls/7/v1/720p/segment000.ts"), s3_server)
    asks = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}
    status, headers, _ = fetch(url, {**asks, "Origin": FRONT_END}, method="OPTIONS")
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == FRONT_END
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "Range" in headers["Access-Control-Allow-Headers"]
    status, headers, _ = fetch(url, {**asks, "Origin": "http://evil.test"}, method="OPTIONS")
    assert "Access-Control-Allow-Origin" not in headers


class RecordingStore(BaseHTTPRequestHandler):
    """Stands where the store would, to show exactly what nginx forwards to it."""

    seen: list[tuple[str, str, dict[str, str]]] = []

    def do_GET(self):
        self.seen.append((self.command, self.path, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_what_reaches_the_store_is_the_signed_request_and_nothing_of_the_apis(tmp_path):
    """Same origin as the API: browsers send its cookies along; the store must get none of
    them, but path and query exactly as signed, and the Host they were signed for."""
    if not nginx_available():
        prerequisite_missing("nginx is not installed (apt-get install nginx-light)")
    store = ThreadingHTTPServer(("127.0.0.1", 0), RecordingStore)
    threading.Thread(target=store.serve_forever, daemon=True).start()
    store_host = f"127.0.0.1:{store.server_port}"
    port = free_port()
    site = s3_site(
        upstream=f"127.0.0.1:{free_port()}",
        port=port,
        endpoint_url=f"http://{store_host}",
        bucket="films",
        origins=[FRONT_END],
        cache=tmp_path / "nginx" / "bucket-cache",
    )
    signed_target = (
        "/films/hls/7/v1/720p/segment%20000.ts?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=key%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=ab12"
    )
    try:
        with running_nginx(tmp_path / "nginx", site, ports=[port], workers=1):
            status, _, body = fetch(
                f"http://127.0.0.1:{port}/media-bucket{signed_target}",
                {
                    "Cookie": f"{django_settings.AUTH_COOKIE_ACCESS}=header.payload.signature",
                    "Authorization": "Bearer header.payload.signature",
                    "Origin": FRONT_END,
                },
            )
    finally:
        store.shutdown()
        store.server_close()
    assert (status, body) == (200, b"ok")
    assert len(RecordingStore.seen) == 2  # the one-byte authorization, then the object
    for method, path, headers in RecordingStore.seen:
        assert (method, path) == ("GET", signed_target)
        assert headers["Host"] == store_host
        for private in ("Cookie", "Authorization", "Origin"):
            assert private not in headers
    assert RecordingStore.seen[0][2]["Range"] == "bytes=0-0"


def test_a_missing_object_is_the_stores_404_not_a_500(nginx, s3_server, bucket):
    url = through(nginx, signed(s3_server, bucket, "hls/7/v1/720p/segment999.ts"), s3_server)
    status, headers, _ = fetch(url, {"Origin": FRONT_END})
    assert status == 404
    assert headers["Access-Control-Allow-Origin"] == FRONT_END  # so the player can tell


def test_read_only_and_only_this_bucket(nginx, s3_server, bucket):
    client = s3_server.client()
    put = through(
        nginx, signed(s3_server, bucket, "hls/7/v1/720p/segment000.ts", method="put_object"),
        s3_server,
    )  # fmt: skip
    assert fetch(put, method="PUT")[0] == 403
    assert client.get_object(Bucket=bucket, Key="hls/7/v1/720p/segment000.ts")["Body"].read() == (
        SEGMENT
    )

    elsewhere = s3_server.fresh_bucket("vf-other")
    client.put_object(Bucket=elsewhere, Key="secret.ts", Body=b"not for viewers")
    url = through(nginx, signed(s3_server, elsewhere, "secret.ts"), s3_server)
    traversal = url.replace(
        f"/media-bucket/{elsewhere}/", f"/media-bucket/{bucket}/../{elsewhere}/"
    )
    for attempt in (url, traversal):
        status, _, body = fetch(attempt)
        # No bucket location matches: the API's location (here a dead upstream) gets it.
        assert status == 502, attempt
        assert b"not for viewers" not in body


@pytest.mark.django_db(transaction=True)
def test_the_api_is_served_beside_the_bucket(live_server, s3_server, bucket, tmp_path):
    if not nginx_available():
        prerequisite_missing("nginx is not installed (apt-get install nginx-light)")
    port, site = start_proxy(
        s3_server, bucket, tmp_path, api=live_server.url.removeprefix("http://")
    )
    with running_nginx(tmp_path / "nginx", site, ports=[port], workers=1):
        status, _, body = fetch(f"http://127.0.0.1:{port}/api/health/")
        assert status == 200, body
        status, _, _ = fetch(f"http://127.0.0.1:{port}/api/video/")
        assert status == 401  # Django's own answer, through the same origin
