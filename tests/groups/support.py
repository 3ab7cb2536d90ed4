"""Helpers of the group tests: groups, members, facilities and a capital base in one call."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.choices import FacilityKind, LoanClass, PartyRole
from accounts.models import Account, Facility, Project, ProjectParty
from groups.models import CapitalBase, ClientGroup, ConnectedParty, GroupMembership
from tests.factories import AccountFactory, ProjectFactory


def capital(tier1: str, net: str, as_of: dt.date | None = None) -> CapitalBase:
    return CapitalBase.objects.create(
        as_of=as_of or dt.date(2026, 6, 30),
        tier1_net_capital=Decimal(tier1),
        net_capital=Decimal(net),
    )


def group(top: Account, *subsidiaries: Account, name: str = "", pct: str = "100") -> ClientGroup:
    """A group with ``top`` as its parent and each subsidiary owned by it."""
    made = ClientGroup.objects.create(name_en=name or f"{top.legal_name_en} Group", parent=top)
    GroupMembership.objects.create(group=made, account=top)
    for subsidiary in subsidiaries:
        GroupMembership.objects.create(
            group=made, account=subsidiary, parent=top, ownership_pct=Decimal(pct)
        )
    return made


def connect(a: Account, b: Account, reason: str = "guarantee") -> ConnectedParty:
    link = ConnectedParty(account=a, other=b, reason=reason)
    link.save()
    return link


def facility(
    borrower: Account | None,
    *,
    drawn: str = "0",
    undrawn: str = "0",
    kind: str = FacilityKind.TERM_LOAN,
    currency: str = "CNY",
    project: Project | None = None,
    classification: int = LoanClass.NORMAL,
) -> Facility:
    """A facility of ``project`` (a new one led by the borrower when none) borrowed by
    ``borrower``; commitment = drawn + undrawn."""
    if project is None:
        lead = borrower or AccountFactory.create()
        project = ProjectFactory.create(account=lead, commitment=0, outstanding=0)
    if borrower is not None and not project.parties.filter(account=borrower).exists():
        ProjectParty.objects.create(project=project, account=borrower, role=PartyRole.BORROWER)
    d, u = Decimal(drawn), Decimal(undrawn)
    return Facility.objects.create(
        project=project,
        borrower=borrower,
        name=f"{kind} {Facility.objects.count() + 1}",
        kind=kind,
        currency=currency,
        commitment=d + u,
        drawn=d,
        undrawn=u,
        classification=classification,
    )
