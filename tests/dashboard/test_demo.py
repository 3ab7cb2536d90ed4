"""The dashboards on the demo book and on a small volume book (generate_volume --alerts
--snapshots): snapshots exist, the pages show real figures, re-runs change nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from dashboard.models import AccountQuarterSnapshot
from kam.models import User
from kam.roles import Role
from risk.models import Alert

from .support import client_for

pytestmark = pytest.mark.django_db


def test_the_demo_book_has_snapshots_and_a_dashboard_with_figures() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "quarterly snapshots" in out.getvalue()
    rows = AccountQuarterSnapshot.objects.count()
    assert rows > 0
    call_command("seed_demo", stdout=io.StringIO())  # idempotent: upserts, no new rows
    assert AccountQuarterSnapshot.objects.count() == rows
    executive = User.objects.filter(groups__name=Role.EXECUTIVE).first()
    assert executive is not None
    response = client_for(executive).get(reverse("dashboard:executive"))
    d = response.context["d"]
    assert d.account_count > 20
    assert d.exposure.total_cny > 0
    assert d.alerts.total.count > 0
    assert [p for p in d.trends if p.figures]


def test_generate_volume_adds_alerts_and_snapshots() -> None:
    out = io.StringIO()
    call_command(
        "generate_volume",
        "--accounts=12",
        "--contacts-per-account=1",
        "--interactions=200",
        "--service-requests=40",
        "--alerts=300",
        "--snapshots",
        stdout=out,
    )
    text = out.getvalue()
    assert "Generated 300 risk alerts" in text
    assert Alert.objects.count() == 300
    assert Alert.objects.filter(state__in=["open", "acknowledged", "in_mitigation"]).exists()
    assert AccountQuarterSnapshot.objects.count() == 12 * 8
    assert "Computed 96 quarterly snapshots (8 quarters)" in text
