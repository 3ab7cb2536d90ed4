"""The copy for an access request (PIPL art. 45): everything the portal holds on the person —
their record with phone and e-mail decrypted, the interactions they took part in (dates,
channels, subjects; never the notes, and a confidential one without its subject) and their
requests — as a file, logged as an export of level 3 with the request as its reason."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from kam.models import AccessLog
from privacy.models import RequestEvent
from tests.conftest import Cast
from tests.factories import ContactFactory
from tests.interactions.factories import InteractionFactory

from .support import client_for, days_ago, make_request

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def person(cast: Cast) -> Any:
    contact = ContactFactory.create(
        account=cast.account,
        name="王芳",
        title="CFO",
        phone="13812345678",
        email="wang.fang@sunrise.cn",
        purpose="Relationship management",
        notice_given_on=days_ago(40),
    )
    met = InteractionFactory.create(
        account=cast.account, subject="Refinancing lunch", summary="She hinted at a bid"
    )
    met.contacts.add(contact)
    secret = InteractionFactory.create(
        account=cast.account,
        subject="Board restructuring",
        summary="Confidential talk",
        is_confidential=True,
    )
    secret.contacts.add(contact)
    InteractionFactory.create(account=cast.account, subject="Without her").contacts.add(
        ContactFactory.create(account=cast.account)
    )
    return contact


def test_the_copy_holds_the_record_and_the_interactions_without_notes(
    cast: Cast, person: Any
) -> None:
    dsr = make_request(user=cast.owner, kind="access", contact=person, received=1)
    response = client_for(cast.compliance).get(
        reverse("privacy:request_export", args=[dsr.pk, "csv"])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = _rows(response)
    assert rows[0] == ["Section", "Item", "Value"]
    values = {(section, item): value for section, item, value in rows[1:]}
    assert values[("Contact", "Name")] == "王芳"
    assert values[("Contact", "Phone")] == "13812345678"
    assert values[("Contact", "E-mail")] == "wang.fang@sunrise.cn"
    assert values[("Contact", "Legal basis")] == "Necessary for a contract with the person"
    assert values[("Contact", "Notice given on")] == days_ago(40).isoformat()
    assert values[("Organisation", "Account")] == cast.account.display_name
    text = repr(rows)
    assert "Refinancing lunch" in text and "confidential interaction" in text
    assert "Board restructuring" not in text and "Without her" not in text
    assert "hinted" not in text and "Confidential talk" not in text
    assert any(row[0] == "Request to us" and "Access" in row[2] for row in rows)


def test_the_copy_is_logged_with_its_level_and_the_request_as_reason(
    cast: Cast, person: Any
) -> None:
    dsr = make_request(user=cast.owner, kind="access", contact=person)
    response = client_for(cast.admin).get(reverse("privacy:request_export", args=[dsr.pk, "xlsx"]))
    assert response.status_code == 200
    log = AccessLog.objects.get(action="export")
    assert log.user == cast.admin and log.account_id == cast.account.pk
    assert log.detail["data_level"] == 3
    assert log.detail["reason"].startswith(f"Data-subject access request #{dsr.pk}")
    assert log.detail["privacy_request"] == dsr.pk
    assert "王芳" not in log.object_repr
    assert RequestEvent.objects.filter(request=dsr, action="exported", note="XLSX").exists()


def test_only_an_access_request_about_a_contact_has_a_copy(cast: Cast, person: Any) -> None:
    client = client_for(cast.compliance)
    deletion = make_request(user=cast.owner, kind="deletion", contact=person)
    stranger = make_request(user=cast.compliance, kind="access", person_name="Zhou Min")
    for dsr in (deletion, stranger):
        assert (
            client.get(reverse("privacy:request_export", args=[dsr.pk, "csv"])).status_code == 404
        )
    access = make_request(user=cast.owner, kind="access", contact=person)
    assert client.get(reverse("privacy:request_export", args=[access.pk, "pdf"])).status_code == 404
    assert not AccessLog.objects.filter(action="export").exists()
