"""Retention (issue 14): a rule per legal basis, seeded with documented defaults and edited in
the admin; the daily job anonymises exactly the contacts whose period has run out — their
name, title, phone, e-mail and blind indexes go, the account, seniority and influence stay,
interactions keep their link — idempotently, in chunks, and in the change log without the
erased values."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from auditlog.models import LogEntry
from celery import current_app
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.choices import AccountStatus, LegalBasis
from accounts.models import Account, Contact
from interactions.models import Interaction
from kam.quarters import today
from privacy.models import RetentionClock, RetentionRule
from privacy.selectors import expired_contact_ids, retention_status
from privacy.services import contact_anonymise, retention_anonymise
from privacy.tasks import requests_overdue, retention_chunk, retention_dispatch
from tests.conftest import Cast
from tests.factories import AccountFactory, ContactFactory
from tests.interactions.factories import InteractionFactory

from .support import client_for, consenting_contact, days_ago

pytestmark = pytest.mark.django_db

YEAR = dt.timedelta(days=365)


def _age(contact: Contact, *, changed: dt.timedelta) -> None:
    """Make the contact's last change ``changed`` ago (auto_now cannot be set by a save)."""
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now() - changed)


def _exit(account: Account, *, ago: dt.timedelta) -> None:
    Account.objects.filter(pk=account.pk).update(
        status=AccountStatus.EXITED, updated_at=timezone.now() - ago
    )


def test_every_legal_basis_has_a_documented_default_rule() -> None:
    rules = {rule.legal_basis: rule for rule in RetentionRule.objects.all()}
    assert set(rules) == set(LegalBasis.values)
    assert all(rule.note and rule.is_active for rule in rules.values())
    consent, contract = rules[LegalBasis.CONSENT], rules[LegalBasis.CONTRACT]
    assert (consent.clock, consent.retention_days) == (RetentionClock.CONSENT_WITHDRAWN, 30)
    assert contract.clock == RetentionClock.ACCOUNT_EXITED
    assert contract.retention_days >= 5 * 365


@pytest.fixture
def book(cast: Cast) -> dict[str, Any]:
    """Contacts on each side of each rule's line."""
    exited = AccountFactory.create(owner=cast.owner, legal_name_en="Old Client Ltd")
    contacts = {
        # Consent withdrawn 31 days ago: expired; 29 days ago: not yet; never: kept.
        "withdrawn_long_ago": consenting_contact(cast.account, consent_withdrawn_on=days_ago(31)),
        "withdrawn_lately": consenting_contact(cast.account, consent_withdrawn_on=days_ago(29)),
        "consenting": consenting_contact(cast.account),
        # Contract basis: an exited account, quiet for six years: expired; the same at an active
        # account: kept; at the exited account but met last year: kept.
        "exited_quiet": ContactFactory.create(account=exited, seniority="board"),
        "active_quiet": ContactFactory.create(account=cast.account),
        "exited_met": ContactFactory.create(account=exited, seniority="board"),
    }
    for contact in contacts.values():
        _age(contact, changed=6 * YEAR)
    _exit(exited, ago=6 * YEAR)
    met = InteractionFactory.create(account=exited, occurred_at=timezone.now() - YEAR)
    met.contacts.add(contacts["exited_met"])
    old = InteractionFactory.create(account=exited, occurred_at=timezone.now() - 7 * YEAR)
    old.contacts.add(contacts["exited_quiet"], contacts["exited_met"])
    _age(contacts["exited_met"], changed=6 * YEAR)  # adding to an interaction changes nothing
    return {"exited": exited, "old": old, **contacts}


def test_the_job_finds_exactly_the_expired_contacts(book: dict[str, Any]) -> None:
    assert expired_contact_ids(on=today()) == sorted(
        [book["withdrawn_long_ago"].pk, book["exited_quiet"].pk]
    )


