"""The early-warning scan: a dispatcher splits the accounts into chunks of id ranges; each
chunk evaluates every enabled rule set-based and reconciles the alerts of that range.

Idempotence does not rely on a single worker. Two chunk tasks for the same accounts (a retry
after a killed worker, overlapping runs) both try to insert an alert with
``INSERT ... ON CONFLICT DO NOTHING`` against the partial unique constraint "one active alert
per (account, rule)"; state changes are conditional updates on the active states; the raised
and closed history entries and the notifications have their own unique keys. Whatever the
interleaving, every condition that holds has exactly one active alert afterwards."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account
from kam.models import Notification, User
from kam.queue import enqueue

from ..choices import ACTIVE_STATES, AlertSource, AlertState, EventKind, ScanStatus, ScanTrigger
from ..conf import ack_period, scan_chunk_size
from ..models import (
    Alert,
    AlertEvent,
    RatingChange,
    RatingSnapshot,
    RiskRule,
    ScanChunk,
    ScanError,
    ScanRun,
)
from ..rules.registry import AccountIds, Evidence

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- starting a scan


@transaction.atomic
def scan_request(*, user: User) -> ScanRun:
    """A risk officer asks for a scan now: record it and queue the dispatcher after commit."""
    run = ScanRun.objects.create(trigger=ScanTrigger.MANUAL, requested_by=user)
    transaction.on_commit(lambda: _queue_dispatch(run.pk))
    return run


def _queue_dispatch(run_id: int) -> None:
    try:
        enqueue("risk.scan_dispatch", run_id)
    except Exception:
        # The broker is down: say so on the run rather than leave it queued for ever.
        logger.exception("Could not queue risk scan %s", run_id)
        ScanRun.objects.filter(pk=run_id, status=ScanStatus.QUEUED).update(
            status=ScanStatus.FAILED, finished_at=timezone.now()
        )
        raise


def scan_schedule() -> ScanRun:
    """Beat's hourly scan: create the run and dispatch it in this worker."""
    run = ScanRun.objects.create(trigger=ScanTrigger.SCHEDULE)
    return scan_dispatch(run_id=run.pk)


def scan_dispatch(*, run_id: int, queue: bool = True) -> ScanRun:
    """Claim a queued run, split the accounts into chunks, prepare the rules, queue the chunks.

    Run again for a run already dispatched (a redelivered dispatcher task), it queues the
    chunks not finished yet: duplicates are harmless, lost chunks are not."""
    now = timezone.now()
    with transaction.atomic():
        claimed = ScanRun.objects.filter(pk=run_id, status=ScanStatus.QUEUED).update(
            status=ScanStatus.RUNNING, started_at=now
        )
        run = ScanRun.objects.get(pk=run_id)
        if claimed:
            _split(run, now)
    chunk_ids = list(
        run.chunks.filter(finished_at__isnull=True).order_by("index").values_list("pk", flat=True)
    )
    if queue:
        for chunk_id in chunk_ids:
            enqueue("risk.scan_chunk", chunk_id)
    return run


def _split(run: ScanRun, now: datetime) -> None:
    size = scan_chunk_size()
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    chunks = [
        ScanChunk(run=run, index=i, first_account_id=ids[start], last_account_id=ids[end - 1])
        for i, (start, end) in enumerate(
            (start, min(start + size, len(ids))) for start in range(0, len(ids), size)
        )
    ]
    ScanChunk.objects.bulk_create(chunks)
    rules = list(RiskRule.objects.filter(enabled=True).order_by("pk"))
    context: dict[str, Any] = {}
    for rule in rules:
        rule_type = rule.type
        if rule_type is None or not rule_type.scanned or not rule_type.available():
            continue
        try:
            context[str(rule.pk)] = rule_type(parameters=rule.parameters, now=now).prepare()
        except Exception as exc:
            _record_error(run=run, chunk=None, rule=rule, step="prepare", exc=exc)
    run.rule_ids = [rule.pk for rule in rules]
    run.context = context
    run.chunk_size = size
    run.chunks_total = len(chunks)
    run.accounts = len(ids)
    if not chunks:
        run.status = ScanStatus.FINISHED
        run.finished_at = now
    run.save()


def scan_run_inline(*, trigger: str = ScanTrigger.MANUAL, user: User | None = None) -> ScanRun:
    """The whole scan in this process, chunk after chunk (demo data, tests, shell)."""
    run = ScanRun.objects.create(trigger=trigger, requested_by=user)
    scan_dispatch(run_id=run.pk, queue=False)
    for chunk_id in run.chunks.order_by("index").values_list("pk", flat=True):
        scan_chunk_process(chunk_id=chunk_id)
    run.refresh_from_db()
    return run


# ---------------------------------------------------------------- one chunk


