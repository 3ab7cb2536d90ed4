"""Exposure on the dashboard belongs to the obligor: a project led by one account and lent to
its project company counts for the project company (its tier, its RM's book), never for the
lead account or a contractor; a facility with no borrower named is its own row; the
five-category classification breakdown and the risk level follow the borrower's facilities;
every linked figure counts what its list shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.choices import LoanClass, PartyRole, Tier
from accounts.models import Account, Facility, ProjectParty
from dashboard.scope import Scope
from dashboard.selectors import UNATTRIBUTED, exposure, risk_levels
from kam.quarters import Quarter
from risk.choices import RiskLevel
from risk.selectors import with_risk_level
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

from .support import client_for, figure_links, listed

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(cast: Cast) -> dict[str, Account]:
    """The owner's account sponsors and leads a solar project; the project company (another
    team's account) borrows 1,000 (400 drawn); the owner's EPC contractor borrows nothing; a
    second facility of 50 has no borrower named yet."""
    cast.account.tier = Tier.STRATEGIC
    cast.account.save()
    spv = AccountFactory.create(owner=cast.outsider, tier=Tier.CORE, legal_name_en="Solar SPV")
    epc = AccountFactory.create(owner=cast.owner, tier=Tier.KEY, legal_name_en="Builder EPC")
    project = ProjectFactory.create(
        account=cast.account,
        role=PartyRole.SPONSOR,
        commitment=0,
        sector="renewables",
        green_category="clean_energy",
        equator_category="B",
    )
    ProjectParty.objects.create(project=project, account=spv, role=PartyRole.BORROWER)
    ProjectParty.objects.create(project=project, account=epc, role=PartyRole.EPC)
    Facility.objects.create(
        project=project,
        borrower=spv,
        name="Term loan A",
        commitment=Decimal(1000),
        drawn=Decimal(400),
        undrawn=Decimal(600),
        classification=LoanClass.SPECIAL_MENTION,
    )
    Facility.objects.create(
        project=project,
        borrower=None,
        name="Guarantee",
        kind="guarantee",
        commitment=Decimal(50),
        drawn=Decimal(50),
    )
    return {"lead": cast.account, "spv": spv, "epc": epc}


def _scope(user) -> Scope:  # noqa: ANN001
    return Scope(user=user, quarter=Quarter.current())


def test_exposure_counts_for_the_borrowers_tier_not_the_lead_nor_the_contractor(
    cast: Cast, deal: dict[str, Account]
) -> None:
    figure = exposure(_scope(cast.executive))
    by_tier = {row.key: row for row in figure.by_tier}
    assert by_tier[Tier.CORE].exposure_cny == Decimal("1000.00")  # the SPV's tier
    assert by_tier[Tier.CORE].drawn_cny == Decimal("400.00")
    assert by_tier[Tier.CORE].accounts == 1
    assert Tier.STRATEGIC not in by_tier and Tier.KEY not in by_tier  # lead, contractor
    assert by_tier[UNATTRIBUTED].exposure_cny == Decimal("50.00")
    assert by_tier[UNATTRIBUTED].accounts == 0
    assert figure.total_cny == Decimal("1050.00")
    assert figure.drawn_cny == Decimal("450.00")
    assert figure.accounts == 1
    # Green from the project's green taxonomy category, the unattributed guarantee included.
    assert figure.green_cny == Decimal("1050.00") and figure.green_share == 100.0
    sector = {row.key: row.exposure_cny for row in figure.by_sector}
    assert sector == {"renewables": Decimal("1000.00"), UNATTRIBUTED: Decimal("50.00")}


def test_the_five_category_breakdown_and_non_performing_share(
    cast: Cast, deal: dict[str, Account]
) -> None:
    figure = exposure(_scope(cast.executive))
    classes = {row.key: row for row in figure.by_class}
    assert classes[LoanClass.SPECIAL_MENTION].exposure_cny == Decimal("1000.00")
    assert classes[LoanClass.SPECIAL_MENTION].accounts == 1
    assert classes[LoanClass.NORMAL].exposure_cny == Decimal("50.00")  # the unattributed one
    assert classes[LoanClass.NORMAL].accounts == 0
    assert figure.non_performing_share == 0.0
    Facility.objects.filter(borrower=deal["spv"]).update(classification=LoanClass.DOUBTFUL)
    figure = exposure(_scope(cast.executive))
    assert figure.non_performing_cny == Decimal("1000.00")
    assert figure.non_performing_share == pytest.approx(95.2, abs=0.05)


def test_the_lead_rm_sees_only_the_unattributed_part_the_borrowers_rm_the_loan(
    cast: Cast, deal: dict[str, Account]
) -> None:
    own = exposure(_scope(cast.owner))
    assert own.total_cny == Decimal("50.00")  # the guarantee of the project it manages
    assert own.accounts == 0
    theirs = exposure(_scope(cast.outsider))
    assert theirs.total_cny == Decimal("1000.00")
    assert [row.key for row in theirs.by_tier] == [Tier.CORE]


def test_a_classified_facility_raises_the_borrowers_risk_level_only(
    cast: Cast, deal: dict[str, Account]
) -> None:
    levels = dict(with_risk_level(Account.objects.all()).values_list("pk", "risk_level"))
    assert levels[deal["spv"].pk] == RiskLevel.ORANGE  # special mention
    assert levels[deal["lead"].pk] == RiskLevel.GREEN
    assert levels[deal["epc"].pk] == RiskLevel.GREEN
    Facility.objects.filter(borrower=deal["spv"]).update(classification=LoanClass.SUBSTANDARD)
    levels = dict(with_risk_level(Account.objects.all()).values_list("pk", "risk_level"))
    assert levels[deal["spv"].pk] == RiskLevel.RED
    rows = {row.key: row.count for row in risk_levels(_scope(cast.executive), accounts=3)}
    assert rows == {"red": 1, "orange": 0, "yellow": 0, "green": 2}
    # A repaid facility (no exposure left) no longer weighs on the level.
    Facility.objects.filter(borrower=deal["spv"]).update(drawn=0, undrawn=0)
    levels = dict(with_risk_level(Account.objects.all()).values_list("pk", "risk_level"))
    assert levels[deal["spv"].pk] == RiskLevel.GREEN


@pytest.mark.parametrize("query", ["", "?sector=renewables", "?tier=core"])
def test_every_figure_agrees_with_its_list(
    cast: Cast, deal: dict[str, Account], query: str
) -> None:
    client = client_for(cast.executive)
    body = client.get(reverse("dashboard:executive") + query).content.decode()
    links = dict(figure_links(body))
    assert links
    for href, count in links.items():
        assert listed(client, href) == count, href
    if not query:
        exposed = [href for href in links if "borrows=yes" in href and "loan_class=2" in href]
        assert exposed and links[exposed[0]] == 1
