"""Concentration against capital (risk rule ``exposure_concentration``): exposure attributed
to the borrower and its group, undrawn commitments and guarantees counted, warning vs breach,
loans to one borrower without guarantees, connected parties joined into one group."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from accounts.choices import AccountType, FacilityKind
from accounts.exposure import obligor_exposure_cny
from accounts.models import Account, FxRate
from risk.choices import Severity
from risk.models import RiskRule
from risk.rules.portfolio import ExposureConcentration
from tests.factories import AccountFactory
from tests.risk.support import active, make_rule, scan

from .support import capital, connect, facility, group

pytestmark = pytest.mark.django_db


def _rules() -> tuple[RiskRule, RiskRule]:
    breach = make_rule("exposure_concentration", name="breach", severity=Severity.HIGH)
    warning = make_rule(
        "exposure_concentration", name="warning", severity=Severity.MEDIUM, level="warning"
    )
    return breach, warning


def _tests(rule: RiskRule, account: Account) -> dict[str, dict]:
    [alert] = [a for a in active(rule) if a.account_id == account.pk]
    return {t["test"]: t for t in alert.evidence["tests"]}


def test_exposure_is_attributed_to_the_borrower_and_its_group() -> None:
    top, spv = AccountFactory.create(), AccountFactory.create()
    contractor = AccountFactory.create()
    group(top, spv)
    # The project is led (and managed) under the contractor's relationship; the SPV borrows.
    project_facility = facility(contractor, drawn="0", undrawn="0")
    facility(spv, drawn="70", undrawn="30", project=project_facility.project)
    facility(spv, drawn="50", kind=FacilityKind.GUARANTEE)
    facility(None, drawn="500", project=project_facility.project)  # unattributed
    exposure = obligor_exposure_cny([top.pk, spv.pk, contractor.pk])
    assert exposure == {spv.pk: Decimal("150")}

    from groups.concentration import connected_groups

    [only] = [
        g
        for g in connected_groups({"CNY": Decimal(1)})
        if ("g", top.group_membership.group_id) in g.units
    ]
    assert only.total_cny == Decimal("150")


def test_single_client_warning_then_breach_including_undrawn_and_guarantees() -> None:
    capital("1000", "5000")  # single client limit: 15% of 1,000 = 150; warning from 120
    breach, warning = _rules()
    client = AccountFactory.create()
    loan = facility(client, drawn="60", undrawn="40")  # 100: below the warning
    scan()
    assert active(breach) == active(warning) == []

    guarantee = facility(client, drawn="30", kind=FacilityKind.GUARANTEE)  # 130: 86.7% of limit
    scan()
    assert active(breach) == []
    single = _tests(warning, client)["single_client"]
    assert (single["amount_cny"], single["share_pct"], single["limit_pct"]) == (
        "130",
        "13.00",
        "15",
    )
    assert single["of_limit_pct"] == "86.7"
    [warned] = active(warning)
    assert warned.severity == Severity.MEDIUM

    guarantee.drawn = Decimal("60")  # 160 = 16% of tier-1 net capital: a breach
    guarantee.commitment = Decimal("60")
    guarantee.save()
    scan()
    assert active(warning) == []  # the warning gives way to the breach
    [alert] = active(breach)
    assert alert.severity == Severity.HIGH
    assert alert.evidence["tests"][0]["amount_cny"] == "160"
    assert alert.evidence["capital_as_of"] == "2026-06-30"
    assert "16.00% of tier-1 net capital" in alert.summary
    assert "limit 15%" in alert.summary

    loan.undrawn = Decimal("0")  # 130 again: back to a warning
    loan.commitment = Decimal("60")
    loan.save()
    scan()
    assert active(breach) == []
    assert [a.account_id for a in active(warning)] == [client.pk]


def test_group_exposure_adds_members_undrawn_and_guarantees_against_capital() -> None:
    capital("1000", "5000")  # group limit 20% = 200, warning from 160; single 150 / 120
    breach, warning = _rules()
    top, first, second = (AccountFactory.create() for _ in range(3))
    group(top, first, second, name="Huaneng Example Group")
    facility(top, drawn="40")
    facility(first, drawn="50", undrawn="30")  # 80 with the undrawn commitment
    guarantee = facility(second, drawn="70", kind=FacilityKind.GUARANTEE)  # 70
    scan()
    # 190 = 19% of tier-1 net capital: 95% of the group limit; no member near its own.
    assert active(breach) == []
    [alert] = active(warning)
    assert alert.account_id == top.pk  # a group's alert goes to its top
    test = alert.evidence["tests"][0]
    assert (test["test"], test["amount_cny"], test["share_pct"]) == (
        "connected_group",
        "190",
        "19.00",
    )
    assert test["accounts"] == 3
    assert [u["name"] for u in test["units"]] == ["Huaneng Example Group"]

    guarantee.drawn = guarantee.commitment = Decimal("90")  # 210 = 21%: above 20%
    guarantee.save()
    scan()
    assert active(warning) == []
    [alert] = active(breach)
    assert alert.account_id == top.pk
    assert alert.evidence["tests"][0]["amount_cny"] == "210"
    assert "Connected group (Huaneng Example Group; 3 accounts)" in alert.summary


def test_loans_to_one_borrower_exclude_guarantees_and_count_drawn() -> None:
    capital("5000", "1000")  # loans limit: 10% of net capital = 100, warning from 80
    breach, warning = _rules()
    borrower = AccountFactory.create()
    facility(borrower, drawn="90", undrawn="50")  # loan balance 90
    facility(borrower, drawn="400", kind=FacilityKind.GUARANTEE)
    facility(borrower, drawn="50", kind=FacilityKind.LETTER_OF_CREDIT)
    scan()
    # Exposure 590 is under the single-client warning (600); loans 90 = 90% of their limit.
    assert active(breach) == []
    tests = _tests(warning, borrower)
    assert list(tests) == ["loans_one_borrower"]
    loans = tests["loans_one_borrower"]
    assert (loans["amount_cny"], loans["base"], loans["share_pct"]) == ("90", "net_capital", "9.00")

    # Counting the undrawn commitment (a parameter) makes 140: a breach.
    counting_undrawn = make_rule(
        "exposure_concentration", name="with undrawn", loans_measure="exposure"
    )
    scan()
    assert _tests(counting_undrawn, borrower)["loans_one_borrower"]["amount_cny"] == "140"


def test_connected_parties_join_groups_and_single_names_into_one_connected_group() -> None:
    capital("1000", "5000")  # 20% = 200
    breach, warning = _rules()
    top_a, sub_a, single, top_b = (AccountFactory.create() for _ in range(4))
    group(top_a, sub_a, name="A Group")
    group(top_b, name="B Group")
    facility(top_a, drawn="60")
    facility(sub_a, drawn="40")  # A: 100
    facility(single, drawn="60")  # C: 60
    facility(top_b, drawn="60")  # B: 60
    scan()
    assert active(breach) == active(warning) == []  # each far below its limits

    connect(sub_a, single, "guarantee")
    link = connect(single, top_b, "common_control")
    scan()
    [alert] = active(breach)  # 220 = 22% of tier-1 net capital
    assert alert.account_id == top_a.pk  # the top of the unit with the most exposure
    test = alert.evidence["tests"][0]
    assert test["amount_cny"] == "220"
    assert test["accounts"] == 4
    assert [u["exposure_cny"] for u in test["units"]] == ["100", "60", "60"]
    assert {u["name"] for u in test["units"]} == {"A Group", "B Group", single.legal_name_en}

    link.delete()  # A + C = 160: 80% of the limit, a warning
    scan()
    assert active(breach) == []
    [warned] = active(warning)
    assert warned.account_id == top_a.pk
    assert warned.evidence["tests"][0]["amount_cny"] == "160"


def test_banks_are_left_out_of_the_non_bank_single_client_limit() -> None:
    capital("1000", "100000")
    breach, _warning = _rules()
    bank = AccountFactory.create(account_type=AccountType.CO_LENDER)
    facility(bank, drawn="300")
    scan()
    assert active(breach) == []


def test_foreign_currency_is_converted_and_a_missing_rate_is_named() -> None:
    FxRate.objects.update_or_create(
        currency="USD", defaults={"rate_to_cny": Decimal("7"), "as_of": timezone.localdate()}
    )
    FxRate.objects.filter(currency="GBP").delete()
    capital("1000", "5000")
    breach, _warning = _rules()
    client = AccountFactory.create()
    facility(client, drawn="25", currency="USD")  # CNY 175
    facility(client, drawn="10", currency="GBP")  # no rate kept
    scan()
    [alert] = active(breach)
    assert alert.evidence["tests"][0]["amount_cny"] == "175"
    assert alert.evidence["unconverted"] == ["GBP"]


def test_no_capital_base_raises_nothing_and_the_latest_applies() -> None:
    import datetime as dt

    breach, _warning = _rules()
    client = AccountFactory.create()
    facility(client, drawn="160")
    scan()
    assert active(breach) == []
    capital("100000", "100000", as_of=dt.date(2025, 12, 31))
    capital("1000", "5000", as_of=dt.date(2026, 6, 30))
    scan()
    [alert] = active(breach)
    assert alert.evidence["capital_as_of"] == "2026-06-30"


def test_without_a_capital_base_the_scan_keeps_the_alerts_and_says_why() -> None:
    """No capital base in force (none left, or only one dated after today): the rule is
    skipped with its reason recorded, as a rule that failed; its alerts stay as they were."""
    import datetime as dt

    from risk.choices import AlertState
    from risk.models import ScanError

    base = capital("1000", "5000")
    breach, _warning = _rules()
    client = AccountFactory.create()
    facility(client, drawn="160")
    scan()
    [alert] = active(breach)

    base.delete()
    capital("1000", "5000", as_of=timezone.localdate() + dt.timedelta(days=1))  # not yet
    run = scan()
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN
    assert not alert.resolved_automatically
    assert run.resolved == 0 and run.errors >= 1
    [error] = ScanError.objects.filter(run=run, rule=breach)
    assert "No capital base applies" in error.error


def test_a_capital_base_dated_after_today_does_not_apply() -> None:
    import datetime as dt

    from groups.models import CapitalBase

    today = timezone.localdate()
    in_force = capital("1000", "5000", as_of=today - dt.timedelta(days=1))
    capital("9000", "9000", as_of=today + dt.timedelta(days=1))
    assert CapitalBase.current() == in_force
    assert CapitalBase.current(on=today - dt.timedelta(days=2)) is None
    context = ExposureConcentration(parameters={}).prepare()
    assert context["capital"]["tier1_net_capital"] == "1000.00"


def test_the_system_check_warns_when_no_capital_base_is_in_force() -> None:
    import datetime as dt

    from groups.checks import check_capital_base

    assert check_capital_base(databases=None) == []  # no database asked for: no query
    [warning] = check_capital_base(databases=["default"])
    assert warning.id == "client_groups.W001"
    capital("1000", "5000", as_of=timezone.localdate() + dt.timedelta(days=30))
    assert [w.id for w in check_capital_base(databases=["default"])] == ["client_groups.W001"]
    capital("1000", "5000", as_of=timezone.localdate())
    assert check_capital_base(databases=["default"]) == []


def test_alerts_from_before_the_rewrite_still_summarise() -> None:
    """Evidence of the former portfolio-share rule (share_pct, outstanding_cny) stays on the
    alerts raised then: it reads as that rule's text, not as an empty string."""
    evidence = {
        "outstanding_cny": "1250000",
        "portfolio_cny": "10000000",
        "share_pct": "12.50",
        "limit_pct": "5",
        "unconverted": ["GBP"],
    }
    with translation.override("en"):
        assert ExposureConcentration.summarize(evidence) == (
            "12.50% of the portfolio's outstanding exposure (CNY 1,250,000 of 10,000,000; "
            "limit 5%) (no FX rate for GBP)"
        )
    with translation.override("zh-hans"):
        chinese = ExposureConcentration.summarize(evidence)
    assert "12.50" in chinese and "1,250,000" in chinese and "GBP" in chinese


