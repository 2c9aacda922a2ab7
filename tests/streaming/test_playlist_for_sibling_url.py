"""`playlist_for_sibling_url`: relative URIs reach back into the rung's own folder."""

from streaming.playlists import playlist_for_sibling_url

PLAYLIST = (
    b"#EXTM3U\n"
    b"#EXT-X-VERSION:3\n"
    b"#EXT-X-TARGETDURATION:6\n"
    b"#EXTINF:6.000000,\n"
    b"segment000.ts\n"
    b"\n"
    b"#EXTINF:2.500000,\r\n"
    b"segment001.ts\r\n"
    b"#EXTINF:1.0,\n"
    b"https://cdn.example/segment002.ts\n"
    b"#EXTINF:1.0,\n"
    b"/api/video/1/720p/segment003.ts\n"
    b"#EXT-X-ENDLIST\n"
)


def test_relative_uris_are_prefixed_and_everything_else_is_kept():
    rewritten = playlist_for_sibling_url(PLAYLIST, "720p")
    assert rewritten == (
        b"#EXTM3U\n"
        b"#EXT-X-VERSION:3\n"
        b"#EXT-X-TARGETDURATION:6\n"
        b"#EXTINF:6.000000,\n"
        b"../720p/segment000.ts\n"
        b"\n"
        b"#EXTINF:2.500000,\r\n"
        b"../720p/segment001.ts\r\n"
        b"#EXTINF:1.0,\n"
        b"https://cdn.example/segment002.ts\n"
        b"#EXTINF:1.0,\n"
        b"/api/video/1/720p/segment003.ts\n"
        b"#EXT-X-ENDLIST\n"
    )


def test_a_last_line_without_newline_is_rewritten_too():
    assert playlist_for_sibling_url(b"#EXTINF:1,\nsegment000.ts", "480p").endswith(
        b"\n../480p/segment000.ts"
    )
