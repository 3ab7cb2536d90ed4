"""The forms of a project's parties and facilities: who may use them, what they refuse (with
the error on the field, and nothing typed lost), and what they save through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from accounts.choices import LoanClass, PartyRole
from accounts.models import Facility, FacilityClassificationChange, Project, ProjectParty
from accounts.services import facility_save
from tests.conftest import Cast
from tests.factories import AccountFactory, MembershipFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(cast: Cast) -> Project:
    """Led by the cast's account as sponsor, financed by one term loan it borrows."""
    return ProjectFactory.create(
        account=cast.account,
        name="Hami Solar",
        role="sponsor",
        commitment=Decimal(1000),
        outstanding=Decimal(400),
    )


def _urls(project: Project) -> dict[str, str]:
    a, p = project.account_id, project.pk
    party = project.parties.get(account_id=a)
    facility = project.facilities.get(name="Term loan")
    return {
        "party_create": reverse("accounts:party_create", args=[a, p]),
        "party_edit": reverse("accounts:party_edit", args=[a, p, party.pk]),
        "facility_create": reverse("accounts:facility_create", args=[a, p]),
        "facility_edit": reverse("accounts:facility_edit", args=[a, p, facility.pk]),
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("teammate", 200),
        ("lead", 200),
        ("admin", 200),
        ("executive", 403),
        ("risk", 403),
        ("compliance", 403),
        ("outsider", 404),
        ("other_lead", 404),
    ],
)
def test_the_forms_answer_by_the_right_to_edit_projects(
    client, cast: Cast, project: Project, who: str, status: int
) -> None:
    client.force_login(getattr(cast, who))
    for name, url in _urls(project).items():
        assert client.get(url).status_code == status, name
    party = project.parties.get()
    delete = reverse("accounts:party_delete", args=[cast.account.pk, project.pk, party.pk])
    if status != 200:
        assert client.post(delete).status_code == status
        assert ProjectParty.objects.filter(pk=party.pk).exists()


def test_a_product_specialist_reads_the_project_but_edits_nothing(
    client, cast: Cast, project: Project
) -> None:
    specialist = MembershipFactory.create(account=cast.account, role="product").user
    client.force_login(specialist)
    page = client.get(reverse("accounts:project_detail", args=[cast.account.pk, project.pk]))
    assert page.status_code == 200 and not page.context["can"].edit_projects
    assert reverse("accounts:party_create", args=[cast.account.pk, project.pk]) not in (
        page.content.decode()
    )
    assert client.get(_urls(project)["party_create"]).status_code == 403


def test_a_child_of_another_project_is_not_found(client, cast: Cast, project: Project) -> None:
    other = ProjectFactory.create(account=cast.account)
    client.force_login(cast.owner)
    party = other.parties.get()
    facility = other.facilities.get()
    a, p = cast.account.pk, project.pk
    assert client.get(reverse("accounts:party_edit", args=[a, p, party.pk])).status_code == 404
    assert client.get(reverse("accounts:facility_edit", args=[a, p, facility.pk])).status_code == (
        404
    )
    assert client.post(reverse("accounts:party_delete", args=[a, p, party.pk])).status_code == 404
    assert ProjectParty.objects.filter(pk=party.pk).exists()


# ---------------------------------------------------------------- parties


