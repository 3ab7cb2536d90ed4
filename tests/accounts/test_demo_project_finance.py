"""The demo book as a project-finance book: parties, sponsors' equity, syndicated facilities
owed by their real borrowers, classification history, client groups and connected parties;
and the same at volume (generate_volume)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count

from accounts.choices import OBLIGOR_ROLES, AccountType, FacilityKind, LoanClass, PartyRole
from accounts.models import (
    Facility,
    FacilityClassificationChange,
    Project,
    ProjectParty,
)
from demo.accounts import ACCOUNTS, build_demo_book, demo_connections, seed_demo
from demo.accounts_volume import BENCH_GROUP_SIZE, bench_group, generate_volume, volume_uscc
from demo.groups import build_groups
from groups.models import ClientGroup, ConnectedParty, GroupMembership

TODAY = date(2026, 11, 28)
NOT_OBLIGORS = {PartyRole.EPC, PartyRole.OFFTAKER, PartyRole.CO_LENDER}


def _book_projects() -> list:
    return [p for spec in build_demo_book(today=TODAY) for p in spec.projects]


def test_every_project_has_five_to_eight_parties_and_sponsors_hold_at_most_100_pct() -> None:
    for project in _book_projects():
        assert 5 <= len(project.parties) <= 8, project.name
        assert len({(p.account, p.role) for p in project.parties}) == len(project.parties)
        sponsors = [p for p in project.parties if p.role == PartyRole.SPONSOR]
        assert sponsors, project.name
        assert all(p.equity_pct and p.equity_pct > 0 for p in sponsors)
        assert sum(p.equity_pct for p in sponsors if p.equity_pct) <= 100, project.name
        assert [p.role for p in project.parties].count(PartyRole.BORROWER) == 1
        assert all(p.equity_pct is None for p in project.parties if p.role != PartyRole.SPONSOR)


def test_exposure_is_owed_by_obligors_never_by_contractors_offtakers_or_co_lenders() -> None:
    book = build_demo_book(today=TODAY)
    types = {spec.key: spec.account_type for spec in book}
    facilities = 0
    for spec in book:
        for project in spec.projects:
            roles: dict[str, set[str]] = defaultdict(set)
            for party in project.parties:
                roles[party.account].add(party.role)
            for facility in project.facilities:
                facilities += 1
                assert roles[facility.borrower], "the borrower is a party"
                assert roles[facility.borrower] <= OBLIGOR_ROLES, (project.name, facility.name)
                assert types[facility.borrower] not in {
                    AccountType.EPC,
                    AccountType.OFFTAKER,
                    AccountType.CO_LENDER,
                }
    assert facilities > 150
    # The projects the old book booked to a contractor, co-lender or off-taker now lend to
    # a project company their sponsors own.
    led_by_others = [
        p
        for spec in book[: len(ACCOUNTS)]
        if spec.account_type in (AccountType.EPC, AccountType.OFFTAKER, AccountType.CO_LENDER)
        for p in spec.projects
    ]
    assert len(led_by_others) == 15
    for project in led_by_others:
        borrower = next(p.account for p in project.parties if p.role == PartyRole.BORROWER)
        assert types[borrower] == AccountType.BORROWER


def test_the_book_has_syndicates_watch_list_loans_and_a_flagged_overdraw() -> None:
    facilities = [f for p in _book_projects() for f in p.facilities]
    kinds = Counter(f.kind for f in facilities)
    assert set(kinds) == set(FacilityKind.values)
    syndicated = [f for f in facilities if f.facility_size is not None]
    assert len(syndicated) > 50
    assert all(f.facility_size >= f.commitment for f in syndicated)
    assert any(f.facility_size > 2 * f.commitment for f in syndicated)
    classes = Counter(f.classification for f in facilities)
    assert 3 <= classes[LoanClass.SPECIAL_MENTION] <= 8
    assert classes[LoanClass.SUBSTANDARD] >= 1
    assert classes[LoanClass.DOUBTFUL] == classes[LoanClass.LOSS] == 0
    substandard = [f for f in facilities if f.classification == LoanClass.SUBSTANDARD]
    assert all(
        [s.classification for s in f.history] == [LoanClass.SPECIAL_MENTION, LoanClass.SUBSTANDARD]
        for f in substandard
    )
    over = [f for f in facilities if f.drawn > f.commitment]
    assert len(over) == 1 and over[0].kind == FacilityKind.TERM_LOAN and over[0].undrawn == 0
    for f in facilities:
        assert f.undrawn <= f.commitment
        assert f.drawn <= f.commitment or f in over


def _depth(key: str, ownership: Mapping[str, tuple[str | None, Decimal | None]]) -> int:
    levels = 1
    while key in ownership and ownership[key][0] is not None:
        key = ownership[key][0] or ""
        levels += 1
    return levels


def test_group_tree_from_the_book_is_consistent() -> None:
    book = build_demo_book(today=TODAY)
    ownership = {s.key: (s.parent, s.parent_pct) for s in book if s.parent}
    groups = build_groups(ownership)
    seen: set[str] = set()
    for group in groups:
        inside = {group.top}
        assert group.top not in ownership, "the top has no parent"
        for member in group.members:
            assert member.parent in inside, "parents join before their subsidiaries"
            assert Decimal("50") < member.ownership_pct <= 100
            inside.add(member.account)
        assert not inside & seen, "an account is in one group only"
        seen |= inside
    assert len(groups) >= 15
    assert max(len(g.members) for g in groups) >= 8
    # Three levels: a provincial investor, its platform company, the platform's companies.
    assert max(_depth(m.account, ownership) for g in groups for m in g.members) >= 3
    # An SPV sits under its majority sponsor with the sponsor's equity.
    for spec in book:
        for project in spec.projects:
            borrower = next(p for p in project.parties if p.role == PartyRole.BORROWER)
            main = next(p for p in project.parties if p.role == PartyRole.SPONSOR)
            if borrower.account != spec.key and main.equity_pct and main.equity_pct > 50:
                assert ownership[borrower.account] == (main.account, main.equity_pct)


@pytest.mark.django_db
def test_the_loaded_book_attributes_exposure_and_groups_consistently() -> None:
    result = seed_demo(password="demo-pass-123", today=TODAY)
    assert result.parties == ProjectParty.objects.count() > 600
    assert result.facilities == Facility.objects.count() > 150

    # Every facility's borrower holds only obligor roles in the project.
    roles: dict[tuple[int, int], set[str]] = defaultdict(set)
    for project_id, account_id, role in ProjectParty.objects.values_list(
        "project_id", "account_id", "role"
    ):
        roles[(project_id, account_id)].add(role)
    for facility in Facility.objects.all():
        assert facility.borrower_id is not None
        held = roles[(facility.project_id, facility.borrower_id)]
        assert held and held <= OBLIGOR_ROLES and not held & NOT_OBLIGORS
    counts = Project.objects.annotate(n=Count("parties")).values_list("n", flat=True)
    assert min(counts) >= 5 and max(counts) <= 8

    # Classification history: recorded when signed, then each change on its day.
    bad = Facility.objects.filter(classification=LoanClass.SUBSTANDARD).first()
    assert bad is not None and bad.classified_by is not None
    history = list(
        FacilityClassificationChange.objects.filter(facility=bad)
        .order_by("changed_at")
        .values_list("previous", "classification")
    )
    assert history == [
        (None, LoanClass.NORMAL),
        (LoanClass.NORMAL, LoanClass.SPECIAL_MENTION),
        (LoanClass.SPECIAL_MENTION, LoanClass.SUBSTANDARD),
    ]
    assert [f.over_commitment for f in Facility.objects.all()].count(True) == 1

    # Groups: the top is a member with no parent; every other member's parent is in the group.
    assert ClientGroup.objects.count() >= 15
    for group in ClientGroup.objects.prefetch_related("memberships"):
        members = {m.account_id: m for m in group.memberships.all()}
        top = members[group.parent_id]
        assert top.parent_id is None and top.ownership_pct is None
        for m in members.values():
            if m.account_id != group.parent_id:
                assert m.parent_id in members and m.ownership_pct is not None
    # Connected parties join accounts of different groups (or none), with a reason.
    reasons = set(ConnectedParty.objects.values_list("reason", flat=True))
    assert {"guarantee", "common_control"} <= reasons
    group_of = dict(GroupMembership.objects.values_list("account_id", "group_id"))
    for a, b in ConnectedParty.objects.values_list("account_id", "other_id"):
        assert a < b
        assert group_of.get(a) is None or group_of.get(a) != group_of.get(b)
    assert len(demo_connections(build_demo_book(today=TODAY))) >= ConnectedParty.objects.count()

    # Again: nothing new.
    again = seed_demo(password="demo-pass-123", today=TODAY)
    assert (again.parties, again.facilities) == (0, 0)
    assert (again.groups.groups, again.groups.members, again.groups.connections) == (0, 0, 0)
    assert not again.groups.capital


@pytest.mark.django_db
def test_generate_volume_makes_parties_facilities_and_groups() -> None:
    result = generate_volume(accounts=120, accounts_per_rm=40, password="pw", seed=3)
    assert result.projects == 240
    assert result.parties == ProjectParty.objects.count() == 240 * 5
    assert result.facilities == Facility.objects.count() == 240
    assert result.groups == ClientGroup.objects.count() == 12
    assert result.connections == ConnectedParty.objects.count() > 0

    group = bench_group()
    assert group is not None and group.memberships.count() == BENCH_GROUP_SIZE
    assert group.parent.uscc == volume_uscc(0)
    sizes = ClientGroup.objects.annotate(n=Count("memberships")).values_list("n", flat=True)
    assert min(sizes) >= 2 and max(sizes) <= BENCH_GROUP_SIZE
    for m in GroupMembership.objects.select_related("group"):
        if m.account_id == m.group.parent_id:
            assert m.parent_id is None
        else:
            assert m.parent_id is not None
            assert GroupMembership.objects.filter(account_id=m.parent_id, group=m.group).exists()

    roles: dict[tuple[int, int], set[str]] = defaultdict(set)
    for project_id, account_id, role in ProjectParty.objects.values_list(
        "project_id", "account_id", "role"
    ):
        roles[(project_id, account_id)].add(role)
    for facility in Facility.objects.all():
        if facility.borrower_id is not None:
            assert roles[(facility.project_id, facility.borrower_id)] <= OBLIGOR_ROLES
    assert (
        not ProjectParty.objects.exclude(role=PartyRole.SPONSOR).exclude(equity_pct=None).exists()
    )
    changes = FacilityClassificationChange.objects.count()
    assert changes == Facility.objects.exclude(classification=LoanClass.NORMAL).count()

    # A second run adds its own groups and leaves the first run's bench group alone.
    generate_volume(accounts=30, accounts_per_rm=40, password="pw", seed=4)
    assert bench_group() == group
    assert ClientGroup.objects.count() == 12 + 3
