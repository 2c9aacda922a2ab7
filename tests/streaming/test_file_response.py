"""`file_response` / `bytes_response` through the routes: validators, 304, ranges, HEAD."""

import os

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.utils.http import http_date

from catalog.outputs import ServableFile
from streaming.responses import BlockFileResponse, file_response
from tests.streaming.http import body


@pytest.fixture
def segment(video):
    path = video.hls_dir / "240p" / "segment000.ts"
    return {
        "url": f"/api/video/{video.pk}/240p/segment000.ts",
        "bytes": path.read_bytes(),
        "path": path,
    }


def test_a_segment_is_streamed_whole_with_its_headers(auth_client, segment):
    response = auth_client.get(segment["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "video/MP2T"
    assert response["Content-Length"] == str(len(segment["bytes"]))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"] == http_date(int(os.stat(segment["path"]).st_mtime))
    assert "X-Accel-Redirect" not in response
    assert body(response) == segment["bytes"]


def test_a_segment_goes_out_in_64_kb_blocks_never_read_whole(auth_client, segment):
    response = auth_client.get(segment["url"])
    assert isinstance(response, BlockFileResponse)
    chunks = list(response.streaming_content)
    assert len(segment["bytes"]) > 2 * 64 * 1024
    assert len(chunks) == -(-len(segment["bytes"]) // (64 * 1024))
    assert max(len(chunk) for chunk in chunks) == 64 * 1024
    assert b"".join(chunks) == segment["bytes"]


def test_if_none_match_with_the_current_etag_is_304(auth_client, segment):
    first = auth_client.get(segment["url"])
    response = auth_client.get(segment["url"], headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == first["ETag"]
    assert response["Cache-Control"] == first["Cache-Control"]
    assert response["Last-Modified"] == first["Last-Modified"]


def test_a_weak_or_listed_etag_also_matches(auth_client, segment):
    etag = auth_client.get(segment["url"])["ETag"]
    for header in (f"W/{etag}", f'"other", {etag}', "*"):
        response = auth_client.get(segment["url"], headers={"If-None-Match": header})
        assert response.status_code == 304, header


def test_a_stale_etag_gets_the_file(auth_client, segment):
    response = auth_client.get(segment["url"], headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert body(response) == segment["bytes"]


def test_if_modified_since_is_honoured(auth_client, segment):
    mtime = int(os.stat(segment["path"]).st_mtime)
    unchanged = auth_client.get(segment["url"], headers={"If-Modified-Since": http_date(mtime)})
    assert unchanged.status_code == 304
    older = auth_client.get(segment["url"], headers={"If-Modified-Since": http_date(mtime - 60)})
    assert older.status_code == 200


def test_a_rewritten_file_gets_a_new_etag(auth_client, segment):
    before = auth_client.get(segment["url"])["ETag"]
    segment["path"].write_bytes(b"re-encoded")
    os.utime(segment["path"], ns=(1, 1_700_000_000_123_456_789))
    response = auth_client.get(segment["url"], headers={"If-None-Match": before})
    assert response.status_code == 200
    assert response["ETag"] != before
    assert body(response) == b"re-encoded"


def test_if_match_with_a_stale_etag_is_412_with_a_detail(auth_client, segment):
    response = auth_client.get(segment["url"], headers={"If-Match": '"stale"'})
    assert response.status_code == 412
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("header", "first_and_last"),
    [
        ("bytes=0-99", lambda size: (0, 99)),
        ("bytes=100-", lambda size: (100, size - 1)),
        ("bytes=-100", lambda size: (size - 100, size - 1)),
        ("bytes=10-10", lambda size: (10, 10)),
        ("BYTES=5-9", lambda size: (5, 9)),
        ("bytes=1000-999999999", lambda size: (1000, size - 1)),  # the end is clamped
        ("bytes=-999999999", lambda size: (0, size - 1)),  # a longer suffix is the whole file
    ],
)
def test_a_single_range_is_206_with_exactly_those_bytes(
    auth_client, segment, header, first_and_last
):
    size = len(segment["bytes"])
    first, last = first_and_last(size)
    response = auth_client.get(segment["url"], headers={"Range": header})
    assert response.status_code == 206
    assert body(response) == segment["bytes"][first : last + 1]
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response["Content-Type"] == "video/MP2T"
    assert response["ETag"]


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=-0"])
def test_an_unsatisfiable_range_is_416(auth_client, segment, header):
    response = auth_client.get(segment["url"], headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(segment['bytes'])}"
    assert response.json() == {"detail": "The requested range is not satisfiable."}


@pytest.mark.parametrize(
    "header",
    ["bytes=0-1,5-9", "items=0-9", "bytes=9-2", "bytes=-", "bytes=a-b", "bytes=1_0-20", "0-9"],
)
def test_ranges_we_may_ignore_get_the_whole_file(auth_client, segment, header):
    response = auth_client.get(segment["url"], headers={"Range": header})
    assert response.status_code == 200
    assert body(response) == segment["bytes"]


def test_if_range_with_the_current_etag_or_date_serves_the_range(auth_client, segment):
    first = auth_client.get(segment["url"])
    for validator in (first["ETag"], first["Last-Modified"]):
        response = auth_client.get(
            segment["url"], headers={"Range": "bytes=0-9", "If-Range": validator}
        )
        assert response.status_code == 206, validator
        assert body(response) == segment["bytes"][:10]


def test_if_range_with_a_stale_validator_serves_the_whole_file(auth_client, segment):
    first = auth_client.get(segment["url"])
    for validator in ('"stale"', f"W/{first['ETag']}", "Sat, 01 Jan 2000 00:00:00 GMT"):
        response = auth_client.get(
            segment["url"], headers={"Range": "bytes=0-9", "If-Range": validator}
        )
        assert response.status_code == 200, validator
        assert body(response) == segment["bytes"]


def test_head_has_the_headers_and_no_body(auth_client, segment):
    response = auth_client.head(segment["url"])
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(segment["bytes"]))
    assert response["Content-Type"] == "video/MP2T"
    assert response["ETag"]
    assert body(response) == b""
    ranged = auth_client.head(segment["url"], headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged["Content-Length"] == "10"


def test_a_file_removed_after_it_was_found_is_404(segment):
    found = ServableFile(path=segment["path"], media_name="hls/1/240p/segment000.ts")
    segment["path"].unlink()
    with pytest.raises(Http404):
        file_response(
            RequestFactory().get("/"), found, content_type="video/MP2T", cache_control="private"
        )


def test_the_file_is_closed_when_no_body_is_sent(auth_client, segment):
    etag = auth_client.get(segment["url"])["ETag"]
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        auth_client.get(segment["url"], headers={"If-None-Match": etag})
        auth_client.head(segment["url"])
        auth_client.get(segment["url"], headers={"Range": "bytes=999999999-"})
    assert len(os.listdir("/proc/self/fd")) <= before + 2
