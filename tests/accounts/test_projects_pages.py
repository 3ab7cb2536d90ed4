"""A project's page, reached through its lead account, and the projects and exposure on an
account's page: who sees what, the figures, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.choices import LoanClass, PartyRole
from accounts.models import Account, Facility, FxRate, Project, ProjectParty
from accounts.services import facility_save
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

pytestmark = pytest.mark.django_db

# Session, user, roles, the user's book, the account; the project; its parties, its facilities
# with their borrowers, the FX rates, the classification history. Whatever their number.
PROJECT_PAGE_BUDGET = 10


def _rate(currency: str, rate: str) -> None:
    FxRate.objects.update_or_create(
        currency=currency, defaults={"rate_to_cny": Decimal(rate), "as_of": dt.date(2026, 1, 1)}
    )


def _url(project: Project) -> str:
    return reverse("accounts:project_detail", args=[project.account_id, project.pk])


@pytest.fixture
def deal(cast: Cast) -> dict[str, object]:
    """The owner's project led by the cast's account (the sponsor), with an SPV borrower of
    the owner's book, an EPC contractor of another RM's book, two facilities (one drawn above
    its commitment, in USD) and one with no borrower named."""
    _rate("USD", "7.10")
    project = ProjectFactory.create(
        account=cast.account, name="Hami Solar", currency="CNY", commitment=0, role="sponsor"
    )
    party = ProjectParty.objects.get(project=project)
    party.equity_pct = Decimal("60")
    party.save()
    spv = AccountFactory.create(owner=cast.owner, legal_name_en="Hami Solar SPV")
    epc = AccountFactory.create(owner=cast.outsider, legal_name_en="Western Grid EPC Works")
    ProjectParty.objects.create(project=project, account=spv, role=PartyRole.BORROWER)
    ProjectParty.objects.create(project=project, account=epc, role=PartyRole.EPC)
    term = facility_save(
        facility=Facility(
            project=project,
            borrower=spv,
            name="Term loan A",
            currency="CNY",
            commitment=Decimal("1000"),
            drawn=Decimal("400"),
            undrawn=Decimal("600"),
            maturity_date=dt.date(2040, 6, 30),
            margin_pct=Decimal("1.250"),
        ),
        by=cast.owner,
    )
    usd = facility_save(
        facility=Facility(
            project=project,
            borrower=spv,
            name="USD tranche",
            currency="USD",
            commitment=Decimal("100"),
            drawn=Decimal("110"),  # capitalised interest: above the commitment
            undrawn=Decimal("0"),
        ),
        by=cast.owner,
    )
    loose = facility_save(
        facility=Facility(
            project=project,
            name="Bridge",
            kind="bridge",
            currency="CNY",
            commitment=Decimal("50"),
            drawn=Decimal("50"),
        ),
        by=cast.owner,
    )
    term.classification = LoanClass.SPECIAL_MENTION
    facility_save(facility=term, by=cast.owner, reason="Construction delay of six months")
    return {"project": project, "spv": spv, "epc": epc, "term": term, "usd": usd, "loose": loose}


def test_the_project_page_shows_figures_parties_facilities_and_history(
    client, cast: Cast, deal: dict[str, object]
) -> None:
    project = deal["project"]
    assert isinstance(project, Project)
    client.force_login(cast.owner)
    response = client.get(_url(project))
    assert response.status_code == 200
    body = response.content.decode()
    # Parties with their roles and the sponsor's equity.
    spv, epc = deal["spv"], deal["epc"]
    assert isinstance(spv, Account) and isinstance(epc, Account)
    parties = {row["account_id"]: row for row in response.context["parties"]}
    assert parties[cast.account.pk]["role"] == "Sponsor"
    assert parties[cast.account.pk]["equity_pct"] == Decimal("60")
    assert parties[spv.pk]["role"] == "Borrower"
    # A party the owner sees links to its page; the other RM's contractor is a name only.
    assert parties[spv.pk]["url"] == reverse("accounts:detail", args=[spv.pk])
    assert parties[epc.pk]["url"] == ""
    assert "Western Grid EPC Works" in body
    assert reverse("accounts:detail", args=[epc.pk]) not in body
    # Facilities: the one above its commitment and the unattributed one are flagged.
    assert body.count('data-flag="over-commitment"') == 1
    assert body.count('data-flag="unattributed"') == 1
    assert response.context["unattributed"] == 1
    # Exposure per currency and in CNY: CNY 400 + 600 + 50, USD 110 at 7.10.
    exposure = response.context["exposure"]
    rows = {row.currency: row for row in exposure.by_currency}
    assert rows["CNY"].exposure == Decimal("1050") and rows["USD"].exposure == Decimal("110")
    assert exposure.total_cny == Decimal("1050") + Decimal("110") * Decimal("7.10")
    assert exposure.worst_class == LoanClass.SPECIAL_MENTION
    # The classification history, with the reason of the downgrade and who made it.
    reasons = [change.reason for change in response.context["history"]]
    assert "Construction delay of six months" in reasons and len(reasons) == 4
    assert "Construction delay of six months" in body
    # The covenants of the account, built by the risk app.
    assert reverse("risk:account_covenants", args=[cast.account.pk]) in body


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("teammate", 200),
        ("lead", 200),
        ("executive", 200),
        ("outsider", 404),
        ("other_lead", 404),
    ],
)
def test_the_project_page_opens_through_the_lead_accounts_book(
    client, cast: Cast, deal: dict[str, object], who: str, status: int
) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(_url(deal["project"])).status_code == status  # type: ignore[arg-type]


def test_a_party_of_your_book_does_not_open_a_project_led_by_another_book(
    client, cast: Cast, deal: dict[str, object]
) -> None:
    """The outsider owns the EPC contractor, a party: the project is still not theirs to open,
    not through its lead account nor through their own account."""
    project, epc = deal["project"], deal["epc"]
    client.force_login(cast.outsider)
    assert client.get(_url(project)).status_code == 404  # type: ignore[arg-type]
    through_own = reverse("accounts:project_detail", args=[epc.pk, project.pk])  # type: ignore[attr-defined]
    assert client.get(through_own).status_code == 404
    # Their account's page lists the project with their role, by name only.
    page = client.get(reverse("accounts:detail", args=[epc.pk]))  # type: ignore[attr-defined]
    row = next(r for r in page.context["projects"] if r["project"].pk == project.pk)  # type: ignore[attr-defined]
    assert [label for label, _ in row["roles"]] == ["EPC contractor"]
    assert row["url"] == "" and row["lead_url"] == ""
    body = page.content.decode()
    assert "Hami Solar" in body and _url(project) not in body  # type: ignore[arg-type]
    assert reverse("accounts:detail", args=[cast.account.pk]) not in body
    # Nothing of the project beyond its name: not its cost, stage or sector.
    assert f"{project.total_cost:,.2f}" not in body  # type: ignore[attr-defined]
    assert project.get_stage_display() not in body  # type: ignore[attr-defined]


def test_the_account_page_lists_every_project_with_its_roles_and_its_exposure_as_borrower(
    client, cast: Cast, deal: dict[str, object]
) -> None:
    spv, project = deal["spv"], deal["project"]
    client.force_login(cast.owner)
    page = client.get(reverse("accounts:detail", args=[spv.pk]))  # type: ignore[attr-defined]
    assert page.status_code == 200
    rows = page.context["projects"]
    assert [r["project"].pk for r in rows] == [project.pk]  # type: ignore[attr-defined]
    assert rows[0]["roles"] == [("Borrower", None)] and not rows[0]["led"]
    assert rows[0]["url"] == _url(project)  # type: ignore[arg-type]
    assert rows[0]["lead_url"] == reverse("accounts:detail", args=[cast.account.pk])
    exposure = page.context["exposure"]
    assert {r.currency: r.exposure for r in exposure.by_currency} == {
        "CNY": Decimal("1000"),
        "USD": Decimal("110"),
    }
    assert exposure.over_commitment == 1
    body = page.content.decode()
    assert "Exposure as borrower" in body and "1,781.00" in body  # 1000 + 110 × 7.10
    # The sponsor that leads the project borrows nothing: it has projects and no exposure.
    lead_page = client.get(reverse("accounts:detail", args=[cast.account.pk]))
    lead_rows = lead_page.context["projects"]
    assert lead_rows[0]["led"] and lead_rows[0]["roles"] == [("Sponsor", Decimal("60.00"))]
    assert not lead_page.context["exposure"].by_currency
    assert "Exposure as borrower" not in lead_page.content.decode()


def test_an_account_with_two_roles_in_a_project_lists_it_once_with_both(cast: Cast, client) -> None:
    project = ProjectFactory.create(account=cast.account, role="sponsor")
    ProjectParty.objects.create(project=project, account=cast.account, role=PartyRole.OFFTAKER)
    ProjectFactory.create(account=cast.account, name="Another", commitment=0)
    client.force_login(cast.owner)
    rows = client.get(reverse("accounts:detail", args=[cast.account.pk])).context["projects"]
    assert len(rows) == 2
    mine = next(r for r in rows if r["project"].pk == project.pk)
    assert sorted(label for label, _ in mine["roles"]) == ["Off-taker", "Sponsor"]


def test_a_missing_rate_is_said_and_left_out_of_the_cny_total(
    client, cast: Cast, deal: dict[str, object]
) -> None:
    FxRate.objects.filter(currency="USD").delete()
    client.force_login(cast.owner)
    response = client.get(_url(deal["project"]))  # type: ignore[arg-type]
    assert response.context["exposure"].missing_rates == ["USD"]
    assert response.context["exposure"].total_cny == Decimal("1050")
    assert "No rate kept for USD" in response.content.decode()


@pytest.mark.parametrize("rows", [2, 30])
def test_the_project_page_query_count_does_not_grow_with_parties_or_facilities(
    client, django_assert_max_num_queries, cast: Cast, rows: int
) -> None:
    project = ProjectFactory.create(account=cast.account, role="sponsor")
    for n in range(rows):
        account = AccountFactory.create(owner=cast.owner if n % 2 else cast.outsider)
        ProjectParty.objects.create(project=project, account=account, role=PartyRole.BORROWER)
        facility_save(
            facility=Facility(
                project=project,
                borrower=account,
                name=f"Tranche {n}",
                currency="USD" if n % 3 else "CNY",
                commitment=Decimal(100),
                drawn=Decimal(120 if n % 5 == 0 else 50),
            ),
            by=cast.owner,
        )
    for who in (cast.teammate, cast.executive):
        client.force_login(who)
        with django_assert_max_num_queries(PROJECT_PAGE_BUDGET):
            response = client.get(_url(project))
        assert response.status_code == 200
        assert len(response.context["facilities"]) == rows + 1
