"""Service requests at volume for benchmarks: `generate_volume --service-requests N` (issue 5).

Requests are spread over the accounts (weighted by tier) and the last ``days`` days, mostly in
business hours. Their deadlines come from the SLA policies through the business-time engine;
their outcomes are drawn: most first responses and resolutions in time, some late, a quarter
with a pause waiting on the client, most resolved requests closed, six in ten rated. The
history rows (opened, responded, paused, resumed, resolved, closed, breached) are written too.

Breaches that the scan would already have recorded are recorded (rows, flags, events) — except
those of open requests whose deadline passed in the last ``backlog_hours`` (three days, so a
weekend still leaves some): that backlog is what the first scan after loading finds, as after
the scheduler was down for a while.

On PostgreSQL the rows are streamed with COPY (ids reserved from the sequences); elsewhere
(SQLite in tests) they go through ``bulk_create``. Nothing is audited or notified.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Account
from interactions.business_time import BusinessHours, add_business_time, calendar_covers, is_workday
from interactions.models import Channel
from interactions.models.service import (
    ServiceRequest,
    ServiceRequestEvent,
    SlaBreach,
    SlaPolicy,
)

TIER_WEIGHT = {"strategic": 5.0, "key": 3.0, "core": 1.5, "standard": 1.0}
PRIORITY_WEIGHTS = (("urgent", 5), ("high", 20), ("normal", 55), ("low", 20))
CHANNEL_WEIGHTS = (
    ("email", 30), ("phone", 25), ("wechat", 25), ("meeting", 8), ("video", 8),
    ("site_visit", 2), ("event", 2),
)  # fmt: skip
SUBJECTS = (
    "Drawdown notice", "Covenant waiver request", "Interest rate hedging quote",
    "Letter of credit amendment", "Repayment schedule question", "Guarantee issuance",
    "Account statement request", "KYC document update", "Syndication information memo",
    "Green loan reporting", "Bank confirmation letter", "Fee invoice query",
)  # fmt: skip
SCORES = ((5, 40), (4, 35), (3, 15), (2, 7), (1, 3))
LATE_SCORES = ((5, 10), (4, 25), (3, 30), (2, 25), (1, 10))


@dataclass(slots=True)
class ServiceVolumeResult:
    requests: int = 0
    events: int = 0
    breaches: int = 0
    open: int = 0
    backlog: int = 0
    seconds: float = 0.0


def _weighted(pairs: Sequence[tuple[Any, int]]) -> list[Any]:
    return [value for value, weight in pairs for _i in range(weight)]


def _business_moment(rng: random.Random, now: dt.datetime, days: int) -> dt.datetime:
    """A moment in the last ``days`` days: nine in ten in business hours of a working day."""
    tz = BusinessHours().tz
    local_now = now.astimezone(tz)
    for _attempt in range(50):
        day = (local_now - dt.timedelta(days=rng.uniform(0, days))).date()
        workday = is_workday(day)
        if rng.random() < 0.9:
            if not workday:
                continue
            minute = rng.randrange(9 * 60, 18 * 60)
        else:
            minute = rng.randrange(0, 24 * 60)
        moment = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)
        moment += dt.timedelta(seconds=rng.randrange(60))
        if moment < local_now:
            return moment
    return local_now - dt.timedelta(days=1)


def _draw(rng: random.Random, target: dt.timedelta, late_share: float) -> dt.timedelta:
    """Business time taken: mostly well inside the target, ``late_share`` of it beyond."""
    share = rng.uniform(1.05, 3.0) if rng.random() < late_share else rng.betavariate(2, 4)
    return dt.timedelta(seconds=max(60, int(target.total_seconds() * share)))


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
    start = (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
    return list(range(start, start + count))


def _write(model: type[models.Model], columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        table = connection.ops.quote_name(model._meta.db_table)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    model._default_manager.bulk_create(
        [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
    )


REQUEST_COLUMNS = (
    "id", "account_id", "channel_id", "priority", "subject", "description", "state",
    "assignee_id", "opened_by_id", "opened_at", "policy_id", "tier", "team_id",
    "response_target_minutes", "resolution_target_minutes", "business_day_start",
    "business_day_end", "response_required", "escalate_to_lead", "first_response_due",
    "resolution_due", "due_at", "responded_at", "resolved_at", "closed_at", "clock_stopped_at",
    "paused_seconds", "response_seconds", "resolution_seconds", "response_breached_at",
    "resolution_breached_at", "satisfaction", "satisfaction_comment", "satisfaction_recorded_at",
    "created_at", "updated_at", "deadlines_provisional",
)  # fmt: skip
EVENT_COLUMNS = ("request_id", "at", "actor_id", "action", "from_state", "to_state", "note")
BREACH_COLUMNS = ("request_id", "kind", "due_at", "detected_at", "escalated_to_id")


def generate_service_requests(
    *,
    count: int,
    seed: int = 0,
    days: int = 365,
    backlog_hours: float = 72,
    batch_size: int = 20_000,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> ServiceVolumeResult:
    started = time.perf_counter()
    result = ServiceVolumeResult()
    rng = random.Random(seed + 5)
    now = now or timezone.now()
    backlog_since = now - dt.timedelta(hours=backlog_hours)
    accounts = list(
        Account.objects.order_by("pk").values_list(
            "pk", "tier", "owner_id", "team_id", "team__lead_id"
        )
    )
    if not accounts or count < 1:
        return result
    weights = [TIER_WEIGHT.get(tier, 1.0) for _pk, tier, _owner, _team, _lead in accounts]
    policies = {(p.tier, p.priority): p for p in SlaPolicy.objects.all()}
    channels = dict(Channel.objects.values_list("code", "pk"))
    channel_codes = [code for code in _weighted(CHANNEL_WEIGHTS) if code in channels] or list(
        channels
    )
    priorities = _weighted(PRIORITY_WEIGHTS)
    # Requests are written in the order they were opened, as the portal writes them: the
    # table's physical order follows time, which the report's period scans rely on.
    moments = sorted(_business_moment(rng, now, days) for _i in range(count))
    done = 0
    while done < count:
        size = min(batch_size, count - done)
        picks = rng.choices(accounts, weights=weights, k=size)
        ids = _reserve_ids(ServiceRequest, size)
        requests: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        breaches: list[tuple[Any, ...]] = []
        for request_id, opened, (account_id, tier, owner_id, team_id, lead_id) in zip(
            ids, moments[done : done + size], picks, strict=True
        ):
            policy = policies[(tier, rng.choice(priorities))]
            row = _one_request(
                rng,
                opened=opened,
                request_id=request_id,
                account_id=account_id,
                team_id=team_id,
                owner_id=owner_id,
                lead_id=lead_id,
                policy=policy,
                channel_id=channels[rng.choice(channel_codes)],
                now=now,
                backlog_since=backlog_since,
                events=events,
                breaches=breaches,
                result=result,
            )
            requests.append(tuple(row[c] for c in REQUEST_COLUMNS))
        with transaction.atomic():
            _write(ServiceRequest, REQUEST_COLUMNS, requests)
            _write(ServiceRequestEvent, EVENT_COLUMNS, events)
            _write(SlaBreach, BREACH_COLUMNS, breaches)
        done += size
        result.requests += size
        result.events += len(events)
        result.breaches += len(breaches)
        if progress:
            progress(f"  {done:,} service requests")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (ServiceRequest, ServiceRequestEvent, SlaBreach):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    result.seconds = time.perf_counter() - started
    return result


def _one_request(
    rng: random.Random,
    *,
    opened: dt.datetime,
    request_id: int,
    account_id: int,
    team_id: int | None,
    owner_id: int,
    lead_id: int | None,
    policy: SlaPolicy,
    channel_id: int,
    now: dt.datetime,
    backlog_since: dt.datetime,
    events: list[tuple[Any, ...]],
    breaches: list[tuple[Any, ...]],
    result: ServiceVolumeResult,
) -> dict[str, Any]:
    hours = BusinessHours(start=policy.business_day_start, end=policy.business_day_end)
    response_target = policy.first_response_target
    resolution_target = policy.resolution_target
    first_due = add_business_time(opened, response_target, hours=hours)

    def at(business: dt.timedelta) -> dt.datetime:
        return add_business_time(opened, business, hours=hours)

    row: dict[str, Any] = {
        "id": request_id,
        "account_id": account_id,
        "channel_id": channel_id,
        "priority": policy.priority,
        "subject": rng.choice(SUBJECTS),
        "description": "",
        "assignee_id": owner_id,
        "opened_by_id": owner_id,
        "opened_at": opened,
        "policy_id": policy.pk,
        "tier": policy.tier,
        "team_id": team_id,
        "response_target_minutes": int(response_target.total_seconds() // 60),
        "resolution_target_minutes": int(resolution_target.total_seconds() // 60),
        "business_day_start": policy.business_day_start,
        "business_day_end": policy.business_day_end,
        "response_required": policy.requires_response,
        "escalate_to_lead": policy.escalate_to_lead,
        "first_response_due": first_due,
        "resolution_due": at(resolution_target),
        "due_at": None,
        "responded_at": None,
        "resolved_at": None,
        "closed_at": None,
        "clock_stopped_at": None,
        "paused_seconds": 0,
        "response_seconds": None,
        "resolution_seconds": None,
        "response_breached_at": None,
        "resolution_breached_at": None,
        "satisfaction": None,
        "satisfaction_comment": "",
        "satisfaction_recorded_at": None,
        "created_at": opened,
        "updated_at": opened,
        "state": "new",
    }
    mine: list[tuple[Any, ...]] = [(request_id, opened, owner_id, "opened", "", "new", "")]

    response_time = _draw(rng, response_target, 0.08)
    responded = at(response_time)
    if responded <= now:
        row.update(responded_at=responded, response_seconds=int(response_time.total_seconds()))
        row["state"] = "responded"
        mine.append((request_id, responded, owner_id, "responded", "new", "responded", ""))
    resolution_work = max(
        _draw(rng, resolution_target, 0.10), response_time + dt.timedelta(minutes=5)
    )
    # A quarter of the requests wait on the client once, after the response.
    paused = dt.timedelta(0)
    if row["responded_at"] and rng.random() < 0.25:
        pause_at_work = response_time + (resolution_work - response_time) * rng.uniform(0.1, 0.8)
        pause_start = at(pause_at_work)
        pause = dt.timedelta(hours=rng.uniform(1, 24))
        pause_end = add_business_time(pause_start, pause, hours=hours)
        if pause_start <= now:
            mine.append(
                (request_id, pause_start, owner_id, "paused", "responded", "waiting_on_client", "")
            )
            if pause_end > now:
                # Still waiting: the clock is stopped, the deadline frozen.
                row.update(state="waiting_on_client", clock_stopped_at=pause_start)
                return _finish(row, now, backlog_since, lead_id, mine, events, breaches, result)
            mine.append(
                (request_id, pause_end, owner_id, "resumed", "waiting_on_client", "responded", "")
            )
            paused = pause
            row["paused_seconds"] = int(paused.total_seconds())
            row["resolution_due"] = at(resolution_target + paused)
    resolved = at(resolution_work + paused)
    if row["responded_at"] and resolved <= now:
        row.update(
            state="resolved",
            resolved_at=resolved,
            resolution_seconds=int(resolution_work.total_seconds()),
            clock_stopped_at=resolved,
        )
        mine.append((request_id, resolved, owner_id, "resolved", "responded", "resolved", ""))
        late = resolved > row["resolution_due"] or row["responded_at"] > first_due
        if rng.random() < 0.6:
            score = rng.choice(_weighted(LATE_SCORES if late else SCORES))
            rated = resolved + dt.timedelta(hours=rng.uniform(1, 72))
            if rated <= now:
                row.update(satisfaction=score, satisfaction_recorded_at=rated)
                mine.append((request_id, rated, owner_id, "rated", "", "", f"{score}/5"))
        closed = resolved + dt.timedelta(days=rng.uniform(1, 6))
        if closed <= now:
            row.update(state="closed", closed_at=closed)
            mine.append((request_id, closed, owner_id, "closed", "resolved", "closed", ""))
    return _finish(row, now, backlog_since, lead_id, mine, events, breaches, result)


def _finish(
    row: dict[str, Any],
    now: dt.datetime,
    backlog_since: dt.datetime,
    lead_id: int | None,
    mine: list[tuple[Any, ...]],
    events: list[tuple[Any, ...]],
    breaches: list[tuple[Any, ...]],
    result: ServiceVolumeResult,
) -> dict[str, Any]:
    """Due time, and the breaches the scan (every five minutes) would have recorded by now —
    except the backlog of open requests that ran out since ``backlog_since``."""
    state = row["state"]
    last_due = max(row["first_response_due"], row["resolution_due"])
    row["deadlines_provisional"] = not calendar_covers(timezone.localdate(last_due))
    if state == "new":
        row["due_at"] = row["first_response_due"]
    elif state == "responded":
        row["due_at"] = row["resolution_due"]
    if state in ("new", "responded", "waiting_on_client"):
        result.open += 1
    escalated = lead_id if row["escalate_to_lead"] and lead_id != row["assignee_id"] else None
    scan_delay = dt.timedelta(minutes=5)
    # First response: late, or never given and past due.
    due, responded = row["first_response_due"], row["responded_at"]
    if responded is None and due < now:
        if due >= backlog_since:
            result.backlog += 1
        else:
            _breach(row, "response", due, min(now, due + scan_delay), escalated, mine, breaches)
    elif responded is not None and responded > due:
        _breach(row, "response", due, min(responded, due + scan_delay), escalated, mine, breaches)
    # Resolution: resolved late, ran out while running, or ran out before the pause.
    due, resolved, stopped = row["resolution_due"], row["resolved_at"], row["clock_stopped_at"]
    if state in ("new", "responded") and due < now:
        if due >= backlog_since:
            result.backlog += 1
        else:
            _breach(row, "resolution", due, min(now, due + scan_delay), escalated, mine, breaches)
    elif resolved is not None and resolved > due:
        _breach(row, "resolution", due, min(resolved, due + scan_delay), escalated, mine, breaches)
    elif state == "waiting_on_client" and stopped is not None and stopped > due:
        _breach(row, "resolution", due, min(stopped, due + scan_delay), escalated, mine, breaches)
    row["updated_at"] = max(event[1] for event in mine)
    events.extend(mine)
    return row


def _breach(
    row: dict[str, Any],
    kind: str,
    due: dt.datetime,
    detected: dt.datetime,
    escalated: int | None,
    mine: list[tuple[Any, ...]],
    breaches: list[tuple[Any, ...]],
) -> None:
    row[f"{kind}_breached_at"] = detected
    breaches.append((row["id"], kind, due, detected, escalated))
    note = "First response was late." if kind == "response" else "Resolution was late."
    mine.append((row["id"], detected, None, "breached", "", "", note))
