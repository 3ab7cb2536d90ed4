"""Bad input gets a field error and saves nothing; good input saves through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Account, Contact, Project
from tests.conftest import Cast
from tests.factories import make_uscc

pytestmark = pytest.mark.django_db


def _account_data(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data = {
        "legal_name_zh": "新能源投资集团有限公司",
        "legal_name_en": "New Energy Investment Group",
        "uscc": make_uscc(999),
        "account_type": "sponsor",
        "industry": "renewables",
        "region": "cn_northwest",
        "status": "active",
        "owner": cast.owner.pk,
        "credit_rating": "AA",
        "esg_rating": "A",
        "website": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_rm_creates_an_account_owned_in_their_team(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(reverse("accounts:create"), _account_data(cast))
    account = Account.objects.get(legal_name_en="New Energy Investment Group")
    assert response.status_code == 302
    assert response.url == account.get_absolute_url()
    assert (account.owner, account.team, account.tier) == (cast.owner, cast.team, "standard")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"uscc": "91110000123456789X"}, "uscc"),
        ({"uscc": "123"}, "uscc"),
        ({"legal_name_zh": "", "legal_name_en": ""}, "legal_name_en"),
        ({"industry": "casino"}, "industry"),
        ({"status": "zombie"}, "status"),
        ({"credit_rating": "ZZZ"}, "credit_rating"),
    ],
)
def test_account_form_rejects_bad_input_with_a_field_error(
    client, cast: Cast, overrides: dict[str, str], field: str
) -> None:
    client.force_login(cast.owner)
    response = client.post(reverse("accounts:create"), _account_data(cast, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Account.objects.count() == 1


def test_duplicate_credit_code_is_refused(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(reverse("accounts:create"), _account_data(cast, uscc=cast.account.uscc))
    assert "uscc" in response.context["form"].errors
    assert Account.objects.count() == 1


def test_foreign_entity_without_credit_code_is_fine_and_stored_as_null(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    for name in ("Iberia Renovables SA", "Gulf Water Utility"):
        client.post(
            reverse("accounts:create"),
            _account_data(cast, uscc="", legal_name_en=name, legal_name_zh=""),
        )
    assert Account.objects.filter(uscc__isnull=True).count() == 2


def test_an_rm_cannot_hand_an_account_to_another_teams_rm(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(reverse("accounts:create"), _account_data(cast, owner=cast.outsider.pk))
    assert "owner" in response.context["form"].errors


def test_team_lead_reassigns_an_account_within_the_team(client, cast: Cast) -> None:
    from kam.roles import Role
    from tests.factories import UserFactory

    newcomer = UserFactory.create(username="rm.sun", team=cast.team, roles=[Role.RM])
    client.force_login(cast.lead)
    data = _account_data(
        cast, owner=newcomer.pk, uscc=cast.account.uscc, legal_name_en="Sunrise Power Holdings"
    )
    response = client.post(reverse("accounts:edit", args=[cast.account.pk]), data)
    assert response.status_code == 302
    cast.account.refresh_from_db()
    assert cast.account.owner == newcomer


def _project_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Hami 1 GW Solar",
        "sector": "renewables",
        "region": "cn_northwest",
        "currency": "CNY",
        "total_cost": "5000000000",
        "stage": "construction",
        "financial_close_date": "2025-06-30",
        "planned_cod": "2027-06-30",
        "forecast_cod": "2027-09-30",
        "equator_category": "B",
        "green_category": "clean_energy",
        "lead_role": "sponsor",
    }
    data.update(overrides)
    return data


def test_project_is_saved_with_decimal_amounts(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("accounts:project_create", args=[cast.account.pk]), _project_data()
    )
    assert response.status_code == 302
    project = Project.objects.get(name="Hami 1 GW Solar")
    assert project.total_cost == Decimal("5000000000")
    assert project.account == cast.account and project.green_category == "clean_energy"
    assert project.parties.get().role == "sponsor"


def test_project_edit_keeps_its_parties_and_offers_no_lead_role(client, cast: Cast) -> None:
    from tests.factories import ProjectFactory

    project = ProjectFactory.create(account=cast.account, role="borrower")
    client.force_login(cast.owner)
    url = reverse("accounts:project_edit", args=[cast.account.pk, project.pk])
    assert "lead_role" not in client.get(url).context["form"].fields
    response = client.post(url, _project_data(name="Renamed", lead_role="epc"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "Renamed"
    assert list(project.parties.values_list("role", flat=True)) == ["borrower"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total_cost": "-1"}, "total_cost"),
        ({"currency": "XXX"}, "currency"),
        ({"stage": "dreaming"}, "stage"),
        ({"equator_category": "D"}, "equator_category"),
        ({"green_category": "purple"}, "green_category"),
        ({"lead_role": "bystander"}, "lead_role"),
        ({"total_cost": "abc"}, "total_cost"),
        ({"planned_cod": "2020-01-01"}, "planned_cod"),
    ],
)
def test_project_form_rejects_bad_amounts_and_choices(
    client, cast: Cast, overrides: dict[str, str], field: str
) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("accounts:project_create", args=[cast.account.pk]), _project_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Project.objects.exists()


def test_database_constraints_hold_even_without_the_form(cast: Cast) -> None:
    from django.db import IntegrityError, transaction

    from accounts.models import Facility, ProjectParty

    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(
            account=cast.account, name="x", sector="power", region="cn_east", total_cost=-1
        )
    project = Project.objects.create(
        account=cast.account, name="x", sector="power", region="cn_east", total_cost=10
    )
    for bad in (
        {"commitment": Decimal(5), "drawn": Decimal(0), "undrawn": Decimal(6)},
        {"commitment": Decimal(-1), "drawn": Decimal(0), "undrawn": Decimal(0)},
        {"commitment": Decimal(5), "drawn": Decimal(-2), "undrawn": Decimal(0)},
        {"commitment": Decimal(5), "classification": 7},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Facility.objects.create(project=project, name="x", **bad)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectParty.objects.create(
            project=project, account=cast.account, role="epc", equity_pct=Decimal(10)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=cast.account.pk).update(tier="platinum")


def _contact_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "王伟",
        "title": "Chief Financial Officer",
        "seniority": "c_level",
        "influence": "decision_maker",
        "attitude": "supporter",
        "channel_preferences": ["meeting", "wechat"],
        "phone": "138 1234 1234",
        "email": "wang.wei@sunrise.cn",
        "is_primary": "on",
        # The PIPL record (tests/privacy cover its rules).
        "legal_basis": "contract",
        "purpose": "Relationship management",
        "source": "client",
    }
    data.update(overrides)
    return data


def test_contact_is_saved_encrypted_with_its_preferences(client, cast: Cast) -> None:
    client.force_login(cast.teammate)
    response = client.post(
        reverse("accounts:contact_create", args=[cast.account.pk]), _contact_data()
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.channel_preferences == ["meeting", "wechat"]
    assert contact.masked_phone == "138****1234"
    assert Contact.objects.with_phone("13812341234").get() == contact


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"channel_preferences": ["carrier_pigeon"]}, "channel_preferences"),
        ({"attitude": "hostile!"}, "attitude"),
        ({"name": ""}, "name"),
    ],
)
def test_contact_form_rejects_bad_input(
    client, cast: Cast, overrides: dict[str, Any], field: str
) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("accounts:contact_create", args=[cast.account.pk]), _contact_data(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Contact.objects.exists()


def test_a_contact_reports_to_a_contact_of_the_same_account_only(client, cast: Cast) -> None:
    from tests.factories import AccountFactory, ContactFactory

    manager = ContactFactory.create(account=cast.account, name="Chen Manager")
    stranger = ContactFactory.create(account=AccountFactory.create(), name="Other Bank CFO")
    client.force_login(cast.owner)
    url = reverse("accounts:contact_create", args=[cast.account.pk])
    page = client.get(url)
    choices = list(page.context["form"].fields["reports_to"].queryset)
    assert choices == [manager]
    response = client.post(url, _contact_data(reports_to=stranger.pk))
    assert response.status_code == 200 and "reports_to" in response.context["form"].errors
    response = client.post(url, _contact_data(reports_to=manager.pk))
    assert response.status_code == 302
    assert Contact.objects.get(name="王伟").reports_to == manager


def test_a_contact_of_another_account_cannot_be_edited_through_this_one(client, cast: Cast) -> None:
    from tests.factories import ContactFactory

    foreign = ContactFactory.create(name="Hidden Person")
    client.force_login(cast.owner)
    url = reverse("accounts:contact_edit", args=[cast.account.pk, foreign.pk])
    assert client.post(url, _contact_data(name="Renamed")).status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Hidden Person"
