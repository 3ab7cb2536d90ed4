"""Tamper evidence for the change log: a SHA-256 hash chain over django-auditlog's entries.

Each entry's link (``AuditChainLink``) holds SHA-256 over the previous link's hash and the
entry's content (every column of the entry, as the database renders it into one JSON array),
so altering an entry, deleting one or slipping one in breaks the chain from that entry on. The
links are written in the entry's own transaction while the chain's head row is locked, in id
order; ``chain_verify`` walks entries and links side by side in id order, in batches, and
reports the first break.

Writing and verifying read an entry through the same query (``entry_texts``) and hash it with
the same function (``link_hash``): what was hashed is what is checked. The database builds
each entry's text (PostgreSQL: ``json_build_array``, times in UTC to the microsecond; SQLite:
``json_array``), so that a million entries are read and hashed within a minute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import AUDIT_CHAIN_GENESIS, AuditChainHead, AuditChainLink, AuditVerification
from .queue import enqueue

# The columns of an entry that are hashed, in this order (the id first); JSON columns are
# embedded as JSON.
ENTRY_COLUMNS: tuple[str, ...] = (
    "id",
    "timestamp",
    "actor_id",
    "actor_email",
    "action",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "changes",
    "changes_text",
    "serialized_data",
    "additional_data",
    "cid",
    "remote_addr",
    "remote_port",
)
_JSON_COLUMNS = frozenset({"changes", "serialized_data", "additional_data"})
BATCH_SIZE = 10_000

logger = logging.getLogger(__name__)


def _content_sql() -> str:
    """The SQL expression of an entry's content: one JSON array of its columns."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        parts = []
        for column in ENTRY_COLUMNS:
            if column == "timestamp":
                parts.append(
                    "to_char(e.\"timestamp\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
                )
            elif column == "remote_addr":
                parts.append("host(e.remote_addr)")
            else:
                parts.append(f"e.{quote(column)}")
        return f"json_build_array({', '.join(parts)})::text"
    if connection.vendor == "sqlite":
        parts = [
            f"json(e.{quote(c)})" if c in _JSON_COLUMNS else f"e.{quote(c)}" for c in ENTRY_COLUMNS
        ]
        return f"json_array({', '.join(parts)})"
    raise NotImplementedError(
        f"The audit chain supports PostgreSQL and SQLite, not {connection.vendor}."
    )


