"""Demo service requests for `manage.py seed_demo` (issue 5): requests of the last three months
in every state — answered and resolved in time, late, waiting on the client (clock paused),
reopened, still new and overdue (breached), rated by the client — so the request pages, the
RM home's clocks and the service report have something to show.

Every request goes through the services with the times it happened at, so deadlines, pauses,
history and breaches are exactly what the portal computes; a breach scan at the end records
the clocks that ran out. Idempotent: an account that already has service requests is left
alone. A seeded generator per account makes the same requests every time, relative to the
day they are loaded. A request whose deadlines fall in a year the working calendar does not
know yet is skipped (the clock refuses to guess).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from interactions.business_time import BusinessHours, add_business_time, is_workday
from interactions.models import Channel
from interactions.models.service import ServiceRequest, SlaBreach
from interactions.services import service as services

DEMO_SEED = 20261205

PER_TIER = {"strategic": 6, "key": 4, "core": 2, "standard": 1}
# What happens to a request, in turn (old requests first, the newest last).
STORIES = (
    "closed",
    "resolved_late",
    "closed_paused",
    "closed",
    "reopened",
    "waiting",
    "responded",
    "new_overdue",
    "new",
)
REQUESTS = (
    ("Drawdown notice for the next tranche", "The client needs the drawdown confirmed before the EPC milestone payment."),
    ("DSCR covenant waiver request", "Lock-up test may be missed this period because of curtailment; client asks for a one-off waiver."),
    ("Interest-rate swap indicative pricing", "Indicative pricing for hedging 70% of the term loan."),
    ("Letter of credit amendment", "Extend the expiry of the standby LC by six months."),
    ("Bank confirmation letter for the auditors", "Year-end confirmation of balances and facilities."),
    ("Green loan annual reporting template", "Which template to use for the green loan impact report."),
    ("KYC documents update", "New legal representative; updated business licence to be filed."),
    ("Repayment schedule after COD slip", "Re-sculpt the repayment profile after the six-month delay."),
    ("Guarantee issuance for the bid bond", "Bid bond for the new tender, due next week."),
    ("Fee invoice query", "Arrangement fee invoice does not match the mandate letter."),
)  # fmt: skip
PRIORITIES = ("normal", "high", "normal", "urgent", "low", "normal", "high")
CHANNELS = ("email", "phone", "wechat", "meeting", "video", "email", "phone")
GOOD = (5, 5, 4, 4, 5, 3)
POOR = (2, 3, 1, 3)


@dataclass(slots=True)
class ServiceSeedResult:
    requests: int = 0
    skipped: int = 0
    breaches: int = 0


def _work_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """A time in business hours on the first working day from ``day``."""
    hours = BusinessHours()
    while not is_workday(day):
        day += dt.timedelta(days=1)
    minute = rng.randrange(9 * 60 + 15, 17 * 60)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=hours.tz)


def seed_service_requests(
    *, now: dt.datetime | None = None, seed: int = DEMO_SEED
) -> ServiceSeedResult:
    """Give every demo account (not the volume book) a few service requests."""
    result = ServiceSeedResult()
    now = now or timezone.now()
    channels = {c.code: c for c in Channel.objects.filter(is_active=True)}
    accounts = (
        Account.objects.exclude(owner__username__startswith="vol.")
        .select_related("owner", "team")
        .order_by("pk")
    )
    with_requests = set(
        ServiceRequest.objects.filter(account__in=accounts)
        .values_list("account_id", flat=True)
        .distinct()
    )
    for index, account in enumerate(accounts):
        if account.pk in with_requests or not channels:
            continue
        rng = random.Random(f"{seed}-{account.uscc or account.legal_name_en}")
        count = PER_TIER.get(account.tier, 1)
        stories = [STORIES[(index + n) % len(STORIES)] for n in range(count)]
        # Old stories first: a request that is still new happened recently.
        stories.sort(key=lambda story: STORIES.index(story))
        for number, story in enumerate(stories):
            try:
                with transaction.atomic():
                    _seed_one(account, rng, story, number, count, now, channels)
                result.requests += 1
            except ValidationError:
                result.skipped += 1
    if result.requests:
        services.sla_breach_scan_now()
        result.breaches = SlaBreach.objects.filter(
            request__account__in=accounts.exclude(pk__in=with_requests)
        ).count()
    return result


def _seed_one(
    account: Account,
    rng: random.Random,
    story: str,
    number: int,
    count: int,
    now: dt.datetime,
    channels: dict[str, Channel],
) -> None:
    owner = account.owner
    subject, description = rng.choice(REQUESTS)
    priority = rng.choice(PRIORITIES)
    channel = channels.get(rng.choice(CHANNELS)) or next(iter(channels.values()))
    today = timezone.localdate(now)
    if story in ("new", "new_overdue", "responded", "waiting"):
        days_ago = {"new": 0, "new_overdue": rng.randint(3, 6)}.get(story, rng.randint(1, 4))
    else:
        days_ago = rng.randint(12, 85) - number
    opened = _work_moment(rng, today - dt.timedelta(days=max(days_ago, 0)))
    if story == "new":
        opened = min(opened, now - dt.timedelta(minutes=rng.randint(10, 60)))
    if opened >= now:
        opened = now - dt.timedelta(hours=1)
    sr = services.service_request_open(
        account=account,
        channel=channel,
        priority=priority,
        subject=subject,
        description=description,
        opened_by=owner,
        opened_at=opened,
    )
    if story in ("new", "new_overdue"):
        return
    hours = sr.hours

    def after(base: dt.datetime, share: float, target: dt.timedelta) -> dt.datetime:
        moment = add_business_time(
            base, dt.timedelta(seconds=target.total_seconds() * share), hours=hours
        )
        return min(moment, now - dt.timedelta(minutes=1))

    late = story == "resolved_late"
    responded = after(
        opened, rng.uniform(1.3, 2.0) if late else rng.uniform(0.2, 0.7), sr.response_target
    )
    sr = services.service_request_respond(
        request=sr, user=owner, responded_at=responded, note="Acknowledged and asked the details."
    )
    if story == "responded":
        return
    if story in ("waiting", "closed_paused"):
        paused = after(responded, 0.2, sr.resolution_target)
        sr = services.service_request_wait_on_client(
            request=sr, user=owner, note="Waiting for the client's signed documents.", at=paused
        )
        if story == "waiting":
            return
        resumed = after(paused, 0.5, sr.resolution_target)
        sr = services.service_request_resume(
            request=sr, user=owner, note="Documents received.", at=resumed
        )
        responded = resumed
    share = rng.uniform(1.2, 1.6) if late else rng.uniform(0.3, 0.8)
    resolved = after(
        sr.opened_at, share, sr.resolution_target + dt.timedelta(seconds=sr.paused_seconds)
    )
    resolved = max(resolved, responded + dt.timedelta(minutes=5))
    sr = services.service_request_resolve(
        request=sr, user=owner, note="Confirmed to the client in writing.", resolved_at=resolved
    )
    rated = min(resolved + dt.timedelta(hours=rng.randint(2, 30)), now - dt.timedelta(minutes=1))
    score = rng.choice(POOR if late else GOOD)
    sr = services.service_request_rate(
        request=sr,
        user=owner,
        score=score,
        comment="Slow, but solved." if late else "Clear and quick.",
        at=rated,
    )
    if story in ("closed", "closed_paused"):
        closed = min(rated + dt.timedelta(days=2), now - dt.timedelta(minutes=1))
        services.service_request_close(request=sr, user=owner, at=max(closed, rated))
    elif story == "reopened":
        reopened = min(rated + dt.timedelta(days=1), now - dt.timedelta(minutes=1))
        services.service_request_reopen(
            request=sr,
            user=owner,
            note="The client found an error in the confirmation letter.",
            at=max(reopened, rated),
        )
