"""Retention (issue 14): a rule per legal basis, seeded with documented defaults and edited in
the admin; the daily job anonymises exactly the contacts whose period has run out — their
name, title, phone, e-mail and blind indexes go, the account, seniority and influence stay,
interactions keep their link — idempotently, in chunks, and in the change log without the
erased values."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter
from typing import Any

import pytest
from auditlog.models import LogEntry
from celery import current_app
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import InterfaceError, OperationalError
from django.urls import reverse
from django.utils import timezone

from accounts.choices import AccountStatus, LegalBasis
from accounts.models import Account, Contact
from accounts.services import account_update
from interactions.models import Interaction
from kam.quarters import today
from privacy import services
from privacy.models import RetentionClock, RetentionRule, RetentionRun
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
    when = timezone.now() - ago
    Account.objects.filter(pk=account.pk).update(
        status=AccountStatus.EXITED, exited_at=when, updated_at=when
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
    return {"exited": exited, "old": old, "cast": cast, **contacts}


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


# ---------------------------------------------------------------- the end of the relationship


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())


def test_an_exit_is_stamped_once_and_cleared_when_the_account_leaves_it(cast: Cast) -> None:
    account = cast.account
    assert account.exited_at is None
    account_update(account=account, status=AccountStatus.EXITED)
    account.refresh_from_db()
    stamped = account.exited_at
    assert stamped is not None and timezone.now() - stamped < dt.timedelta(minutes=1)
    # Later edits and rescoring move updated_at, never the exit.
    Account.objects.filter(pk=account.pk).update(exited_at=stamped - 6 * YEAR)
    account.refresh_from_db()
    account_update(account=account, esg_rating="AAA")
    account.refresh_from_db()
    assert account.exited_at == stamped - 6 * YEAR
    # Back to active: no exit; a second exit starts its own clock.
    account_update(account=account, status=AccountStatus.ACTIVE)
    account.refresh_from_db()
    assert account.exited_at is None
    account_update(account=account, status=AccountStatus.EXITED)
    account.refresh_from_db()
    assert account.exited_at is not None and account.exited_at > stamped - YEAR


def test_an_edit_of_an_exited_account_does_not_restart_its_contacts_clock(cast: Cast) -> None:
    exited = AccountFactory.create(owner=cast.owner)
    contact = ContactFactory.create(account=exited)
    _age(contact, changed=6 * YEAR)
    _exit(exited, ago=6 * YEAR)
    assert expired_contact_ids(on=today()) == [contact.pk]
    exited.refresh_from_db()
    account_update(account=exited, esg_rating="AAA")  # bumps updated_at, as tiering does
    Account.objects.filter(pk=exited.pk).update(updated_at=timezone.now())
    assert expired_contact_ids(on=today()) == [contact.pk]
    assert retention_status(contact).expires_on == (
        timezone.localdate(timezone.now() - 6 * YEAR) + dt.timedelta(days=1826)
    )


def test_the_admin_actions_keep_the_exit_stamp_in_step(cast: Cast) -> None:
    _exit(cast.account, ago=YEAR)
    client_for(cast.admin).post(
        reverse("admin:accounts_account_changelist"),
        {"action": "mark_active", "_selected_action": [cast.account.pk]},
    )
    cast.account.refresh_from_db()
    assert (cast.account.status, cast.account.exited_at) == (AccountStatus.ACTIVE, None)


def test_the_migration_dates_existing_exits_from_the_change_log(cast: Cast) -> None:
    backfill = importlib.import_module("accounts.migrations.0013_account_exited_at")
    logged = AccountFactory.create(owner=cast.owner, legal_name_en="Logged Exit Ltd")
    logged.status = AccountStatus.EXITED
    logged.save()  # the change log records the status change
    entry = LogEntry.objects.get_for_object(logged).filter(action=LogEntry.Action.UPDATE).get()
    unlogged = AccountFactory.create(owner=cast.owner, legal_name_en="Quiet Exit Ltd")
    long_ago = timezone.now() - 3 * YEAR
    Account.objects.filter(pk=unlogged.pk).update(status=AccountStatus.EXITED)
    Account.objects.filter(pk__in=[logged.pk, unlogged.pk]).update(
        exited_at=None, updated_at=long_ago
    )
    backfill.backfill_exited_at(django_apps, None)
    assert Account.objects.get(pk=logged.pk).exited_at == entry.timestamp
    assert Account.objects.get(pk=unlogged.pk).exited_at == long_ago  # no entry: updated_at
    assert Account.objects.get(pk=cast.account.pk).exited_at is None  # not exited


# ---------------------------------------------------------------- the boundary day


@pytest.mark.parametrize(
    ("basis", "days"),
    [(LegalBasis.HR, 730), (LegalBasis.CONTRACT, 1826)],
)
def test_the_job_anonymises_on_the_day_the_status_names(cast: Cast, basis: str, days: int) -> None:
    """A clock that started on day D (at any time of it) with a period of N days runs out on
    D + N: that is the date the request's page shows, and the day the job anonymises."""
    exited = AccountFactory.create(owner=cast.owner)
    due = ContactFactory.create(account=exited, legal_basis=basis)
    tomorrow = ContactFactory.create(account=exited, legal_basis=basis)
    start = today() - dt.timedelta(days=days)
    Contact.objects.filter(pk=due.pk).update(updated_at=_noon(start))
    Contact.objects.filter(pk=tomorrow.pk).update(updated_at=_noon(start + dt.timedelta(days=1)))
    # The end of the relationship: the exit, on the same day as the contact's last change.
    Account.objects.filter(pk=exited.pk).update(
        status=AccountStatus.EXITED, exited_at=_noon(start) - dt.timedelta(hours=2)
    )
    assert retention_status(due).expires_on == today()
    assert retention_status(tomorrow).expires_on == today() + dt.timedelta(days=1)
    assert not retention_status(due).held and retention_status(tomorrow).held
    assert expired_contact_ids(on=today()) == [due.pk]
    assert expired_contact_ids(on=today() + dt.timedelta(days=1)) == sorted([due.pk, tomorrow.pk])


