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

Within one request the generation is read once (kam.request_scope).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .request_scope import forget, remember

T = TypeVar("T")

GENERATION_KEY = "kam:access:generation"
_MISSING = object()


def _fresh_generation() -> int:
    """A generation no entry can be kept under: the clock in nanoseconds (a lost or evicted
    generation key must not restart at a number earlier entries were written with)."""
    return time.time_ns()


def generation() -> int:
    def read() -> int:
        value = cache.get(GENERATION_KEY)
        if value is None:
            cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
            value = cache.get(GENERATION_KEY)
        return int(value)

    return remember(("kam-access-generation",), read)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet (or evicted): any new one differs
        cache.set(GENERATION_KEY, _fresh_generation(), timeout=None)


def access_changed() -> None:
    """Drop every kept answer about access: now, and again once the transaction commits."""
    forget()
    _bump()
    transaction.on_commit(_bump)


def kept(user_pk: int, what: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``user_pk``, kept in the shared cache until access changes, and for
    the rest of the request."""

    def read() -> T:
        key = f"kam:access:{generation()}:{user_pk}:{what}"
        value: Any = cache.get(key, _MISSING)
        if value is _MISSING:
            value = compute()
            cache.set(key, value, timeout=settings.ACCESS_CACHE_SECONDS)
        return value  # type: ignore[no-any-return]

    return remember(("kam-access", user_pk, what), read)


def fragment_key(user_pk: int, *parts: str) -> str:
    """A cache key for markup drawn from what ``user_pk`` may reach (a filter sidebar whose
    options are the owners and teams of the user's book): it moves with the generation."""
    return ":".join((str(generation()), str(user_pk), *parts))
