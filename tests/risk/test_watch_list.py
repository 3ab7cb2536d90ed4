"""The watch list: an account is on it while it has an open entry; a risk officer or the lead
of the account's team puts it on, reviews it and takes it off; whoever sees the account reads
the entry, nobody else (404); overdue reviews show on the risk officer's pages; every change is
in the change log; the admin lists the entries."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.models import Notification, User
from risk.models import WatchListEntry, WatchReason
from risk.selectors import watch_list_overdue_count
from risk.services.watchlist import watch_list_put, watch_list_remove, watch_list_review
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

REASON = "DSCR fell to 1.08x, below the lock-up level."


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _put(cast: Cast, *, by: User | None = None, review_in: int = 30) -> WatchListEntry:
    return watch_list_put(
        account=cast.account,
        user=by or cast.risk,
        reason_kind=WatchReason.COVENANT,
        reason=REASON,
        next_review_on=timezone.localdate() + dt.timedelta(days=review_in),
    )


READ = {
    "owner": 200,
    "teammate": 200,
    "lead": 200,
    "other_lead": 404,
    "outsider": 404,
    "executive": 200,
    "risk": 200,
    "compliance": 200,
}


@pytest.mark.parametrize(("who", "status"), READ.items())
def test_the_entry_page_follows_the_account(cast: Cast, who: str, status: int) -> None:
    entry = _put(cast)
    response = _client(getattr(cast, who)).get(reverse("risk:watch_entry", args=[entry.pk]))
    assert response.status_code == status
    listed = _client(getattr(cast, who)).get(reverse("risk:watch_list"))
    assert listed.status_code == 200
    assert (entry in listed.context["page"].object_list) == (status == 200)


MANAGE = {
    "risk": 302,
    "lead": 302,
    "owner": 403,
    "teammate": 403,
    "executive": 403,
    "compliance": 403,
    "outsider": 404,
    "other_lead": 404,
}


@pytest.mark.parametrize(("who", "status"), MANAGE.items())
def test_a_risk_officer_or_the_owners_lead_puts_an_account_on_the_list(
    cast: Cast, who: str, status: int
) -> None:
    response = _client(getattr(cast, who)).post(
        reverse("risk:watch_put", args=[cast.account.pk]),
        {
            "reason_kind": WatchReason.COVENANT,
            "reason": REASON,
            "next_review_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == status
    assert WatchListEntry.objects.filter(account=cast.account).exists() == (status == 302)


@pytest.mark.parametrize(("who", "status"), MANAGE.items())
def test_only_they_take_it_off(cast: Cast, who: str, status: int) -> None:
    entry = _put(cast)
    response = _client(getattr(cast, who)).post(
        reverse("risk:watch_remove", args=[entry.pk]),
        {"exit_reason": "Cured by an equity injection; DSCR back at 1.30x."},
    )
    assert response.status_code == status
    entry.refresh_from_db()
    assert entry.is_open == (status != 302)


def test_the_lifecycle_keeps_the_history(cast: Cast) -> None:
    entry = _put(cast, by=cast.lead)
    assert (entry.entered_by, entry.entered_on) == (cast.lead, timezone.localdate())
    # The owner hears of it.
    assert Notification.objects.filter(user=cast.owner, key=f"watch-list:{entry.pk}:entered")
    with pytest.raises(ValidationError):
        _put(cast)  # already on the list
    next_review = timezone.localdate() + dt.timedelta(days=60)
    watch_list_review(entry=entry, user=cast.risk, next_review_on=next_review, note="Stable.")
    entry.refresh_from_db()
    assert (entry.next_review_on, entry.last_reviewed_by) == (next_review, cast.risk)
    with pytest.raises(ValidationError):
        watch_list_remove(entry=entry, user=cast.risk, reason="ok")  # reason too short
    with pytest.raises(PermissionDenied):
        watch_list_remove(entry=entry, user=cast.owner, reason="The owner wants it off the list.")
    watch_list_remove(entry=entry, user=cast.risk, reason="Refinanced; covenants reset.")
    entry.refresh_from_db()
    assert not entry.is_open
    assert (entry.exited_on, entry.exited_by) == (timezone.localdate(), cast.risk)
    with pytest.raises(ValidationError):
        watch_list_review(entry=entry, user=cast.risk, next_review_on=next_review)
    # Off the list, then on again: two entries, one open.
    again = _put(cast)
    assert WatchListEntry.objects.filter(account=cast.account).count() == 2
    assert WatchListEntry.objects.get(account=cast.account, exited_on__isnull=True) == again
    # Every change is in the change log.
    assert LogEntry.objects.get_for_object(entry).count() >= 3


def test_the_database_keeps_one_open_entry_per_account(cast: Cast) -> None:
    entry = _put(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        WatchListEntry.objects.create(
            account=cast.account,
            reason_kind=WatchReason.OTHER,
            reason=REASON,
            entered_by=cast.risk,
            next_review_on=entry.next_review_on,
        )


def test_the_account_page_shows_the_watch_status(cast: Cast) -> None:
    url = cast.account.get_absolute_url()
    page = _client(cast.owner).get(url).content.decode()
    assert "On the watch list" not in page
    assert reverse("risk:watch_put", args=[cast.account.pk]) not in page  # the owner may not
    assert reverse("risk:watch_put", args=[cast.account.pk]) in (
        _client(cast.lead).get(url).content.decode()
    )
    entry = _put(cast)
    page = _client(cast.owner).get(url).content.decode()
    assert "On the watch list" in page and entry.get_absolute_url() in page
    assert REASON[:40] in page


def test_an_overdue_review_shows_on_the_risk_officers_pages(cast: Cast) -> None:
    entry = _put(cast)
    WatchListEntry.objects.filter(pk=entry.pk).update(
        entered_on=timezone.localdate() - dt.timedelta(days=100),
        next_review_on=timezone.localdate() - dt.timedelta(days=1),
    )
    assert watch_list_overdue_count(user=cast.risk) == 1
    assert watch_list_overdue_count(user=cast.outsider) == 0
    alerts_page = _client(cast.risk).get(reverse("risk:alert_list")).content.decode()
    assert 'data-figure="watch-list-overdue"' in alerts_page
    home = _client(cast.risk).get(reverse("home")).content.decode()
    assert 'data-figure="watch-list-overdue"' in home
    overdue = _client(cast.risk).get(reverse("risk:watch_list") + "?state=open&overdue=on")
    assert list(overdue.context["page"].object_list) == [entry]
    assert overdue.context["overdue"] == 1
    watch_list_review(
        entry=entry,
        user=cast.risk,
        next_review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    assert watch_list_overdue_count(user=cast.risk) == 0


def test_the_list_filters_by_state_and_reason(cast: Cast) -> None:
    entry = _put(cast)
    client = _client(cast.risk)
    assert entry in client.get(reverse("risk:watch_list")).context["page"].object_list
    exited = client.get(reverse("risk:watch_list") + "?state=exited").context["page"]
    assert entry not in exited.object_list
    other = client.get(reverse("risk:watch_list") + "?reason_kind=esg").context["page"]
    assert entry not in other.object_list
    # Tampered filters are ignored, never an error page.
    assert client.get(reverse("risk:watch_list") + "?state=bogus&reason_kind=x").status_code == 200


def test_the_admin_lists_the_entries(cast: Cast) -> None:
    _put(cast)
    response = _client(cast.admin).get(reverse("admin:risk_watchlistentry_changelist"))
    assert response.status_code == 200
    assert cast.account.legal_name_en in response.content.decode()
