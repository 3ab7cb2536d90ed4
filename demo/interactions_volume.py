"""Relationship history at volume for benchmarks: `generate_volume --interactions N`.

A million interactions must load in a few minutes, so on PostgreSQL the rows are streamed with
``COPY ... FROM STDIN`` (psycopg 3) with ids taken from the table's sequence in one call;
elsewhere (SQLite in tests) they go through ``bulk_create``. Each interaction has its owner
RM as internal participant and one contact of the account; one in ten has a follow-up action.
The per-account contact stats are rebuilt with one ``INSERT ... SELECT`` at the end.

Strategic reviews: every account whose tier requires them gets an executive sponsor and,
for the last four quarters, a held review (nine in ten); the current quarter is held for
half of them, scheduled for a quarter and missing for the rest — so the reminder job has a
realistic set to work on. Nothing is audited (no signals), which is what a bench book wants.

One interaction in twenty is confidential: its notes are in the encrypted columns, as the
services keep them (COPY bypasses the model field, so ``_sealed`` encrypts them on the way).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.choices import AccountStatus
from accounts.models import Account, Contact, TierPolicy
from interactions.models import (
    AccountContactStats,
    AccountSponsor,
    Channel,
    FollowUp,
    Interaction,
    StrategicReview,
)
from kam import crypto
from kam.models import User
from kam.quarters import Quarter, portal_tz
from kam.roles import Role

# How many interactions an account gets relative to a standard one.
TIER_WEIGHT = {"strategic": 6.0, "key": 3.0, "core": 1.5, "standard": 1.0}
CHANNEL_WEIGHTS = (
    ("meeting", 20), ("phone", 22), ("email", 20), ("video", 14),
    ("wechat", 14), ("site_visit", 5), ("event", 5),
)  # fmt: skip
SUBJECTS = (
    "Quarterly business update", "Refinancing discussion", "Construction progress",
    "Covenant certificate", "ESG action plan", "Hedging strategy", "Pipeline review",
    "Syndication appetite", "Site visit debrief", "Account plan review",
)  # fmt: skip
SUMMARY = "Discussed the financing needs for the coming year and the status of current projects."


@dataclass(slots=True)
class InteractionVolumeResult:
    interactions: int = 0
    participants: int = 0
    contacts: int = 0
    follow_ups: int = 0
    reviews: int = 0
    sponsors: int = 0
    seconds: float = 0.0


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's sequence (PostgreSQL), in one query."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _weighted_list(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [value for value, weight in pairs for _i in range(weight)]


def generate_interactions(
    *,
    count: int,
    seed: int = 0,
    days: int = 365,
    batch_size: int = 50_000,
    account_ids: Sequence[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> InteractionVolumeResult:
    """Add ``count`` interactions spread over the accounts (weighted by tier) and the last
    ``days`` days, then rebuild the contact stats."""
    started = time.perf_counter()
    result = InteractionVolumeResult()
    rng = random.Random(seed)
    now = timezone.now()
    accounts = list(
        Account.objects.filter(**({"pk__in": account_ids} if account_ids is not None else {}))
        .order_by("pk")
        .values_list("pk", "tier", "owner_id")
    )
    if not accounts or count < 1:
        return result
    contacts: dict[int, list[int]] = {}
    for contact_id, account_id in (
        Contact.objects.filter(account_id__in=[a[0] for a in accounts])
        .order_by()
        .values_list("pk", "account_id")
        .iterator(chunk_size=20_000)
    ):
        contacts.setdefault(account_id, []).append(contact_id)
    channels = {c.code: c for c in Channel.objects.all()}
    channel_codes = _weighted_list(CHANNEL_WEIGHTS)
    weights = [TIER_WEIGHT.get(tier, 1.0) for _pk, tier, _owner in accounts]
    postgres = connection.vendor == "postgresql"
    span = days * 86_400

    with transaction.atomic():
        for batch_start in range(0, count, batch_size):
            size = min(batch_size, count - batch_start)
            picks = rng.choices(accounts, weights=weights, k=size)
            if postgres:
                ids = _reserve_ids(Interaction, size)
            else:
                first = (Interaction.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
                ids = list(range(first, first + size))
            interactions: list[tuple[Any, ...]] = []
            participants: list[tuple[Any, ...]] = []
            contact_rows: list[tuple[Any, ...]] = []
            follow_ups: list[tuple[Any, ...]] = []
            for pk, (account_id, _tier, owner_id) in zip(ids, picks, strict=True):
                channel = channels[rng.choice(channel_codes)]
                occurred = now - dt.timedelta(seconds=rng.randrange(3600, span))
                link = (
                    f"https://meeting.tencent.com/dm/{rng.randrange(10**8, 10**9)}"
                    if channel.is_video
                    else ""
                )
                subject = rng.choice(SUBJECTS)
                confidential = rng.random() < 0.05
                # Notes in the plain columns, or in the encrypted ones when confidential.
                interactions.append(
                    (pk, account_id, channel.pk, occurred, subject,
                     "" if confidential else SUMMARY, "",
                     SUMMARY if confidential else "", "",
                     link, confidential, owner_id, occurred, occurred)
                )  # fmt: skip
                participants.append((pk, owner_id))
                mine = contacts.get(account_id)
                if mine:
                    contact_rows.append((pk, rng.choice(mine)))
                if rng.random() < 0.1:
                    due = timezone.localdate(occurred) + dt.timedelta(days=rng.randint(3, 30))
                    done = (
                        occurred + dt.timedelta(days=rng.randint(1, 20))
                        if due < now.date()
                        else None
                    )
                    follow_ups.append(
                        (account_id, pk, None, "Send the term sheet", owner_id, due, done, occurred)
                    )
            if postgres:
                _copy_batch(interactions, participants, contact_rows, follow_ups)
            else:
                _orm_batch(interactions, participants, contact_rows, follow_ups)
            result.interactions += len(interactions)
            result.participants += len(participants)
            result.contacts += len(contact_rows)
            result.follow_ups += len(follow_ups)
            if progress:
                progress(
                    f"  {result.interactions:>9} interactions ({time.perf_counter() - started:.1f} s)"
                )
        analyze_tables()  # the stats rebuild below wants a planner that knows the new rows
        contact_stats_rebuild(account_ids=None if account_ids is None else [a[0] for a in accounts])
        if progress:
            progress(f"  contact stats rebuilt ({time.perf_counter() - started:.1f} s)")
    result.seconds = time.perf_counter() - started
    return result


_INTERACTION_COLUMNS = (
    "id", "account_id", "channel_id", "occurred_at", "subject", "summary", "outcome",
    "confidential_summary", "confidential_outcome",
    "meeting_link", "is_confidential", "created_by_id", "created_at", "updated_at",
)  # fmt: skip
# Where the encrypted columns are in a row of _INTERACTION_COLUMNS.
_ENCRYPTED_AT = tuple(
    i
    for i, c in enumerate(_INTERACTION_COLUMNS)
    if c in ("confidential_summary", "confidential_outcome")
)
_FOLLOW_UP_COLUMNS = (
    "account_id", "interaction_id", "review_id", "description", "owner_id", "due_date",
    "done_at", "created_at",
)  # fmt: skip


def _copy_batch(
    interactions: list[tuple[Any, ...]],
    participants: list[tuple[Any, ...]],
    contact_rows: list[tuple[Any, ...]],
    follow_ups: list[tuple[Any, ...]],
) -> None:
    _copy(Interaction._meta.db_table, _INTERACTION_COLUMNS, _sealed(interactions))
    participants_table = Interaction.internal_participants.through._meta.db_table
    _copy(participants_table, ("interaction_id", "user_id"), participants)
    contacts_table = Interaction.contacts.through._meta.db_table
    _copy(contacts_table, ("interaction_id", "contact_id"), contact_rows)
    ids = _reserve_ids(FollowUp, len(follow_ups)) if follow_ups else []
    _copy(
        FollowUp._meta.db_table,
        ("id", *_FOLLOW_UP_COLUMNS),
        ((pk, *row) for pk, row in zip(ids, follow_ups, strict=True)),
    )


def _sealed(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The rows as stored: confidential notes encrypted, as the model field would for the ORM
    (a few per cent of the rows, so it costs little)."""
    for row in rows:
        if any(row[i] for i in _ENCRYPTED_AT):
            row = tuple(
                crypto.encrypt(value) if i in _ENCRYPTED_AT and value else value
                for i, value in enumerate(row)
            )
        yield row


