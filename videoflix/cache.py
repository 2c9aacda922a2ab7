"""A per-process cache in front of the shared one, for reads made on every request.

Streaming asks two questions per request (who holds this token, may this video play);
with Redis as the shared cache each answer is a network round trip and a few hundred
microseconds of client CPU. `NearCache` keeps the answers in this process for a few
seconds as well, so most requests ask Redis nothing.

Configured in settings as the "hot" alias (OPTIONS: SHARED, the alias of the shared
cache; NEAR_SECONDS, how long this process keeps what it read). A delete reaches the
shared cache and this process at once; other processes keep their near copy until it
expires, so NEAR_SECONDS bounds how stale a read can be anywhere.
"""

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

_MISSING = object()


class NearCache(LocMemCache):
    def __init__(self, name, params):
        options = dict(params.get("OPTIONS") or {})
        self._shared_alias = options.pop("SHARED", "default")
        self.near_seconds = float(options.pop("NEAR_SECONDS", 5))
        super().__init__(name, {**params, "OPTIONS": options})

    @property
    def shared(self):
        return caches[self._shared_alias]

    def _near_timeout(self, timeout) -> float:
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.shared.default_timeout
        return self.near_seconds if timeout is None else min(timeout, self.near_seconds)

    def get(self, key, default=None, version=None):
        value = super().get(key, _MISSING, version)
        if value is _MISSING:
            value = self.shared.get(key, _MISSING, version)
            if value is _MISSING:
                return default
            super().set(key, value, self.near_seconds, version)
        return value

    def has_key(self, key, version=None):
        return self.get(key, _MISSING, version) is not _MISSING

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self.shared.set(key, value, timeout, version)
        super().set(key, value, self._near_timeout(timeout), version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not self.shared.add(key, value, timeout, version):
            return False
        super().set(key, value, self._near_timeout(timeout), version)
        return True

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        super().delete(key, version)
        return self.shared.touch(key, timeout, version)

    def incr(self, key, delta=1, version=None):
        super().delete(key, version)
        return self.shared.incr(key, delta, version)

    def delete(self, key, version=None):
        near = super().delete(key, version)
        return self.shared.delete(key, version) or near

    def clear(self):
        # Only this process's copies: the shared cache also holds what is not "hot" (login
        # throttle counters, for one), which emptying a near layer must not reset.
        super().clear()
