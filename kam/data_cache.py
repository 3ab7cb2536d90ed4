"""Computed page data kept between requests until what it was computed from is written.

The RM home gathers a dozen lists and counts from every app (accounts most at risk,
follow-ups, reviews, service requests, alerts, plan actions, notifications): too much to
compute live on every view. ``kept_data`` keeps such a computation in the shared cache
under *generations* that move whenever the portal writes to the database — any INSERT,
UPDATE or DELETE that goes through Django, from a form, a service, a queryset ``update``, a
bulk job or raw SQL on Django's connection (``watch_writes``, installed on every
connection) — so a page never shows what was true before a write it could see. Tables no
page data is computed from (sessions, login throttling, the audit trail that accompanies
every change anyway, heartbeats, the sensitive-read log) do not count, nor does a login's
time stamp.

The generations move when a transaction that wrote commits (a write outside a transaction
commits at once), and before a read of kept data on a connection that wrote since (a
request, a task or a test reading its own write before the commit). Entries expire after
``settings.DATA_CACHE_SECONDS``: the bound for a change made outside Django (``psql``) and
for what changes with the clock alone (an alert falling overdue). ``DATA_CACHE_SECONDS = 0``
computes on every view.

A write can say which account it is about (``writes_to_account``: a form posted to one of
the account's pages, an action on one of its requests or alerts), and then moves that
account's generation instead of everyone's:

- data kept for one account's pages (``kept_data(..., account=pk)``: the account page, its
  panels, the timeline) is kept until that account is written to;
- data kept for a user's book (``kept_data(..., book=ids)``: the RM home, the account list)
  until one of the accounts in it is written to, or a notification of theirs;
- everything else, and everything of those who read every account, until any write.

A write that names no account (a job, the admin, a page that is not one account's) moves
every generation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from .access_cache import (
    DATA_GENERATION_KEY,
    MISSING,
    UNSCOPED_GENERATION_KEY,
    bump,
    data_generation,
    generation,
    read_generations,
    shared_generation,
    shared_get,
    shared_set,
    unscoped_generation,
)
from .request_scope import forget, remember

T = TypeVar("T")

# The target table of a write statement, as Django and our raw SQL write them.
_WRITE = re.compile(
    r"^\s*(?:(?:INSERT|REPLACE)(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)"
    r'\s+"?([\w.]*)',
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


_account_written: ContextVar[int | None] = ContextVar("kam_account_written", default=None)


@contextmanager
def writes_to_account(account_pk: int) -> Iterator[None]:
    """The writes inside change account ``account_pk``'s data and no other account's: what
    is kept for other accounts' pages stays kept. Only for writes that cannot touch another
    account's rows (a change of access moves every generation anyway: kam.access_cache)."""
    token = _account_written.set(int(account_pk))
    try:
        yield
    finally:
        _account_written.reset(token)


# The routes of an account's own pages (accounts/<pk>/..., risk/accounts/<pk>/...): a form
# posted there writes that account's data (AccountWritesMiddleware).
_ACCOUNT_ROUTE = re.compile(r"^(?:risk/)?accounts/<int:pk>/")
_in_request: ContextVar[bool] = ContextVar("kam_account_writes_request", default=False)


def request_writes_to_account(account_pk: int) -> None:
    """For the rest of this web request, its writes are account ``account_pk``'s (a view
    acting on one of the account's requests or alerts). Nothing outside a request."""
    if _in_request.get():
        _account_written.set(int(account_pk))


class AccountWritesMiddleware:
    """A form posted to one of an account's pages writes that account's data alone
    (``writes_to_account`` for the rest of the request); other requests name no account."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        in_request = _in_request.set(True)
        written = _account_written.set(None)
        try:
            return self.get_response(request)
        finally:
            _account_written.reset(written)
            _in_request.reset(in_request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]
    ) -> None:
        match = request.resolver_match
        if request.method in ("GET", "HEAD", "OPTIONS") or match is None:
            return
        if _ACCOUNT_ROUTE.match(match.route) and "pk" in kwargs:
            _account_written.set(int(kwargs["pk"]))


def account_generation_key(account_pk: int) -> str:
    return f"kam:data:account:{account_pk}"


def user_generation_key(user_pk: int) -> str:
    """Moved by a write of the user's own data outside any account (a notification)."""
    return f"kam:data:user:{user_pk}"


class _Pending:
    """What a connection's open transaction wrote: which accounts, and whether anything
    no account was named for."""

    __slots__ = ("accounts", "unscoped", "users")

    def __init__(self) -> None:
        self.accounts: set[int] = set()
        self.users: set[int] = set()
        self.unscoped = False

    def note(self, account_pk: int | None) -> None:
        if account_pk is None:
            self.unscoped = True
        else:
            self.accounts.add(account_pk)

    def bump(self) -> None:
        bump(DATA_GENERATION_KEY)  # what spans accounts: every write moves it
        if self.unscoped:
            bump(UNSCOPED_GENERATION_KEY)
        for account_pk in self.accounts:
            bump(account_generation_key(account_pk))
        for user_pk in self.users:
            bump(user_generation_key(user_pk))


def _pending(connection: BaseDatabaseWrapper, name: str) -> _Pending:
    """The connection's record ``name``: ``kam_pending_writes`` until the commit,
    ``kam_unseen_writes`` until the connection's next read of kept data."""
    pending = getattr(connection, name, None)
    if pending is None:
        pending = _Pending()
        setattr(connection, name, pending)
    return pending


