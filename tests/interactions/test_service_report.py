"""The service report: who may see it and which requests it counts, the figures themselves,
the CSV export (permission-filtered and logged), and a query budget independent of volume."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.http import HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from interactions.models import ServiceRequest
from interactions.selectors.service import service_report
from interactions.services.service import (
    service_request_rate,
    service_request_resolve,
    service_request_respond,
    service_request_wait_on_client,
)
from kam.models import AccessLog, User
from tests.conftest import Cast
from tests.factories import AccountFactory
from tests.interactions.sla_support import at, open_request, set_policy

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 27, 12)  # Friday
PERIOD = {"period": "custom", "date_from": "2026-11-01", "date_to": "2026-11-30"}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _travel(moment: dt.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def book(cast: Cast) -> dict[str, ServiceRequest]:
    """Five requests opened Monday 23 Nov 2026 on the Energy team's accounts and one on the
    Transport team's; every high-priority request has 2h to respond and 16h to resolve."""
    set_policy("standard", "high", 2, 16)
    set_policy("strategic", "high", 2, 16, escalate=True)
    strategic = AccountFactory.create(owner=cast.owner, team=cast.team, tier="strategic")
    transport = AccountFactory.create(owner=cast.outsider, team=cast.other_team)
    owner = cast.owner
    with _travel(at(2026, 11, 23, 9)):
        fast = open_request(cast.account, subject="fast")
        slow = open_request(cast.account, subject="slow")
        silent = open_request(strategic, subject="silent")
        waiting = open_request(strategic, subject="waiting")
        other = open_request(transport, subject="other team")
    with _travel(at(2026, 11, 23, 9, 30)):
        fast = service_request_respond(request=fast, user=owner)  # 30m, in time
        waiting = service_request_respond(request=waiting, user=owner)  # 30m
        other = service_request_respond(request=other, user=cast.outsider)
    with _travel(at(2026, 11, 23, 14)):
        slow = service_request_respond(request=slow, user=owner)  # 5h, late
        waiting = service_request_wait_on_client(request=waiting, user=owner, note="Docs.")
    with _travel(at(2026, 11, 23, 16)):
        fast = service_request_resolve(request=fast, user=owner, note="Done")  # in time
        fast = service_request_rate(request=fast, user=owner, score=5)
    with _travel(at(2026, 11, 25, 10)):
        slow = service_request_resolve(request=slow, user=owner, note="Done")  # late
        slow = service_request_rate(request=slow, user=owner, score=2)
    return {"fast": fast, "slow": slow, "silent": silent, "waiting": waiting, "other": other}


def test_the_figures_by_hand(cast: Cast, book: dict[str, ServiceRequest]) -> None:
    with _travel(NOW):
        report = service_report(
            user=cast.lead, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
        )
    # The lead sees the Energy team's four requests... and the other team's is not counted.
    assert report.total.total == 4
    # First response: fast and waiting in time; slow late; silent never (late now).
    assert (report.total.response_met, report.total.response_missed) == (2, 2)
    assert report.total.response_rate == 50.0
    # Resolution (due Tue 16:00): fast in time; slow late; silent running and overdue;
    # waiting is paused, so it has no outcome yet.
    assert (report.total.resolution_met, report.total.resolution_missed) == (1, 2)
    assert report.total.satisfaction == 3.5 and report.total.rated == 2
    by_tier = {row.key: row for row in report.by_tier}
    assert by_tier["standard"].total == 2 and by_tier["standard"].response_rate == 50.0
    assert by_tier["strategic"].total == 2 and by_tier["strategic"].resolution_rate == 0.0
    assert [row.label for row in report.by_team] == ["Energy"]
    assert [row.total for row in report.by_rm] == [4]
    # Response times: three responses of 30m, 30m and 5h.
    assert report.response_totals == [2, 0, 0, 1, 0, 0, 0]
    assert report.satisfaction_counts == [0, 1, 0, 0, 1]
    # Open now: silent (new) and waiting, opened 4 days ago (the 3–7 days bucket).
    assert report.open_by_state["new"] == [0, 0, 1, 0, 0, 0]
    assert report.open_by_state["waiting_on_client"] == [0, 0, 1, 0, 0, 0]
    assert report.open_count == 2


