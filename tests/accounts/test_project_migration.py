"""The data migration to parties and facilities (accounts 0015) keeps every row: each project
keeps its lead account, gains it as a party with the role of its account type, and its
commitment and outstanding move to a term loan borrowed only by a borrower or sponsor; going
back puts the amounts where they were."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Facility, FacilityClassificationChange, Project, ProjectParty

BEFORE = ("accounts", "0013_account_exited_at")

# account type -> (role of its party, whether it borrows the facility)
EXPECTED = {
    "sponsor": ("sponsor", True),
    "borrower": ("borrower", True),
    "epc": ("epc", False),
    "offtaker": ("offtaker", False),
    "co_lender": ("co_lender", False),
    "partner": ("sponsor", True),
}


def _migrate(target: tuple[str, str] | None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_project_its_party_and_its_amounts_and_reverses() -> None:
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state([BEFORE]).apps
        OldUser = old.get_model("kam", "User")
        OldAccount = old.get_model("accounts", "Account")
        OldProject = old.get_model("accounts", "Project")
        owner = OldUser.objects.create(username="rm.migration")
        booked: dict[int, tuple[str, Decimal, Decimal, bool]] = {}
        for n, account_type in enumerate(EXPECTED):
            account = OldAccount.objects.create(
                legal_name_en=f"{account_type} Ltd",
                account_type=account_type,
                industry="power",
                region="cn_east",
                owner=owner,
            )
            commitment = Decimal(1000 + n * 100)
            outstanding = Decimal(400 + n * 10)
            project = OldProject.objects.create(
                account=account,
                name=f"Project booked to {account_type}",
                sector="renewables" if n % 2 else "water",
                region="cn_east",
                currency="USD" if n % 3 == 0 else "CNY",
                total_cost=Decimal(5000),
                commitment=commitment,
                outstanding=outstanding,
                is_green=n % 2 == 0,
            )
            booked[project.pk] = (account_type, commitment, outstanding, n % 2 == 0)
        # A project with nothing lent yet keeps its party and gets no facility.
        unfunded = OldProject.objects.create(
            account=account,
            name="Origination only",
            sector="power",
            region="cn_east",
            currency="CNY",
            total_cost=Decimal(900),
            commitment=Decimal(0),
            outstanding=Decimal(0),
        )

        _migrate(None)
        assert Project.objects.count() == len(booked) + 1
        for pk, (account_type, commitment, outstanding, green) in booked.items():
            project = Project.objects.get(pk=pk)
            role, borrows = EXPECTED[account_type]
            party = ProjectParty.objects.get(project=project)
            assert (party.account_id, party.role) == (project.account_id, role), account_type
            facility = Facility.objects.get(project=project)
            assert facility.currency == project.currency
            assert (facility.commitment, facility.drawn, facility.undrawn) == (
                commitment,
                outstanding,
                commitment - outstanding,
            ), account_type
            assert facility.exposure == commitment  # drawn + undrawn
            assert facility.borrower_id == (project.account_id if borrows else None), account_type
            assert FacilityClassificationChange.objects.filter(facility=facility).count() == 1
            assert bool(project.green_category) is green, account_type
        assert ProjectParty.objects.filter(project_id=unfunded.pk).count() == 1
        assert not Facility.objects.filter(project_id=unfunded.pk).exists()

        _migrate(BEFORE)
        for pk, (_, commitment, outstanding, green) in booked.items():
            project = OldProject.objects.get(pk=pk)
            assert (project.commitment, project.outstanding, project.is_green) == (
                commitment,
                outstanding,
                green,
            )
        restored = OldProject.objects.get(pk=unfunded.pk)
        assert (restored.commitment, restored.outstanding) == (Decimal(0), Decimal(0))
        assert OldProject.objects.count() == len(booked) + 1
    finally:
        _migrate(None)