def _commit_bumps(connection: BaseDatabaseWrapper) -> Callable[[], None]:
    def on_commit() -> None:
        pending = getattr(connection, "kam_pending_writes", None) or _Pending()
        connection.kam_pending_writes = None  # type: ignore[attr-defined]
        connection.kam_unseen_writes = None  # type: ignore[attr-defined]  # bumped now
        if not pending.accounts and not pending.users:
            pending.unscoped = True  # nothing recorded (a rolled back savepoint): all
        pending.bump()

    on_commit.kam_data_bump = True  # type: ignore[attr-defined]
    return on_commit


def data_changed(using: str | None = None) -> None:
    """Record a write on the ``using`` connection: what was kept is dropped for every
    process when the transaction commits (once per transaction, however many rows it
    writes), and for this connection's own next read of kept data, which sees the write
    before the commit. Within ``writes_to_account`` only that account's pages and what
    spans accounts; otherwise everything."""
    forget()
    account_pk = _account_written.get()
    _record(using, lambda pending: pending.note(account_pk))


def user_data_changed(user_pk: int, using: str | None = None) -> None:
    """A write of ``user_pk``'s own data that their home shows (a notification): their book's
    kept data is dropped with the write's (``post_save`` and ``post_delete`` receiver)."""
    _record(using, lambda pending: pending.users.add(user_pk))


def _record(using: str | None, note: Callable[[_Pending], None]) -> None:
    """``note`` a write on the ``using`` connection: bumped at once outside a transaction
    (committed already), else at the commit and before the connection's next kept read."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        pending = _Pending()
        note(pending)
        pending.bump()
        return
    note(_pending(connection, "kam_pending_writes"))
    note(_pending(connection, "kam_unseen_writes"))
    callbacks = connection.run_on_commit
    if not any(getattr(callback, "kam_data_bump", False) for _s, callback, _r in callbacks):
        transaction.on_commit(_commit_bumps(connection), using=using)


def notification_written(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    user_data_changed(instance.user_id, using)


def _see_own_writes() -> None:
    """Before reading kept data: if this connection wrote since, move the generations its
    writes will move on commit (a bulk job that never reads kept data never pays for it)."""
    connection = transaction.get_connection()
    unseen = getattr(connection, "kam_unseen_writes", None)
    if unseen is not None:
        connection.kam_unseen_writes = None  # type: ignore[attr-defined]
        forget()
        unseen.bump()


_WRITE_IN_CTE = re.compile(r"^\s*WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)


# A login records its time on the user (django.contrib.auth's update_last_login), which no
# kept page shows: every login would otherwise drop everything kept.
_LAST_LOGIN_ONLY = re.compile(r'^\s*UPDATE\s+"kam_user"\s+SET\s+"last_login"\s*=\s*%s\s+WHERE\b')


def is_data_write(sql: str) -> bool:
    match = _WRITE.match(sql)
    if match is not None:
        if _LAST_LOGIN_ONLY.match(sql):
            return False
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


def _book_generation(user_pk: int, book: Collection[int]) -> str:
    """The generations of every account in ``book`` and of the user's own data, as one
    digest (one round trip)."""
    keys = (*(account_generation_key(pk) for pk in sorted(book)), user_generation_key(user_pk))
    values = read_generations(keys)
    seen = ",".join(str(values[key]) for key in keys)
    return hashlib.blake2b(seen.encode(), digest_size=12).hexdigest()


def kept_data(
    user_pk: int,
    what: str,
    compute: Callable[[], T],
    *,
    account: int | None = None,
    book: Collection[int] | None = None,
) -> T:
    """``compute()`` for ``user_pk``, kept until what it was computed from is written or who
    may see what changes (the key holds the generations and the language, for labels
    translated in it), and for the rest of the request:

    - ``account``: one account's page data, computed from that account's rows alone, kept
      until that account is written to or a write names no account, for the day and at
      most ``ACCOUNT_DATA_CACHE_SECONDS`` (it holds nothing that changes with the minute);
    - ``book``: the ids of the accounts the user reaches (``visible_ids_in_hand``), for data
      computed from those accounts' rows and the user's own: kept until one of them is
      written to, a notification of the user's, or a write that names no account;
    - neither: kept until anything is written.

    The value must pickle — lists and dataclasses of rows, not querysets — and must hold no
    personal data in clear (masked values only) nor users' password hashes: it is stored in
    the shared cache."""
    seconds = settings.DATA_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    _see_own_writes()

    def read() -> T:
        language = get_language()
        if account is not None:
            account_generation = shared_generation(account_generation_key(account))
            # What an account's pages show changes with the date alone (a contact falling
            # due), never with the minute: kept for the day, ACCOUNT_DATA_CACHE_SECONDS long.
            day = timezone.localdate(timezone=timezone.get_default_timezone()).isoformat()
            data = f"a{unscoped_generation()}.{account_generation}.{day}"
        elif book is not None:
            data = f"b{unscoped_generation()}.{_book_generation(user_pk, book)}"
        else:
            data = f"g{data_generation()}"
        key = f"kam:data:{generation()}:{data}:{user_pk}:{language}:{what}"
        value: Any = shared_get(key)
        if value is MISSING:
            value = compute()
            kept_for = settings.ACCOUNT_DATA_CACHE_SECONDS if account is not None else seconds
            shared_set(key, value, kept_for)
        return value  # type: ignore[no-any-return]

    return remember(("kam-data", user_pk, what), read)