def test_executives_see_every_team(cast: Cast, book: dict[str, ServiceRequest]) -> None:
    with _travel(NOW):
        report = service_report(
            user=cast.executive, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)
        )
    assert report.total.total == 5
    assert sorted(row.label for row in report.by_team) == ["Energy", "Transport"]


def test_an_empty_period_shows_no_rates(cast: Cast, book: dict[str, ServiceRequest]) -> None:
    with _travel(NOW):
        report = service_report(
            user=cast.executive, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)
        )
    assert report.total.total == 0 and report.total.response_rate is None
    assert report.by_tier == [] and report.response_totals == []


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 403),
        ("outsider", 403),
        ("compliance", 403),
        ("lead", 200),
        ("executive", 200),
        ("risk", 200),
        ("admin", 200),
    ],
)
def test_report_and_export_per_role(
    cast: Cast, book: dict[str, ServiceRequest], who: str, status: int
) -> None:
    client = _client(getattr(cast, who))
    with _travel(NOW):
        assert client.get(reverse("service:report"), PERIOD).status_code == status
        response = client.get(reverse("service:report_export"), {**PERIOD, "kind": "tier"})
    assert response.status_code == status


def _csv(response: HttpResponseBase) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    content = response.getvalue().decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_export_is_filtered_by_permissions_and_logged(
    cast: Cast, book: dict[str, ServiceRequest]
) -> None:
    with _travel(NOW):
        response = _client(cast.lead).get(reverse("service:report_export"), PERIOD)
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:3] == ["Request", "Account", "Account (Chinese)"]
    subjects = {row[9] for row in rows[1:]}
    assert subjects == {"fast", "slow", "silent", "waiting"}  # not the other team's
    fast = next(row for row in rows[1:] if row[9] == "fast")
    assert fast[10] == "2026-11-23 09:00" and fast[15] == "0.50" and fast[18] == "5"
    log = AccessLog.objects.get(user=cast.lead, action=AccessLog.Action.EXPORT)
    assert log.action == AccessLog.Action.EXPORT
    assert log.detail["rows"] == 4 and log.detail["kind"] == "requests"

    with _travel(NOW):
        summary = _csv(
            _client(cast.executive).get(
                reverse("service:report_export"), {**PERIOD, "kind": "team"}
            )
        )
    assert [row[0] for row in summary[1:]] == ["Energy", "Transport"]
    assert AccessLog.objects.filter(user=cast.executive, action="export").count() == 1


def test_a_bad_period_is_explained_and_falls_back(
    cast: Cast, book: dict[str, ServiceRequest]
) -> None:
    with _travel(NOW):
        response = _client(cast.executive).get(
            reverse("service:report"),
            {"period": "custom", "date_from": "2026-12-01", "date_to": "2026-11-01"},
        )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The period cannot end before it starts." in body
    assert response.context["report"].start == dt.date(2026, 10, 1)  # this quarter


def test_report_page_carries_chart_data_and_chart_js(
    cast: Cast, book: dict[str, ServiceRequest]
) -> None:
    with _travel(NOW):
        body = _client(cast.executive).get(reverse("service:report"), PERIOD).content.decode()
    assert 'id="service-report-data" type="application/json"' in body
    assert "vendor/chartjs-4.6.1/chart.umd.min.js" in body
    assert "js/service_report.js" in body
    assert '"responseTimes"' in body


REPORT_BUDGET = 9


@pytest.mark.parametrize("extra", [0, 60])
@pytest.mark.parametrize("who", ["lead", "executive"])
def test_report_query_budget(
    cast: Cast, book: dict[str, ServiceRequest], django_assert_max_num_queries, extra: int, who: str
) -> None:
    with _travel(at(2026, 11, 24, 9)):
        for index in range(extra):
            open_request(cast.account, subject=f"more {index}")
    client = _client(getattr(cast, who))
    with _travel(NOW), django_assert_max_num_queries(REPORT_BUDGET):
        response = client.get(reverse("service:report"), PERIOD)
    assert response.status_code == 200
