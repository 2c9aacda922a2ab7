"""Signed segment links: nginx checks them and sends the file without asking Django.

Behind the deployment's nginx (deploy/nginx) with STREAMING_SEGMENT_LINK_SECRET set on
both sides, each media playlist carries its segment URIs as `segment000.ts?e=<expiry>&s=<sig>`.
The signature is nginx's `secure_link_md5` over the expiry, the segment's path, and the
request's Origin, access cookie and Authorization header, with the secret: a link opens
that segment only to a client presenting the very token the playlist was served to,
only from an origin CORS allowed, never past that token's expiry and at most
STREAMING_SEGMENT_LINK_SECONDS (to two of them) after signing. A link that does
not check out (a refreshed token, a tampered or expired link) costs nothing but speed:
nginx then asks Django, as for an unsigned request.
"""

import base64
import hashlib
import time
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.http import HttpRequest

from accounts.auth import jwt_auth, verified_claims
from streaming.playlists import rewrite_relative_uris


@dataclass(frozen=True)
class SegmentLinks:
    expires: int
    origin: str
    cookie: str
    authorization: str
    secret: str

    def signature(self, path: str) -> str:
        """What nginx computes for `path` (its `$uri`) with the template's expression."""
        material = "|".join(
            (str(self.expires), path, self.origin, self.cookie, self.authorization, self.secret)
        )
        # MD5 because nginx's secure_link module knows no other; the secret ends the input.
        digest = hashlib.md5(material.encode(), usedforsecurity=False).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, playlist: bytes, playlist_path: str) -> bytes:
        """`playlist` (served at `playlist_path`) with a signed query on each relative URI."""
        return rewrite_relative_uris(
            playlist,
            lambda uri: f"{uri}?e={self.expires}&s={self.signature(urljoin(playlist_path, uri))}",
        )

    @property
    def version(self) -> str:
        """Tells playlists signed for different tokens or origins apart (for the ETag)."""
        return self.signature("")[:12]


def link_expiry(*, token_expires: float, now: float) -> int:
    """When links signed now stop opening segments: with the token, or sooner.

    nginx checks a link alone, so logout or a password change (which end the token at
    Django at once) reach a link only when it expires. Expiries fall on a grid of
    STREAMING_SEGMENT_LINK_SECONDS, so a playlist signed twice within one step is the
    same bytes (and ETag); a link lives one to two steps. An expired link costs only
    speed: nginx then asks Django, which knows about the revocation.
    """
    step = settings.STREAMING_SEGMENT_LINK_SECONDS
    return min(int(token_expires), (int(now) // step + 2) * step)


def segment_links_for(request: HttpRequest) -> SegmentLinks | None:
    """How to sign this authenticated request's segment links, or None to leave them plain.

    Plain when no secret is configured, or when the request comes from an origin CORS
    does not allow (nginx would vouch for whatever origin the link was signed for).
    """
    secret = settings.STREAMING_SEGMENT_LINK_SECRET
    origin = request.headers.get("Origin", "")
    if not secret or (origin and origin not in settings.CORS_ALLOWED_ORIGINS):
        return None
    claims = verified_claims(jwt_auth.raw_token(request) or "")
    if claims is None:
        return None
    return SegmentLinks(
        expires=link_expiry(token_expires=claims[1], now=time.time()),
        origin=origin,
        cookie=request.COOKIES.get(settings.AUTH_COOKIE_ACCESS, ""),
        authorization=request.headers.get("Authorization", ""),
        secret=secret,
    )
