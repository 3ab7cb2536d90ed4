"""Reads of interactions, cadence, contact coverage and follow-ups (issue 4).

Everything starts from accounts.selectors (the one door). Confidential interactions are
visible only to the account team — the owner, users on the account team and the team lead —
and to compliance, who read their notes one interaction at a time, each read logged; never
to the other all-accounts readers (executives, risk, administrators) nor in exports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation

from accounts.choices import AccountStatus, Seniority
from accounts.models import Account, AccountMembership, Contact, TierPolicy
from accounts.selectors import (
    ACCOUNT_ROW_FIELDS,
    account_filter_for_user,
    account_list_for_user,
    account_row_fields,
    tier_policies,
)
from kam.models import Notification, User, person_name
from kam.quarters import portal_tz, today
from kam.roles import Role

from ..models import AccountContactStats, Channel, FollowUp, Interaction
from ..models.interactions import meeting_platform
from .reviews import can_see_coverage, reviews_upcoming_for_user

SENIOR_LEVELS = (Seniority.BOARD, Seniority.C_LEVEL, Seniority.SENIOR)
COVERAGE_DAYS = 90
HOME_ROWS = 10


# ---------------------------------------------------------------- the account team


def account_team_q(user: User, prefix: str = "") -> Q:
    """Accounts (reached through ``prefix``) on whose team ``user`` is: owner, member, lead."""
    return (
        Q(**{f"{prefix}owner": user})
        | Q(**{f"{prefix}team__lead": user})
        | Q(
            Exists(
                AccountMembership.objects.filter(
                    account=OuterRef(f"{prefix}pk" if prefix else "pk"), user=user
                )
            )
        )
    )


def is_account_team(*, user: User, account: Account) -> bool:
    """Whether ``user`` is on the team of an account already fetched through the one door."""
    if not user.is_authenticated:
        return False
    if account.owner_id == user.pk:
        return True
    if account.team_id is not None and account.team is not None and account.team.lead_id == user.pk:
        return True
    return AccountMembership.objects.filter(account=account, user=user).exists()


# ---------------------------------------------------------------- interactions


def reads_confidential_as_compliance(user: User) -> bool:
    """Compliance reads every confidential interaction (each read of its notes logged)."""
    return user.is_authenticated and user.has_role(Role.COMPLIANCE)


@dataclass(frozen=True, slots=True)
class ConfidentialAccess:
    """How a user reaches an account's confidential interactions: as one of its account team
    (like any other interaction), or as compliance (listed, but their notes are shown only
    on the interaction's own page, and that read is logged), or not at all."""

    team: bool = False
    compliance: bool = False

    @property
    def sees(self) -> bool:
        return self.team or self.compliance


def confidential_access(*, user: User, account: Account) -> ConfidentialAccess:
    """``account`` was fetched through the one door for ``user``."""
    if is_account_team(user=user, account=account):
        return ConfidentialAccess(team=True)
    return ConfidentialAccess(compliance=reads_confidential_as_compliance(user))


def _confidential_filter(user: User) -> Q:
    if reads_confidential_as_compliance(user):
        return Q()
    return Q(is_confidential=False) | account_team_q(user, prefix="account__")


def interaction_list_for_user(*, user: User) -> QuerySet[Interaction]:
    """Every interaction ``user`` may read, across accounts."""
    return Interaction.objects.filter(account_filter_for_user(user=user)).filter(
        _confidential_filter(user)
    )


def interaction_list_for_export(*, user: User) -> QuerySet[Interaction]:
    """What an export may contain: visible interactions, never the confidential ones."""
    return Interaction.objects.filter(account_filter_for_user(user=user), is_confidential=False)


def _timeline(*, account: Account, access: ConfidentialAccess) -> QuerySet[Interaction]:
    qs = Interaction.objects.filter(account=account)
    if not access.sees:
        qs = qs.filter(is_confidential=False)
    return qs.order_by("-occurred_at", "-pk")


def timeline_values(
    *, account: Account, access: ConfidentialAccess, with_confidential_notes: bool = False
) -> QuerySet[Interaction, dict[str, Any]]:
    """The timeline as the page reads it: plain values, newest first, ready to paginate and
    to hand to ``timeline_rows``. Confidential notes are read (and decrypted) for the account
    team, and for compliance only when ``with_confidential_notes`` (a logged read)."""
    notes = access.team or (access.compliance and with_confidential_notes)
    columns = (*TIMELINE_VALUES, *(CONFIDENTIAL_NOTES if notes else ()))
    return _timeline(account=account, access=access).values(*columns)


@dataclass(frozen=True, slots=True)
class ActionRow:
    pk: int
    description: str
    owner_id: int
    owner_name: str
    due: str
    state: str  # done, overdue, open


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One interaction, flattened for the timeline: names joined and dates formatted once in
    Python, which keeps the template cheap at twenty rows a page."""

    pk: int
    subject: str
    channel: str
    is_confidential: bool
    summary: str
    outcome: str
    notes_withheld: bool  # confidential, shown on its own page only (compliance: logged)
    when_iso: str
    when: str
    people: str
    contacts: str
    meeting_link: str
    meeting_platform: str
    logged_by: str
    actions: tuple[ActionRow, ...]


# The columns of a timeline row: plain values, no model instances (twenty rows a page).
TIMELINE_VALUES = (
    "pk",
    "subject",
    "summary",
    "outcome",
    "occurred_at",
    "is_confidential",
    "meeting_link",
    "channel__name",
    "channel__name_zh",
    "created_by__username",
    "created_by__first_name",
    "created_by__last_name",
)
# The encrypted notes of confidential interactions: read only by those who may see them.
CONFIDENTIAL_NOTES = ("confidential_summary", "confidential_outcome")


def timeline_rows(interactions: Any, *, on: dt.date) -> list[TimelineRow]:
    """Rows for a page of ``timeline_values``: three
    more queries (participants, contacts, follow-ups), each for the whole page, read as
    plain values."""
    interactions = list(interactions)
    ids = [i["pk"] for i in interactions]
    people: dict[int, list[str]] = {pk: [] for pk in ids}
    contacts: dict[int, list[str]] = {pk: [] for pk in ids}
    actions: dict[int, list[ActionRow]] = {pk: [] for pk in ids}
    if ids:
        participants = Interaction.internal_participants.through.objects.filter(
            interaction_id__in=ids
        ).order_by("user__username")
        for pk, username, first, last in participants.values_list(
            "interaction_id", "user__username", "user__first_name", "user__last_name"
        ):
            people[pk].append(person_name(username, first, last))
        met = Interaction.contacts.through.objects.filter(interaction_id__in=ids)
        for pk, name in met.order_by("contact__name").values_list(
            "interaction_id", "contact__name"
        ):
            contacts[pk].append(name)
        for f in (
            FollowUp.objects.filter(interaction_id__in=ids)
            .order_by("due_date", "pk")
            .values_list(
                "pk",
                "interaction_id",
                "description",
                "owner_id",
                "owner__username",
                "owner__first_name",
                "owner__last_name",
                "due_date",
                "done_at",
            )
        ):
            pk, interaction_id, description, owner_id, username, first, last, due, done = f
            actions[interaction_id].append(
                ActionRow(
                    pk=pk,
                    description=description,
                    owner_id=owner_id,
                    owner_name=person_name(username, first, last),
                    due=due.isoformat(),
                    state="done" if done else ("overdue" if due < on else "open"),
                )
            )
    chinese = (translation.get_language() or "").lower().startswith("zh")
    rows = []
    for i in interactions:
        local = timezone.localtime(i["occurred_at"])
        logged_by = i["created_by__username"]
        summary, outcome, withheld = i["summary"], i["outcome"], False
        if i["is_confidential"]:
            withheld = "confidential_summary" not in i
            summary = i.get("confidential_summary", "")
            outcome = i.get("confidential_outcome", "")
        rows.append(
            TimelineRow(
                pk=i["pk"],
                subject=i["subject"],
                channel=(chinese and i["channel__name_zh"]) or i["channel__name"],
                is_confidential=i["is_confidential"],
                summary=summary,
                outcome=outcome,
                notes_withheld=withheld,
                when_iso=local.isoformat(),
                when=local.strftime("%Y-%m-%d %H:%M"),
                people=", ".join(people[i["pk"]]),
                contacts=", ".join(contacts[i["pk"]]),
                meeting_link=i["meeting_link"],
                meeting_platform=meeting_platform(i["meeting_link"]) if i["meeting_link"] else "",
                logged_by=person_name(
                    logged_by, i["created_by__first_name"], i["created_by__last_name"]
                )
                if logged_by
                else "",
                actions=tuple(actions[i["pk"]]),
            )
        )
    return rows


def interaction_get_for_user(
    *, account: Account, pk: int | str, access: ConfidentialAccess
) -> Interaction:
    """One interaction of an account fetched through the one door; 404 when confidential
    and ``access`` does not see confidential interactions."""
    try:
        interaction = _timeline(account=account, access=access).select_related("channel").get(pk=pk)
    except (Interaction.DoesNotExist, ValueError) as exc:
        raise Http404("No such interaction.") from exc
    interaction.account = account  # already in hand: no query for it
    return interaction


def channel_choices() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True).order_by("sort_order", "name")


def contacts_with_preferences(*, account: Account) -> list[dict[str, Any]]:
    """The account's contacts with their preferred channels as Channel rows, for logging."""
    channels = {c.code: c for c in Channel.objects.all()}
    rows = []
    for contact in account.contacts.order_by("name"):
        preferred = [channels[code] for code in contact.channel_preferences if code in channels]
        rows.append({"contact": contact, "channels": preferred})
    return rows


# ---------------------------------------------------------------- cadence


@dataclass(frozen=True)
class Cadence:
    """An account's contact rhythm against its tier's target."""

    cadence_days: int | None
    last_interaction_at: dt.datetime | None
    last_meaningful_at: dt.datetime | None
    next_due: dt.date | None
    today: dt.date

    @property
    def days_since(self) -> int | None:
        if self.last_meaningful_at is None:
            return None
        return (self.today - timezone.localdate(self.last_meaningful_at)).days

    @property
    def days_overdue(self) -> int:
        if self.next_due is None:
            return 0
        return max(0, (self.today - self.next_due).days)

    @property
    def status(self) -> str:
        """``none`` (no target), ``never`` (no contact yet), ``overdue``, ``due_soon`` or ``ok``."""
        if self.cadence_days is None:
            return "none"
        if self.last_meaningful_at is None:
            return "never"
        assert self.next_due is not None
        if self.next_due < self.today:
            return "overdue"
        if (self.next_due - self.today).days <= min(7, self.cadence_days // 2):
            return "due_soon"
        return "ok"


def tier_cadence_days(policies: dict[str, TierPolicy] | None = None) -> dict[str, int]:
    """Each tier's contact cadence in days (from ``policies`` when the page has read them)."""
    policies = tier_policies() if policies is None else policies
    return {tier: policy.cadence_days for tier, policy in policies.items()}


def cadence_for_account(
    *, account: Account, cadence_days: int | None = None, stats_read: bool = False
) -> Cadence:
    """``stats_read``: ``account`` was just read with ``select_related("contact_stats")``,
    which saves the query of its statistics."""
    if cadence_days is None:
        cadence_days = tier_cadence_days().get(account.tier)
    stats: AccountContactStats | None
    if stats_read and Account.contact_stats.is_cached(account):
        try:
            stats = account.contact_stats
        except AccountContactStats.DoesNotExist:  # read with the account: it has none
            stats = None
    else:
        stats = AccountContactStats.objects.filter(account=account).first()
    last = stats.last_meaningful_at if stats else None
    next_due = (
        timezone.localdate(last) + dt.timedelta(days=cadence_days)
        if last and cadence_days
        else None
    )
    return Cadence(
        cadence_days=cadence_days,
        last_interaction_at=stats.last_interaction_at if stats else None,
        last_meaningful_at=last,
        next_due=next_due,
        today=today(),
    )


def cadence_overdue_q(*, cadence: dict[str, int], now: dt.datetime | None = None) -> Q:
    """Accounts whose last meaningful interaction is older than their tier allows (or who
    were never contacted): one OR per tier, so the whole book is one indexed query."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for tier, days in cadence.items():
        condition |= Q(tier=tier) & (
            Q(contact_stats__last_meaningful_at__isnull=True)
            | Q(contact_stats__last_meaningful_at__lt=now - dt.timedelta(days=days))
        )
    return condition


def accounts_cadence_overdue(
    *, user: User, owned_only: bool = True, policies: dict[str, TierPolicy] | None = None
) -> QuerySet[Account]:
    """Active accounts of ``user`` that are due a meaningful contact, longest waiting first."""
    qs = account_list_for_user(user=user)
    if owned_only:
        qs = qs.filter(owner=user)
    return (
        qs.exclude(status__in=[AccountStatus.EXITED])
        .filter(cadence_overdue_q(cadence=tier_cadence_days(policies)))
        .select_related("contact_stats")
        .order_by(F("contact_stats__last_meaningful_at").asc(nulls_first=True), "pk")
    )


# ---------------------------------------------------------------- contact coverage


def senior_contacts_not_met(*, account: Account, days: int = COVERAGE_DAYS) -> list[Contact]:
    """Senior contacts (board, C-level, senior) with no meaningful interaction in ``days``;
    each carries ``last_met`` (None when never met). Multi-threading: who are we missing?
    Counted in whole days (since the start of the day ``days`` ago), so the answer is the
    same all day."""
    since = dt.datetime.combine(today() - dt.timedelta(days=days), dt.time.min, portal_tz())
    contacts = (
        Contact.objects.filter(account=account, seniority__in=SENIOR_LEVELS)
        .defer("phone", "email")  # never shown here: no decryption
        .annotate(
            last_met=Max(
                "interactions__occurred_at",
                filter=Q(interactions__channel__counts_for_cadence=True),
            )
        )
        .filter(Q(last_met__isnull=True) | Q(last_met__lt=since))
        .order_by(F("last_met").asc(nulls_first=True), "name")
    )
    return list(contacts)


# ---------------------------------------------------------------- follow-ups and home


def follow_ups_open_for_user(*, user: User) -> QuerySet[FollowUp]:
    """Open actions owned by ``user`` on accounts they may see, earliest due first."""
    return (
        FollowUp.objects.filter(
            account_filter_for_user(user=user), owner=user, done_at__isnull=True
        )
        .select_related("account", "interaction", "review")
        .order_by("due_date", "pk")
    )


def home_relationship(
    *, user: User, policies: dict[str, TierPolicy] | None = None
) -> dict[str, Any]:
    """The RM home's relationship sections: overdue cadence, follow-ups due, unread
    notifications. A fixed handful of queries, however large the book (``policies``: the
    tier policies, when the page has read them)."""
    horizon = today() + dt.timedelta(days=7)
    # Each list reads only what its rows show (ACCOUNT_ROW_FIELDS): whole accounts with
    # their interactions and reviews cost the home most of its time to compile and load.
    overdue = list(
        accounts_cadence_overdue(user=user, policies=policies).only(
            *ACCOUNT_ROW_FIELDS, "contact_stats__last_meaningful_at"
        )[: HOME_ROWS + 1]
    )
    follow_ups = list(
        follow_ups_open_for_user(user=user)
        .filter(due_date__lte=horizon)
        .select_related(None)
        .select_related("account")
        .only(
            "account_id",
            "interaction_id",
            "review_id",
            "description",
            "due_date",
            *account_row_fields("account__"),
        )[: HOME_ROWS + 1]
    )
    reviews = list(
        reviews_upcoming_for_user(user=user).only(
            "account_id", "year", "quarter", "scheduled_at", *account_row_fields("account__")
        )[: HOME_ROWS + 1]
    )
    notifications = list(
        Notification.objects.filter(user=user, read_at__isnull=True).order_by("-created_at", "-pk")[
            : HOME_ROWS + 1
        ]
    )
    return {
        "cadence_overdue": overdue[:HOME_ROWS],
        "cadence_overdue_more": len(overdue) > HOME_ROWS,
        "follow_ups_due": follow_ups[:HOME_ROWS],
        "follow_ups_more": len(follow_ups) > HOME_ROWS,
        "reviews_upcoming": reviews[:HOME_ROWS],
        "reviews_more": len(reviews) > HOME_ROWS,
        "notifications": notifications[:HOME_ROWS],
        "notifications_more": len(notifications) > HOME_ROWS,
        "today": today(),
        "can_see_coverage": can_see_coverage(user),
    }