def test_the_consent_clock_agrees_too(cast: Cast) -> None:
    due = consenting_contact(cast.account, consent_withdrawn_on=days_ago(30))
    consenting_contact(cast.account, consent_withdrawn_on=days_ago(29))
    assert retention_status(due).expires_on == today()
    assert expired_contact_ids(on=today()) == [due.pk]


# ---------------------------------------------------------------- failures in a chunk


def test_a_contact_that_fails_is_recorded_on_the_run_and_the_others_go_on(
    book: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    broken, fine = book["withdrawn_long_ago"].pk, book["exited_quiet"].pk
    real = services.contact_anonymise

    def flaky(*, contact: Contact, user: Any, reason: str) -> bool:
        if contact.pk == broken:
            raise ValueError("a bug in one row")
        return real(contact=contact, user=user, reason=reason)

    monkeypatch.setattr(services, "contact_anonymise", flaky)
    planned = retention_dispatch()
    run = RetentionRun.objects.get(on=today())
    assert (run.listed, run.chunks) == (planned["contacts"], planned["chunks"]) == (2, 1)
    assert retention_chunk([broken, fine], today().isoformat(), run.pk) == 1
    run.refresh_from_db()
    assert run.anonymised == 1 and run.failures == {str(broken): "ValueError"}
    assert run.failed == 1
    assert f"contact {broken} could not be anonymised" in caplog.text
    assert Contact.objects.get(pk=fine).is_anonymised
    assert not Contact.objects.get(pk=broken).is_anonymised
    # Compliance sees the run on the request list.
    page = client_for(book["cast"].compliance).get(reverse("privacy:request_list"))
    assert "1 failed" in page.content.decode()
    # Once the fault is fixed a retry (or the next run) does only what is left, once.
    monkeypatch.setattr(services, "contact_anonymise", real)
    assert retention_chunk([broken, fine], today().isoformat(), run.pk) == 1
    assert retention_chunk([broken, fine], today().isoformat(), run.pk) == 0
    run.refresh_from_db()
    assert run.anonymised == 2 and run.failures == {}


def test_only_a_transient_database_error_retries_the_chunk(
    book: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(**kwargs: Any) -> bool:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "contact_anonymise", lost)
    retried = getattr(retention_chunk, "autoretry_for")  # noqa: B009 (set by the decorator)
    assert set(retried) == {OperationalError, InterfaceError}
    with pytest.raises(OperationalError):
        retention_chunk([book["exited_quiet"].pk], today().isoformat())