def test_a_sponsor_is_added_with_its_equity(client, cast: Cast, project: Project) -> None:
    partner = AccountFactory.create(owner=cast.owner, legal_name_en="Gobi Wind Partners")
    client.force_login(cast.owner)
    response = client.post(
        _urls(project)["party_create"],
        {"account": partner.pk, "role": "sponsor", "equity_pct": "40", "note": "Minority"},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:project_detail", args=[cast.account.pk, project.pk])
    party = ProjectParty.objects.get(project=project, account=partner)
    assert (party.role, party.equity_pct, party.note) == ("sponsor", Decimal("40"), "Minority")


def test_the_account_choices_are_the_users_book(client, cast: Cast, project: Project) -> None:
    mine = AccountFactory.create(owner=cast.owner, legal_name_en="Gobi Wind Partners")
    hidden = AccountFactory.create(owner=cast.outsider, legal_name_en="Harbour Logistics")
    client.force_login(cast.owner)
    page = client.get(_urls(project)["party_create"])
    choices = {str(value) for value, _ in page.context["form"].fields["account"].widget.choices}
    assert str(mine.pk) in choices and str(hidden.pk) not in choices
    assert "Harbour Logistics" not in page.content.decode()
    # A post of an account outside the book is refused on the field, and adds nothing.
    response = client.post(
        _urls(project)["party_create"], {"account": hidden.pk, "role": "offtaker"}
    )
    assert response.status_code == 200
    assert "account" in response.context["form"].errors
    assert not ProjectParty.objects.filter(account=hidden).exists()


def test_the_search_narrows_the_account_options(client, cast: Cast, project: Project) -> None:
    AccountFactory.create(owner=cast.owner, legal_name_en="Gobi Wind Partners")
    AccountFactory.create(owner=cast.owner, legal_name_en="Yangtze Hydro")
    client.force_login(cast.owner)
    page = client.get(_urls(project)["party_create"], {"q": "gobi"})
    labels = [str(label) for _, label in page.context["form"].fields["account"].widget.choices]
    assert any("Gobi Wind Partners" in label for label in labels)
    assert not any("Yangtze Hydro" in label for label in labels)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": "epc", "equity_pct": "30"}, "equity_pct"),
        ({"role": "sponsor", "equity_pct": "130"}, "equity_pct"),
        ({"role": "dreamer"}, "role"),
        ({"role": ""}, "role"),
    ],
)
def test_a_bad_party_gets_a_field_error_and_keeps_what_was_typed(
    client, cast: Cast, project: Project, data: dict[str, str], field: str
) -> None:
    partner = AccountFactory.create(owner=cast.owner)
    client.force_login(cast.owner)
    response = client.post(
        _urls(project)["party_create"],
        {"account": partner.pk, "note": "Typed note QX-1", **data},
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    body = response.content.decode()
    assert "Typed note QX-1" in body and f'value="{partner.pk}" selected' in body
    assert not ProjectParty.objects.filter(account=partner).exists()


def test_the_same_role_twice_is_refused(client, cast: Cast, project: Project) -> None:
    client.force_login(cast.owner)
    response = client.post(
        _urls(project)["party_create"], {"account": cast.account.pk, "role": "sponsor"}
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert project.parties.count() == 1


def test_a_party_whose_account_the_user_cannot_see_keeps_its_account(
    client, cast: Cast, project: Project
) -> None:
    """Its name is a choice (name only, never a link) and editing its role keeps it."""
    hidden = AccountFactory.create(owner=cast.outsider, legal_name_en="Harbour Logistics")
    party = ProjectParty.objects.create(project=project, account=hidden, role=PartyRole.OFFTAKER)
    url = reverse("accounts:party_edit", args=[cast.account.pk, project.pk, party.pk])
    client.force_login(cast.owner)
    page = client.get(url)
    assert "Harbour Logistics" in page.content.decode()
    assert reverse("accounts:detail", args=[hidden.pk]) not in page.content.decode()
    response = client.post(url, {"account": hidden.pk, "role": "insurer"})
    assert response.status_code == 302
    party.refresh_from_db()
    assert (party.account_id, party.role) == (hidden.pk, "insurer")


def test_a_party_is_removed_unless_it_still_borrows(client, cast: Cast, project: Project) -> None:
    offtaker = AccountFactory.create(owner=cast.owner)
    party = ProjectParty.objects.create(project=project, account=offtaker, role="offtaker")
    client.force_login(cast.owner)
    a, p = cast.account.pk, project.pk
    response = client.post(reverse("accounts:party_delete", args=[a, p, party.pk]))
    assert response.status_code == 302
    assert not ProjectParty.objects.filter(pk=party.pk).exists()
    # The sponsor borrows the term loan: removing it is refused, and said.
    sponsor = project.parties.get(account=cast.account)
    response = client.post(reverse("accounts:party_delete", args=[a, p, sponsor.pk]), follow=True)
    assert ProjectParty.objects.filter(pk=sponsor.pk).exists()
    assert "name another borrower first" in response.content.decode()
    assert client.get(reverse("accounts:party_delete", args=[a, p, sponsor.pk])).status_code == 405


# ---------------------------------------------------------------- facilities


def _facility_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Term loan B",
        "kind": "term_loan",
        "borrower": "",
        "currency": "USD",
        "commitment": "500",
        "drawn": "200",
        "undrawn": "300",
        "facility_size": "2000",
        "maturity_date": "2040-12-31",
        "margin_pct": "1.75",
        "classification": "1",
        "reason": "",
    }
    data.update(overrides)
    return data


def test_a_facility_is_added_with_its_borrower_and_history(
    client, cast: Cast, project: Project
) -> None:
    client.force_login(cast.owner)
    response = client.post(
        _urls(project)["facility_create"], _facility_data(borrower=cast.account.pk)
    )
    assert response.status_code == 302
    facility = Facility.objects.get(project=project, name="Term loan B")
    assert facility.borrower_id == cast.account.pk
    assert (facility.currency, facility.commitment, facility.drawn) == (
        "USD",
        Decimal("500"),
        Decimal("200"),
    )
    assert facility.exposure == Decimal("500") and facility.classified_by == cast.owner
    assert facility.classification_changes.get().changed_by == cast.owner


def test_a_facility_without_a_borrower_is_kept_as_unattributed(
    client, cast: Cast, project: Project
) -> None:
    client.force_login(cast.owner)
    assert client.post(_urls(project)["facility_create"], _facility_data()).status_code == 302
    assert Facility.objects.get(name="Term loan B").borrower is None


def test_the_borrower_must_be_a_party_that_can_owe(client, cast: Cast, project: Project) -> None:
    stranger = AccountFactory.create(owner=cast.owner, legal_name_en="Not A Party Ltd")
    epc = AccountFactory.create(owner=cast.owner, legal_name_en="Builder Co")
    ProjectParty.objects.create(project=project, account=epc, role=PartyRole.EPC)
    client.force_login(cast.owner)
    page = client.get(_urls(project)["facility_create"])
    choices = {str(v) for v, _ in page.context["form"].fields["borrower"].choices}
    assert str(cast.account.pk) in choices
    assert str(stranger.pk) not in choices and str(epc.pk) not in choices
    for account in (stranger, epc):
        response = client.post(
            _urls(project)["facility_create"], _facility_data(borrower=account.pk)
        )
        assert response.status_code == 200
        assert "borrower" in response.context["form"].errors
    assert not Facility.objects.filter(name="Term loan B").exists()


def test_drawn_above_commitment_is_saved_and_flagged(client, cast: Cast, project: Project) -> None:
    client.force_login(cast.owner)
    response = client.post(
        _urls(project)["facility_create"],
        _facility_data(borrower=cast.account.pk, drawn="540", undrawn="0"),
        follow=True,
    )
    assert response.status_code == 200
    facility = Facility.objects.get(name="Term loan B")
    assert facility.over_commitment
    assert "above the commitment" in response.content.decode()
    assert 'data-flag="over-commitment"' in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"undrawn": "600"}, "undrawn"),
        ({"commitment": "-1"}, "commitment"),
        ({"commitment": "3000"}, "facility_size"),
        ({"currency": "XXX"}, "currency"),
        ({"classification": "9"}, "classification"),
        ({"margin_pct": "80"}, "margin_pct"),
        ({"kind": "swap"}, "kind"),
    ],
)
def test_a_bad_facility_gets_a_field_error_and_keeps_what_was_typed(
    client, cast: Cast, project: Project, overrides: dict[str, str], field: str
) -> None:
    client.force_login(cast.owner)
    response = client.post(
        _urls(project)["facility_create"], _facility_data(name="Tranche QX-9", **overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'value="Tranche QX-9"' in response.content.decode()
    assert not Facility.objects.filter(name="Tranche QX-9").exists()


def _edit(facility: Facility, **overrides: Any) -> dict[str, Any]:
    return _facility_data(
        name=facility.name,
        borrower=facility.borrower_id or "",
        currency=facility.currency,
        commitment=str(facility.commitment),
        drawn=str(facility.drawn),
        undrawn=str(facility.undrawn),
        facility_size="",
        **overrides,
    )


def test_a_downgrade_needs_a_reason_and_is_kept_in_the_history(
    client, cast: Cast, project: Project
) -> None:
    facility = project.facilities.get()
    url = _urls(project)["facility_edit"]
    before = FacilityClassificationChange.objects.filter(facility=facility).count()
    client.force_login(cast.teammate)
    refused = client.post(url, _edit(facility, classification=str(LoanClass.SUBSTANDARD)))
    assert refused.status_code == 200
    assert "reason" in refused.context["form"].errors
    facility.refresh_from_db()
    assert facility.classification == LoanClass.NORMAL
    saved = client.post(
        url,
        _edit(
            facility,
            classification=str(LoanClass.SUBSTANDARD),
            reason="Interest 95 days overdue",
        ),
    )
    assert saved.status_code == 302
    facility.refresh_from_db()
    assert facility.classification == LoanClass.SUBSTANDARD
    assert facility.classified_by == cast.teammate
    change = FacilityClassificationChange.objects.filter(facility=facility).first()
    assert change is not None
    assert (change.previous, change.classification, change.reason, change.changed_by) == (
        LoanClass.NORMAL,
        LoanClass.SUBSTANDARD,
        "Interest 95 days overdue",
        cast.teammate,
    )
    # An upgrade needs no reason.
    upgraded = client.post(url, _edit(facility, classification=str(LoanClass.SPECIAL_MENTION)))
    assert upgraded.status_code == 302
    assert FacilityClassificationChange.objects.filter(facility=facility).count() == before + 2


def test_an_edit_that_leaves_the_classification_adds_no_history(
    client, cast: Cast, project: Project
) -> None:
    facility = project.facilities.get()
    client.force_login(cast.owner)
    before = FacilityClassificationChange.objects.filter(facility=facility).count()
    response = client.post(_urls(project)["facility_edit"], _edit(facility, margin_pct="2.1"))
    assert response.status_code == 302
    facility.refresh_from_db()
    assert facility.margin_pct == Decimal("2.1")
    assert FacilityClassificationChange.objects.filter(facility=facility).count() == before


def test_a_new_project_has_its_lead_account_as_first_party(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("accounts:project_create", args=[cast.account.pk]),
        {
            "name": "Qinghai Storage",
            "sector": "renewables",
            "region": "cn_northwest",
            "currency": "CNY",
            "total_cost": "800000000",
            "stage": "origination",
            "lead_role": "offtaker",
            "green_category": "clean_energy",
        },
    )
    project = Project.objects.get(name="Qinghai Storage")
    assert response.url == reverse("accounts:project_detail", args=[cast.account.pk, project.pk])
    assert list(project.parties.values_list("account_id", "role")) == [
        (cast.account.pk, "offtaker")
    ]
    assert not project.facilities.exists()


def test_the_service_refuses_a_downgrade_without_a_reason_even_without_the_form(
    cast: Cast, project: Project
) -> None:
    from django.core.exceptions import ValidationError

    facility = project.facilities.get()
    facility.classification = LoanClass.DOUBTFUL
    with pytest.raises(ValidationError):
        facility_save(facility=facility, by=cast.owner)
