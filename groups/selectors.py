"""Reads of client groups, through the one door to accounts: a user sees a group when at
least one of its member accounts is in their book; the group's other accounts show by name
only, without a link, their figures or their facilities and projects. The group's totals
(exposure per currency, by classification, against capital) still count them, and the page
says how many accounts and facilities outside the user's book the totals include."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from accounts.choices import LoanClass, Tier
from accounts.exposure import ExposureSummary, fx_rates, in_cny, summarize
from accounts.models import Account, Facility, Project, ProjectParty
from accounts.selectors import (
    account_filter_for_user,
    account_list_for_user,
    visible_ids_in_hand,
)
from kam.model_mixins import choice_labels
from kam.models import User
from kam.roles import Role

from . import concentration
from .models import CapitalBase, ClientGroup, ConnectedParty, GroupMembership

ZERO = Decimal("0")
TIER_ORDER = list(Tier.values)  # highest first


def user_manages_groups(user: User) -> bool:
    """Administrators and risk officers keep groups and connected parties; others read."""
    return user.is_authenticated and (user.is_portal_admin or user.has_role(Role.RISK))


def _reads_every_group(user: User) -> bool:
    return user.is_portal_admin or user.reads_all_accounts


def group_list_for_user(*, user: User) -> QuerySet[ClientGroup]:
    """The groups with at least one member account in ``user``'s book."""
    if not user.is_authenticated or not user.is_active:
        return ClientGroup.objects.none()
    groups = ClientGroup.objects.select_related("parent").only(
        "name_en", "name_zh", "note", "parent__legal_name_en", "parent__legal_name_zh"
    )
    if _reads_every_group(user):
        return groups
    member_of = GroupMembership.objects.filter(
        account_filter_for_user(user=user, field="account")
    ).values("group_id")
    return groups.filter(pk__in=member_of)


