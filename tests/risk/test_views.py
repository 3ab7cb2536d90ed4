"""What each member of the cast gets on the risk pages: the owner and the account team act on
their accounts' alerts, the team lead too, risk officers triage everything, executives and
compliance read, an outsider RM gets 404. Pages keep to the Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.models import User
from risk.choices import AlertState, EsgCategory, EsgSeverity, EsgSource, Severity
from risk.models import Alert, CovenantTest, EsgEvent, RiskRule, ScanRun
from risk.services import alert_raise_manual
from tests.conftest import Cast
from tests.factories import ProjectFactory

from .support import covenant, figure, make_rule

pytestmark = pytest.mark.django_db

INLINE = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|<[^>]+\s(style|on[a-z]+)\s*=", re.IGNORECASE)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _alert(cast: Cast) -> Alert:
    return alert_raise_manual(
        account=cast.account,
        user=cast.owner,
        title="Sponsor exploring refinancing",
        description="Heard from the CFO.",
        severity=Severity.MEDIUM,
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
def test_alert_pages_follow_the_account(cast: Cast, who: str, status: int) -> None:
    alert = _alert(cast)
    client = _client(getattr(cast, who))
    assert client.get(reverse("risk:alert_detail", args=[alert.pk])).status_code == status
    listed = client.get(reverse("risk:alert_list")).context["page"].object_list
    assert (alert in listed) == (status == 200)
    covenants = client.get(reverse("risk:account_covenants", args=[cast.account.pk]))
    assert covenants.status_code == status


ACT = {
    "owner": 302,
    "teammate": 302,
    "lead": 302,
    "outsider": 404,
    "executive": 403,
    "compliance": 403,
    "risk": 302,
}


@pytest.mark.parametrize(("who", "status"), ACT.items())
def test_acting_on_an_alert(cast: Cast, who: str, status: int) -> None:
    alert = _alert(cast)
    response = _client(getattr(cast, who)).post(reverse("risk:alert_acknowledge", args=[alert.pk]))
    assert response.status_code == status
    alert.refresh_from_db()
    assert (alert.state == AlertState.ACKNOWLEDGED) == (status == 302)


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 403), ("lead", 403), ("executive", 403), ("risk", 302)]
)
def test_only_risk_officers_dismiss(cast: Cast, who: str, status: int) -> None:
    alert = _alert(cast)
    response = _client(getattr(cast, who)).post(
        reverse("risk:alert_dismiss", args=[alert.pk]), {"note": "Duplicate", "quiet_days": 30}
    )
    assert response.status_code == status
    alert.refresh_from_db()
    assert (alert.state == AlertState.DISMISSED) == (status == 302)


def test_mitigation_resolution_and_comments_through_the_pages(cast: Cast) -> None:
    alert = _alert(cast)
    client = _client(cast.teammate)
    due = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    # A bad action (no owner) is refused with field errors and changes nothing.
    bad = client.post(
        reverse("risk:alert_mitigate", args=[alert.pk]), {"plan": "Talk", "action": "Call"}
    )
    assert bad.status_code == 200
    assert "owner" in bad.context["form"].errors
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN

    response = client.post(
        reverse("risk:alert_mitigate", args=[alert.pk]),
        {"plan": "Talk to the CFO", "action": "Call", "owner": cast.owner.pk, "due_date": due},
    )
    assert response.status_code == 302
    client.post(
        reverse("risk:alert_action_add", args=[alert.pk]),
        {"description": "Send the term sheet", "owner": cast.teammate.pk, "due_date": due},
    )
    client.post(reverse("risk:alert_comment", args=[alert.pk]), {"note": "CFO called back."})
    action = alert.actions.first()
    assert action is not None
    client.post(reverse("risk:alert_action_done", args=[alert.pk, action.pk]))
    page = client.get(reverse("risk:alert_detail", args=[alert.pk]))
    assert page.status_code == 200
    assert "CFO called back." in page.content.decode()
    response = client.post(
        reverse("risk:alert_resolve", args=[alert.pk]), {"note": "Kept the deal.", "quiet_days": 0}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.actions.count() == 2


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 302), ("teammate", 302), ("risk", 302), ("executive", 403), ("outsider", 404)],
)
def test_raising_a_manual_alert(cast: Cast, who: str, status: int) -> None:
    response = _client(getattr(cast, who)).post(
        reverse("risk:alert_raise", args=[cast.account.pk]),
        {"title": "Concern", "description": "Details", "severity": 2},
    )
    assert response.status_code == status
    assert Alert.objects.filter(account=cast.account).exists() == (status == 302)


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 302), ("lead", 302), ("risk", 403), ("executive", 403), ("outsider", 404)],
)
def test_recording_a_covenant_figure(cast: Cast, who: str, status: int) -> None:
    project = ProjectFactory.create(account=cast.account)
    covenant(project)
    response = _client(getattr(cast, who)).post(
        reverse("risk:covenant_test_create", args=[cast.account.pk]),
        {
            "project": project.pk,
            "metric": covenant_metric_pk(),
            "period_end": "2026-06-30",
            "value": "1.31",
        },
    )
    assert response.status_code == status
    assert CovenantTest.objects.filter(project=project).exists() == (status == 302)


def covenant_metric_pk() -> int:
    from risk.models import CovenantMetric

    return CovenantMetric.objects.get(code="dscr").pk


def test_covenant_figures_that_are_not_numbers_or_of_another_account_are_refused(
    cast: Cast,
) -> None:
    project = ProjectFactory.create(account=cast.account)
    covenant(project)
    foreign = ProjectFactory.create(account=ProjectFactory.create().account)
    covenant(foreign)
    client = _client(cast.owner)
    url = reverse("risk:covenant_test_create", args=[cast.account.pk])
    data = {"project": project.pk, "metric": covenant_metric_pk(), "period_end": "2026-06-30"}
    response = client.post(url, {**data, "value": "one point two"})
    assert response.status_code == 200
    assert "value" in response.context["form"].errors
    response = client.post(url, {**data, "project": foreign.pk, "value": "1.2"})
    assert response.status_code == 200
    assert "project" in response.context["form"].errors
    # No covenant for this metric on the project: refused with a clear message.
    response = client.post(url, {**data, "metric": _metric("llcr"), "value": "1.2"})
    assert response.status_code == 200
    assert "has no" in str(response.context["form"].errors)
    assert not CovenantTest.objects.exists()


def _metric(code: str) -> int:
    from risk.models import CovenantMetric

    return CovenantMetric.objects.get(code=code).pk


def test_a_corrected_figure_replaces_the_period_and_keeps_the_threshold_it_was_tested_against(
    cast: Cast,
) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, threshold="1.20")
    client = _client(cast.owner)
    url = reverse("risk:covenant_test_create", args=[cast.account.pk])
    data = {"project": project.pk, "metric": cov.metric_id, "period_end": "2026-06-30"}
    client.post(url, {**data, "value": "1.10"})
    cov.levels.update(threshold="1.10")
    client.post(url, {**data, "value": "1.15"})
    test = CovenantTest.objects.get(project=project)
    assert (str(test.value), str(test.threshold)) == ("1.1500", "1.1000")
    client.post(url, {**data, "period_end": "2026-09-30", "value": "1.25"})
    assert CovenantTest.objects.filter(project=project).count() == 2


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 302), ("risk", 302), ("executive", 403), ("outsider", 404)]
)
def test_recording_an_esg_event(cast: Cast, who: str, status: int) -> None:
    response = _client(getattr(cast, who)).post(
        reverse("risk:esg_event_create", args=[cast.account.pk]),
        {
            "occurred_on": timezone.localdate().isoformat(),
            "category": EsgCategory.ENVIRONMENTAL,
            "severity": EsgSeverity.SEVERE,
            "source": EsgSource.MEDIA,
            "title": "Spill",
        },
    )
    assert response.status_code == status
    assert EsgEvent.objects.exists() == (status == 302)


@pytest.mark.parametrize(
    ("who", "status"), [("risk", 302), ("admin", 302), ("owner", 403), ("executive", 403)]
)
def test_only_risk_officers_run_the_scan_on_demand(cast: Cast, who: str, status: int) -> None:
    from unittest import mock

    with mock.patch("kam.queue.current_app.send_task"):
        response = _client(getattr(cast, who)).post(reverse("risk:scan_run"))
    assert response.status_code == status
    assert ScanRun.objects.exists() == (status == 302)
    assert _client(getattr(cast, who)).get(reverse("risk:scan_list")).status_code == (
        200 if status == 302 else 403
    )


def test_the_scan_button_is_a_post(cast: Cast) -> None:
    assert _client(cast.risk).get(reverse("risk:scan_run")).status_code == 405


@pytest.mark.parametrize(("who", "status"), [("risk", 200), ("owner", 403), ("executive", 403)])
def test_rules_page(cast: Cast, who: str, status: int) -> None:
    make_rule("esg_event")
    assert _client(getattr(cast, who)).get(reverse("risk:rule_list")).status_code == status


def test_a_risk_officer_edits_a_rule_and_bad_thresholds_are_refused(cast: Cast) -> None:
    rule = make_rule("project_delay", days=90)
    client = _client(cast.risk)
    url = reverse("risk:rule_edit", args=[rule.pk])
    data = {
        "name": rule.name,
        "rule_type": rule.rule_type,
        "enabled": "on",
        "severity": 3,
        "tiers": ["strategic", "key"],
    }
    response = client.post(url, {**data, "parameters": '{"days": "ninety"}'})
    assert response.status_code == 200
    errors = response.context["form"].errors["parameters"]
    assert "“days” (slipped by more than (days)) must be a whole number from 1 to 3650" in errors[0]
    response = client.post(url, {**data, "parameters": '{"days": 120}'})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.parameters["days"], rule.severity, rule.tiers) == (120, 3, ["strategic", "key"])
    assert rule.updated_by == cast.risk


def test_pages_render_without_inline_script_or_style(cast: Cast) -> None:
    alert = _alert(cast)
    project = ProjectFactory.create(account=cast.account)
    covenant(project)
    figure(project, timezone.localdate() - dt.timedelta(days=40), "1.05")
    rule = make_rule("covenant_breach")
    pk = cast.account.pk
    owner_urls = [
        reverse("home"),
        reverse("accounts:list"),
        reverse("accounts:detail", args=[pk]),
        reverse("risk:alert_list"),
        reverse("risk:alert_list") + "?severity=2&state=open&age=lt7&overdue=on&mine=on&o=-opened",
        reverse("risk:alert_detail", args=[alert.pk]),
        reverse("risk:alert_mitigate", args=[alert.pk]),
        reverse("risk:alert_resolve", args=[alert.pk]),
        reverse("risk:alert_raise", args=[pk]),
        reverse("risk:account_covenants", args=[pk]),
        reverse("risk:covenant_create", args=[pk]),
        reverse("risk:covenant_test_create", args=[pk]),
        reverse("risk:covenant_import", args=[pk]),
        reverse("risk:esg_event_create", args=[pk]),
    ]
    risk_urls = [
        reverse("risk:scan_list"),
        reverse("risk:rule_list"),
        reverse("risk:rule_create"),
        reverse("risk:rule_edit", args=[rule.pk]),
        reverse("risk:alert_dismiss", args=[alert.pk]),
    ]
    for language in ("en", "zh-hans"):
        for user, urls in ((cast.owner, owner_urls), (cast.risk, risk_urls)):
            client = _client(user)
            for url in urls:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
                assert response.status_code == 200, url
                body = response.content.decode()
                assert not INLINE.search(body), (url, INLINE.search(body))


def test_the_account_list_and_page_show_the_risk_level(cast: Cast) -> None:
    _alert(cast)  # medium: orange
    client = _client(cast.owner)
    listed = client.get(reverse("accounts:list")).context["page"].object_list
    assert [row["risk_level"] for row in listed] == [2]
    body = client.get(reverse("accounts:detail", args=[cast.account.pk])).content.decode()
    assert "risk-orange" in body
    home = client.get(reverse("home"))
    assert home.context["risk_home"].total == 1
    assert "risk-orange" in home.content.decode()


def test_rules_referenced_by_alerts_cannot_be_deleted(cast: Cast) -> None:
    from django.db.models import ProtectedError

    alert = _alert(cast)
    with pytest.raises(ProtectedError):
        RiskRule.objects.filter(pk=alert.rule_id).delete()
