"""Media playlists as served: under another rung's URL, and naming their output's version."""

from collections.abc import Callable


def rewrite_relative_uris(playlist: bytes, rewrite: Callable[[str], str]) -> bytes:
    """`playlist` with each relative URI line replaced by `rewrite(uri)`.

    Tags, blank lines and absolute URIs stay as they are; line endings are kept.
    """
    lines = playlist.splitlines(keepends=True)
    return b"".join(_rewritten(line, rewrite) if is_relative_uri(line) else line for line in lines)


def _rewritten(line: bytes, rewrite: Callable[[str], str]) -> bytes:
    ending = line[len(line.rstrip(b"\r\n")) :]
    return rewrite(line.strip().decode("ascii")).encode("ascii") + ending


def playlist_for_sibling_url(playlist: bytes, rung: str) -> bytes:
    """`rung`'s media playlist with its relative URIs reaching back into `rung`'s folder.

    A player that asked for /<id>/1080p/index.m3u8 resolves `segment000.ts` against
    /<id>/1080p/; the best rung's segments live in /<id>/<rung>/, so each relative URI
    line becomes `../<rung>/<uri>`.
    """
    return rewrite_relative_uris(playlist, lambda uri: f"../{rung}/{uri}")


def playlist_with_version(playlist: bytes, version: str) -> bytes:
    """`playlist` with `v=<version>` in the query of each relative URI.

    Segments are cached for a day under their URL, and a re-transcode writes the same
    names again: the version of the output in the URL keeps a browser from splicing
    the old output's cached segments into the new one's playlist. The routes ignore it.
    """
    return rewrite_relative_uris(
        playlist, lambda uri: f"{uri}{'&' if '?' in uri else '?'}v={version}"
    )


def is_relative_uri(line: bytes) -> bool:
    uri = line.strip()
    return bool(uri) and not uri.startswith((b"#", b"/")) and b"://" not in uri