def group_get_for_user(*, user: User, pk: int | str) -> ClientGroup:
    """One group: 404 unless one of its member accounts is in ``user``'s book."""
    try:
        return group_list_for_user(user=user).get(pk=pk)
    except (ClientGroup.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such group.") from exc


def group_of_account(*, account: Account) -> GroupMembership | None:
    """The account's place in a group (the account page shows it): one query."""
    return (
        GroupMembership.objects.filter(account=account)
        .select_related("group")
        .only("group__name_en", "group__name_zh", "group__parent_id", "parent_id", "account_id")
        .first()
    )


def tier_counts(tiers: list[str]) -> list[tuple[str, str, int]]:
    """(tier, label, how many members) per tier, highest tier first; the group's tier is the
    first: the highest among its members. Tiers nobody has are left out."""
    counted: dict[str, int] = defaultdict(int)
    for tier in tiers:
        counted[tier] += 1
    labels = dict(Tier.choices)
    return [(tier, str(labels[tier]), counted[tier]) for tier in TIER_ORDER if counted.get(tier)]


def group_tiers(group_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    """Each group's members per tier, highest first (one query for a page of groups)."""
    rows = (
        GroupMembership.objects.filter(group_id__in=group_ids)
        .order_by()
        .values_list("group_id", "account__tier")
        .annotate(n=Count("pk"))
    )
    found: dict[int, list[str]] = defaultdict(list)
    for group_id, tier, n in rows:
        found[group_id].extend([tier] * n)
    return {group_id: tier_counts(tiers) for group_id, tiers in found.items()}


# ---------------------------------------------------------------- the group page
#
# The page reads plain values (``values_list``), never model instances, and its long tables
# (members, projects, facilities) are written by groups.templatetags.group_tags from the rows
# below: a group of fifty members has hundreds of projects and facilities.


@dataclass(slots=True)
class MemberRow:
    membership_pk: int
    account_id: int
    name: str
    name_zh: str
    tier: str
    tier_label: str
    status: str
    status_label: str
    depth: int
    ownership_pct: Decimal | None
    visible: bool
    # None for a member outside the user's book: its figures are only in the group's totals.
    exposure_cny: Decimal | None = None
    facilities: int | None = None

    @property
    def indent(self) -> str:
        """The Bootstrap padding class that draws the tree (no inline styles under the CSP)."""
        return f"ps-{min(self.depth * 2, 5)}"


@dataclass
class Hidden:
    """What the group's totals include from accounts outside the user's book."""

    accounts: int = 0
    facilities: int = 0


@dataclass
class ClassRow:
    code: int
    label: str
    facilities: int = 0
    exposure_cny: Decimal = ZERO


@dataclass(slots=True)
class FacilityRow:
    """A facility of a member, as the page lists it and adds it up (accounts.exposure)."""

    pk: int
    project: str
    project_id: int
    borrower_id: int
    borrower: str
    name: str
    kind_label: str
    currency: str
    commitment: Decimal
    drawn: Decimal
    undrawn: Decimal
    exposure: Decimal
    classification: int
    class_label: str
    maturity: str  # YYYY-MM-DD, or empty

    @property
    def exposure_amount(self) -> Decimal:
        return self.exposure

    @property
    def over_commitment(self) -> bool:
        return self.drawn > self.commitment


@dataclass(slots=True)
class ProjectRow:
    """A project a member the user may open is a party of: the members involved and their
    roles (every party is on the project's page), its lead account, stage, and the exposure of
    the facilities the listed members borrow under it."""

    pk: int
    name: str
    lead_account_id: int
    lead_name: str
    lead_visible: bool  # the project opens through its lead account's book
    stage_label: str
    parties: list[tuple[str, str]] = field(default_factory=list)  # (member name, role labels)
    exposure_cny: Decimal | None = None  # None: no facility of the listed members


@dataclass
class ConnectionRow:
    member: str
    member_id: int
    member_visible: bool
    other: str
    other_id: int
    other_visible: bool
    other_group: str
    other_group_id: int | None
    reason: str
    note: str
    pk: int


@dataclass
class Concentration:
    capital: CapitalBase | None
    group_cny: Decimal
    group_share_pct: Decimal | None
    connected_cny: Decimal
    connected_share_pct: Decimal | None
    connected_units: int
    connected_accounts: int
    group_limit_pct: Decimal = concentration.GROUP_LIMIT_PCT
    single_limit_pct: Decimal = concentration.SINGLE_CLIENT_LIMIT_PCT


def _visible_among(user: User, ids: list[int]) -> set[int]:
    """Which of ``ids`` the user may open: no query when they read every account or their book
    is in hand (``visible_ids_in_hand``), else one."""
    if _reads_every_group(user):
        return set(ids)
    book = visible_ids_in_hand(user=user)
    if book is not None:
        return {pk for pk in ids if pk in book}
    return set(
        account_list_for_user(user=user).filter(pk__in=ids).values_list("pk", flat=True).order_by()
    )


def _name(account: Account) -> str:
    return account.legal_name_en or account.legal_name_zh


def _labels(model: Any, name: str) -> dict[Any, str]:
    """value → label of a choice field in the active language (built once per language)."""
    return choice_labels(model._meta.get_field(name))


# (membership pk, account id, parent account id, ownership %, name en, name zh, tier, status)
_Membership = tuple[int, int, int | None, Decimal | None, str, str, str, str]


def group_page(*, group: ClientGroup, user: User) -> dict[str, Any]:
    """Everything the group page shows, in a fixed number of queries whatever the number of
    members: the tree, the members' projects and facilities, exposure per currency and
    classification, connected parties, the tier and the concentration against capital."""
    memberships: list[_Membership] = list(
        GroupMembership.objects.filter(group=group)
        .order_by("account__legal_name_en", "account__legal_name_zh", "pk")
        .values_list(
            "pk",
            "account_id",
            "parent_id",
            "ownership_pct",
            "account__legal_name_en",
            "account__legal_name_zh",
            "account__tier",
            "account__status",
        )
    )
    member_ids = [m[1] for m in memberships]
    visible = _visible_among(user, member_ids)
    names = {m[1]: m[4] or m[5] for m in memberships}
    rates = fx_rates()

    kinds = _labels(Facility, "kind")
    class_labels = _labels(Facility, "classification")
    facilities = [
        FacilityRow(
            pk,
            project,
            project_id,
            borrower_id,
            names.get(borrower_id, ""),
            name,
            kinds.get(kind, kind),
            currency,
            commitment,
            drawn,
            undrawn,
            exposure,
            classification,
            class_labels.get(classification, str(classification)),
            maturity.isoformat() if maturity else "",
        )
        for (
            pk,
            project,
            project_id,
            borrower_id,
            name,
            kind,
            currency,
            commitment,
            drawn,
            undrawn,
            exposure,
            classification,
            maturity,
        ) in Facility.objects.filter(borrower_id__in=member_ids)
        .order_by("project__name", "name", "pk")
        .values_list(
            "pk",
            "project__name",
            "project_id",
            "borrower_id",
            "name",
            "kind",
            "currency",
            "commitment",
            "drawn",
            "undrawn",
            "exposure",
            "classification",
            "maturity_date",
        )
    ]
    # The totals count every member's facilities; the rows show only the user's book's.
    exposure = summarize(facilities, rates)
    per_account: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    per_account_n: dict[int, int] = defaultdict(int)
    per_project: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    classes = {c.value: ClassRow(c.value, str(c.label)) for c in LoanClass}
    shown: list[FacilityRow] = []
    hidden = Hidden()
    hidden_borrowers: set[int] = set()
    for facility in facilities:
        per_account[facility.borrower_id][facility.currency] += facility.exposure
        per_account_n[facility.borrower_id] += 1
        row = classes[facility.classification]
        row.facilities += 1
        rate = rates.get(facility.currency)
        if rate is not None:
            row.exposure_cny += facility.exposure * rate
        if facility.borrower_id in visible:
            shown.append(facility)
            per_project[facility.project_id][facility.currency] += facility.exposure
        else:
            hidden.facilities += 1
            hidden_borrowers.add(facility.borrower_id)
    hidden.accounts = len(hidden_borrowers)

    members = _tree(group, memberships, visible)
    for member in members:
        if member.visible:
            member.exposure_cny = in_cny(per_account.get(member.account_id, {}), rates)
            member.facilities = per_account_n.get(member.account_id, 0)

    projects = _projects([pk for pk in member_ids if pk in visible], names, visible, user)
    for project_row in projects:
        amounts = per_project.get(project_row.pk)
        if amounts:
            project_row.exposure_cny = in_cny(amounts, rates)

    return {
        "members": members,
        "tiers": tier_counts([m[6] for m in memberships]),
        "facilities": shown,
        "hidden": hidden,
        "exposure": exposure,
        "classes": [row for row in classes.values() if row.facilities],
        "projects": projects,
        "connections": _connections(member_ids, names, visible, user),
        "concentration": _concentration(group, member_ids, exposure, rates),
    }


def _tree(group: ClientGroup, memberships: list[_Membership], visible: set[int]) -> list[MemberRow]:
    """The members top down: each under its direct parent, siblings by name. A member whose
    parent is missing from the group (data entered out of order) is listed at the end."""
    children: dict[int | None, list[_Membership]] = defaultdict(list)
    for membership in memberships:
        children[membership[2]].append(membership)
    tiers = _labels(Account, "tier")
    statuses = _labels(Account, "status")
    rows: list[MemberRow] = []
    placed: set[int] = set()

    def add(membership: _Membership, depth: int) -> None:
        stack = [(membership, depth)]
        while stack:
            current, level = stack.pop()
            pk, account_id, _parent, pct, name_en, name_zh, tier, status = current
            if account_id in placed:
                continue
            placed.add(account_id)
            rows.append(
                MemberRow(
                    membership_pk=pk,
                    account_id=account_id,
                    name=name_en or name_zh,
                    name_zh=name_zh if name_en else "",
                    tier=tier,
                    tier_label=tiers.get(tier, tier),
                    status=status,
                    status_label=statuses.get(status, status),
                    depth=level,
                    ownership_pct=pct,
                    visible=account_id in visible,
                )
            )
            stack.extend((child, level + 1) for child in reversed(children[account_id]))

    for top in children[None]:
        if top[1] == group.parent_id:
            add(top, 0)
    for membership in memberships:  # tops other than the group's, and orphans
        if membership[1] not in placed:
            add(membership, 0)
    return rows


def _projects(
    member_ids: list[int], names: dict[int, str], visible: set[int], user: User
) -> list[ProjectRow]:
    """The projects ``member_ids`` (the members the user may open) are parties of, with the
    members' roles (one query)."""
    if not member_ids:
        return []
    roles = _labels(ProjectParty, "role")
    stages = _labels(Project, "stage")
    reads_all = _reads_every_group(user)
    projects: dict[int, ProjectRow] = {}
    involved: dict[int, dict[int, list[str]]] = {}
    for project_id, account_id, role, name, lead_id, stage, lead_en, lead_zh in (
        ProjectParty.objects.filter(account_id__in=member_ids)
        .order_by("project__name", "project_id", "pk")
        .values_list(
            "project_id",
            "account_id",
            "role",
            "project__name",
            "project__account_id",
            "project__stage",
            "project__account__legal_name_en",
            "project__account__legal_name_zh",
        )
    ):
        if project_id not in projects:
            projects[project_id] = ProjectRow(
                pk=project_id,
                name=name,
                lead_account_id=lead_id,
                lead_name=lead_en or lead_zh,
                lead_visible=reads_all or lead_id in visible,
                stage_label=stages.get(stage, stage),
            )
            involved[project_id] = {}
        involved[project_id].setdefault(account_id, []).append(roles.get(role, role))
    for project_id, row in projects.items():
        row.parties = [
            (names.get(account_id, ""), ", ".join(labels))
            for account_id, labels in involved[project_id].items()
        ]
    return list(projects.values())


def _connections(
    member_ids: list[int], names: dict[int, str], visible: set[int], user: User
) -> list[ConnectionRow]:
    members = set(member_ids)
    links = list(
        ConnectedParty.objects.filter(Q(account_id__in=member_ids) | Q(other_id__in=member_ids))
        .select_related("account", "other")
        .only(
            "reason",
            "note",
            "account__legal_name_en",
            "account__legal_name_zh",
            "other__legal_name_en",
            "other__legal_name_zh",
        )
        .order_by("pk")
    )
    outside = {
        link.other_id if link.account_id in members else link.account_id
        for link in links
        if not (link.account_id in members and link.other_id in members)
    }
    outside_visible: set[int] = set()
    groups: dict[int, tuple[str, int]] = {}
    if outside:
        for membership in GroupMembership.objects.filter(
            account_id__in=sorted(outside)
        ).select_related("group"):
            groups[membership.account_id] = (membership.group.display_name, membership.group_id)
        outside_visible = _visible_among(user, sorted(outside))
    rows = []
    for link in links:
        if link.account_id in members:
            member, other = link.account, link.other
        else:
            member, other = link.other, link.account
        other_group = groups.get(other.pk)
        rows.append(
            ConnectionRow(
                member=_name(member),
                member_id=member.pk,
                member_visible=member.pk in visible,
                other=_name(other),
                other_id=other.pk,
                other_visible=other.pk in visible or other.pk in outside_visible,
                other_group=other_group[0] if other_group else "",
                other_group_id=other_group[1] if other_group else None,
                reason=link.get_reason_display(),
                note=link.note,
                pk=link.pk,
            )
        )
    return rows


def _concentration(
    group: ClientGroup,
    member_ids: list[int],
    exposure: ExposureSummary,
    rates: dict[str, Decimal],
) -> Concentration:
    capital = CapitalBase.current()
    units, accounts = concentration.connected_group_of(group.pk, member_ids)
    connected = exposure.total_cny
    extra = sorted(set(accounts) - set(member_ids))
    if extra:
        amounts: dict[str, Decimal] = defaultdict(Decimal)
        for currency, total in (
            Facility.objects.filter(borrower_id__in=extra)
            .order_by()
            .values_list("currency")
            .annotate(total=Sum("exposure"))
            .values_list("currency", "total")
        ):
            amounts[currency] += total or ZERO
        connected += in_cny(amounts, rates)
    tier1 = capital.tier1_net_capital if capital else None
    return Concentration(
        capital=capital,
        group_cny=exposure.total_cny,
        group_share_pct=concentration.share_pct(exposure.total_cny, tier1) if tier1 else None,
        connected_cny=connected,
        connected_share_pct=concentration.share_pct(connected, tier1) if tier1 else None,
        connected_units=len(units),
        connected_accounts=len(accounts),
    )
