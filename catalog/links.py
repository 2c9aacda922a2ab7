"""URLs of a video's streaming routes, which the streaming app defines by name."""

from django.http import HttpRequest
from django.urls import reverse


def stream_path(route_name: str, video_id: int) -> str:
    """e.g. stream_path("video_master", 7) -> "/api/video/7/master.m3u8"."""
    return reverse(f"api:{route_name}", args=[video_id])


def stream_url(request: HttpRequest, route_name: str, video_id: int) -> str:
    return request.build_absolute_uri(stream_path(route_name, video_id))
