"""The early-warning rule "overdue ESAP item": raised on the project's lead account and the
accounts borrowing under its facilities for an item still to do past its due date and grace
period; never for an item done or waived, or not yet due; resolved when the item is done."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.choices import PartyRole
from accounts.models import Facility, ProjectParty
from esg.choices import EsapItemStatus
from risk.choices import AlertState, Severity
from risk.models import Alert
from risk.rules.esg import OverdueEsapItem
from tests.conftest import Cast
from tests.esg.support import item, today
from tests.factories import AccountFactory, ProjectFactory
from tests.risk.support import active, make_rule, scan

pytestmark = pytest.mark.django_db


def _borrows(project, account, *, drawn: str = "100", undrawn: str = "0") -> Facility:
    if not project.parties.filter(account=account).exists():
        ProjectParty.objects.create(project=project, account=account, role=PartyRole.SPONSOR)
    d, u = Decimal(drawn), Decimal(undrawn)
    return Facility.objects.create(
        project=project,
        borrower=account,
        name=f"Loan {Facility.objects.count() + 1}",
        currency="CNY",
        commitment=d + u,
        drawn=d,
        undrawn=u,
    )


def test_an_overdue_open_item_raises_on_the_lead_account_and_the_borrowers(cast: Cast) -> None:
    rule = make_rule("esap_item_overdue", severity=Severity.HIGH, grace_days=0)
    # The lead account is the sponsor; the project company borrows under the facility.
    project = ProjectFactory.create(
        account=cast.account, role=PartyRole.SPONSOR, name="Hydro", commitment=0
    )
    spv = AccountFactory.create()
    _borrows(project, spv, drawn="0", undrawn="50")  # undrawn only: still exposure
    bystander = AccountFactory.create()
    ProjectParty.objects.create(project=project, account=bystander, role=PartyRole.EPC)
    late = item(project, due_in=-12, action="Resettlement payments")
    scan()
    alerts = active(rule)
    assert sorted(a.account_id for a in alerts) == sorted([cast.account.pk, spv.pk])
    assert {a.severity for a in alerts} == {Severity.HIGH}
    evidence = alerts[0].evidence
    assert evidence["count"] == 1
    assert evidence["items"][0]["item_id"] == late.pk
    assert evidence["items"][0]["days_overdue"] == 12


def test_the_facilities_borrowers_are_alerted_not_the_parties_named_borrower(cast: Cast) -> None:
    """The alert follows ``Facility.borrower`` with exposure: a party in the role "borrower"
    that borrows nothing is not alerted, nor one whose facility is repaid; an account that
    borrows in another role (a sponsor's bridge loan) is."""
    rule = make_rule("esap_item_overdue")
    project = ProjectFactory.create(account=cast.account, role=PartyRole.SPONSOR, commitment=0)
    named_only = AccountFactory.create()
    ProjectParty.objects.create(project=project, account=named_only, role=PartyRole.BORROWER)
    repaid = AccountFactory.create()
    _borrows(project, repaid, drawn="0", undrawn="0")
    sponsor = AccountFactory.create()
    _borrows(project, sponsor, drawn="30")
    _borrows(project, sponsor, drawn="20")  # two facilities: still one alert, one item
    item(project, due_in=-3)
    scan()
    alerts = active(rule)
    assert sorted(a.account_id for a in alerts) == sorted([cast.account.pk, sponsor.pk])
    assert [a.evidence["count"] for a in alerts] == [1, 1]


@pytest.mark.parametrize(
    ("status", "due_in"),
    [
        (EsapItemStatus.DONE, -30),
        (EsapItemStatus.WAIVED, -30),
        (EsapItemStatus.OPEN, 0),  # due today: not yet overdue
        (EsapItemStatus.OPEN, 15),
        (EsapItemStatus.IN_PROGRESS, 3),
    ],
)
def test_done_waived_or_not_yet_due_raises_nothing(cast: Cast, status: str, due_in: int) -> None:
    rule = make_rule("esap_item_overdue")
    project = ProjectFactory.create(account=cast.account)
    extra = {"evidence": "Waived by the lenders' E&S adviser."} if status == "waived" else {}
    item(project, due_in=due_in, status=status, **extra)
    scan()
    assert active(rule) == []


def test_an_item_in_progress_past_its_date_is_overdue(cast: Cast) -> None:
    rule = make_rule("esap_item_overdue")
    project = ProjectFactory.create(account=cast.account)
    item(project, due_in=-1, status=EsapItemStatus.IN_PROGRESS)
    scan()
    assert [a.account_id for a in active(rule)] == [cast.account.pk]


def test_the_grace_period_holds_the_alert_back(cast: Cast) -> None:
    rule = make_rule("esap_item_overdue", grace_days=14)
    project = ProjectFactory.create(account=cast.account)
    late = item(project, due_in=-14)
    scan()
    assert active(rule) == []
    late.due_date = today() - timedelta(days=15)
    late.save()
    scan()
    assert [a.account_id for a in active(rule)] == [cast.account.pk]


def test_the_alert_resolves_when_the_item_is_done(cast: Cast) -> None:
    rule = make_rule("esap_item_overdue")
    project = ProjectFactory.create(account=cast.account)
    late = item(project, due_in=-5)
    scan()
    [alert] = active(rule)
    late.status, late.completed_on = EsapItemStatus.DONE, today()
    late.save()
    scan()
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert not Alert.objects.filter(state=AlertState.OPEN).exists()


def test_evaluate_is_set_based_per_chunk(cast: Cast, django_assert_max_num_queries) -> None:
    projects = [ProjectFactory.create(account=AccountFactory.create()) for _ in range(6)]
    for project in projects:
        item(project, due_in=-3)
        item(project, due_in=-9)
    ids = sorted(p.account_id for p in projects)
    rule = OverdueEsapItem(parameters={"grace_days": 0})
    with django_assert_max_num_queries(2):
        found = rule.evaluate(ids[:4])
    assert sorted(found) == ids[:4]
    assert all(evidence["count"] == 2 for evidence in found.values())
    assert [i["days_overdue"] for i in found[ids[0]]["items"]] == [9, 3]


def test_borrowers_are_found_set_based_per_chunk(django_assert_max_num_queries) -> None:
    """The chunk's accounts borrow under projects led outside the chunk, each under several
    facilities: still two queries, one alert each."""
    lead = AccountFactory.create()
    borrowers = AccountFactory.create_batch(5)
    for n in range(3):
        project = ProjectFactory.create(account=lead, role=PartyRole.SPONSOR, commitment=0)
        item(project, due_in=-(n + 2))
        for borrower in borrowers:
            _borrows(project, borrower)
            _borrows(project, borrower, drawn="0", undrawn="10")
    ids = sorted(b.pk for b in borrowers)
    rule = OverdueEsapItem(parameters={"grace_days": 0})
    with django_assert_max_num_queries(2):
        found = rule.evaluate(ids[:4])
    assert sorted(found) == ids[:4]
    assert all(evidence["count"] == 3 for evidence in found.values())
    assert [i["days_overdue"] for i in found[ids[0]]["items"]] == [4, 3, 2]


def test_summary_in_both_languages() -> None:
    evidence = {
        "count": 3,
        "items": [
            {
                "item_id": 1,
                "project": "Hydro",
                "action": "Resettlement payments",
                "due_date": "2026-01-10",
                "days_overdue": 40,
            }
        ],
    }
    with translation.override("en"):
        assert OverdueEsapItem.summarize(evidence) == (
            "Hydro: “Resettlement payments” due 2026-01-10 (40 days overdue); and 2 more"
        )
    with translation.override("zh-hans"):
        text = OverdueEsapItem.summarize(evidence)
        assert "逾期" in text and "Hydro" in text
        assert str(OverdueEsapItem.label) == "ESAP 事项逾期"
