"""Personal data in the logs is pseudonymised from now on: the change log names a contact
"Contact #12" and masks its name and title (as its phone and e-mail), an interaction's contact
participants are logged by pseudonym, and the access log names a revealed contact by pseudonym
and account. So nothing of a person written since is left in the logs once they are
anonymised, while the audit trail still reads: it shows each record by its present name."""

from __future__ import annotations

import json

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from accounts.models import Contact
from interactions.models import Interaction
from kam.audit_chain import chain_verify
from kam.audit_display import entries_for_display
from kam.models import AccessLog
from privacy.services import contact_anonymise
from tests.conftest import Cast
from tests.factories import ContactFactory
from tests.interactions.factories import InteractionFactory

pytestmark = pytest.mark.django_db

NAME, NEW_NAME, TITLE = "王芳", "王芳芳", "Chief Financial Officer"


def _contact(cast: Cast) -> Contact:
    return ContactFactory.create(account=cast.account, name=NAME, title=TITLE, purpose="x")


def _everything_logged() -> str:
    """Every change-log entry and access-log row, as stored."""
    entries = LogEntry.objects.values_list(
        "object_repr", "changes_text", "changes", "serialized_data", "additional_data"
    )
    reads = AccessLog.objects.values_list("object_repr", "field", "detail")
    return json.dumps([list(map(str, row)) for row in [*entries, *reads]], ensure_ascii=False)


def test_the_change_log_names_a_contact_by_pseudonym_and_masks_name_and_title(
    cast: Cast,
) -> None:
    contact = _contact(cast)
    contact.name = NEW_NAME
    contact.save()
    entries = LogEntry.objects.get_for_object(contact).order_by("pk")
    assert [e.object_repr for e in entries] == [f"Contact #{contact.pk}"] * 2
    created, updated = entries
    assert created.changes_dict["name"][1] == "王***"
    assert created.changes_dict["title"][1] == "C***"
    assert updated.changes_dict["name"] == ["王***", "王***"]
    logged = _everything_logged()
    assert NAME not in logged and TITLE not in logged


def test_an_interactions_contacts_are_logged_by_pseudonym(cast: Cast) -> None:
    contact, other = _contact(cast), ContactFactory.create(account=cast.account, name="李雷")
    interaction = InteractionFactory.create(account=cast.account)
    interaction.contacts.set([contact, other])
    interaction.contacts.remove(other)
    contact.interactions.add(InteractionFactory.create(account=cast.account))  # the other side
    interaction.contacts.clear()
    m2m = [
        e.changes_dict["contacts"]
        for e in LogEntry.objects.filter(content_type__model="interaction").order_by("pk")
        if "contacts" in e.changes_dict
    ]
    assert [(c["operation"], c["objects"]) for c in m2m] == [
        ("add", [f"Contact #{contact.pk}", f"Contact #{other.pk}"]),
        ("delete", [f"Contact #{other.pk}"]),
        ("add", [f"Contact #{contact.pk}"]),
        ("delete", [f"Contact #{contact.pk}"]),
    ]
    assert NAME not in _everything_logged() and "李雷" not in _everything_logged()
    assert chain_verify().intact


def test_the_access_log_names_a_revealed_contact_by_pseudonym_and_account(cast: Cast) -> None:
    contact = _contact(cast)
    client = Client()
    client.force_login(cast.owner)
    url = reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "phone"])
    assert client.post(url).status_code == 200
    read = AccessLog.objects.get(action=AccessLog.Action.REVEAL)
    assert read.object_repr == f"Contact #{contact.pk} ({cast.account})"
    assert "Sunrise Power Holdings" in read.object_repr
    assert read.detail == {"contact_id": contact.pk}
    assert NAME not in _everything_logged()


def test_nothing_of_an_anonymised_person_written_since_is_left_in_the_logs(
    cast: Cast,
) -> None:
    contact = _contact(cast)
    contact.title = "CEO"
    contact.save()
    interaction = InteractionFactory.create(account=cast.account)
    interaction.contacts.add(contact)
    client = Client()
    client.force_login(cast.owner)
    client.post(reverse("accounts:contact_reveal", args=[cast.account.pk, contact.pk, "email"]))
    traces = (NAME, TITLE, "CEO", contact.phone, contact.email)
    assert contact_anonymise(contact=contact, user=cast.compliance, reason="request #1")
    logged = _everything_logged()
    for trace in traces:
        assert trace not in logged
    assert chain_verify().intact


def test_the_trail_shows_contacts_by_their_present_name(client, cast: Cast) -> None:
    contact = _contact(cast)
    interaction = InteractionFactory.create(account=cast.account, subject="Kick-off")
    interaction.contacts.add(contact)

    def shown() -> tuple[list[str], list[str]]:
        entries = LogEntry.objects.filter(
            object_pk__in=[str(contact.pk), str(interaction.pk)],
            content_type__model__in=["contact", "interaction"],
        ).select_related("actor", "content_type")
        display = entries_for_display(entries.order_by("pk"))
        records = [d.record for d in display if d.kind == "Contact"]
        added = [
            name
            for d in display
            if d.kind == "Interaction"
            for line in d.lines
            for name in line.added
        ]
        return records, added

    records, added = shown()
    assert records == [NAME] and added == [NAME]
    create = entries_for_display(
        LogEntry.objects.filter(object_pk=str(contact.pk), content_type__model="contact")
    )[0]
    assert "Name: — → 王***" in create.changes_text()  # the entry's values stay masked

    contact_anonymise(contact=contact, user=None, reason="retention")
    anonymised = f"Anonymised contact #{contact.pk}"
    records, added = shown()
    assert set(records) == {anonymised} and added == [anonymised]

    client.force_login(cast.compliance)
    page = client.get(reverse("audit_trail"), {"account": cast.account.pk}).content.decode()
    assert anonymised in page and NAME not in page

    pk = contact.pk
    Contact.objects.filter(pk=pk).delete()
    records, added = shown()
    assert f"Contact #{pk}" in records and added == [f"Contact #{pk}"]


def test_the_interaction_model_keeps_its_other_m2m_logged_as_before(cast: Cast) -> None:
    interaction = InteractionFactory.create(account=cast.account)
    interaction.internal_participants.add(cast.owner)
    (entry,) = [
        e
        for e in LogEntry.objects.filter(content_type__model="interaction")
        if "internal_participants" in e.changes_dict
    ]
    assert entry.changes_dict["internal_participants"]["objects"] == [str(cast.owner)]
    assert entry.object_repr == str(Interaction.objects.get(pk=interaction.pk))
