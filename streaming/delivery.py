"""How a viewer gets a video file's bytes: the one module that knows, for both storage modes.

    local  Django reads playlists from MEDIA_ROOT and sends files itself, or lets nginx send
           them (X-Accel-Redirect, signed segment links: streaming.links); URIs stay relative.
    s3     Django reads playlists from the bucket (cached: a version's files never change)
           and turns each segment or sprite URI into a short-lived signed URL to the bucket,
           or to S3_MEDIA_BASE_URL, so those bytes never pass through Python and no media
           request is redirected (Apple's HLS authoring spec forbids it). Thumbnails and
           sprites, which are images, answer with a redirect to their signed URL.

The routes (streaming.api) check names and access first, then ask `viewer_delivery()`; the
answer is the route's whole response. Where the files live is catalog.storage's business.
"""

import hashlib
import mimetypes
import os
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja.errors import HttpError

from catalog.outputs import ServableFile, live_dir, servable_file
from catalog.presign import BucketUrls, grid_time
from catalog.storage import MediaStoreError, version_prefix, video_files
from catalog.streaminfo import StreamInfo
from catalog.subtitles import SubtitleTrack
from streaming.links import segment_links_for
from streaming.playlists import (
    playlist_for_sibling_url,
    playlist_with_version,
    rewrite_relative_uris,
)
from streaming.responses import bytes_response, file_response, file_version
from streaming.subtitles import master_with_subtitles

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/MP2T"
STORYBOARD_TYPE = "text/vtt"
THUMBNAIL_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})

# Browser caches only ("private": each answer depends on who asks). A segment's bytes
# change only when a re-transcode replaces the whole ladder, so a day is safe enough;
# playlists stay short so unpublishing and re-transcodes reach players quickly.
SEGMENT_CACHE = "private, max-age=86400"
# Revalidated on every load (cheap 304s) so a logged-out player cannot play on from its cache.
PLAYLIST_CACHE = "private, no-cache"
THUMBNAIL_CACHE = "private, max-age=3600"

SEGMENT_NOT_FOUND = "Video segment not found."
THUMBNAIL_NOT_FOUND = "Thumbnail not found."
STORYBOARD_NOT_FOUND = "Storyboard not found."
STORE_UNAVAILABLE = "The media store cannot be reached right now; try again shortly."
SEGMENTS_IN_THE_BUCKET = (
    "Video segment not found: this server keeps segments in object storage; "
    "the media playlist's URIs lead to them."
)
STORYBOARD_FOLDER = "storyboard"

# Signed URLs name a signing time on this grid: a playlist signed twice within one step is
# the same bytes and ETag (a 304 for the player). They open their object for
# S3_SIGNED_URL_SECONDS from that time, so for at least that minus one step.
SIGNING_STEP_SECONDS = 300
# Playlists of a version never change (a re-transcode writes a new version): keep them a while.
BUCKET_PLAYLIST_CACHE_SECONDS = 3600


