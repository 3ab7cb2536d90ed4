"""Django's Redis cache with one client per connection pool.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache call; redis-py
fills a table of some two hundred response callbacks in each one's constructor, which costs
a page that reads and writes a dozen keys (sessions, kam.access_cache, kam.data_cache)
about a millisecond here. A client over a pool is thread-safe and holds no connection of
its own, so one per pool serves every call, and the pool still reconnects after a fork.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
