"""kam.redis_cache: Django's Redis cache with one client per connection pool."""

from __future__ import annotations

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.usefixtures("redis_cache")


def test_one_client_serves_every_call_and_the_values_round_trip() -> None:
    backend = cache._cache  # type: ignore[attr-defined]
    first = backend.get_client(write=True)
    cache.set("kam-test-key", {"rows": [1, 2, 3]}, 30)
    assert cache.get("kam-test-key") == {"rows": [1, 2, 3]}
    assert cache.get_many(["kam-test-key", "absent"]) == {"kam-test-key": {"rows": [1, 2, 3]}}
    assert backend.get_client(write=True) is first
    assert backend.get_client(write=True).connection_pool is first.connection_pool


def test_the_client_reaches_redis_through_its_pool() -> None:
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    assert client.ping() is True
    cache.delete("kam-test-key")
    assert cache.get("kam-test-key", "gone") == "gone"