def test_the_job_anonymises_them_keeping_counts_and_links(
    book: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    quiet: Contact = book["exited_quiet"]
    quiet_phone = quiet.phone
    seniority_before = Counter(Contact.objects.values_list("seniority", flat=True))
    per_account = Counter(Contact.objects.values_list("account_id", flat=True))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        planned = retention_dispatch()
    assert planned["contacts"] == 2 and planned["chunks"] == 1 and len(queued) == 1
    assert retention_chunk([book["withdrawn_long_ago"].pk, quiet.pk]) == 2

    quiet.refresh_from_db()
    assert quiet.name == f"Anonymised contact #{quiet.pk}" and quiet.is_anonymised
    assert (quiet.title, quiet.phone, quiet.email) == ("", "", "")
    assert (quiet.phone_index, quiet.email_index, quiet.channel_preferences) == ("", "", [])
    assert quiet.account == book["exited"] and quiet.seniority == "board"
    assert not Contact.objects.with_phone(quiet_phone).exists()
    # Counts and the stakeholder map keep their numbers; the interaction keeps its contact.
    assert Counter(Contact.objects.values_list("seniority", flat=True)) == seniority_before
    assert Counter(Contact.objects.values_list("account_id", flat=True)) == per_account
    assert quiet in book["old"].contacts.all()
    assert Interaction.objects.filter(contacts=quiet).count() == 1
    # The others are untouched.
    for name in ("withdrawn_lately", "consenting", "active_quiet", "exited_met"):
        contact = Contact.objects.get(pk=book[name].pk)
        assert not contact.is_anonymised and contact.name == book[name].name, name


def test_the_job_is_idempotent_and_safe_to_retry(book: dict[str, Any]) -> None:
    ids = [book["withdrawn_long_ago"].pk, book["exited_quiet"].pk]
    assert retention_anonymise(contact_ids=ids, on=today()) == 2
    entries = LogEntry.objects.count()
    assert retention_anonymise(contact_ids=ids, on=today()) == 0
    assert expired_contact_ids(on=today()) == []
    assert LogEntry.objects.count() == entries


def test_a_chunk_checks_again_before_it_anonymises(book: dict[str, Any]) -> None:
    quiet: Contact = book["exited_quiet"]
    met = InteractionFactory.create(account=book["exited"], occurred_at=timezone.now())
    met.contacts.add(quiet)  # met today, after the dispatch listed it
    assert retention_anonymise(contact_ids=[quiet.pk], on=today()) == 0
    assert not Contact.objects.get(pk=quiet.pk).is_anonymised


def test_a_rule_on_hold_or_longer_keeps_the_contacts(book: dict[str, Any]) -> None:
    RetentionRule.objects.filter(legal_basis=LegalBasis.CONSENT).update(is_active=False)
    RetentionRule.objects.filter(legal_basis=LegalBasis.CONTRACT).update(retention_days=10 * 365)
    assert expired_contact_ids(on=today()) == []
    # A later day brings the contract contact's end.
    assert expired_contact_ids(on=today() + 5 * YEAR) == [book["exited_quiet"].pk]


def test_the_change_log_says_what_was_erased_never_the_values(cast: Cast) -> None:
    contact = ContactFactory.create(
        account=cast.account, name="王芳", title="CFO", phone="13812345678"
    )
    assert contact_anonymise(contact=contact, user=cast.compliance, reason="request #1")
    entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Contact), object_id=contact.pk
        )
        .order_by("pk")
        .last()
    )
    assert entry is not None and entry.actor == cast.compliance
    text = str(entry.changes) + entry.object_repr
    assert "王芳" not in text and "13812345678" not in text and "CFO" not in text
    assert entry.changes_dict["name"] == ["********", f"Anonymised contact #{contact.pk}"]
    assert entry.additional_data == {"account_id": cast.account.pk, "anonymised": "request #1"}
    assert not contact_anonymise(contact=contact, user=cast.compliance, reason="again")


def test_the_retention_status_says_until_when_a_contact_is_kept(book: dict[str, Any]) -> None:
    lately = retention_status(book["withdrawn_lately"])
    assert lately.expires_on == days_ago(29) + dt.timedelta(days=30) and lately.held
    assert retention_status(book["consenting"]).expires_on is None
    assert retention_status(book["active_quiet"]).expires_on is None  # account not exited
    quiet = retention_status(book["exited_quiet"])
    assert quiet.expires_on is not None and quiet.expires_on <= today() and not quiet.held


def test_administrators_edit_the_rules_in_the_admin(cast: Cast) -> None:
    rule = RetentionRule.objects.get(legal_basis=LegalBasis.CONSENT)
    url = reverse("admin:privacy_retentionrule_change", args=[rule.pk])
    assert client_for(cast.compliance).get(url).status_code == 302  # not staff: to the login
    response = client_for(cast.admin).post(
        url,
        {
            "legal_basis": "consent",
            "clock": "consent_withdrawn",
            "retention_days": "45",
            "is_active": "on",
            "note": "Policy 2027",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.retention_days == 45
    assert LogEntry.objects.get_for_object(rule).filter(action=LogEntry.Action.UPDATE).exists()


def test_beat_runs_the_job_daily_and_the_overdue_notice_daily(settings: Any) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["privacy-retention"]["task"] == retention_dispatch.name
    assert schedule["privacy-requests-overdue"]["task"] == requests_overdue.name
    assert {retention_dispatch.name, retention_chunk.name, requests_overdue.name} <= set(
        current_app.tasks
    )
