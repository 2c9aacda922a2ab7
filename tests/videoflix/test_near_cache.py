"""`videoflix.cache.NearCache`: a per-process copy in front of the shared cache.

The shared cache is the suite's real default cache: process memory on the embedded
run, Redis on the PostgreSQL + Redis run. "Another process" is played by writing to the
shared cache directly, which is all another process could do.
"""

import uuid

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import base, locmem

from videoflix.cache import NearCache

NEAR_SECONDS = 0.3


@pytest.fixture
def near():
    cache = NearCache(
        f"near-{uuid.uuid4()}", {"OPTIONS": {"SHARED": "default", "NEAR_SECONDS": NEAR_SECONDS}}
    )
    yield cache
    cache.clear()


@pytest.fixture
def clock(freeze_time):
    """Expiry as the process-memory caches (the near copies, the embedded shared cache) see it."""
    return freeze_time(base, locmem)


@pytest.fixture
def shared():
    return caches["default"]


def test_a_write_reaches_the_shared_cache(near, shared):
    near.set("answer", {"ready": True}, 60)

    assert shared.get("answer") == {"ready": True}
    assert near.get("answer") == {"ready": True}


def test_a_read_falls_back_to_the_shared_cache(near, shared):
    shared.set("answer", 42, 60)

    assert near.get("answer") == 42
    assert near.get("missing", "default") == "default"


def test_another_process_change_shows_within_near_seconds(near, shared, clock):
    near.set("answer", "old", 60)
    shared.set("answer", "new", 60)  # another process

    clock.advance(NEAR_SECONDS - 0.01)
    assert near.get("answer") == "old"  # this process's copy, still fresh
    clock.advance(0.01)
    assert near.get("answer") == "new"


def test_a_delete_here_is_seen_here_at_once_and_by_the_shared_cache(near, shared):
    near.set("answer", 42, 60)

    near.delete("answer")

    assert near.get("answer") is None
    assert shared.get("answer") is None


def test_a_short_timeout_bounds_the_near_copy_too(near, shared, clock):
    near.set("answer", 42, 0.2)
    clock.advance(0.2)

    assert near.get("answer") is None


def test_add_does_not_overwrite_what_another_process_wrote(near, shared):
    shared.set("answer", "theirs", 60)

    assert near.add("answer", "ours", 60) is False
    assert near.get("answer") == "theirs"
    assert near.add("fresh", "ours", 60) is True
    assert shared.get("fresh") == "ours"


def test_the_hot_alias_shares_its_store_with_the_default_cache():
    caches["hot"].set("answer", 42, 60)

    assert caches["default"].get("answer") == 42
    caches["default"].delete("answer")
    if settings.CACHES["hot"]["BACKEND"] == "videoflix.cache.NearCache":
        assert caches["hot"].near_seconds == settings.CACHES["hot"]["OPTIONS"]["NEAR_SECONDS"]
    else:  # one process-local store: a delete through either name is seen at once
        assert caches["hot"].get("answer") is None


def test_clearing_empties_this_process_only_never_the_shared_cache(near, shared):
    near.set("answer", {"ready": True}, 60)
    shared.set("throttle:login_ip:127.0.0.1", 3, 60)  # not "hot", but in the same store

    near.clear()
    shared.set("answer", {"ready": False}, 60)  # another process's later write

    assert shared.get("throttle:login_ip:127.0.0.1") == 3
    assert near.get("answer") == {"ready": False}  # read through, no stale near copy