class LocalDelivery:
    """Files under MEDIA_ROOT/hls/<id> (a symlink to the live version)."""

    def master(
        self, request: HttpRequest, info: StreamInfo, subtitles: Sequence[SubtitleTrack]
    ) -> HttpResponseBase:
        """The master playlist the transcode wrote, with the video's subtitle tracks added."""
        file = self._file(info.video_id, "master.m3u8", SEGMENT_NOT_FOUND)
        if not subtitles:
            return file_response(
                request, file, content_type=PLAYLIST_TYPE, cache_control=PLAYLIST_CACHE
            )
        master, stat = _read_playlist(file)
        return _master_response(request, master, file_version(stat), int(stat.st_mtime), subtitles)

    def rung_playlist(
        self, request: HttpRequest, info: StreamInfo, resolution: str, rung: str, name: str
    ) -> HttpResponseBase:
        """A media playlist of `rung` served for `resolution`, its segment URIs pointing at
        that rung, signed when links are on, and naming the output's version."""
        playlist, stat = _read_playlist(
            self._file(info.video_id, f"{rung}/{name}", SEGMENT_NOT_FOUND)
        )
        output_version = file_version(stat)
        etag = output_version
        if rung != resolution:
            playlist = playlist_for_sibling_url(playlist, rung)
            etag += f"-{rung}"
        links = segment_links_for(request)
        if links is not None:
            playlist = links.sign(playlist, request.path)
            etag += f"-{links.version}"
        playlist = playlist_with_version(playlist, output_version)
        return bytes_response(
            request,
            playlist,
            etag=f'"{etag}"',
            last_modified=int(stat.st_mtime),
            content_type=PLAYLIST_TYPE,
            cache_control=PLAYLIST_CACHE,
        )

    def storyboard(self, request: HttpRequest, info: StreamInfo, name: str) -> HttpResponseBase:
        return file_response(
            request,
            self._file(info.video_id, name, STORYBOARD_NOT_FOUND),
            content_type=STORYBOARD_TYPE,
            cache_control=PLAYLIST_CACHE,
        )

    def sprite(self, request: HttpRequest, info: StreamInfo, sprite: str) -> HttpResponseBase:
        # Revalidated like the index: a re-transcode writes new sprites under the same names.
        return file_response(
            request,
            self._file(info.video_id, f"{STORYBOARD_FOLDER}/{sprite}", STORYBOARD_NOT_FOUND),
            content_type="image/jpeg",
            cache_control=PLAYLIST_CACHE,
            offload=True,
        )

    def segment(
        self, request: HttpRequest, info: StreamInfo, resolution: str, segment: str
    ) -> HttpResponseBase:
        return file_response(
            request,
            self._file(info.video_id, f"{resolution}/{segment}", SEGMENT_NOT_FOUND),
            content_type=SEGMENT_TYPE,
            cache_control=SEGMENT_CACHE,
            offload=True,
        )

    def thumbnail(self, request: HttpRequest, info: StreamInfo) -> HttpResponseBase:
        media_root = Path(settings.MEDIA_ROOT)
        # An uploaded thumbnail wins over the one the transcode extracted.
        if info.thumbnail:
            file = servable_file(media_root, media_root, info.thumbnail)
        else:
            file = servable_file(media_root, live_dir(info.video_id), "thumbnail.jpg")
        content_type = file and mimetypes.guess_type(file.path.name)[0]
        if content_type not in THUMBNAIL_TYPES:
            raise HttpError(404, THUMBNAIL_NOT_FOUND)
        return file_response(
            request, file, content_type=content_type, cache_control=THUMBNAIL_CACHE, offload=True
        )

    @staticmethod
    def _file(video_id: int, name: str, not_found: str) -> ServableFile:
        file = servable_file(Path(settings.MEDIA_ROOT), live_dir(video_id), name)
        if file is None:
            raise HttpError(404, not_found)
        return file


class BucketDelivery:
    """Files under hls/<id>/<version>/ in the bucket: playlists through Django, bytes direct."""

    def master(
        self, request: HttpRequest, info: StreamInfo, subtitles: Sequence[SubtitleTrack]
    ) -> HttpResponseBase:
        if not subtitles:
            return self._playlist(request, info, "master.m3u8", PLAYLIST_TYPE, SEGMENT_NOT_FOUND)
        master = _bucket_file(info, "master.m3u8")
        if master is None:
            raise HttpError(404, SEGMENT_NOT_FOUND)
        version = info.output_version
        return _master_response(request, master, version, _version_time(version), subtitles)

    def rung_playlist(
        self, request: HttpRequest, info: StreamInfo, resolution: str, rung: str, name: str
    ) -> HttpResponseBase:
        """`rung`'s playlist with each segment URI a signed URL: absolute, so it serves for
        any `resolution` as it is."""
        urls = signed_urls()
        prefix = f"{version_prefix(info.video_id, info.output_version)}{rung}/"
        return self._playlist(
            request,
            info,
            f"{rung}/{name}",
            PLAYLIST_TYPE,
            SEGMENT_NOT_FOUND,
            rewrite=lambda text: rewrite_relative_uris(text, lambda uri: urls.url(prefix + uri)),
            variant=f"{rung}-{urls.signed_at}",
        )

    def storyboard(self, request: HttpRequest, info: StreamInfo, name: str) -> HttpResponseBase:
        """The WebVTT index with each sprite reference a signed URL (the `#xywh=` kept)."""
        urls = signed_urls()
        prefix = version_prefix(info.video_id, info.output_version)

        def sign_sprites(text: bytes) -> bytes:
            lines = text.splitlines(keepends=True)
            return b"".join(_signed_sprite(line, urls, prefix) for line in lines)

        return self._playlist(
            request,
            info,
            name,
            STORYBOARD_TYPE,
            STORYBOARD_NOT_FOUND,
            rewrite=sign_sprites,
            variant=str(urls.signed_at),
        )

    def sprite(self, request: HttpRequest, info: StreamInfo, sprite: str) -> HttpResponseBase:
        key = f"{version_prefix(info.video_id, info.output_version)}{STORYBOARD_FOLDER}/{sprite}"
        return _redirect(signed_urls().url(key), PLAYLIST_CACHE)

    def segment(
        self, request: HttpRequest, info: StreamInfo, resolution: str, segment: str
    ) -> HttpResponseBase:
        # No redirect (HLS media must not be redirected) and no bytes through Python.
        raise HttpError(404, SEGMENTS_IN_THE_BUCKET)

    def thumbnail(self, request: HttpRequest, info: StreamInfo) -> HttpResponseBase:
        if mimetypes.guess_type(info.thumbnail)[0] not in THUMBNAIL_TYPES:
            raise HttpError(404, THUMBNAIL_NOT_FOUND)
        # Kept in the browser no longer than the URL it leads to is sure to work.
        cache = f"private, max-age={SIGNING_STEP_SECONDS}"
        return _redirect(signed_urls().url(info.thumbnail), cache)

    def _playlist(self, request, info, name, content_type, not_found, rewrite=None, variant=""):
        text = _bucket_file(info, name)
        if text is None:
            raise HttpError(404, not_found)
        version = info.output_version
        return bytes_response(
            request,
            rewrite(text) if rewrite else text,
            etag=f'"{version}-{variant}"' if variant else f'"{version}"',
            last_modified=_version_time(version),
            content_type=content_type,
            cache_control=PLAYLIST_CACHE,
        )


