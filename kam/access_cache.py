"""What a user may reach — their roles and the ids of their book — kept between requests.

Every page begins by asking which roles the user has and which accounts they reach: two
queries before the page's own, on every request of every user. The answers change only
when access changes, so they are kept in the shared cache (settings.CACHES: Redis, or
files under var/ in the embedded set-up) under a *generation* number. Any change to access
moves the generation on (``access_changed``, called by accounts.signals on a change of an
account's owner or team, an account-team membership, a team's lead, a group grant, a
user's groups, a group itself), which makes every kept answer unreachable at once, for
every process. The generation moves both at once (the writer's next read in the same
transaction is fresh) and again after the commit (a reader that read the old rows while
the writer's transaction was open cannot keep them under the new number). Entries also
expire after ``settings.ACCESS_CACHE_SECONDS``: a bound on a change made behind the
signals' back (raw SQL, a queryset ``update``).

Within one request the generation is read once (kam.request_scope); what is kept under it
is also held in the process's memory, so a request makes one round trip to the shared cache
for all its answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .request_scope import forget, remember

T = TypeVar("T")

GENERATION_KEY = "kam:access:generation"
MISSING = object()
logger = logging.getLogger(__name__)


def _fresh_generation() -> int:
    """A generation no entry can be kept under: the clock in nanoseconds (a lost or evicted
    generation key must not restart at a number earlier entries were written with)."""
    return time.time_ns()


# kam.data_cache: every write moves the first; writes that name no account the second.
DATA_GENERATION_KEY = "kam:data:generation"
UNSCOPED_GENERATION_KEY = "kam:data:unscoped"


def read_generations(keys: tuple[str, ...]) -> dict[str, int]:
    """The generations under ``keys`` in one round trip; a missing one (never moved, or lost
    by the cache) is started afresh, so it cannot lead back to entries kept before it moved.
    When the cache is down, fresh ones: nothing kept is reachable, all is computed."""
    try:
        values = cache.get_many(keys)
        for key in keys:
            if values.get(key) is None:
                cache.add(key, _fresh_generation(), timeout=None)
                values[key] = cache.get(key)
        return {key: int(values[key]) for key in keys}
    except Exception:  # the cache is down: nothing kept is reachable, all is computed
        logger.exception("The shared cache is unavailable; computing without it.")
        return {key: _fresh_generation() for key in keys}


def _generations() -> dict[str, int]:
    """The portal's generations, read in one round trip once per request."""
    keys = (GENERATION_KEY, DATA_GENERATION_KEY, UNSCOPED_GENERATION_KEY)
    return remember(("kam-generations",), lambda: read_generations(keys))


def shared_generation(key: str) -> int:
    """Another generation (one account's data: kam.data_cache), read once per request."""
    return remember(("kam-generation", key), lambda: read_generations((key,))[key])


def generation() -> int:
    return _generations()[GENERATION_KEY]


def data_generation() -> int:
    return _generations()[DATA_GENERATION_KEY]


def unscoped_generation() -> int:
    return _generations()[UNSCOPED_GENERATION_KEY]


def bump(key: str) -> None:
    try:
        try:
            cache.incr(key)
        except ValueError:  # no generation yet (or evicted): any new one differs
            cache.set(key, _fresh_generation(), timeout=None)
    except Exception:  # the cache is down: what it kept expires on its own
        logger.exception("The shared cache is unavailable; %s did not move.", key)


def _bump() -> None:
    bump(GENERATION_KEY)


def shared_get(key: str) -> Any:
    """The shared cache's value, or ``MISSING`` when it has none or is down (a page is then
    computed, not failed)."""
    try:
        return cache.get(key, MISSING)
    except Exception:
        logger.exception("The shared cache is unavailable; computing without it.")
        return MISSING


def shared_set(key: str, value: Any, seconds: int) -> None:
    try:
        cache.set(key, value, timeout=seconds)
    except Exception:
        logger.exception("The shared cache is unavailable; %s is not kept.", key)


def access_changed() -> None:
    """Drop every kept answer about access: now, and again once the transaction commits."""
    forget()
    _bump()
    transaction.on_commit(_bump)


# The same entries in this process's memory: with the generation read once per request
# from the shared cache, a request's other answers cost no round trip. Emptied whenever the
# generation moves; values are shared by the requests of the process, so read-only.
_LOCAL: dict[str, tuple[float, Any]] = {}
_LOCAL_MAX = 5000
_local_generation: list[int] = [0]


def _local_get(key: str, current: int) -> Any:
    if _local_generation[0] != current:
        _LOCAL.clear()
        _local_generation[0] = current
        return MISSING
    entry = _LOCAL.get(key)
    if entry is None or entry[0] < time.monotonic():
        return MISSING
    return entry[1]


def _local_set(key: str, value: Any) -> None:
    if len(_LOCAL) >= _LOCAL_MAX:
        _LOCAL.clear()
    _LOCAL[key] = (time.monotonic() + settings.ACCESS_CACHE_SECONDS, value)


def kept(user_pk: int, what: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``user_pk``, kept until access changes: for the rest of the
    request, in this process's memory and in the shared cache. Treat the value as read-only."""

    def read() -> T:
        current = generation()
        key = f"kam:access:{current}:{user_pk}:{what}"
        value: Any = _local_get(key, current)
        if value is MISSING:
            value = shared_get(key)
            if value is MISSING:
                value = compute()
                shared_set(key, value, settings.ACCESS_CACHE_SECONDS)
            _local_set(key, value)
        return value  # type: ignore[no-any-return]

    return remember(("kam-access", user_pk, what), read)


def kept_for_everyone(what: str, compute: Callable[[], T]) -> T:
    """Reference data that pages read on every view (the tier policies): kept like a
    user's access, and dropped by the same signal when it changes (accounts.signals)."""
    return kept(0, what, compute)  # no user has the primary key 0


def fragment_key(user_pk: int, *parts: str) -> str:
    """A cache key for markup drawn from what ``user_pk`` may reach (a filter sidebar whose
    options are the owners and teams of the user's book): it moves with the generation."""
    return ":".join((str(generation()), str(user_pk), *parts))
