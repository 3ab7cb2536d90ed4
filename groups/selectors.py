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
from accounts.models import Account, Facility, ProjectParty
from accounts.selectors import (
    account_filter_for_user,
    account_list_for_user,
    visible_ids_in_hand,
)
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


@dataclass
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


@dataclass
class ProjectRow:
    pk: int
    name: str
    lead_account_id: int
    lead_visible: bool
    parties: list[tuple[str, str]] = field(default_factory=list)  # (member name, role label)


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


def group_page(*, group: ClientGroup, user: User) -> dict[str, Any]:
    """Everything the group page shows, in a fixed number of queries whatever the number of
    members: the tree, the members' projects and facilities, exposure per currency and
    classification, connected parties, the tier and the concentration against capital."""
    memberships = list(
        GroupMembership.objects.filter(group=group)
        .select_related("account")
        .only(
            "account_id",
            "parent_id",
            "ownership_pct",
            "account__legal_name_en",
            "account__legal_name_zh",
            "account__tier",
            "account__status",
        )
        .order_by("account__legal_name_en", "account__legal_name_zh", "pk")
    )
    member_ids = [m.account_id for m in memberships]
    visible = _visible_among(user, member_ids)
    names = {m.account_id: _name(m.account) for m in memberships}
    rates = fx_rates()

    facilities = list(
        Facility.objects.filter(borrower_id__in=member_ids)
        .select_related("project")
        .only(
            "project__name",
            "project__account_id",
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
        .order_by("project__name", "name", "pk")
    )
    # The totals count every member's facilities; the rows show only the user's book's.
    exposure = summarize(facilities, rates)
    per_account: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    per_account_n: dict[int, int] = defaultdict(int)
    classes = {c.value: ClassRow(c.value, str(c.label)) for c in LoanClass}
    shown: list[Facility] = []
    hidden = Hidden()
    hidden_borrowers: set[int] = set()
    for facility in facilities:
        assert facility.borrower_id is not None  # filtered on the member ids
        per_account[facility.borrower_id][facility.currency] += facility.exposure
        per_account_n[facility.borrower_id] += 1
        row = classes[facility.classification]
        row.facilities += 1
        row.exposure_cny += in_cny({facility.currency: facility.exposure}, rates)
        if facility.borrower_id in visible:
            facility.borrower_name = names.get(facility.borrower_id, "")  # type: ignore[attr-defined]
            shown.append(facility)
        else:
            hidden.facilities += 1
            hidden_borrowers.add(facility.borrower_id)
    hidden.accounts = len(hidden_borrowers)

    members = _tree(group, memberships, visible)
    for member in members:
        if member.visible:
            member.exposure_cny = in_cny(per_account.get(member.account_id, {}), rates)
            member.facilities = per_account_n.get(member.account_id, 0)

    return {
        "members": members,
        "tiers": tier_counts([m.account.tier for m in memberships]),
        "facilities": shown,
        "hidden": hidden,
        "exposure": exposure,
        "classes": [row for row in classes.values() if row.facilities],
        "projects": _projects([pk for pk in member_ids if pk in visible], names, visible, user),
        "connections": _connections(member_ids, names, visible, user),
        "concentration": _concentration(group, member_ids, exposure, rates),
    }


def _tree(
    group: ClientGroup, memberships: list[GroupMembership], visible: set[int]
) -> list[MemberRow]:
    """The members top down: each under its direct parent, siblings by name. A member whose
    parent is missing from the group (data entered out of order) is listed at the end."""
    children: dict[int | None, list[GroupMembership]] = defaultdict(list)
    for membership in memberships:
        children[membership.parent_id].append(membership)
    rows: list[MemberRow] = []
    placed: set[int] = set()

    def add(membership: GroupMembership, depth: int) -> None:
        stack = [(membership, depth)]
        while stack:
            current, level = stack.pop()
            if current.account_id in placed:
                continue
            placed.add(current.account_id)
            account = current.account
            rows.append(
                MemberRow(
                    membership_pk=current.pk,
                    account_id=current.account_id,
                    name=account.legal_name_en or account.legal_name_zh,
                    name_zh=account.legal_name_zh if account.legal_name_en else "",
                    tier=account.tier,
                    tier_label=account.get_tier_display(),
                    status=account.status,
                    status_label=account.get_status_display(),
                    depth=level,
                    ownership_pct=current.ownership_pct,
                    visible=current.account_id in visible,
                )
            )
            stack.extend((child, level + 1) for child in reversed(children[current.account_id]))

    for top in children[None]:
        if top.account_id == group.parent_id:
            add(top, 0)
    for membership in memberships:  # tops other than the group's, and orphans
        if membership.account_id not in placed:
            add(membership, 0)
    return rows


def _projects(
    member_ids: list[int], names: dict[int, str], visible: set[int], user: User
) -> list[ProjectRow]:
    """The projects ``member_ids`` (the members the user may open) are parties of, with
    their roles."""
    if not member_ids:
        return []
    parties = (
        ProjectParty.objects.filter(account_id__in=member_ids)
        .select_related("project")
        .only("account_id", "role", "project__name", "project__account_id")
        .order_by("project__name", "project_id", "pk")
    )
    projects: dict[int, ProjectRow] = {}
    for party in parties:
        project = party.project
        row = projects.get(project.pk)
        if row is None:
            row = projects[project.pk] = ProjectRow(
                pk=project.pk,
                name=project.name,
                lead_account_id=project.account_id,
                lead_visible=project.account_id in visible or _reads_every_group(user),
            )
        row.parties.append((names.get(party.account_id, ""), party.get_role_display()))
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
