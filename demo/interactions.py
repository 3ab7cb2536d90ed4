"""Demo relationship history for `manage.py seed_demo`: interactions across channels over the
last year with follow-up actions, executive sponsors, and strategic reviews in several states.

Idempotent: an account that already has interactions (or reviews) is left alone; sponsors are
set only where none is named. Rows go through the services, so contact stats are kept and
django-auditlog records them like any other change. A seeded generator makes the same
history every time, relative to the day it is loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.choices import AccountStatus
from accounts.models import Account, TierPolicy
from interactions.models import AccountSponsor, Channel, FollowUp, Interaction, StrategicReview
from interactions.services.interactions import FollowUpData, interaction_create
from interactions.services.reviews import review_create
from kam.models import User
from kam.quarters import Quarter, portal_tz
from kam.roles import Role

DEMO_SEED = 20261129

# Interactions a year by tier (roughly the cadence, plus e-mail and messages).
PER_YEAR = {"strategic": 30, "key": 18, "core": 9, "standard": 4}
# This quarter's review, in turn across the accounts that require one.
QUARTER_STATES = ("held", "scheduled", "missing", "cancelled", "scheduled", "missing", "held")
CHANNEL_WEIGHTS = (
    ("meeting", 20), ("phone", 20), ("email", 18), ("video", 16),
    ("wechat", 14), ("site_visit", 6), ("event", 6),
)  # fmt: skip
SUBJECTS = (
    ("Refinancing of the {project}", "Walked through the refinancing terms; client wants a lower margin step-down after COD."),
    ("Quarterly business update", "Client shared the pipeline for next year; two new projects in origination."),
    ("Construction progress of the {project}", "EPC progress at plan; minor delay on grid connection works."),
    ("Green bond framework", "Discussed aligning the framework with the Green Bond Endorsed Project Catalogue."),
    ("Covenant compliance certificate", "DSCR comfortably above the lock-up level; certificate to follow."),
    ("ESG action plan follow-up", "Resettlement monitoring report is late; agreed a new date."),
    ("Hedging strategy", "Interest-rate swap for the term loan; asked for indicative pricing."),
    ("Annual strategy dinner", "Relationship dinner with the chairman; positive on deepening cooperation."),
    ("Syndication appetite", "Client sounded us out on co-lending with two policy banks."),
    ("Account plan review", "Reviewed products in use; cross-sell cash management and trade finance."),
)  # fmt: skip
OUTCOMES = (
    "Term sheet to be sent within two weeks.",
    "Client to provide updated financial model.",
    "No action needed.",
    "Credit team to review the request.",
    "Follow-up meeting with the CFO agreed.",
    "",
)
ACTIONS = (
    "Send indicative term sheet",
    "Share updated financial model with credit",
    "Arrange site visit with the technical adviser",
    "Circulate meeting notes to the account team",
    "Prepare pricing for the interest-rate swap",
)
VIDEO_LINKS = (
    "https://meeting.tencent.com/dm/{n}",
    "https://zoom.us/j/{n}",
    "https://teams.microsoft.com/l/meetup-join/{n}",
)


@dataclass(slots=True)
class InteractionSeedResult:
    interactions: int = 0
    follow_ups: int = 0
    reviews: int = 0
    sponsors: int = 0


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _w in pairs], [w for _v, w in pairs])[0]


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(rng.randint(8, 18), rng.choice((0, 15, 30, 45))), tzinfo=portal_tz()
    )


def _team_users(account: Account) -> list[User]:
    people = [account.owner]
    people += [m.user for m in account.memberships.all()]
    return people


def _seed_account_interactions(
    *,
    account: Account,
    rng: random.Random,
    today: dt.date,
    channels: dict[str, Channel],
    result: InteractionSeedResult,
) -> None:
    contacts = list(account.contacts.all())
    team = _team_users(account)
    projects = [p.name for p in account.projects.all()] or ["project"]
    count = max(2, int(PER_YEAR.get(account.tier, 5) * rng.uniform(0.6, 1.3)))
    now = timezone.now()
    days = sorted(rng.sample(range(1, 365), min(count, 364)), reverse=True)
    for days_ago in days:
        code = _weighted(rng, CHANNEL_WEIGHTS)
        channel = channels[code]
        subject, summary = rng.choice(SUBJECTS)
        occurred = _at(today - dt.timedelta(days=days_ago), rng)
        if occurred > now:
            occurred = now - dt.timedelta(hours=1)
        follow_ups: list[FollowUpData] = []
        if rng.random() < 0.35:
            due = occurred.date() + dt.timedelta(days=rng.randint(3, 21))
            follow_ups.append(FollowUpData(rng.choice(ACTIONS), rng.choice(team), due))
        interaction = interaction_create(
            account=account,
            user=account.owner,
            channel=channel,
            occurred_at=occurred,
            subject=subject.format(project=rng.choice(projects))[:200],
            summary=summary,
            outcome=rng.choice(OUTCOMES),
            meeting_link=rng.choice(VIDEO_LINKS).format(n=rng.randint(10**8, 10**9))
            if channel.is_video
            else "",
            is_confidential=rng.random() < 0.06,
            internal_participants=rng.sample(team, k=min(len(team), rng.randint(1, 2))),
            contacts=rng.sample(contacts, k=min(len(contacts), rng.randint(1, 2)))
            if contacts
            else [],
            follow_ups=follow_ups,
        )
        result.interactions += 1
        result.follow_ups += len(follow_ups)
        # Older actions were done; the recent ones stay open for the RM home.
        if follow_ups and days_ago > 10:
            FollowUp.objects.filter(interaction=interaction).update(
                done_at=occurred + dt.timedelta(days=rng.randint(1, 9))
            )


def _seed_account_reviews(
    *,
    account: Account,
    rng: random.Random,
    today: dt.date,
    executives: list[User],
    state: str,
    result: InteractionSeedResult,
) -> None:
    """Held reviews in the last four quarters (one missed), and this quarter in a state that
    varies by account: held, scheduled, cancelled, or not yet scheduled."""
    current = Quarter.of(today)
    quarter = current.previous()
    for _i in range(4):
        if rng.random() < 0.85:
            day = quarter.first_day + dt.timedelta(days=rng.randint(20, 80))
            review_create(
                account=account,
                user=account.owner,
                status=StrategicReview.Status.HELD,
                scheduled_at=_at(day, rng),
                location=rng.choice(("Head office, Beijing", "Client office", "Shanghai branch")),
                executives=rng.sample(executives, k=1),
                agenda="1. Relationship review\n2. Pipeline\n3. ESG and risk",
                minutes="Reviewed the relationship and next year's financing needs.",
                decisions="Continue as lead arranger on the next project.",
            )
            result.reviews += 1
        quarter = quarter.previous()
    days_in = (today - current.first_day).days
    if state == "held" and days_in > 3:
        day = current.first_day + dt.timedelta(days=rng.randint(1, days_in - 1))
        review_create(
            account=account,
            user=account.owner,
            status=StrategicReview.Status.HELD,
            scheduled_at=_at(day, rng),
            video_link=f"https://meeting.tencent.com/dm/{rng.randint(10**8, 10**9)}",
            executives=executives[:1],
            agenda="Quarterly strategic dialogue",
            minutes="Agreed on the financing plan for the coming year.",
            decisions="Prepare a joint proposal for the new wind project.",
            actions=[
                FollowUpData(
                    "Circulate the joint proposal", account.owner, today + dt.timedelta(days=10)
                )
            ],
        )
        result.reviews += 1
    elif state in ("scheduled", "cancelled") or state == "held":
        left = max(current.days_left(today), 1)
        day = today + dt.timedelta(days=rng.randint(1, left)) if left > 1 else today
        review_create(
            account=account,
            user=account.owner,
            status=StrategicReview.Status.CANCELLED
            if state == "cancelled"
            else StrategicReview.Status.SCHEDULED,
            scheduled_at=_at(day, rng) if day > today else timezone.now() + dt.timedelta(hours=2),
            location="Head office, Beijing",
            executives=executives[:1],
            agenda="Quarterly strategic dialogue",
        )
        result.reviews += 1


@transaction.atomic
def seed_interactions(
    *, today: dt.date | None = None, seed: int = DEMO_SEED
) -> InteractionSeedResult:
    """Give every demo account (not the volume book) a year of relationship history."""
    result = InteractionSeedResult()
    today = today or timezone.localdate()
    channels = {c.code: c for c in Channel.objects.all()}
    executives = list(
        User.objects.filter(groups__name=Role.EXECUTIVE, is_active=True).order_by("pk")
    )
    review_tiers = set(
        TierPolicy.objects.filter(requires_quarterly_review=True).values_list("tier", flat=True)
    )
    accounts = (
        Account.objects.exclude(owner__username__startswith="vol.")
        .select_related("owner", "team")
        .prefetch_related("memberships__user")
        .order_by("pk")
    )
    with_history = set(
        Interaction.objects.filter(account__in=accounts)
        .values_list("account_id", flat=True)
        .distinct()
    )
    with_reviews = set(
        StrategicReview.objects.filter(account__in=accounts)
        .values_list("account_id", flat=True)
        .distinct()
    )
    sponsored = set(
        AccountSponsor.objects.filter(account__in=accounts).values_list("account_id", flat=True)
    )
    required_index = 0
    for account in accounts:
        # One generator per account: re-runs and new accounts never shift the others' history.
        account_rng = random.Random(f"{seed}-{account.uscc or account.legal_name_en}")
        if account.status == AccountStatus.PROSPECT and account_rng.random() < 0.5:
            continue
        if account.pk not in with_history:
            _seed_account_interactions(
                account=account, rng=account_rng, today=today, channels=channels, result=result
            )
        required = account.tier in review_tiers and account.status != AccountStatus.EXITED
        if required and executives:
            if account.pk not in sponsored:
                AccountSponsor.objects.create(account=account, executive=executives[0])
                result.sponsors += 1
            if account.pk not in with_reviews:
                state = QUARTER_STATES[required_index % len(QUARTER_STATES)]
                _seed_account_reviews(
                    account=account,
                    rng=account_rng,
                    today=today,
                    executives=executives,
                    state=state,
                    result=result,
                )
            required_index += 1
    return result
