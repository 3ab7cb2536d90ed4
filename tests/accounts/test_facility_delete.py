"""Removing a facility from a project: who may, what is refused, and what the change log keeps."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Facility, FacilityClassificationChange, Project
from accounts.services import facility_delete, facility_save
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

pytestmark = pytest.mark.django_db

REFUSAL = "A facility with an outstanding amount cannot be removed"


@pytest.fixture
def project(cast: Cast) -> Project:
    """Led by the cast's account as sponsor, financed by one term loan it borrows (drawn)."""
    return ProjectFactory.create(
        account=cast.account,
        name="Hami Solar",
        role="sponsor",
        commitment=Decimal(1000),
        outstanding=Decimal(400),
    )


@pytest.fixture
def repaid(cast: Cast, project: Project) -> Facility:
    """A bridge loan repaid in full: drawn and undrawn at zero."""
    return facility_save(
        facility=Facility(
            project=project,
            borrower=cast.account,
            name="Bridge loan",
            kind="bridge",
            currency="CNY",
            commitment=Decimal(300),
            drawn=Decimal(0),
            undrawn=Decimal(0),
        ),
        by=cast.owner,
    )


def _url(facility: Facility) -> str:
    return reverse(
        "accounts:facility_delete",
        args=[facility.project.account_id, facility.project_id, facility.pk],
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("executive", 403),
        ("risk", 403),
        ("compliance", 403),
        ("outsider", 404),
        ("other_lead", 404),
    ],
)
def test_who_may_not_edit_the_projects_removes_nothing(
    client, cast: Cast, repaid: Facility, who: str, status: int
) -> None:
    client.force_login(getattr(cast, who))
    assert client.post(_url(repaid)).status_code == status
    assert Facility.objects.filter(pk=repaid.pk).exists()


@pytest.mark.parametrize("who", ["owner", "teammate", "lead", "admin"])
def test_who_edits_the_projects_removes_a_repaid_facility(
    client, cast: Cast, repaid: Facility, who: str
) -> None:
    client.force_login(getattr(cast, who))
    response = client.post(_url(repaid))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "accounts:project_detail", args=[cast.account.pk, repaid.project_id]
    )
    assert not Facility.objects.filter(pk=repaid.pk).exists()
    assert not FacilityClassificationChange.objects.filter(facility_id=repaid.pk).exists()


def test_the_removal_is_post_only(client, cast: Cast, repaid: Facility) -> None:
    client.force_login(cast.owner)
    assert client.get(_url(repaid)).status_code == 405
    assert Facility.objects.filter(pk=repaid.pk).exists()


def test_a_facility_of_another_project_is_not_found(
    client, cast: Cast, project: Project, repaid: Facility
) -> None:
    other = ProjectFactory.create(account=cast.account, commitment=0)
    client.force_login(cast.owner)
    url = reverse("accounts:facility_delete", args=[cast.account.pk, other.pk, repaid.pk])
    assert client.post(url).status_code == 404
    assert Facility.objects.filter(pk=repaid.pk).exists()


def test_a_facility_with_an_outstanding_amount_is_refused_and_said(
    client, cast: Cast, project: Project
) -> None:
    term = project.facilities.get(name="Term loan")
    assert term.drawn > 0
    client.force_login(cast.owner)
    response = client.post(_url(term), follow=True)
    assert Facility.objects.filter(pk=term.pk).exists()
    assert REFUSAL in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(
        "accounts:facility_edit", args=[cast.account.pk, project.pk, term.pk]
    )


def test_an_undrawn_commitment_still_open_is_refused_too(cast: Cast, project: Project) -> None:
    """Exposure is drawn + undrawn: a facility not drawn yet is not repaid."""
    available = facility_save(
        facility=Facility(
            project=project,
            name="Revolver",
            kind="revolving",
            currency="CNY",
            commitment=Decimal(200),
            drawn=Decimal(0),
            undrawn=Decimal(200),
        ),
        by=cast.owner,
    )
    with pytest.raises(ValidationError, match="outstanding amount"):
        facility_delete(facility=available, by=cast.owner)
    assert Facility.objects.filter(pk=available.pk).exists()


def test_the_service_checks_the_right_itself(cast: Cast, repaid: Facility) -> None:
    with pytest.raises(PermissionDenied):
        facility_delete(facility=repaid, by=cast.executive)
    assert Facility.objects.filter(pk=repaid.pk).exists()


def test_the_removal_is_in_the_change_log_with_who_removed_it(
    client, cast: Cast, repaid: Facility
) -> None:
    client.force_login(cast.owner)
    assert client.post(_url(repaid)).status_code == 302
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Facility),
        object_pk=str(repaid.pk),
        action=LogEntry.Action.DELETE,
    )
    assert entry.actor == cast.owner
    assert "Bridge loan" in entry.object_repr


def test_the_tier_of_the_borrower_and_the_parties_is_worked_out_again(
    cast: Cast, project: Project, repaid: Facility
) -> None:
    spv = AccountFactory.create(owner=cast.owner)
    project.parties.create(account=spv, role="borrower")
    with mock.patch("accounts.services.enqueue_account_recompute") as enqueue:
        facility_delete(facility=repaid, by=cast.owner)
    assert sorted(call.args[0] for call in enqueue.call_args_list) == sorted(
        [cast.account.pk, spv.pk]
    )


def test_the_edit_page_offers_the_removal(client, cast: Cast, repaid: Facility) -> None:
    client.force_login(cast.owner)
    edit = reverse("accounts:facility_edit", args=[cast.account.pk, repaid.project_id, repaid.pk])
    page = client.get(edit).content.decode()
    assert f'action="{_url(repaid)}"' in page
    new = reverse("accounts:facility_create", args=[cast.account.pk, repaid.project_id])
    assert "/delete/" not in client.get(new).content.decode()
