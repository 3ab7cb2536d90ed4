"""Concentration against capital: single clients, connected groups and loans to one borrower.

The figures (China's large-exposure rules for commercial banks; each limit is a parameter of
the early-warning rule, these are the defaults):

    single client     = the obligor's exposure (drawn + undrawn commitment, guarantees and
                        letters of credit included: ``accounts.exposure``), in CNY
                        ≤ 15% of tier-1 net capital (non-bank clients)
    connected group   = the sum of the single-client exposure of every account of the
                        connected group (below) ≤ 20% of tier-1 net capital
    loans to one      = the borrower's loan balance (term loans, revolving and bridge loans;
    borrower            drawn only by default — guarantees and letters of credit excluded)
                        ≤ 10% of net capital

    warning           = a figure at or above a share of its limit (80% by default)
    breach            = a figure above its limit

A connected group is built from "units": a client group (its parent and every subsidiary) or
a single name (an account in no group). A connected-party link between two accounts joins the
units the two accounts belong to; the connected group is everything joined, transitively.
So a link between a subsidiary of group A and a stand-alone company C, and another between C
and a subsidiary of group B, make one connected group A + B + C. A client group with no links
is a connected group by itself. The capital base is the one in force (``CapitalBase.current``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, Sum

from accounts.choices import FacilityKind
from accounts.exposure import in_cny
from accounts.models import Facility

from .models import ConnectedParty, GroupMembership

ZERO = Decimal("0")

# The regulator's defaults (percent).
SINGLE_CLIENT_LIMIT_PCT = Decimal("15")  # of tier-1 net capital, non-bank single client
GROUP_LIMIT_PCT = Decimal("20")  # of tier-1 net capital, non-bank connected group
LOANS_LIMIT_PCT = Decimal("10")  # of net capital, loans to one borrower
WARNING_AT_PCT = Decimal("80")  # of the limit

# Loans in the loans-to-one-borrower test: guarantees and letters of credit are not loans.
LOAN_KINDS = (FacilityKind.TERM_LOAN, FacilityKind.REVOLVING, FacilityKind.BRIDGE)

# A unit of a connected group: ("g", client group id) or ("a", account id) for a single name.
Unit = tuple[str, int]


def share_pct(amount: Decimal, base: Decimal) -> Decimal:
    """``amount`` as a percentage of ``base``, to two places."""
    return (amount / base * 100).quantize(Decimal("0.01")) if base else ZERO


class _Joins:
    """Union-find over units."""

    def __init__(self) -> None:
        self.parent: dict[Unit, Unit] = {}

    def find(self, unit: Unit) -> Unit:
        self.parent.setdefault(unit, unit)
        root = unit
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[unit] != root:  # path compression
            self.parent[unit], unit = root, self.parent[unit]
        return root

    def join(self, a: Unit, b: Unit) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class ConnectedGroup:
    """Units joined by connected-party links (or one client group alone), with the exposure
    of each unit in CNY."""

    units: list[Unit] = field(default_factory=list)
    exposure: dict[Unit, Decimal] = field(default_factory=dict)
    unconverted: set[str] = field(default_factory=set)

    @property
    def total_cny(self) -> Decimal:
        return sum(self.exposure.values(), ZERO)

    @property
    def largest(self) -> Unit:
        """The unit with the most exposure (the lowest unit on a tie): the group's alert goes
        to its top account."""
        return min(self.units, key=lambda u: (-self.exposure.get(u, ZERO), u))


def _unit_exposure(
    rows: Iterable[tuple[int, str, Decimal | None]], rates: Mapping[str, Decimal], kind: str
) -> tuple[dict[Unit, Decimal], dict[Unit, set[str]]]:
    amounts: dict[Unit, dict[str, Decimal]] = defaultdict(dict)
    for key, currency, total in rows:
        amounts[(kind, key)][currency] = total or ZERO
    unconverted = {
        unit: {c for c in by_currency if c not in rates} for unit, by_currency in amounts.items()
    }
    return {unit: in_cny(by, rates) for unit, by in amounts.items()}, unconverted


def connected_groups(rates: Mapping[str, Decimal]) -> list[ConnectedGroup]:
    """Every client group and every connected group of the book with its exposure: a fixed
    number of queries (three) whatever the size of the book, for a scan's preparation."""
    group_rows = (
        Facility.objects.filter(borrower__group_membership__isnull=False, exposure__gt=0)
        .order_by()
        .values_list("borrower__group_membership__group_id", "currency")
        .annotate(total=Sum("exposure"))
        .values_list("borrower__group_membership__group_id", "currency", "total")
    )
    exposure, unconverted = _unit_exposure(group_rows, rates, "g")
    joins = _Joins()
    for unit in exposure:
        joins.find(unit)
    links = ConnectedParty.objects.order_by().values_list(
        "account_id",
        "other_id",
        "account__group_membership__group_id",
        "other__group_membership__group_id",
    )
    singles: set[int] = set()
    for account_id, other_id, account_group, other_group in links:
        a: Unit = ("g", account_group) if account_group else ("a", account_id)
        b: Unit = ("g", other_group) if other_group else ("a", other_id)
        singles.update(unit[1] for unit in (a, b) if unit[0] == "a")
        joins.join(a, b)
    if singles:
        single_rows = (
            Facility.objects.filter(borrower_id__in=sorted(singles), exposure__gt=0)
            .order_by()
            .values_list("borrower_id", "currency")
            .annotate(total=Sum("exposure"))
            .values_list("borrower_id", "currency", "total")
        )
        single_exposure, single_unconverted = _unit_exposure(single_rows, rates, "a")
        exposure.update(single_exposure)
        unconverted.update(single_unconverted)
    found: dict[Unit, ConnectedGroup] = {}
    for unit in joins.parent:
        group = found.setdefault(joins.find(unit), ConnectedGroup())
        group.units.append(unit)
        group.exposure[unit] = exposure.get(unit, ZERO)
        group.unconverted.update(unconverted.get(unit, set()))
    for group in found.values():
        group.units.sort()
    return list(found.values())


def connected_group_of(
    group_id: int, members: Iterable[int], *, max_rounds: int = 20
) -> tuple[list[Unit], list[int]]:
    """The units of the connected group a client group (with these member accounts) belongs
    to, and all their accounts, found by following the links outward from the group: one
    query for a group without links, two per step away from it, whatever the number of
    members (for the group page)."""
    units: set[Unit] = {("g", group_id)}
    accounts = set(members)
    frontier = set(accounts)
    for _round in range(max_rounds):
        if not frontier:
            break
        links = ConnectedParty.objects.filter(
            Q(account_id__in=sorted(frontier)) | Q(other_id__in=sorted(frontier))
        ).values_list(
            "account_id",
            "other_id",
            "account__group_membership__group_id",
            "other__group_membership__group_id",
        )
        new_groups: set[int] = set()
        frontier = set()
        for account_id, other_id, account_group, other_group in links.order_by():
            for account, group in ((account_id, account_group), (other_id, other_group)):
                unit: Unit = ("g", group) if group else ("a", account)
                if unit in units:
                    continue
                units.add(unit)
                if group:
                    new_groups.add(group)
                else:
                    accounts.add(account)
                    frontier.add(account)
        if new_groups:
            members = set(
                GroupMembership.objects.filter(group_id__in=sorted(new_groups)).values_list(
                    "account_id", flat=True
                )
            )
            frontier |= members - accounts
            accounts |= members
    return sorted(units), sorted(accounts)
