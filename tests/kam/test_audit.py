"""The audit trail: every change of accounts, contacts and projects, and every deliberate read."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from kam.models import AccessLog
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_changes_record_who_which_fields_old_and_new(client, cast: Cast) -> None:
    client.force_login(cast.owner)
    data = {
        "legal_name_zh": "",
        "legal_name_en": "Sunrise Power Group",
        "uscc": cast.account.uscc,
        "account_type": "sponsor",
        "industry": "power",
        "region": "cn_east",
        "status": "active",
        "owner": cast.owner.pk,
        "credit_rating": "",
        "esg_rating": "",
        "website": "",
        "notes": "",
    }
    assert client.post(reverse("accounts:edit", args=[cast.account.pk]), data).status_code == 302
    entry = (
        LogEntry.objects.get_for_object(cast.account).filter(action=LogEntry.Action.UPDATE).get()
    )
    assert entry.actor == cast.owner
    assert entry.changes_dict["legal_name_en"] == ["Sunrise Power Holdings", "Sunrise Power Group"]
    assert entry.additional_data == {"account_id": cast.account.pk}


def test_contact_personal_data_is_masked_in_the_trail(cast: Cast) -> None:
    contact = ContactFactory.create(
        account=cast.account, phone="13812341234", email="wang@sunrise.cn"
    )
    contact.phone = "13987654321"
    contact.save()
    entries = LogEntry.objects.get_for_object(contact)
    assert entries.count() == 2
    serialised = " ".join(str(e.changes) for e in entries)
    assert "13812341234" not in serialised and "13987654321" not in serialised
    assert "wang@sunrise.cn" not in serialised
    update = entries.get(action=LogEntry.Action.UPDATE)
    assert update.changes_dict["phone"] == ["138****1234", "139****4321"]
    assert "phone_index" not in update.changes_dict


def test_deletes_are_recorded(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    pk = project.pk
    project.delete()
    assert LogEntry.objects.filter(object_pk=str(pk), action=LogEntry.Action.DELETE).exists()


def test_revealing_a_phone_is_a_logged_post(client, cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account, phone="13812341234")
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    client.force_login(cast.teammate)
    assert client.get(url).status_code == 405
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "13812341234" in response.content.decode()
    log = AccessLog.objects.get(action="reveal")
    assert (log.user, log.action, log.field, log.account_id) == (
        cast.teammate,
        "reveal",
        "phone",
        cast.account.pk,
    )


def test_the_detail_page_shows_only_masked_data(client, cast: Cast) -> None:
    ContactFactory.create(account=cast.account, phone="13812341234", email="wang.wei@sunrise.cn")
    client.force_login(cast.owner)
    body = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert "138****1234" in body and "w***@sunrise.cn" in body
    assert "13812341234" not in body and "wang.wei@" not in body
    assert not AccessLog.objects.filter(action__in=["reveal", "export"]).exists()


@pytest.mark.parametrize("who", ["executive", "risk", "compliance", "outsider"])
def test_reveal_is_for_the_account_team_only(client, cast: Cast, who: str) -> None:
    contact = ContactFactory.create(account=cast.account)
    client.force_login(getattr(cast, who))
    response = client.post(
        reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "email"])
    )
    assert response.status_code == (404 if who == "outsider" else 403)
    assert not AccessLog.objects.filter(action__in=["reveal", "export"]).exists()


def test_reveal_of_an_unknown_field_is_404(client, cast: Cast) -> None:
    contact = ContactFactory.create(account=cast.account)
    client.force_login(cast.owner)
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone_index"])
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("who", ["owner", "lead", "executive", "risk", "outsider"])
def test_only_compliance_and_admins_read_the_trail(client, cast: Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(reverse("audit_trail")).status_code == 403


def test_compliance_filters_the_trail_by_user_account_and_date(client, cast: Cast) -> None:
    other = AccountFactory.create(owner=cast.outsider, legal_name_en="Harbour Logistics Group")
    client.force_login(cast.compliance)
    url = reverse("audit_trail")
    by_account = client.get(url, {"account": cast.account.pk})
    assert by_account.status_code == 200
    entries = list(by_account.context["page"].object_list)
    assert entries and all(e.additional_data["account_id"] == cast.account.pk for e in entries)
    assert other.pk not in {e.additional_data["account_id"] for e in entries}

    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    assert len(client.get(url, {"date_from": today.isoformat()}).context["page"].object_list) >= 2
    assert not client.get(url, {"date_from": tomorrow.isoformat()}).context["page"].object_list
    bad = client.get(url, {"date_from": tomorrow.isoformat(), "date_to": today.isoformat()})
    assert "date_to" in bad.context["form"].errors

    ContactFactory.create(account=cast.account)
    client_owner_reveal = AccessLog.objects.create(
        user=cast.owner, action="reveal", account_id=cast.account.pk, object_repr="x", field="phone"
    )
    reads = client.get(url, {"kind": "reads", "user": cast.owner.pk}).context["page"].object_list
    assert list(reads) == [client_owner_reveal]
    assert (
        not client.get(url, {"kind": "reads", "user": cast.executive.pk})
        .context["page"]
        .object_list
    )