@dataclass
class Counts:
    raised: int = 0
    refreshed: int = 0
    resolved: int = 0
    errors: int = 0
    accounts: int = 0

    def add(self, other: Counts) -> None:
        self.raised += other.raised
        self.refreshed += other.refreshed
        self.resolved += other.resolved
        self.errors += other.errors


@dataclass
class _ChunkAccounts:
    ids: list[int] = field(default_factory=list)
    tier: dict[int, str] = field(default_factory=dict)
    owner: dict[int, int] = field(default_factory=dict)
    rating: dict[int, str] = field(default_factory=dict)


def scan_chunk_process(*, chunk_id: int, now: datetime | None = None) -> Counts:
    """Evaluate every enabled rule over one chunk and reconcile its alerts. Safe to run twice,
    at the same time, or again after a crash: see the module docstring."""
    chunk = ScanChunk.objects.select_related("run").get(pk=chunk_id)
    if chunk.finished_at is not None:
        return Counts()
    counts = scan_chunk_evaluate(chunk=chunk, now=now)
    _finish_chunk(chunk, counts, len_accounts=counts.accounts)
    return counts


def scan_chunk_evaluate(*, chunk: ScanChunk, now: datetime | None = None) -> Counts:
    """The work of a chunk, without marking it done (a worker killed here loses nothing:
    the redelivered task does it again)."""
    now = now or timezone.now()
    counts = Counts()
    ScanChunk.objects.filter(pk=chunk.pk).update(attempts=F("attempts") + 1, started_at=now)
    run = chunk.run
    accounts = _load_accounts(chunk)
    counts.accounts = len(accounts.ids)

    _step(
        run, chunk, None, "observe ratings", counts, lambda: ratings_observe(chunk, accounts, now)
    )
    rules = RiskRule.objects.filter(pk__in=run.rule_ids, enabled=True).order_by("pk")
    for rule in rules:
        rule_type = rule.type
        if rule_type is None or not rule_type.scanned or not rule_type.available():
            continue
        context = run.context.get(str(rule.pk), {})

        def evaluate_and_apply(rule: RiskRule = rule, context: dict[str, Any] = context) -> None:
            ids = AccountIds(
                (pk for pk in accounts.ids if not rule.tiers or accounts.tier[pk] in rule.tiers),
                first=chunk.first_account_id,
                last=chunk.last_account_id,
            )
            evaluator = rule.type(parameters=rule.parameters, now=now, context=context)
            evidence = evaluator.evaluate(ids) if ids else {}
            counts.add(_reconcile(rule, chunk, accounts, set(ids), evidence, now))

        _step(run, chunk, rule, rule.rule_type, counts, evaluate_and_apply)
    return counts


@transaction.atomic
def _finish_chunk(chunk: ScanChunk, counts: Counts, *, len_accounts: int) -> None:
    """Count the chunk into its run once, however many times it ran (conditional update)."""
    if not ScanChunk.objects.filter(pk=chunk.pk, finished_at__isnull=True).update(
        finished_at=timezone.now(), accounts=len_accounts
    ):
        return
    ScanRun.objects.filter(pk=chunk.run_id).update(
        chunks_done=F("chunks_done") + 1,
        raised=F("raised") + counts.raised,
        refreshed=F("refreshed") + counts.refreshed,
        resolved=F("resolved") + counts.resolved,
        errors=F("errors") + counts.errors,
    )
    ScanRun.objects.filter(
        pk=chunk.run_id, status=ScanStatus.RUNNING, chunks_done__gte=F("chunks_total")
    ).update(status=ScanStatus.FINISHED, finished_at=timezone.now())


def _load_accounts(chunk: ScanChunk) -> _ChunkAccounts:
    result = _ChunkAccounts()
    rows = (
        Account.objects.filter(pk__range=(chunk.first_account_id, chunk.last_account_id))
        .order_by("pk")
        .values_list("pk", "tier", "owner_id", "credit_rating")
    )
    for pk, tier, owner_id, rating in rows:
        result.ids.append(pk)
        result.tier[pk] = tier
        result.owner[pk] = owner_id
        result.rating[pk] = rating
    return result


def _step(
    run: ScanRun,
    chunk: ScanChunk,
    rule: RiskRule | None,
    step: str,
    counts: Counts,
    action: Callable[[], None],
) -> None:
    """Run one step; a failure is recorded and skipped so the other rules still run.
    A deadlock between two workers on the same accounts is retried once."""
    for attempt in (1, 2):
        try:
            # A savepoint, so that a failed query cannot spoil an enclosing transaction.
            with transaction.atomic():
                _relaxed_commit()
                action()
            return
        except OperationalError as exc:
            if attempt == 1 and "deadlock" in str(exc).lower():
                continue
            _record_error(run=run, chunk=chunk, rule=rule, step=step, exc=exc)
        except Exception as exc:
            _record_error(run=run, chunk=chunk, rule=rule, step=step, exc=exc)
        counts.errors += 1
        return


