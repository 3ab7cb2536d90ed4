"""A change log at volume for the benchmark (`generate_volume --audit-entries N`, the
``audit.verify`` measurement): account edits by the volume RMs over the last two years, with
their hash chain.

On PostgreSQL the entries are streamed with ``COPY ... FROM STDIN``; elsewhere (SQLite in
tests) they go through ``bulk_create``. Either way they are then linked by
``kam.audit_chain.chain_link_unlinked``: the chain is computed by the code that verifies it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import AccountStatus, Tier
from accounts.models import Account
from kam.audit_chain import chain_link_unlinked
from kam.models import User

_COLUMNS = (
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes_text",
    "changes",
    "actor_id",
    "actor_email",
    "cid",
    "remote_addr",
    "timestamp",
    "additional_data",
)
_NOTES = (
    "Met the CFO about the refinancing.",
    "Sponsor reorganised its project companies.",
    "New treasury contact for the hedging programme.",
    "Board approved the 2027 capex plan.",
)


@dataclass(slots=True)
class AuditVolumeResult:
    entries: int = 0
    linked: int = 0
    seconds: float = 0.0


def _rows(count: int, seed: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    content_type = ContentType.objects.get_for_model(Account).pk
    accounts = list(Account.objects.order_by("pk").values_list("pk", "legal_name_en")[:20000])
    actors = list(User.objects.filter(is_active=True).values_list("pk", "email")[:500])
    if not accounts or not actors:
        raise ValueError("Generate accounts first: the entries are edits of them.")
    statuses, tiers = list(AccountStatus.values), list(Tier.values)
    start = timezone.now() - dt.timedelta(days=730)
    step = dt.timedelta(days=730) / max(count, 1)
    for index in range(count):
        pk, name = accounts[rng.randrange(len(accounts))]
        actor, email = actors[rng.randrange(len(actors))]
        kind = rng.random()
        if kind < 0.5:
            old, new = rng.sample(_NOTES, 2)
            changes = {"notes": [old, new]}
        elif kind < 0.8:
            changes = {"status": rng.sample(statuses, 2)}
        else:
            changes = {"tier": rng.sample(tiers, 2), "credit_rating": ["BBB", "BBB+"]}
        yield (
            content_type,
            str(pk),
            pk,
            name,
            LogEntry.Action.UPDATE,
            "",
            changes,
            actor,
            email or None,
            str(uuid.UUID(int=rng.getrandbits(128))),
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            start + step * index,
            {"account_id": pk},
        )


def generate_audit_entries(
    *,
    count: int,
    seed: int = 0,
    batch_size: int = 50_000,
    progress: Callable[[str], Any] | None = None,
) -> AuditVolumeResult:
    """Add ``count`` change-log entries and link them into the chain."""
    result = AuditVolumeResult()
    started = time.perf_counter()
    rows = _rows(count, seed)
    while result.entries < count:
        size = min(batch_size, count - result.entries)
        batch = [next(rows) for _i in range(size)]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _copy(batch)
            else:
                LogEntry.objects.bulk_create(
                    [LogEntry(**dict(zip(_COLUMNS, row, strict=True))) for row in batch]
                )
        result.entries += size
        if progress is not None:
            progress(f"  {result.entries} change-log entries")
    result.linked = chain_link_unlinked(
        progress=(lambda n: progress(f"  {n} linked")) if progress is not None else None
    )
    result.seconds = time.perf_counter() - started
    return result


def _copy(batch: list[tuple[Any, ...]]) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        table = connection.ops.quote_name(LogEntry._meta.db_table)
        with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