def _orm_batch(
    interactions: list[tuple[Any, ...]],
    participants: list[tuple[Any, ...]],
    contact_rows: list[tuple[Any, ...]],
    follow_ups: list[tuple[Any, ...]],
) -> None:
    """The portable path (tests on SQLite): the same rows, with the same ids, via the ORM."""
    Interaction.objects.bulk_create(
        [Interaction(**dict(zip(_INTERACTION_COLUMNS, row, strict=True))) for row in interactions],
        batch_size=2000,
    )
    participant = Interaction.internal_participants.through
    participant.objects.bulk_create(
        [participant(interaction_id=i, user_id=u) for i, u in participants], batch_size=2000
    )
    contact = Interaction.contacts.through
    contact.objects.bulk_create(
        [contact(interaction_id=i, contact_id=c) for i, c in contact_rows], batch_size=2000
    )
    FollowUp.objects.bulk_create(
        [FollowUp(**dict(zip(_FOLLOW_UP_COLUMNS, row, strict=True))) for row in follow_ups],
        batch_size=2000,
    )


def contact_stats_rebuild(*, account_ids: Sequence[int] | None = None) -> int:
    """Recompute ``AccountContactStats`` for many accounts with set-based statements."""
    if connection.vendor == "postgresql":
        return _contact_stats_rebuild_sql(account_ids)
    scope = Q() if account_ids is None else Q(account_id__in=list(account_ids))
    facts = (
        Interaction.objects.filter(scope)
        .order_by()
        .values("account_id")
        .annotate(
            last=Max("occurred_at"),
            meaningful=Max("occurred_at", filter=Q(channel__counts_for_cadence=True)),
            n=Count("pk"),
        )
    )
    rows = [
        AccountContactStats(
            account_id=f["account_id"],
            last_interaction_at=f["last"],
            last_meaningful_at=f["meaningful"],
            interaction_count=f["n"],
        )
        for f in facts.iterator(chunk_size=10_000)
    ]
    AccountContactStats.objects.bulk_create(
        rows,
        batch_size=5000,
        update_conflicts=True,
        unique_fields=["account"],
        update_fields=["last_interaction_at", "last_meaningful_at", "interaction_count"],
    )
    return len(rows)


