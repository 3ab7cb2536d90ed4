"""DSCR and LLCR computed from their inputs (hand-checked), compared with the reported ratio,
and the inputs taken from the form and from an imported file."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from risk.choices import CovenantFrequency
from risk.models import CovenantMetric, CovenantTest, ProjectCovenant
from risk.services import RatioInputs, covenant_test_record, covenant_tests_import, ratios
from tests.conftest import Cast
from tests.factories import ProjectFactory

from .support import covenant

D = Decimal


# ---------------------------------------------------------------- the arithmetic


def test_dscr_by_hand() -> None:
    # CFADS 1,250 over debt service 1,000: 1,250 / 1,000 = 1.25x.
    assert ratios.dscr(cfads=D("1250"), debt_service=D("1000")) == D("1.2500")
    # CFADS 980 over debt service 1,000: 0.98x (a breach of any DSCR covenant).
    assert ratios.dscr(cfads=D("980"), debt_service=D("1000")) == D("0.9800")
    with pytest.raises(ValueError, match="debt service"):
        ratios.dscr(cfads=D("1"), debt_service=D("0"))


def test_llcr_by_hand_with_annual_periods() -> None:
    # Annual periods at 10% a year: the CFADS of year 1 (110) and year 2 (121) are worth
    #   110 / 1.10   = 100
    #   121 / 1.10^2 = 121 / 1.21 = 100
    # NPV = 200; with 160 of debt outstanding, LLCR = 200 / 160 = 1.25x.
    assert ratios.npv(
        cash_flows=[D("110"), D("121")], annual_rate_pct=D("10"), periods_per_year=1
    ) == D("200")
    assert ratios.llcr(
        cfads_forecast=[D("110"), D("121")],
        annual_rate_pct=D("10"),
        debt_outstanding=D("160"),
        periods_per_year=1,
    ) == D("1.2500")


def test_llcr_by_hand_with_semi_annual_periods() -> None:
    # Semi-annual periods at 10% a year discount at 10% / 2 = 5% a period:
    #   105    / 1.05   = 100
    #   110.25 / 1.05^2 = 110.25 / 1.1025 = 100
    #   115.7625 / 1.05^3 = 115.7625 / 1.157625 = 100
    # NPV = 300; with 250 of debt outstanding, LLCR = 300 / 250 = 1.20x.
    assert ratios.llcr(
        cfads_forecast=[D("105"), D("110.25"), D("115.7625")],
        annual_rate_pct=D("10"),
        debt_outstanding=D("250"),
        periods_per_year=2,
    ) == D("1.2000")
    # With no discounting the NPV is the plain sum: (105 + 110.25 + 115.7625) / 250
    # = 331.0125 / 250 = 1.32405, rounded half up to 1.3241.
    assert ratios.llcr(
        cfads_forecast=[D("105"), D("110.25"), D("115.7625")],
        annual_rate_pct=D("0"),
        debt_outstanding=D("250"),
        periods_per_year=2,
    ) == D("1.3241")


def test_a_mismatch_is_beyond_the_tolerance() -> None:
    assert not ratios.mismatch(reported=D("1.25"), computed=D("1.2549"), tolerance=D("0.01"))
    assert ratios.mismatch(reported=D("1.30"), computed=D("1.25"), tolerance=D("0.01"))


# ---------------------------------------------------------------- recorded with a figure


@pytest.mark.django_db
def test_a_dscr_from_its_inputs_is_stored_and_a_differing_report_is_flagged(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    covenant(project, "dscr", "1.05", lock_up="1.10")
    dscr = CovenantMetric.objects.get(code="dscr")
    inputs = RatioInputs(cfads=D("1250.00"), debt_service=D("1000.00"))

    agreeing = covenant_test_record(
        project=project,
        metric=dscr,
        period_end=dt.date(2026, 6, 30),
        value=D("1.25"),
        user=cast.owner,
        inputs=inputs,
    )
    assert agreeing.computed_value == D("1.25")
    assert not agreeing.value_mismatch

    # The borrower certifies 1.35 where its own inputs give 1.25: kept, and flagged.
    flagged = covenant_test_record(
        project=project,
        metric=dscr,
        period_end=dt.date(2026, 12, 31),
        value=D("1.35"),
        user=cast.owner,
        inputs=inputs,
    )
    assert (flagged.value, flagged.computed_value, flagged.value_mismatch) == (
        D("1.35"),
        D("1.25"),
        True,
    )

    # No reported value: the computed ratio is the figure.
    computed = covenant_test_record(
        project=project,
        metric=dscr,
        period_end=dt.date(2027, 6, 30),
        value=None,
        user=cast.owner,
        inputs=RatioInputs(cfads=D("1080.00"), debt_service=D("1000.00")),
    )
    assert (computed.value, computed.is_lock_up, computed.is_breach) == (D("1.08"), True, False)


@pytest.mark.django_db
def test_an_llcr_from_its_inputs_discounts_by_the_covenants_frequency(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, "llcr", "1.15", lock_up="1.30")
    ProjectCovenant.objects.filter(pk=cov.pk).update(frequency=CovenantFrequency.SEMI_ANNUAL)
    test = covenant_test_record(
        project=project,
        metric=cov.metric,
        period_end=dt.date(2026, 6, 30),
        value=D("1.20"),
        user=cast.owner,
        inputs=RatioInputs(
            cfads_forecast=(D("105.00"), D("110.25")),
            discount_rate_pct=D("10"),
            debt_outstanding=D("160.00"),
        ),
    )
    # 105 / 1.05 + 110.25 / 1.05^2 = 100 + 100 = 200; 200 / 160 = 1.25 against 1.20 reported.
    assert test.computed_value == D("1.25")
    assert test.value_mismatch
    assert test.cfads_forecast == ["105.00", "110.25"]


@pytest.mark.django_db
def test_incomplete_inputs_are_refused(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    covenant(project, "dscr")
    covenant(project, "debt_equity", "4.00")
    dscr = CovenantMetric.objects.get(code="dscr")
    with pytest.raises(ValidationError, match="both CFADS and debt service"):
        covenant_test_record(
            project=project,
            metric=dscr,
            period_end=dt.date(2026, 6, 30),
            value=D("1.2"),
            user=cast.owner,
            inputs=RatioInputs(cfads=D("100")),
        )
    with pytest.raises(ValidationError, match="Only DSCR and LLCR"):
        covenant_test_record(
            project=project,
            metric=CovenantMetric.objects.get(code="debt_equity"),
            period_end=dt.date(2026, 6, 30),
            value=D("3"),
            user=cast.owner,
            inputs=RatioInputs(cfads=D("100"), debt_service=D("90")),
        )
    assert not CovenantTest.objects.exists()


@pytest.mark.django_db
def test_the_figure_form_takes_the_inputs(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, "llcr", "1.15", lock_up="1.30")
    ProjectCovenant.objects.filter(pk=cov.pk).update(frequency=CovenantFrequency.ANNUAL)
    client = Client()
    client.force_login(cast.owner)
    response = client.post(
        reverse("risk:covenant_test_create", args=[cast.account.pk]),
        {
            "project": project.pk,
            "metric": cov.metric_id,
            "period_end": "2026-06-30",
            "value": "",
            "cfads_forecast": "110; 121",
            "discount_rate_pct": "10",
            "debt_outstanding": "160",
            "certificate_received_on": "2026-08-20",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    test = CovenantTest.objects.get(project=project)
    assert (test.value, test.computed_value, test.value_mismatch) == (D("1.25"), D("1.25"), False)
    assert test.certificate_received_on == dt.date(2026, 8, 20)
    page = client.get(reverse("risk:account_covenants", args=[cast.account.pk]))
    assert "1.25" in page.content.decode()


@pytest.mark.django_db
def test_the_import_accepts_the_optional_input_columns(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    covenant(project, "dscr", "1.05", lock_up="1.10")
    cov = covenant(project, "llcr", "1.15", lock_up="1.30")
    ProjectCovenant.objects.filter(pk=cov.pk).update(frequency=CovenantFrequency.ANNUAL)
    header = (
        "project_id,metric,period_end,value,cfads,debt_service,cfads_forecast,"
        "discount_rate_pct,debt_outstanding,certificate_received_on"
    )
    p = project.pk
    rows = [
        f"{p},dscr,2026-06-30,1.40,1250,1000,,,,2026-08-15",
        f"{p},llcr,2026-06-30,,,,110;121,10,160,",
    ]
    upload = io.BytesIO(("\n".join([header, *rows]) + "\n").encode())
    result = covenant_tests_import(account=cast.account, user=cast.owner, upload=upload)
    assert result.ok, [r.errors for r in result.rows]
    dscr = CovenantTest.objects.get(project=project, metric__code="dscr")
    assert (dscr.value, dscr.computed_value, dscr.value_mismatch) == (D("1.4"), D("1.25"), True)
    assert dscr.certificate_received_on == dt.date(2026, 8, 15)
    llcr = CovenantTest.objects.get(project=project, metric__code="llcr")
    assert (llcr.value, llcr.computed_value) == (D("1.25"), D("1.25"))

    bad = io.BytesIO(
        (header + f"\n{p},dscr,2026-12-31,1.2,lots,1000,,,,\n{p},dscr,2027-06-30,,,,,,,\n").encode()
    )
    result = covenant_tests_import(account=cast.account, user=cast.owner, upload=bad)
    assert not result.ok
    assert "cfads must be a number" in result.rows[0].errors[0]
    assert "no inputs to compute it from" in result.rows[1].errors[0]
    assert CovenantTest.objects.count() == 2
