"""Computed page data kept between requests until anything is written.

The RM home gathers a dozen lists and counts from every app (accounts most at risk,
follow-ups, reviews, service requests, alerts, plan actions, notifications): too much to
compute live on every view. ``kept_data`` keeps such a computation in the shared cache
under the *data generation*, which moves whenever the portal writes to the database — any
INSERT, UPDATE or DELETE that goes through Django, from a form, a service, a queryset
``update``, a bulk job or raw SQL on Django's connection (``watch_writes``, installed on
every connection) — so a page never shows what was true before a write it could see.
Tables no page data is computed from (sessions, login throttling, the audit trail that
accompanies every change anyway, heartbeats, the sensitive-read log) do not count.

The generation moves when a transaction that wrote commits (a write outside a transaction
commits at once), and before a read of kept data on a connection that wrote since (a
request, a task or a test reading its own write before the commit). Entries expire after ``settings.DATA_CACHE_SECONDS``: the bound for a
change made outside Django (``psql``) and for what changes with the clock alone (a
follow-up falling due at midnight). ``DATA_CACHE_SECONDS = 0`` computes on every view.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.translation import get_language

from .access_cache import (
    DATA_GENERATION_KEY,
    MISSING,
    bump,
    data_generation,
    generation,
    shared_get,
    shared_set,
)
from .request_scope import forget, remember

T = TypeVar("T")

# The target table of a write statement, as Django and our raw SQL write them.
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)\s+"?([\w.]*)',
    re.IGNORECASE,
)
IGNORED_TABLES = frozenset(
    {
        "django_session",
        "axes_accessattempt",
        "axes_accessfailurelog",
        "axes_accesslog",
        "auditlog_logentry",
        "kam_heartbeat",
        "kam_accesslog",
    }
)


def _bump_data() -> None:
    bump(DATA_GENERATION_KEY)


def data_changed(using: str | None = None) -> None:
    """Record a write on the ``using`` connection: what was kept is dropped for every
    process when the transaction commits (once per transaction, however many rows it
    writes), and for this connection's own next read of kept data, which sees the write
    before the commit."""
    forget()
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        _bump_data()  # committed already
        return
    connection.kam_unseen_writes = True  # type: ignore[attr-defined]
    if not any(callback is _bump_data for _sids, callback, _robust in connection.run_on_commit):
        transaction.on_commit(_bump_data, using=using)


def _see_own_writes() -> None:
    """Before reading kept data: if this connection wrote since, move the generation (a
    bulk job that never reads kept data never pays for it)."""
    connection = transaction.get_connection()
    if getattr(connection, "kam_unseen_writes", False):
        connection.kam_unseen_writes = False  # type: ignore[attr-defined]
        forget()
        _bump_data()


_WRITE_IN_CTE = re.compile(r"^\s*WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)


def is_data_write(sql: str) -> bool:
    match = _WRITE.match(sql)
    if match is not None:
        return match.group(1).lower() not in IGNORED_TABLES
    return _WRITE_IN_CTE.match(sql) is not None  # a write in a WITH query: whatever its table


def _watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    result = execute(sql, params, many, context)
    if is_data_write(sql):
        data_changed(context["connection"].alias)
    return result


def watch_writes(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: every write on the connection moves the generation."""
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def kept_data(user_pk: int, what: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``user_pk``, kept until anything is written or who may see what
    changes (the key holds both generations and the language, for labels translated in
    it), and for the rest of the request. The value must pickle — lists and dataclasses of
    rows, not querysets — and must hold no personal data in clear (masked values only) nor
    users' password hashes: it is stored in the shared cache."""
    seconds = settings.DATA_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    _see_own_writes()

    def read() -> T:
        language = get_language()
        key = f"kam:data:{generation()}:{data_generation()}:{user_pk}:{language}:{what}"
        value: Any = shared_get(key)
        if value is MISSING:
            value = compute()
            shared_set(key, value, seconds)
        return value  # type: ignore[no-any-return]

    return remember(("kam-data", user_pk, what), read)
