"""Risk pages issue a fixed number of queries whatever the size of the book."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from risk.choices import AlertSource, AlertState, EventKind, Severity
from risk.models import Alert, AlertEvent, MitigationAction
from risk.services import manual_rule
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory

from .support import covenant, figure, make_rule

pytestmark = pytest.mark.django_db

LIST_BUDGET = 10
# + 1 in each: the ids of the accounts the user may see, read once per request (an RM's).
DETAIL_BUDGET = 11
# + 1 for the covenants' levels, + 1 for cures, waivers and amendments (issue 15).
COVENANTS_BUDGET = 11


def _alerts(accounts: list[Account], n: int) -> list[Alert]:
    rules = [manual_rule(), make_rule("esg_event"), make_rule("project_delay")]
    now = timezone.now()
    alerts = [
        Alert(
            account=accounts[i % len(accounts)],
            rule=rules[i % 3],
            source=AlertSource.MANUAL,
            severity=1 + i % 3,
            state=[AlertState.OPEN, AlertState.ACKNOWLEDGED, AlertState.IN_MITIGATION][i % 3],
            title=f"Alert {i}",
            owner=accounts[i % len(accounts)].owner,
            opened_at=now - dt.timedelta(days=i % 100),
            ack_deadline=now - dt.timedelta(days=i % 100) + dt.timedelta(days=1),
        )
        for i in range(n)
    ]
    return Alert.objects.bulk_create(alerts)


@pytest.mark.parametrize("rows", [5, 300])
@pytest.mark.parametrize("who", ["owner", "lead", "risk", "executive"])
def test_alert_list_query_budget(
    client: Any, django_assert_max_num_queries: Any, cast: Cast, rows: int, who: str
) -> None:
    accounts = [cast.account, *AccountFactory.create_batch(4, owner=cast.owner)]
    _alerts(accounts, rows)
    client.force_login(getattr(cast, who))
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(
            reverse("risk:alert_list"), {"severity": ["2", "3"], "age": "30to90", "o": "-opened"}
        )
    assert response.status_code == 200
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(reverse("risk:alert_list"))
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.parametrize("rows", [3, 100])
@pytest.mark.parametrize("who", ["teammate", "risk"])
def test_alert_detail_query_budget(
    client: Any, django_assert_max_num_queries: Any, cast: Cast, rows: int, who: str
) -> None:
    [alert] = _alerts([cast.account], 1)
    Alert.objects.filter(pk=alert.pk).update(state=AlertState.IN_MITIGATION)
    AlertEvent.objects.bulk_create(
        [
            AlertEvent(alert=alert, kind=EventKind.COMMENT, actor=cast.owner, note=f"{i}")
            for i in range(rows)
        ]
    )
    MitigationAction.objects.bulk_create(
        [
            MitigationAction(
                alert=alert,
                description=f"Action {i}",
                owner=cast.teammate,
                due_date=timezone.localdate(),
            )
            for i in range(rows)
        ]
    )
    client.force_login(getattr(cast, who))
    with django_assert_max_num_queries(DETAIL_BUDGET):
        response = client.get(reverse("risk:alert_detail", args=[alert.pk]))
    assert response.status_code == 200
    assert len(response.context["events"]) == rows


@pytest.mark.parametrize("rows", [2, 40])
def test_covenant_page_query_budget(
    client: Any, django_assert_max_num_queries: Any, cast: Cast, rows: int
) -> None:
    for i in range(rows):
        project = ProjectFactory.create(account=cast.account)
        covenant(project, "dscr")
        covenant(project, "llcr", "1.30")
        for q in range(4):
            figure(project, timezone.localdate() - dt.timedelta(days=90 * q + i), "1.4")
    client.force_login(cast.teammate)
    with django_assert_max_num_queries(COVENANTS_BUDGET):
        response = client.get(reverse("risk:account_covenants", args=[cast.account.pk]))
    assert response.status_code == 200
    assert len(response.context["projects"]) == rows


def test_severity_counts_on_the_home_page(client: Any, cast: Cast) -> None:
    _alerts([cast.account], 6)
    client.force_login(cast.owner)
    home = client.get(reverse("home")).context["risk_home"]
    assert home.total == 6
    assert [count for _level, _label, count in home.by_level] == [2, 2, 2]
    assert home.by_level[0][0] == Severity.HIGH
