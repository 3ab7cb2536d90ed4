"""Client groups (集团客户), connected parties (关联方) and the capital base of the demo book.

Groups follow ownership: an account whose majority owner is in the book sits under that owner,
and each ultimate parent with at least one subsidiary heads a group (three levels deep in
places: a provincial investor, its platform company, the platform's project companies).
Applied idempotently: groups by their top account, members by account, connections by pair and
reason, the capital base only when there is none. Rows are saved one by one through the ORM so
django-auditlog records them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from accounts.exposure import fx_rates
from accounts.models import Account
from demo.finance import ConnectionSpec
from groups import concentration
from groups.models import CapitalBase, ClientGroup, ConnectedParty, GroupMembership


@dataclass(frozen=True, slots=True)
class MemberSpec:
    account: str
    parent: str
    ownership_pct: Decimal


@dataclass(slots=True)
class GroupSpec:
    top: str
    members: list[MemberSpec] = field(default_factory=list)  # parents before their children


@dataclass(slots=True)
class GroupSeedResult:
    groups: int = 0
    members: int = 0
    connections: int = 0
    capital: bool = False


def build_groups(ownership: Mapping[str, tuple[str | None, Decimal | None]]) -> list[GroupSpec]:
    """Groups from ``{child: (direct parent, parent's %)}``: one per ultimate parent, members
    listed top-down so that every parent joins before its subsidiaries."""
    children: dict[str, list[str]] = {}
    for child, (parent, _pct) in ownership.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)

    def top_of(key: str) -> str:
        seen = {key}
        while (parent := ownership.get(key, (None, None))[0]) is not None:
            if parent in seen:
                raise ValueError(f"ownership runs in a circle through {parent}")
            seen.add(parent)
            key = parent
        return key

    tops = sorted({top_of(child) for child in ownership if ownership[child][0] is not None})
    groups = []
    for top in tops:
        group = GroupSpec(top=top)
        queue = [top]
        while queue:
            parent = queue.pop(0)
            for child in sorted(children.get(parent, ())):
                pct = ownership[child][1]
                assert pct is not None
                group.members.append(MemberSpec(child, parent, pct))
                queue.append(child)
        groups.append(group)
    return groups


def group_names(top: Account) -> tuple[str, str]:
    """国能联合电力投资集团 / Guoneng United Power Investment Group, from the top's legal name."""
    zh = top.legal_name_zh
    for suffix in ("股份有限公司", "有限责任公司", "有限公司"):
        zh = zh.removesuffix(suffix)
    if zh and not zh.endswith("集团"):
        zh += "集团"
    en = top.legal_name_en
    for suffix in (" Co., Ltd.", " Pte. Ltd.", " Limited", " Ltd.", " S.A.", " GmbH"):
        en = en.removesuffix(suffix)
    if en and "Group" not in en:
        en += " Group"
    return zh, en


@transaction.atomic
def seed_groups(
    *,
    groups: list[GroupSpec],
    connections: list[ConnectionSpec],
    accounts: Mapping[str, Account],
    today: date,
) -> GroupSeedResult:
    result = GroupSeedResult()
    existing = {g.parent_id: g for g in ClientGroup.objects.filter(parent__in=accounts.values())}
    placed = dict(
        GroupMembership.objects.filter(account__in=accounts.values()).values_list(
            "account_id", "group_id"
        )
    )
    group_of: dict[str, int] = {}
    for spec in groups:
        top = accounts[spec.top]
        group = existing.get(top.pk)
        if group is None:
            if top.pk in placed:
                continue  # someone put the top in another group: leave theirs alone
            name_zh, name_en = group_names(top)
            group = ClientGroup(parent=top, name_zh=name_zh, name_en=name_en)
            group.full_clean()
            group.save()
            result.groups += 1
        if top.pk not in placed:
            GroupMembership(group=group, account=top).save()
            placed[top.pk] = group.pk
            result.members += 1
        group_of[spec.top] = group.pk
        for member in spec.members:
            account = accounts[member.account]
            group_of[member.account] = placed.get(account.pk, group.pk)
            if account.pk in placed:
                continue
            row = GroupMembership(
                group=group,
                account=account,
                parent=accounts[member.parent],
                ownership_pct=member.ownership_pct,
            )
            row.full_clean()
            row.save()
            placed[account.pk] = group.pk
            result.members += 1

    pairs = set(ConnectedParty.objects.values_list("account_id", "other_id", "reason"))
    for link in connections:
        a, b = accounts[link.account].pk, accounts[link.other].pk
        same_group = link.account in group_of and group_of[link.account] == group_of.get(link.other)
        low, high = min(a, b), max(a, b)
        if a == b or same_group or (low, high, link.reason) in pairs:
            continue
        connection = ConnectedParty(
            account_id=low, other_id=high, reason=link.reason, note=link.note
        )
        connection.full_clean()
        connection.save()
        pairs.add((low, high, link.reason))
        result.connections += 1

    result.capital = seed_capital(today)
    return result


# The largest connected group of the demo sits at this share of tier-1 capital: above the
# warning level (80% of the 20% limit), below the limit.
LARGEST_GROUP_SHARE = Decimal("0.17")


def seed_capital(today: date) -> bool:
    """The bank's capital as of the last quarter end, sized on the book so that the
    concentration rule has one group to warn about; only when none is recorded."""
    if CapitalBase.objects.exists():
        return False
    groups = concentration.connected_groups(fx_rates())
    largest = max((g.total_cny for g in groups), default=Decimal("0"))
    if largest <= 0:
        return False
    billion = Decimal(10) ** 9
    tier1 = Decimal(math.ceil(largest / LARGEST_GROUP_SHARE / billion)) * billion
    as_of = date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)
    capital = CapitalBase(
        as_of=as_of,
        tier1_net_capital=tier1,
        net_capital=tier1 * Decimal("1.25"),
        note="Demo bank: net tier-1 capital and net capital at the last quarter end.",
    )
    capital.full_clean()
    capital.save()
    return True
