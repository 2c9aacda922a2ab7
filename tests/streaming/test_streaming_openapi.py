"""The OpenAPI document describes the streaming routes honestly."""

import pytest


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json()


@pytest.fixture
def paths(document):
    return document["paths"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/video/{video_id}/master.m3u8", "application/vnd.apple.mpegurl"),
        ("/api/video/{video_id}/{resolution}/index.m3u8", "application/vnd.apple.mpegurl"),
        ("/api/video/{video_id}/{resolution}/{segment}/", "video/MP2T"),
        ("/api/video/{video_id}/thumbnail.jpg", "image/jpeg"),
        ("/api/video/{video_id}/subtitles/{lang}.vtt", "text/vtt"),
        ("/api/video/{video_id}/subtitles/{lang}.m3u8", "application/vnd.apple.mpegurl"),
    ],
)
def test_each_route_documents_its_answers(document, paths, path, content_type):
    operation = paths[path]["get"]
    responses = operation["responses"]
    assert set(responses) == {"200", "206", "304", "400", "401", "404", "412", "416"}
    assert content_type in responses["200"]["content"]
    assert content_type in responses["206"]["content"]
    error = responses["404"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert document["components"]["schemas"][error]["required"] == ["detail"]
    assert operation["security"]
    assert set(paths[path]) == {"get"}


def test_the_helper_routes_stay_out_of_the_document(paths):
    assert "/api/video/{video_id}/{resolution}/{segment}" not in paths
    assert not any("nested_path" in path or "{rest}" in path for path in paths)


def test_the_thumbnail_documents_every_image_type_it_may_send(paths):
    content = paths["/api/video/{video_id}/thumbnail.jpg"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"image/jpeg", "image/png", "image/webp"}
