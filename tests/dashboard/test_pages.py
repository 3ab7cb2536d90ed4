"""The dashboard pages, the scorecards and the RM home render for every role, in English and
Chinese, within the Content-Security-Policy (no inline script or style: chart data travels
in json_script, code in static/js/dashboard.js)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Tier
from dashboard.snapshots import snapshots_refresh
from interactions.models import AccountContactStats
from risk.choices import Severity
from risk.models import Alert
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory
from tests.test_templates import _assert_csp_clean

from .support import _rule, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(cast: Cast) -> Cast:
    ProjectFactory.create(account=cast.account, green_category="clean_energy", equator_category="B")
    cast.account.tier = Tier.STRATEGIC
    cast.account.save()
    AccountContactStats.objects.create(
        account=cast.account,
        last_meaningful_at=timezone.now() - dt.timedelta(days=40),
        last_interaction_at=timezone.now() - dt.timedelta(days=40),
        interaction_count=1,
    )
    Alert.objects.create(
        account=cast.account,
        rule=_rule(),
        source="manual",
        severity=Severity.HIGH,
        title="Covenant breach",
        opened_at=timezone.now() - dt.timedelta(days=2),
        ack_deadline=timezone.now() - dt.timedelta(days=1),
    )
    AccountFactory.create(owner=cast.outsider, legal_name_en="Hidden Harbour Co")
    snapshots_refresh()
    return cast


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_render_for_every_role_within_the_csp(book: Cast, language: str) -> None:
    users = (book.owner, book.teammate, book.lead, book.executive, book.risk, book.compliance)
    pages = (
        reverse("home"),
        reverse("dashboard:executive"),
        reverse("dashboard:executive") + "?sector=renewables&tier=strategic",
        reverse("dashboard:supervision"),
    )
    for user in users:
        client = client_for(user)
        for url in pages:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, (user, url)
            body = response.content.decode()
            _assert_csp_clean(body)
    body = client_for(book.executive).get(reverse("dashboard:executive")).content.decode()
    assert 'id="dashboard-data" type="application/json"' in body
    assert "js/dashboard.js" in body and "chartjs-4.6.1/chart.umd.min.js" in body
    assert body.count("<canvas data-chart=") == 14


def test_the_rm_home_brings_the_day_together(book: Cast) -> None:
    response = client_for(book.owner).get(reverse("home"))
    body = response.content.decode()
    for heading in (
        "My follow-ups due this week",
        "Plan actions due",
        "My open service requests",
        "My risk alerts",
        "My upcoming strategic reviews",
        "Reviews missing in",
        "Contact overdue",
        "Unread notifications",
        "My accounts",
    ):
        assert heading in body, heading
    assert "Covenant breach" in body
    assert "Hidden Harbour Co" not in body
    (account,) = response.context["my_accounts"]
    assert account.risk_level == Severity.HIGH
    assert account.contact_stats.last_meaningful_at is not None
    missing = response.context["reviews_missing"]
    assert [a.pk for a in missing.accounts] == [book.account.pk]


def test_the_dashboard_is_in_the_navigation(book: Cast) -> None:
    body = client_for(book.owner).get(reverse("home")).content.decode()
    assert f'href="{reverse("dashboard:executive")}"' in body


def test_the_dashboard_answers_only_get(book: Cast) -> None:
    client = client_for(book.executive)
    assert client.post(reverse("dashboard:executive")).status_code == 405


def test_anonymous_users_are_sent_to_log_in(client: Client) -> None:
    for url in (reverse("dashboard:executive"), reverse("dashboard:export", args=["tiers", "csv"])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