def test_group_totals_are_prepared_once_and_a_chunk_costs_one_query(
    django_assert_num_queries,
) -> None:
    capital("1000", "5000")
    tops = [AccountFactory.create() for _ in range(3)]
    for top in tops:
        members = AccountFactory.create_batch(5)
        group(top, *members)
        for member in members:
            facility(member, drawn="45")  # 225 per group: a breach
    rule = ExposureConcentration(parameters={})
    context = rule.prepare()
    assert set(context["groups"]) == {str(top.pk) for top in tops}
    chunk = ExposureConcentration(parameters={}, context=context)
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    with django_assert_num_queries(1):
        found = chunk.evaluate(ids)
    assert set(found) == {top.pk for top in tops}


def test_the_summary_names_the_figures_in_each_language() -> None:
    evidence = {
        "level": "breach",
        "capital_as_of": "2026-06-30",
        "tests": [
            {
                "test": "loans_one_borrower",
                "amount_cny": "120000000",
                "base_cny": "1000000000",
                "share_pct": "12.00",
                "limit_pct": "10",
                "of_limit_pct": "120.0",
            }
        ],
        "unconverted": [],
    }
    english = ExposureConcentration.summarize(evidence)
    assert english == (
        "Loans to one borrower: CNY 120,000,000 is 12.00% of net capital CNY 1,000,000,000 "
        "(limit 10%, 120.0% of the limit used) (capital as of 2026-06-30)"
    )
    with translation.override("zh-hans"):
        chinese = ExposureConcentration.summarize(evidence)
    assert "120,000,000" in chinese and "12.00" in chinese and "2026-06-30" in chinese
