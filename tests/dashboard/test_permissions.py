"""Who counts what: every figure of the dashboard, the scorecards and every export read
accounts through the one door. An RM counts their book, a team lead their team (and only
theirs, whatever team they ask for), executives and risk officers everything."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from accounts.choices import Tier
from dashboard.snapshots import snapshots_refresh
from interactions.models import Interaction
from kam.models import AccessLog, User
from risk.choices import Severity
from risk.models import Alert
from tests.conftest import Cast
from tests.factories import AccountFactory, ProjectFactory, UserFactory
from tests.interactions.factories import InteractionFactory

from .support import _rule, client_for

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db

SECRET_NAME = "Outsider Secret Mining Co"


@pytest.fixture
def book(cast: Cast) -> Cast:
    """The cast's account (owner's, teammate on its account team) plus two accounts of the
    other team that the owner must never count, each with projects and alerts."""
    ProjectFactory.create(
        account=cast.account, outstanding=Decimal("100"), commitment=Decimal("200")
    )
    now = timezone.now()
    for i, tier in enumerate((Tier.STRATEGIC, Tier.KEY)):
        other = AccountFactory.create(
            owner=cast.outsider,
            tier=tier,
            legal_name_en=f"{SECRET_NAME} {i}",
        )
        ProjectFactory.create(
            account=other, outstanding=Decimal("1000"), commitment=Decimal("2000")
        )
        Alert.objects.create(
            account=other,
            rule=_rule(),
            source="manual",
            severity=Severity.HIGH,
            title="Outsider alert",
            opened_at=now - dt.timedelta(days=3),
            ack_deadline=now - dt.timedelta(days=2),
        )
    Alert.objects.create(
        account=cast.account,
        rule=_rule(),
        source="manual",
        severity=Severity.LOW,
        title="Own alert",
        opened_at=now - dt.timedelta(days=1),
        ack_deadline=now + dt.timedelta(days=1),
    )
    snapshots_refresh()
    return cast


def _dashboard(user: User, query: str = "") -> _MonkeyPatchedWSGIResponse:
    response = client_for(user).get(reverse("dashboard:executive") + query)
    assert response.status_code == 200
    return response


def test_an_rm_counts_only_their_book(book: Cast) -> None:
    d = _dashboard(book.owner).context["d"]
    assert d.account_count == 1
    assert d.exposure.total_cny == Decimal("200.00")  # drawn 100 + undrawn 100
    assert d.exposure.drawn_cny == Decimal("100.00")
    assert d.alerts.total.count == 1
    assert d.at_risk_count == 1
    assert [r.account.pk for r in d.at_risk] == [book.account.pk]
    assert sum(p.figures.accounts for p in d.trends if p.figures) == len(
        [p for p in d.trends if p.figures]
    )
    assert SECRET_NAME not in _dashboard(book.owner).content.decode()


def test_a_teammate_on_the_account_team_counts_that_account(book: Cast) -> None:
    d = _dashboard(book.teammate).context["d"]
    assert d.account_count == 1
    assert d.alerts.total.count == 1


def test_an_outsider_counts_their_own_accounts_not_the_owners(book: Cast) -> None:
    d = _dashboard(book.outsider).context["d"]
    assert d.account_count == 2
    assert d.alerts.total.count == 2
    assert book.account.display_name not in _dashboard(book.outsider).content.decode()


def test_executives_and_risk_officers_count_everything(book: Cast) -> None:
    for user in (book.executive, book.risk):
        d = _dashboard(user).context["d"]
        assert d.account_count == 3
        assert d.exposure.total_cny == Decimal("4200.00")
        assert d.alerts.total.count == 3


def test_a_team_lead_counts_their_team_and_cannot_ask_for_another(book: Cast) -> None:
    own = _dashboard(book.lead).context["d"]
    assert own.account_count == 1
    response = _dashboard(book.lead, f"?team={book.other_team.pk}")
    assert response.context["d"].account_count == 1
    assert response.context["scope"].team is None
    assert "your own team only" in response.content.decode()
    # The other lead sees the other team only.
    assert _dashboard(book.other_lead).context["d"].account_count == 2


def test_an_executive_may_slice_by_any_team(book: Cast) -> None:
    d = _dashboard(book.executive, f"?team={book.other_team.pk}").context["d"]
    assert d.account_count == 2


def test_an_rm_asking_for_a_team_gets_their_book(book: Cast) -> None:
    response = _dashboard(book.owner, f"?team={book.other_team.pk}")
    assert response.context["d"].account_count == 1
    assert response.context["scope"].notes


def test_scorecards_show_each_reader_their_reach(book: Cast) -> None:
    def rms(user: User) -> set[int]:
        response = client_for(user).get(reverse("dashboard:supervision"))
        assert response.status_code == 200
        return {row.key for row in response.context["cards"].by_rm}

    assert rms(book.owner) == {book.owner.pk}
    assert rms(book.outsider) == {book.outsider.pk}
    assert rms(book.lead) == {book.owner.pk}
    assert rms(book.executive) == {book.owner.pk, book.outsider.pk}
    newcomer = UserFactory.create(roles=["Relationship manager"])
    assert rms(newcomer) == set()


def _csv(response: HttpResponseBase) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = response.getvalue().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _xlsx(response: HttpResponseBase) -> list[list[object]]:
    assert isinstance(response, HttpResponse)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert isinstance(sheet, Worksheet)
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_filtered_like_the_pages_and_logged(book: Cast, fmt: str) -> None:
    client = client_for(book.owner)
    urls = [reverse("dashboard:export", args=[table, fmt]) for table in ("top_risk", "tiers")]
    urls += [
        reverse("accounts:export", args=[fmt]),
        reverse("risk:alert_export", args=[fmt]),
        reverse("service:export", args=[fmt]) + "?state=all",
    ]
    for url in urls:
        before = AccessLog.objects.filter(user=book.owner, action="export").count()
        response = client.get(url)
        assert response.status_code == 200, url
        rows = _csv(response) if fmt == "csv" else _xlsx(response)
        text = repr(rows)
        assert SECRET_NAME not in text, url
        assert "Outsider alert" not in text, url
        assert AccessLog.objects.filter(user=book.owner, action="export").count() == before + 1
    log = AccessLog.objects.filter(user=book.owner, action="export").first()
    assert log is not None and log.detail["format"] == fmt


def test_the_account_export_has_the_rows_of_the_list(book: Cast) -> None:
    response = client_for(book.executive).get(
        reverse("accounts:export", args=["csv"]) + "?tier=key"
    )
    rows = _csv(response)
    assert [r[0] for r in rows[1:]] == [f"{SECRET_NAME} 1"]
    log = AccessLog.objects.get(user=book.executive, action="export")
    assert log.detail["rows"] == 1
    assert log.detail["filters"]["tier"] == ["key"]


def test_a_formula_in_a_name_is_neutralised(book: Cast) -> None:
    book.account.legal_name_en = "=HYPERLINK(1)"
    book.account.save()
    rows = _csv(client_for(book.owner).get(reverse("accounts:export", args=["csv"])))
    assert rows[1][0] == "'=HYPERLINK(1)"
    sheet = _xlsx(client_for(book.owner).get(reverse("accounts:export", args=["xlsx"])))
    assert sheet[1][0] == "'=HYPERLINK(1)"


def test_confidential_interactions_never_leave_in_an_export(book: Cast) -> None:
    InteractionFactory.create(account=book.account, subject="Open talk")
    InteractionFactory.create(account=book.account, subject="Board secret", is_confidential=True)
    assert Interaction.objects.count() == 2
    for user in (book.owner, book.executive):
        # Interaction notes are level 3: the export asks why whatever its size.
        response = client_for(user).get(
            reverse("interactions:timeline_export", args=[book.account.pk, "csv"]),
            {"export_reason": "Preparing the quarterly review"},
        )
        text = repr(_csv(response))
        assert "Open talk" in text
        assert "Board secret" not in text
    outsider = client_for(book.outsider).get(
        reverse("interactions:timeline_export", args=[book.account.pk, "csv"])
    )
    assert outsider.status_code == 404


def test_an_unknown_format_or_table_is_a_404(book: Cast) -> None:
    client = client_for(book.executive)
    assert client.get(reverse("dashboard:export", args=["tiers", "pdf"])).status_code == 404
    assert client.get(reverse("dashboard:export", args=["nope", "csv"])).status_code == 404
    assert client.get(reverse("accounts:export", args=["exe"])).status_code == 404


def test_the_service_report_exports_to_excel_through_the_same_helper(book: Cast) -> None:
    response = client_for(book.lead).get(reverse("service:report_export_xlsx"), {"kind": "team"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _xlsx(response)
    assert rows[0][0] == "Team"
    log = AccessLog.objects.get(user=book.lead, action="export")
    assert (log.detail["format"], log.detail["kind"]) == ("xlsx", "team")
