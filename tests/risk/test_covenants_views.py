"""The covenant pages: levels and the test calendar on a covenant, cures, waivers and
amendments recorded by whoever may change the account's projects (another RM gets a 404), and
what the account's covenant page shows of them; the admin shows the flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.models import User
from risk.choices import CovenantLevelKind, WaiverKind, WaiverStatus
from risk.models import CovenantLevel, CovenantTest, CovenantWaiver, ProjectCovenant
from risk.services import RatioInputs, covenant_test_record, covenant_waiver_record
from tests.conftest import Cast
from tests.factories import ProjectFactory

from .support import covenant, figure

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 302), ("lead", 302), ("risk", 403), ("executive", 403), ("outsider", 404)],
)
def test_recording_a_covenant_with_its_levels(cast: Cast, who: str, status: int) -> None:
    project = ProjectFactory.create(account=cast.account)
    from risk.models import CovenantMetric

    response = _client(getattr(cast, who)).post(
        reverse("risk:covenant_create", args=[cast.account.pk]),
        {
            "project": project.pk,
            "metric": CovenantMetric.objects.get(code="dscr").pk,
            "lock_up_threshold": "1.10",
            "threshold": "1.05",
            "basis": "forward",
            "frequency": "6",
            "next_test_date": "2026-12-31",
            "certificate_days": "90",
            "clause": "§21.2",
        },
    )
    assert response.status_code == status
    if status == 302:
        cov = ProjectCovenant.objects.get(project=project)
        assert cov.current_levels == {
            CovenantLevelKind.LOCK_UP: Decimal("1.10"),
            CovenantLevelKind.EVENT_OF_DEFAULT: Decimal("1.05"),
        }
        assert (cov.basis, cov.frequency, cov.certificate_due_on) == (
            "forward",
            6,
            dt.date(2027, 3, 31),
        )
    else:
        assert not ProjectCovenant.objects.exists()


def _waiver_data(cast: Cast, cov: ProjectCovenant, **extra: Any) -> dict[str, Any]:
    return {
        "covenant": cov.pk,
        "kind": WaiverKind.WAIVER,
        "approved_by": cast.risk.pk,
        "approved_on": TODAY().isoformat(),
        "valid_until": (TODAY() + dt.timedelta(days=90)).isoformat(),
        "reason": "Credit committee waiver of the June test.",
        **extra,
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 302), ("lead", 302), ("risk", 302), ("executive", 403), ("outsider", 404)],
)
def test_recording_a_waiver(cast: Cast, who: str, status: int) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, "dscr", "1.05", lock_up="1.10")
    test = figure(project, TODAY() - dt.timedelta(days=30), "1.00")
    url = reverse("risk:covenant_waiver_create", args=[cast.account.pk])
    client = _client(getattr(cast, who))
    approver = cast.lead if who == "risk" else cast.risk
    assert client.get(url).status_code == (200 if status == 302 else status)
    response = client.post(url, _waiver_data(cast, cov, test=test.pk, approved_by=approver.pk))
    assert response.status_code == status
    if status == 302:
        waiver = CovenantWaiver.objects.get()
        assert (waiver.test, waiver.approved_by, waiver.recorded_by, waiver.status) == (
            test,
            approver,
            getattr(cast, who),
            WaiverStatus.PENDING,
        )
    else:
        assert not CovenantWaiver.objects.exists()


def test_another_rms_covenants_are_not_found_on_any_covenant_form(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, "dscr", "1.05", lock_up="1.10")
    outsider = _client(cast.outsider)
    for name in (
        "risk:account_covenants",
        "risk:covenant_create",
        "risk:covenant_test_create",
        "risk:covenant_waiver_create",
        "risk:covenant_import",
    ):
        url = reverse(name, args=[cast.account.pk])
        assert outsider.get(url).status_code == 404, name
        assert outsider.post(url, _waiver_data(cast, cov)).status_code == 404, name
    assert not CovenantWaiver.objects.exists()


def test_a_waiver_cannot_name_another_accounts_covenant_or_figure(cast: Cast) -> None:
    mine = ProjectFactory.create(account=cast.account)
    cov = covenant(mine)
    theirs = ProjectFactory.create()
    their_cov = covenant(theirs)
    their_test = figure(theirs, TODAY() - dt.timedelta(days=20), "1.0")
    client = _client(cast.owner)
    url = reverse("risk:covenant_waiver_create", args=[cast.account.pk])
    response = client.post(url, _waiver_data(cast, their_cov))
    assert "covenant" in response.context["form"].errors
    response = client.post(url, _waiver_data(cast, cov, test=their_test.pk))
    assert "test" in response.context["form"].errors
    # An approver must be one who approves (a team lead, risk officer or executive).
    response = client.post(url, _waiver_data(cast, cov, approved_by=cast.outsider.pk))
    assert "approved_by" in response.context["form"].errors
    assert not CovenantWaiver.objects.exists()


def test_an_amendment_through_the_form_adds_levels_once_approved(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, "dscr", "1.05", lock_up="1.10")
    client = _client(cast.owner)
    url = reverse("risk:covenant_waiver_create", args=[cast.account.pk])
    data = _waiver_data(
        cast,
        cov,
        kind=WaiverKind.AMENDMENT,
        effective_from=TODAY().isoformat(),
        lock_up_threshold="1.08",
    )
    response = client.post(url, {**data, "lock_up_threshold": "1.00"})  # below the default
    assert response.status_code == 200
    assert "lock_up_threshold" in response.context["form"].errors
    response = client.post(url, data)
    assert response.status_code == 302
    # Pending: no level yet; the approver's confirmation adds it.
    assert not CovenantLevel.objects.filter(amendment__isnull=False).exists()
    amendment = CovenantWaiver.objects.get()
    decide = reverse("risk:covenant_waiver_decide", args=[cast.account.pk, amendment.pk])
    assert _client(cast.risk).post(decide, {"decision": "approve"}).status_code == 302
    [level] = CovenantLevel.objects.filter(amendment__isnull=False)
    assert (level.kind, level.threshold, level.valid_from) == ("lock_up", Decimal("1.08"), TODAY())


def test_the_covenant_page_shows_levels_calendar_waivers_and_flags(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    project = ProjectFactory.create(account=cast.account, name="Hami Solar")
    cov = covenant(project, "dscr", "1.05", lock_up="1.10")
    ProjectCovenant.objects.filter(pk=cov.pk).update(
        next_test_date=TODAY() + dt.timedelta(days=20), certificate_days=30
    )
    test = covenant_test_record(
        project=project,
        metric=cov.metric,
        period_end=TODAY() - dt.timedelta(days=60),
        value=Decimal("1.30"),
        user=cast.owner,
        inputs=RatioInputs(cfads=Decimal("1080"), debt_service=Decimal("1000")),
    )
    covenant_waiver_record(
        covenant=cov,
        user=cast.owner,
        kind=WaiverKind.CURE,
        approved_by=cast.lead,
        approved_on=TODAY(),
        test=test,
        reason="Equity cure of 12m injected.",
    )
    client = _client(cast.owner)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("risk:account_covenants", args=[cast.account.pk]))
    html = page.content.decode()
    assert "≥ 1.1x" in html and "≥ 1.05x" in html  # both levels
    assert "differs from its inputs" in html  # 1.30 reported, 1.08 computed
    assert "Equity cure of 12m injected." in html
    assert (TODAY() + dt.timedelta(days=20)).isoformat() in html  # the test date
    assert (TODAY() + dt.timedelta(days=50)).isoformat() in html  # the certificate due
    assert "Record a cure, waiver or amendment" in html


def test_the_admin_shows_levels_and_the_mismatch_flag(cast: Cast) -> None:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, "dscr", "1.05", lock_up="1.10")
    test = covenant_test_record(
        project=project,
        metric=cov.metric,
        period_end=dt.date(2026, 6, 30),
        value=Decimal("1.30"),
        user=cast.owner,
        inputs=RatioInputs(cfads=Decimal("1080"), debt_service=Decimal("1000")),
    )
    waiver = covenant_waiver_record(
        covenant=cov,
        user=cast.owner,
        kind=WaiverKind.WAIVER,
        approved_by=cast.lead,
        approved_on=TODAY(),
        test=test,
        reason="Waived.",
    )
    client = _client(cast.admin)
    listing = client.get(
        reverse("admin:risk_covenanttest_changelist"), {"value_mismatch__exact": "1"}
    )
    assert listing.status_code == 200
    assert "1.0800" in listing.content.decode()
    assert client.get(reverse("admin:risk_covenanttest_change", args=[test.pk])).status_code == 200
    change = client.get(reverse("admin:risk_projectcovenant_change", args=[cov.pk]))
    assert change.status_code == 200
    assert "1.1000" in change.content.decode()
    assert (
        client.get(reverse("admin:risk_covenantwaiver_change", args=[waiver.pk])).status_code == 200
    )
    # The admin takes a new figure's levels from the covenant, the lock-up level too.
    response = client.post(
        reverse("admin:risk_covenanttest_add"),
        {
            "project": project.pk,
            "metric": cov.metric_id,
            "period_end": "2026-12-31",
            "value": "1.2",
        },
    )
    assert response.status_code == 302
    added = CovenantTest.objects.get(period_end=dt.date(2026, 12, 31))
    assert (added.lock_up_threshold, added.threshold) == (Decimal("1.1"), Decimal("1.05"))