def entry_texts(
    *,
    after: int = 0,
    upto: int | None = None,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
) -> list[tuple[int, str]]:
    """(id, content) of entries in id order: after ``after`` (and up to ``upto``), or these
    ``ids``; at most ``limit``."""
    table = connection.ops.quote_name(LogEntry._meta.db_table)
    where, params = ["e.id > %s"], [after]
    if upto is not None:
        where.append("e.id <= %s")
        params.append(upto)
    if ids is not None:
        where.append(f"e.id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    # Table and columns are quoted names of ours; every value is a parameter.
    sql = f"SELECT e.id, {_content_sql()} FROM {table} e WHERE {' AND '.join(where)} ORDER BY e.id"  # noqa: S608
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _links(*, after: int, upto: int | None, limit: int | None) -> list[tuple[int, str]]:
    table = connection.ops.quote_name(AuditChainLink._meta.db_table)
    sql, params = f"SELECT entry_id, hash FROM {table} WHERE entry_id > %s", [after]  # noqa: S608
    if upto is not None:
        sql += " AND entry_id <= %s"
        params.append(upto)
    sql += " ORDER BY entry_id"
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def link_hash(previous: str, content: str) -> str:
    """The link of an entry: SHA-256 over the previous link's hash and the entry's content."""
    return hashlib.sha256(f"{previous}\n{content}".encode()).hexdigest()


# ---------------------------------------------------------------- writing


def chain_head(*, lock: bool) -> AuditChainHead:
    """The chain's head row, locked until the transaction ends when ``lock`` (PostgreSQL;
    SQLite serialises writers anyway). Created when missing (a database flushed by tests)."""
    queryset = AuditChainHead.objects.select_for_update() if lock else AuditChainHead.objects
    head = queryset.filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
        head = queryset.get(pk=1)
    return head


def chain_append(entry_ids: Iterable[int], *, head: AuditChainHead | None = None) -> int:
    """Link these new entries, in id order, after the head; in the caller's transaction (or
    one of its own). ``head``: the head row already locked in this transaction. Returns the
    number of entries linked."""
    ids = sorted(set(entry_ids))
    if not ids:
        return 0
    with transaction.atomic(savepoint=False):
        if head is None:
            head = chain_head(lock=True)
        previous, last, links = head.last_hash, head.last_entry_id, []
        for start in range(0, len(ids), BATCH_SIZE):
            for entry_id, content in entry_texts(ids=ids[start : start + BATCH_SIZE]):
                previous, last = link_hash(previous, content), entry_id
                links.append(AuditChainLink(entry_id=entry_id, hash=previous))
        AuditChainLink.objects.bulk_create(links, batch_size=BATCH_SIZE)
        AuditChainHead.objects.filter(pk=1).update(
            last_entry_id=last, last_hash=previous, length=F("length") + len(links)
        )
        head.last_entry_id, head.last_hash = last, previous
    return len(links)


def chain_link_unlinked(
    *, batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None
) -> int:
    """Link every entry newer than the head, in id order: for entries written without the
    chain (the migration that introduced it; the volume generator's bulk inserts). Never
    called on the portal's own writes, which link as they go. Returns entries linked."""
    linked = 0
    while True:
        with transaction.atomic():
            head = chain_head(lock=True)
            ids = list(
                LogEntry.objects.filter(pk__gt=head.last_entry_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return linked
            linked += chain_append(ids, head=head)
        if progress is not None:
            progress(linked)


# ---------------------------------------------------------------- verifying


@dataclass
class ChainCheck:
    """What a verification found: ``problem`` is empty when the chain is intact."""

    checked: int = 0
    problem: str = ""
    entry_id: int | None = None
    detail: str = ""
    head_entry_id: int = 0
    head_hash: str = AUDIT_CHAIN_GENESIS

    @property
    def intact(self) -> bool:
        return not self.problem


class _Walk:
    """Entries and links side by side in id order; stops at the first break."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.previous = AUDIT_CHAIN_GENESIS
        self.last_id = 0
        self.result = ChainCheck()

    def _break(self, problem: str, entry_id: int, detail: str) -> bool:
        self.result.problem, self.result.entry_id, self.result.detail = problem, entry_id, detail
        return False

    def run(self, *, to_the_end: bool) -> bool:
        """Walk on from where the last call stopped until no entries are left. Without
        ``to_the_end`` (no lock held), links are read only up to the last entry read, so a
        transaction that commits meanwhile is not taken for a deleted entry. False on a break."""
        while True:
            rows = entry_texts(after=self.last_id, limit=self.batch_size)
            full = len(rows) == self.batch_size
            if full or not to_the_end:
                if not rows:
                    return True
                links = _links(after=self.last_id, upto=rows[-1][0], limit=None)
            else:
                links = _links(after=self.last_id, upto=None, limit=self.batch_size + 1)
            if not self._merge(rows, links):
                return False
            if not full:
                return True

    def _merge(self, rows: list[tuple[int, str]], links: list[tuple[int, str]]) -> bool:
        i = j = 0
        previous, checked = self.previous, self.result.checked
        while i < len(rows) or j < len(links):
            entry_id = rows[i][0] if i < len(rows) else None
            link_id = links[j][0] if j < len(links) else None
            if link_id is None or (entry_id is not None and entry_id < link_id):
                assert entry_id is not None
                self.result.checked = checked
                return self._break(
                    AuditVerification.Problem.INSERTED,
                    entry_id,
                    f"Entry {entry_id} has no link: it was written outside the portal.",
                )
            if entry_id is None or link_id < entry_id:
                self.result.checked = checked
                return self._break(
                    AuditVerification.Problem.DELETED,
                    link_id,
                    f"Entry {link_id} is linked but missing: it was deleted.",
                )
            computed = link_hash(previous, rows[i][1])
            if computed != links[j][1]:
                self.result.checked = checked
                return self._break(
                    AuditVerification.Problem.ALTERED,
                    entry_id,
                    f"Entry {entry_id} does not match its link: it was altered, or an entry "
                    "before it was deleted together with its link.",
                )
            previous, checked = computed, checked + 1
            self.last_id = entry_id
            i += 1
            j += 1
        self.previous, self.result.checked = previous, checked
        return True

    def finish(self, head: AuditChainHead) -> ChainCheck:
        """Compare where the walk ended with the head (read under its lock)."""
        self.result.head_entry_id, self.result.head_hash = head.last_entry_id, head.last_hash
        if self.result.problem:
            return self.result
        if self.last_id < head.last_entry_id:
            self._break(
                AuditVerification.Problem.TRUNCATED,
                head.last_entry_id,
                f"The chain ends at entry {self.last_id or 0}, its head at entry "
                f"{head.last_entry_id}: the last entries were deleted with their links.",
            )
        elif self.previous != head.last_hash:
            self._break(
                AuditVerification.Problem.ALTERED,
                self.last_id,
                f"The last link (entry {self.last_id}) does not match the chain's head.",
            )
        return self.result


def chain_verify(*, batch_size: int = BATCH_SIZE) -> ChainCheck:
    """Walk the whole chain in id order, ``batch_size`` entries at a time (constant memory),
    and report the first broken link. Most of the walk holds no lock; the last stretch (what
    was written meanwhile, and anything past the head) is walked with the head locked, so
    that an entry slipped in after the last link is told from one being written."""
    walk = _Walk(batch_size)
    if not walk.run(to_the_end=False):
        return walk.finish(chain_head(lock=False))
    with transaction.atomic():
        head = chain_head(lock=True)
        walk.run(to_the_end=True)
        return walk.finish(head)


# ---------------------------------------------------------------- verifications on record


def audit_verification_run(*, verification_id: int) -> AuditVerification | None:
    """Run a queued verification: claimed with a conditional update (one worker runs it),
    then the walk, then the result on the row. None when another worker claimed it."""
    claimed = AuditVerification.objects.filter(
        pk=verification_id, status=AuditVerification.Status.QUEUED
    ).update(status=AuditVerification.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    try:
        check = chain_verify()
    except Exception as error:
        AuditVerification.objects.filter(pk=verification_id).update(
            status=AuditVerification.Status.FAILED,
            finished_at=timezone.now(),
            detail=f"{type(error).__name__}: {error}"[:2000],
        )
        raise
    AuditVerification.objects.filter(pk=verification_id).update(
        status=AuditVerification.Status.INTACT if check.intact else AuditVerification.Status.BROKEN,
        finished_at=timezone.now(),
        entries_checked=check.checked,
        problem=check.problem,
        broken_entry_id=check.entry_id,
        detail=check.detail,
        head_entry_id=check.head_entry_id,
        head_hash=check.head_hash,
    )
    return AuditVerification.objects.get(pk=verification_id)


def audit_verification_request(*, user: Any | None) -> AuditVerification:
    """Ask a worker for a verification (the compliance page). One that is still waiting is
    returned rather than a second queued; one not started within an hour (no worker) may be
    asked for again."""
    pending = (
        AuditVerification.objects.filter(
            status=AuditVerification.Status.QUEUED,
            requested_at__gte=timezone.now() - dt.timedelta(hours=1),
        )
        .order_by("-requested_at")
        .first()
    )
    if pending is not None:
        return pending
    verification = AuditVerification.objects.create(requested_by=user)

    def queue() -> None:
        try:
            enqueue("kam.audit_verify", verification.pk)
        except Exception:
            logger.exception("Could not queue audit verification %s", verification.pk)
            AuditVerification.objects.filter(
                pk=verification.pk, status=AuditVerification.Status.QUEUED
            ).update(
                status=AuditVerification.Status.FAILED,
                finished_at=timezone.now(),
                detail="The task queue could not be reached.",
            )

    transaction.on_commit(queue)
    return verification