def viewer_delivery() -> LocalDelivery | BucketDelivery:
    return BucketDelivery() if settings.MEDIA_STORAGE == "s3" else LocalDelivery()


def signed_urls(now: float | None = None) -> BucketUrls:
    """URLs signed now (on the grid) for the configured bucket, handed out under the base URL."""
    return BucketUrls(
        endpoint_url=settings.S3_ENDPOINT_URL or f"https://s3.{settings.S3_REGION}.amazonaws.com",
        bucket=settings.S3_BUCKET,
        region=settings.S3_REGION,
        access_key=settings.S3_ACCESS_KEY_ID,
        secret_key=settings.S3_SECRET_ACCESS_KEY,
        signed_at=grid_time(time.time() if now is None else now, SIGNING_STEP_SECONDS),
        expires=settings.S3_SIGNED_URL_SECONDS,
        base_url=settings.S3_MEDIA_BASE_URL,
        session_token=settings.S3_SESSION_TOKEN,
    )


def _bucket_file(info: StreamInfo, name: str) -> bytes | None:
    """A small file of the live version, from the cache or the bucket."""
    if not info.output_version:
        return None
    key = f"streaming:bucket:{info.video_id}:{info.output_version}:{name}"
    cached = caches["hot"].get(key)
    if cached is not None:
        return cached
    try:
        text = video_files().read(info.video_id, info.output_version, name)
    except MediaStoreError:
        raise HttpError(503, STORE_UNAVAILABLE) from None
    if text is not None:
        caches["hot"].set(key, text, BUCKET_PLAYLIST_CACHE_SECONDS)
    return text


def _read_playlist(file: ServableFile) -> tuple[bytes, os.stat_result]:
    """A playlist's bytes and the stat of the very file read: small by nature (a line or two
    per segment or rung), so it is rewritten in memory."""
    try:
        with open(file.path, "rb") as handle:
            return handle.read(), os.fstat(handle.fileno())
    except OSError:
        raise HttpError(404, SEGMENT_NOT_FOUND) from None


def _master_response(
    request: HttpRequest,
    master: bytes,
    output_version: str,
    modified: int,
    subtitles: Sequence[SubtitleTrack],
) -> HttpResponseBase:
    """The master with its subtitle tracks joined (streaming.subtitles), validated by both."""
    versions = "-".join(track.version for track in subtitles)
    etag = f"{output_version}-{hashlib.sha256(versions.encode()).hexdigest()[:12]}"
    return bytes_response(
        request,
        master_with_subtitles(master, subtitles),
        etag=f'"{etag}"',
        last_modified=max(modified, *(track.modified for track in subtitles)),
        content_type=PLAYLIST_TYPE,
        cache_control=PLAYLIST_CACHE,
    )


def _version_time(version: str) -> int:
    """When a bucket version was made (its name starts with the nanoseconds, in hex)."""
    return int(version[:16], 16) // 10**9


def _signed_sprite(line: bytes, urls: BucketUrls, prefix: str) -> bytes:
    if not line.startswith(f"{STORYBOARD_FOLDER}/".encode()):
        return line
    ending = line[len(line.rstrip(b"\r\n")) :]
    path, _, fragment = line.rstrip(b"\r\n").decode("ascii").partition("#")
    signed = urls.url(prefix + path) + (f"#{fragment}" if fragment else "")
    return signed.encode("ascii") + ending


def _redirect(url: str, cache_control: str) -> HttpResponse:
    response = HttpResponse(status=302)
    response["Location"] = url
    response["Cache-Control"] = cache_control
    return response