def _relaxed_commit() -> None:
    """Do not wait for the WAL flush when this step commits (PostgreSQL). A crash can lose the
    last few milliseconds of committed scan work, which the next scan redoes: every step is
    idempotent, and nothing here is the only record of a user's act."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _record_error(
    *, run: ScanRun, chunk: ScanChunk | None, rule: RiskRule | None, step: str, exc: BaseException
) -> None:
    # The traceback goes to the ScanError row; the log gets one line.
    logger.warning("Risk scan %s: %s failed: %s: %s", run.pk, step, type(exc).__name__, exc)
    try:
        ScanError.objects.create(
            run=run,
            chunk=chunk,
            rule=rule,
            step=step[:60],
            error=f"{type(exc).__name__}: {exc}"[:500],
            traceback="".join(traceback.format_exception(exc))[-20000:],
        )
    except DatabaseError:
        logger.exception("Could not record the scan error")


def ratings_observe(chunk: ScanChunk, accounts: _ChunkAccounts, now: datetime) -> None:
    """Record the ratings seen now: a snapshot per account and a change row per change.

    Changes are claimed one by one with a conditional update (old rating → new), so a racing
    chunk never records the same change twice; changes are rare, first observations are one
    bulk insert."""
    seen = dict(
        RatingSnapshot.objects.filter(
            account_id__gte=chunk.first_account_id, account_id__lte=chunk.last_account_id
        ).values_list("account_id", "rating")
    )
    missing = [
        RatingSnapshot(account_id=pk, rating=accounts.rating[pk], observed_at=now)
        for pk in accounts.ids
        if pk not in seen
    ]
    if missing:
        RatingSnapshot.objects.bulk_create(missing, ignore_conflicts=True)
    for pk in accounts.ids:
        old, new = seen.get(pk), accounts.rating[pk]
        if old is None or old == new:
            continue
        with transaction.atomic():
            if RatingSnapshot.objects.filter(account_id=pk, rating=old).update(
                rating=new, observed_at=now
            ):
                RatingChange.objects.create(
                    account_id=pk, from_rating=old, to_rating=new, observed_at=now
                )


def _reconcile(
    rule: RiskRule,
    chunk: ScanChunk,
    accounts: _ChunkAccounts,
    in_scope: set[int],
    evidence: dict[int, Evidence],
    now: datetime,
) -> Counts:
    """Make the alerts of ``rule`` over this chunk match ``evidence``: raise the new ones,
    refresh the ones that still hold, resolve the ones that cleared. A fixed number of
    queries per rule and chunk."""
    counts = Counts()
    rule_type = rule.type
    evidence = {pk: ev for pk, ev in evidence.items() if pk in in_scope}
    with transaction.atomic():
        active = {
            account_id: (pk, state, old)
            for account_id, pk, state, old in Alert.objects.filter(
                rule=rule,
                source=AlertSource.SCAN,
                state__in=ACTIVE_STATES,
                account_id__gte=chunk.first_account_id,
                account_id__lte=chunk.last_account_id,
            ).values_list("account_id", "pk", "state", "evidence")
        }

        # Raise.
        new_ids = sorted(pk for pk in evidence if pk not in active)
        if new_ids:
            suppressed = set(
                Alert.objects.filter(
                    rule=rule, account_id__in=new_ids, suppressed_until__gt=now
                ).values_list("account_id", flat=True)
            )
            new_ids = [pk for pk in new_ids if pk not in suppressed]
        if new_ids:
            deadline = now + ack_period(rule.severity)
            Alert.objects.bulk_create(
                [
                    Alert(
                        account_id=pk,
                        rule=rule,
                        source=AlertSource.SCAN,
                        severity=rule.severity,
                        state=AlertState.OPEN,
                        title=str(rule.name)[:200],
                        evidence=evidence[pk],
                        owner_id=accounts.owner[pk],
                        opened_at=now,
                        evidence_changed_at=now,
                        ack_deadline=deadline,
                    )
                    for pk in new_ids
                ],
                ignore_conflicts=True,
            )
            counts.raised = _record_raised(rule, chunk, now)

        # Refresh what still holds.
        holding = [(a, pk, old) for a, (pk, _state, old) in active.items() if a in evidence]
        if holding:
            # Nothing to write for an alert that still holds unless its evidence moved (or the
            # rule's severity was changed): an active alert is by itself confirmed by the
            # latest finished scan, and rewriting every active row each hour would be the
            # scan's biggest cost.
            Alert.objects.filter(
                rule=rule,
                source=AlertSource.SCAN,
                state__in=ACTIVE_STATES,
                account_id__gte=chunk.first_account_id,
                account_id__lte=chunk.last_account_id,
            ).exclude(severity=rule.severity).update(severity=rule.severity)
            changed = [
                Alert(pk=pk, evidence=evidence[a], evidence_changed_at=now)
                for a, pk, old in holding
                if old != evidence[a]
            ]
            if changed:
                Alert.objects.bulk_update(
                    changed, ["evidence", "evidence_changed_at"], batch_size=500
                )
            counts.refreshed = len(holding)

        # Resolve what cleared.
        cleared = {pk: (a, state) for a, (pk, state, _old) in active.items() if a not in evidence}
        if cleared:
            Alert.objects.filter(pk__in=list(cleared), state__in=ACTIVE_STATES).update(
                state=AlertState.RESOLVED, closed_at=now, resolved_automatically=True
            )
            mine_closed = set(
                Alert.objects.filter(
                    pk__in=list(cleared), closed_at=now, resolved_automatically=True
                ).values_list("pk", flat=True)
            )
            AlertEvent.objects.bulk_create(
                [
                    AlertEvent(
                        alert_id=pk,
                        at=now,
                        kind=EventKind.AUTO_RESOLVED,
                        from_state=cleared[pk][1],
                        to_state=AlertState.RESOLVED,
                        data={
                            "reason": "cleared" if cleared[pk][0] in in_scope else "out_of_scope",
                            "rule_type": rule_type.code if rule_type else rule.rule_type,
                        },
                    )
                    for pk in sorted(mine_closed)
                ],
                ignore_conflicts=True,
            )
            counts.resolved = len(mine_closed)
    return counts


def _record_raised(rule: RiskRule, chunk: ScanChunk, now: datetime) -> int:
    """History entries and owner notifications for the alerts this call just raised, in two
    ``INSERT ... SELECT`` statements (no row travels through Python: at volume, building these
    rows was most of a first scan's time). ``opened_at = now`` picks the rows this call
    inserted, not a racing worker's; the unique constraints make a repeat a no-op. Returns how
    many alerts this call raised."""
    alert = Alert._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)
    mine = (
        f"{alert}.rule_id = %s AND {alert}.source = %s AND {alert}.opened_at = %s "
        f"AND {alert}.account_id BETWEEN %s AND %s"
    )
    mine_params: list[Any] = [
        rule.pk,
        AlertSource.SCAN,
        at,
        chunk.first_account_id,
        chunk.last_account_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AlertEvent._meta.db_table} "  # noqa: S608 - table names from _meta
            "(alert_id, at, kind, from_state, to_state, note, data) "
            f"SELECT {alert}.id, %s, %s, '', %s, '', %s FROM {alert} WHERE {mine} "
            "ON CONFLICT DO NOTHING",
            [at, EventKind.RAISED, AlertState.OPEN, "{}", *mine_params],
        )
        raised = cursor.rowcount
        if raised:
            title_sql, title_params = _title_sql(rule)
            url = reverse("risk:alert_detail", args=[0]).removesuffix("0/")
            cursor.execute(
                f"INSERT INTO {Notification._meta.db_table} "  # noqa: S608 - as above
                "(user_id, created_at, key, title, body, url, level) "
                f"SELECT {alert}.owner_id, %s, "
                f"'risk-alert-' || CAST({alert}.id AS VARCHAR(20)) || '-raised', {title_sql}, '', "
                f"%s || CAST({alert}.id AS VARCHAR(20)) || '/', %s "
                f"FROM {alert} "
                f"JOIN {Account._meta.db_table} acc ON acc.id = {alert}.account_id "
                f"JOIN {User._meta.db_table} usr ON usr.id = {alert}.owner_id "
                f"WHERE {mine} ON CONFLICT DO NOTHING",
                [
                    at,
                    *title_params,
                    url,
                    "danger" if rule.severity >= 3 else "warning",
                    *mine_params,
                ],
            )
    return max(raised, 0)


def _title_sql(rule: RiskRule) -> tuple[str, list[str]]:
    """ "New risk alert: <rule> — <account>" in each owner's language, as SQL: the template is
    translated here per language and split around the account name."""
    name = "COALESCE(NULLIF(acc.legal_name_en, ''), acc.legal_name_zh)"
    cases: list[str] = []
    params: list[str] = []
    default = ("", "")
    for code, _label in settings.LANGUAGES:
        with translation.override(code):
            text = _("New risk alert: %(rule)s — %(account)s") % {
                "rule": rule.name,
                "account": "\x00",
            }
        prefix, _sep, suffix = text.partition("\x00")
        if code == settings.LANGUAGE_CODE:
            default = (prefix, suffix)
        cases.append(f"WHEN %s THEN %s || {name} || %s")
        params += [code, prefix, suffix]
    sql = f"SUBSTR(CASE usr.language {' '.join(cases)} ELSE %s || {name} || %s END, 1, 200)"
    return sql, [*params, *default]