def _contact_stats_rebuild_sql(account_ids: Sequence[int] | None) -> int:
    """One ``INSERT ... SELECT ... ON CONFLICT`` over the interactions (PostgreSQL)."""
    stats = AccountContactStats._meta.db_table
    interactions = Interaction._meta.db_table
    channels = Channel._meta.db_table
    where = "" if account_ids is None else "WHERE i.account_id = ANY(%s)"
    sql = f"""
        INSERT INTO {stats} (account_id, last_interaction_at, last_meaningful_at, interaction_count)
        SELECT i.account_id, MAX(i.occurred_at),
               MAX(i.occurred_at) FILTER (WHERE c.counts_for_cadence), COUNT(*)
        FROM {interactions} i JOIN {channels} c ON c.id = i.channel_id
        {where}
        GROUP BY i.account_id
        ON CONFLICT (account_id) DO UPDATE SET
            last_interaction_at = EXCLUDED.last_interaction_at,
            last_meaningful_at = EXCLUDED.last_meaningful_at,
            interaction_count = EXCLUDED.interaction_count
    """  # noqa: S608 - table names from model metadata, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [] if account_ids is None else [list(account_ids)])
        return int(cursor.rowcount)


def generate_reviews(*, seed: int = 0, today: dt.date | None = None) -> InteractionVolumeResult:
    """Sponsors and a year of strategic reviews for every account that requires them."""
    result = InteractionVolumeResult()
    rng = random.Random(seed + 1)
    today = today or timezone.localdate()
    tiers = list(
        TierPolicy.objects.filter(requires_quarterly_review=True).values_list("tier", flat=True)
    )
    executive = (
        User.objects.filter(groups__name=Role.EXECUTIVE, is_active=True).order_by("pk").first()
    )
    if executive is None:
        return result
    required = list(
        Account.objects.filter(tier__in=tiers)
        .exclude(status=AccountStatus.EXITED)
        .exclude(strategic_reviews__isnull=False)
        .order_by("pk")
        .values_list("pk", "owner_id")
        .distinct()
    )
    current = Quarter.of(today)
    with transaction.atomic():
        AccountSponsor.objects.bulk_create(
            [AccountSponsor(account_id=pk, executive=executive) for pk, _owner in required],
            ignore_conflicts=True,
            batch_size=5000,
        )
        result.sponsors = len(required)
        reviews: list[StrategicReview] = []
        for pk, owner_id in required:
            quarter = current.previous()
            for _i in range(4):
                if rng.random() < 0.9:
                    day = quarter.first_day + dt.timedelta(days=rng.randint(10, 80))
                    reviews.append(_review(pk, owner_id, day, StrategicReview.Status.HELD, rng))
                quarter = quarter.previous()
            roll = rng.random()
            days_in = (today - current.first_day).days
            if roll < 0.5 and days_in > 1:
                day = current.first_day + dt.timedelta(days=rng.randint(0, days_in - 1))
                reviews.append(_review(pk, owner_id, day, StrategicReview.Status.HELD, rng))
            elif roll < 0.75 and current.days_left(today) > 0:
                day = today + dt.timedelta(days=rng.randint(1, current.days_left(today)))
                reviews.append(_review(pk, owner_id, day, StrategicReview.Status.SCHEDULED, rng))
        StrategicReview.objects.bulk_create(reviews, batch_size=5000)
        if any(r.pk is None for r in reviews):  # a backend without ids from bulk inserts
            reviews = list(
                StrategicReview.objects.filter(account_id__in=[pk for pk, _o in required])
            )
        through = StrategicReview.executives.through
        through.objects.bulk_create(
            [
                through(strategicreview_id=r.pk, user_id=executive.pk)
                for r in reviews
                if r.status == StrategicReview.Status.HELD
            ],
            batch_size=5000,
        )
        result.reviews = len(reviews)
    return result


def _review(
    account_id: int, owner_id: int, day: dt.date, status: str, rng: random.Random
) -> StrategicReview:
    at = dt.datetime.combine(day, dt.time(rng.randint(9, 17)), tzinfo=portal_tz())
    quarter = Quarter.of(at)
    return StrategicReview(
        account_id=account_id,
        year=quarter.year,
        quarter=quarter.quarter,
        status=status,
        scheduled_at=at,
        location="Head office",
        agenda="Quarterly strategic dialogue",
        minutes="Reviewed the relationship." if status == StrategicReview.Status.HELD else "",
        created_by_id=owner_id,
    )


def analyze_tables() -> None:
    if connection.vendor != "postgresql":
        return
    tables = [
        m._meta.db_table
        for m in (Interaction, FollowUp, AccountContactStats, StrategicReview, AccountSponsor)
    ] + [
        Interaction.internal_participants.through._meta.db_table,
        Interaction.contacts.through._meta.db_table,
        StrategicReview.executives.through._meta.db_table,
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
