"""Helpers for reading the routes' answers in tests."""

from django.http.response import HttpResponseBase


def body(response: HttpResponseBase) -> bytes:
    """The bytes a client receives, whether the response streams a file or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content
