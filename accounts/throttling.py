"""Fixed-window attempt (or failure) counters in the cache (Redis in production).

Rates live in settings.AUTH_THROTTLE_RATES as "<count>/<period>", the period being
`s`, `min`, `hour` or `day`, optionally with a multiplier ("10/15min"); an empty rate
switches the scope off.
"""

import hashlib
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

_PERIOD_SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    window_seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = _RATE.match(text.lower())
        if not match or match.group(3) not in _PERIOD_SECONDS:
            raise ImproperlyConfigured(
                f"Throttle rate {text!r} must look like '5/min', '10/15min' or '100/day'."
            )
        count, multiplier, period = match.groups()
        return cls(int(count), int(multiplier or 1) * _PERIOD_SECONDS[period])


def rate_for(scope: str) -> Rate | None:
    text = settings.AUTH_THROTTLE_RATES.get(scope, "")
    return Rate.parse(text) if text.strip() else None


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address the nearest trusted proxy saw when proxies are declared.

    Only the last TRUSTED_PROXY_COUNT entries of X-Forwarded-For were written by our own
    proxies; anything to their left is whatever the client chose to send.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies > 0 and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def clock() -> float:
    """Now, as a Unix time; tests replace it to stay inside one window."""
    return time.time()


def _window(scope: str, identity: str) -> tuple[Rate, str, float] | None:
    """The scope's rate, the cache key of the identity's current window, and the time."""
    rate = rate_for(scope)
    if rate is None:
        return None
    now = clock()
    window = int(now // rate.window_seconds)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return rate, f"throttle:{scope}:{digest}:{window}", now


def _seconds_left(rate: Rate, now: float) -> int:
    window_end = (int(now // rate.window_seconds) + 1) * rate.window_seconds
    return max(1, int(window_end - now + 0.999))


def hit(scope: str, identity: str) -> int | None:
    """Count one attempt; return the seconds to wait when it is over the limit, else None."""
    window = _window(scope, identity)
    if window is None:
        return None
    rate, key, now = window
    cache.add(key, 0, timeout=rate.window_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr: a fresh window
        cache.set(key, 1, timeout=rate.window_seconds + 1)
        count = 1
    return None if count <= rate.limit else _seconds_left(rate, now)


def first_refusal(*attempts: tuple[str, str]) -> int | None:
    """Count (scope, identity) attempts in order, stopping at the first one over its limit.

    Stopping early keeps a client that is throttled by IP from also using up the
    per-email budget of the account it is hammering.
    """
    for scope, identity in attempts:
        retry_after = hit(scope, identity)
        if retry_after is not None:
            return retry_after
    return None


def exhausted(*counters: tuple[str, str]) -> int | None:
    """Seconds to wait when a (scope, identity) counter has used up its limit; counts nothing."""
    for scope, identity in counters:
        window = _window(scope, identity)
        if window is not None and cache.get(window[1], 0) >= window[0].limit:
            return _seconds_left(window[0], window[2])
    return None


def count_failure(*counters: tuple[str, str]) -> None:
    """Count one failure (e.g. a wrong password) against each counter."""
    for scope, identity in counters:
        hit(scope, identity)
