"""The rules that keep facilities and parties consistent, wherever they are changed: drawn and
undrawn never count twice, a borrower stays a party able to borrow, and a classification
changed in the admin keeps its history with a real reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.choices import LoanClass, PartyRole
from accounts.exposure import fx_rates, summarize, summarize_queryset
from accounts.models import Facility, FacilityClassificationChange, Project, ProjectParty
from accounts.services import facility_save, party_delete, party_save
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(cast: Cast) -> Project:
    return ProjectFactory.create(
        account=cast.account, commitment=Decimal(100), outstanding=Decimal(40)
    )


def test_drawn_above_the_commitment_leaves_nothing_to_draw(project: Project) -> None:
    facility = project.facilities.get()
    facility.drawn, facility.undrawn = Decimal(120), Decimal(100)
    with pytest.raises(ValidationError) as error:
        facility.full_clean()
    assert "undrawn" in error.value.message_dict
    # The database refuses it too, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        Facility.objects.filter(pk=facility.pk).update(drawn=Decimal(120), undrawn=Decimal(100))
    # Above the commitment with nothing left to draw is allowed, and flagged.
    facility.undrawn = Decimal(0)
    facility_save(facility=facility, by=None)
    facility.refresh_from_db()
    assert facility.exposure == Decimal(120) and facility.over_commitment


def test_a_borrower_cannot_stop_being_a_party_able_to_borrow(project: Project) -> None:
    party = project.parties.get()
    assert party.role == PartyRole.BORROWER
    party.role = PartyRole.EPC
    with pytest.raises(ValidationError, match="borrows under this project"):
        party_save(party=party)
    party.refresh_from_db()
    party.account = AccountFactory.create()
    with pytest.raises(ValidationError, match="borrows under this project"):
        party_save(party=party)
    with pytest.raises(ValidationError, match="borrows under this project"):
        party_delete(party=ProjectParty.objects.get(pk=party.pk))
    # With another role able to borrow (a sponsor), the borrower role may go.
    ProjectParty.objects.create(project=project, account=project.account, role="sponsor")
    party.refresh_from_db()
    party_delete(party=party)
    assert project.parties.get().role == PartyRole.SPONSOR


def test_a_facility_names_only_a_party_able_to_borrow(project: Project) -> None:
    contractor = AccountFactory.create()
    ProjectParty.objects.create(project=project, account=contractor, role=PartyRole.EPC)
    facility = project.facilities.get()
    facility.borrower = contractor
    with pytest.raises(ValidationError) as error:
        facility.full_clean()
    assert "borrower" in error.value.message_dict


def test_a_repaid_facility_no_longer_sets_the_worst_classification(project: Project) -> None:
    facility = project.facilities.get()
    facility.drawn = facility.undrawn = Decimal(0)
    facility.classification = LoanClass.LOSS
    facility_save(facility=facility, by=None, reason="Written off, then recovered in full")
    assert summarize([facility], fx_rates()).worst_class is None
    assert (
        summarize_queryset(Facility.objects.filter(pk=facility.pk), fx_rates()).worst_class is None
    )


def test_an_admin_downgrade_needs_its_reason_and_keeps_it(
    client, cast: Cast, project: Project
) -> None:
    facility = project.facilities.get()
    url = reverse("admin:accounts_facility_change", args=[facility.pk])
    data = {
        "project": project.pk,
        "borrower": project.account_id,
        "name": facility.name,
        "kind": facility.kind,
        "currency": facility.currency,
        "commitment": "100",
        "drawn": "40",
        "undrawn": "60",
        "classification": str(LoanClass.SUBSTANDARD),
        "classification_reason": "",
        "classification_changes-TOTAL_FORMS": "0",
        "classification_changes-INITIAL_FORMS": "0",
        "classification_changes-MIN_NUM_FORMS": "0",
        "classification_changes-MAX_NUM_FORMS": "1000",
    }
    client.force_login(cast.admin)
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "Give the reason for the downgrade" in response.content.decode()
    facility.refresh_from_db()
    assert facility.classification == LoanClass.NORMAL
    data["classification_reason"] = "Two missed interest payments"
    response = client.post(url, data)
    assert response.status_code == 302
    change = FacilityClassificationChange.objects.filter(facility=facility).first()
    assert change is not None
    assert change.classification == LoanClass.SUBSTANDARD
    assert change.reason == "Two missed interest payments" and change.changed_by == cast.admin


def test_the_admin_does_not_delete_a_sole_borrower_party(
    client, cast: Cast, project: Project
) -> None:
    party = project.parties.get()
    client.force_login(cast.admin)
    response = client.get(reverse("admin:accounts_projectparty_delete", args=[party.pk]))
    assert response.status_code == 403
    assert ProjectParty.objects.filter(pk=party.pk).exists()
