"""A cure, waiver or amendment is a credit decision: recorded pending by the account team (or a
risk officer), it relieves nothing until the approver it names — never the recorder — confirms
it in the portal; the approver is told when it is recorded, the recorder when it is decided."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.models import Notification, User
from risk.choices import Severity, WaiverKind, WaiverStatus
from risk.models import CovenantLevel, CovenantMetric, CovenantWaiver, ProjectCovenant
from risk.services import (
    WaiverChanged,
    covenant_save,
    covenant_waiver_decide,
    covenant_waiver_record,
)
from tests.conftest import Cast
from tests.factories import ProjectFactory

from .support import active, covenant, figure, make_rule, scan

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _breach(cast: Cast) -> tuple[ProjectCovenant, Any]:
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, "dscr", "1.05", lock_up="1.10")
    return cov, figure(project, TODAY() - dt.timedelta(days=30), "1.00")


def _record(cast: Cast, cov: ProjectCovenant, test: Any, **extra: Any) -> CovenantWaiver:
    data: dict[str, Any] = {
        "covenant": cov,
        "user": cast.owner,
        "kind": WaiverKind.WAIVER,
        "approved_by": cast.risk,
        "approved_on": TODAY(),
        "test": test,
        "reason": "Credit committee waiver.",
    }
    return covenant_waiver_record(**{**data, **extra})


def test_the_recorder_cannot_name_or_be_the_approver(cast: Cast) -> None:
    cov, test = _breach(cast)
    with pytest.raises(ValidationError, match="other than yourself"):
        _record(cast, cov, test, approved_by=cast.owner)
    # A lead who does not see the account approves nothing of it.
    with pytest.raises(ValidationError, match="team lead who sees this account"):
        _record(cast, cov, test, approved_by=cast.other_lead)
    # Nor can the form offer the recorder: the RM's choices leave them out, a lead's too.
    url = reverse("risk:covenant_waiver_create", args=[cast.account.pk])
    response = _client(cast.lead).post(
        url,
        {
            "covenant": cov.pk,
            "kind": WaiverKind.WAIVER,
            "test": test.pk,
            "approved_by": cast.lead.pk,
            "approved_on": TODAY().isoformat(),
            "reason": "Mine.",
        },
    )
    assert response.status_code == 200
    assert "approved_by" in response.context["form"].errors
    choices = set(response.context["form"].fields["approved_by"].queryset)
    assert cast.lead not in choices and cast.other_lead not in choices
    assert {cast.risk, cast.executive} <= choices
    assert not CovenantWaiver.objects.exists()

    # Recorded by a risk officer who is also named approver (through the database): still
    # nobody approves their own record.
    waiver = _record(cast, cov, test, user=cast.risk, approved_by=cast.lead)
    CovenantWaiver.objects.filter(pk=waiver.pk).update(approved_by=cast.risk)
    waiver.refresh_from_db()
    with pytest.raises(PermissionDenied):
        covenant_waiver_decide(waiver=waiver, user=cast.risk, approve=True)
    waiver.refresh_from_db()
    assert waiver.status == WaiverStatus.PENDING


def test_only_the_named_approver_decides_in_the_portal(cast: Cast) -> None:
    rule = make_rule("covenant_breach", severity=Severity.HIGH, level="default")
    cov, test = _breach(cast)
    waiver = _record(cast, cov, test)
    # The approver is told, with a link to decide.
    [asked] = Notification.objects.filter(user=cast.risk)
    decide = reverse("risk:covenant_waiver_decide", args=[cast.account.pk, waiver.pk])
    assert asked.url == decide
    scan()
    assert len(active(rule)) == 1  # pending: relieves nothing

    # The owner (who recorded it), the lead and the executive see the account but are not
    # the approver: 403; another RM does not see it: 404.
    for who, status in (
        (cast.owner, 403),
        (cast.lead, 403),
        (cast.executive, 403),
        (cast.outsider, 404),
    ):
        client = _client(who)
        assert client.get(decide).status_code == status
        assert client.post(decide, {"decision": "approve"}).status_code == status
    # A waiver of this account asked through another account's URL is not found.
    other = ProjectFactory.create(account__owner=cast.risk).account
    assert (
        _client(cast.risk)
        .get(reverse("risk:covenant_waiver_decide", args=[other.pk, waiver.pk]))
        .status_code
        == 404
    )
    waiver.refresh_from_db()
    assert waiver.status == WaiverStatus.PENDING

    # The covenant page shows the approver the way to decide, nobody else.
    page = reverse("risk:account_covenants", args=[cast.account.pk])
    assert decide in _client(cast.risk).get(page).content.decode()
    assert decide not in _client(cast.owner).get(page).content.decode()

    approver = _client(cast.risk)
    assert approver.get(decide).status_code == 200
    response = approver.post(decide, {"decision": "approve", "note": "Minute 14."})
    assert response.status_code == 302
    waiver.refresh_from_db()
    assert (waiver.status, waiver.decided_by, waiver.decision_note) == (
        WaiverStatus.APPROVED,
        cast.risk,
        "Minute 14.",
    )
    assert waiver.decided_at is not None
    # The recorder is told.
    [told] = Notification.objects.filter(user=cast.owner, key__startswith="covenant-waiver:")
    assert "Approved" in told.title
    scan()
    assert active(rule) == []
    # Decided once: a second decision changes nothing.
    with pytest.raises(WaiverChanged):
        covenant_waiver_decide(waiver=waiver, user=cast.risk, approve=False)
    assert CovenantWaiver.objects.get(pk=waiver.pk).status == WaiverStatus.APPROVED


def test_a_rejected_waiver_relieves_nothing(cast: Cast) -> None:
    rule = make_rule("covenant_breach", severity=Severity.HIGH, level="default")
    cov, test = _breach(cast)
    waiver = _record(cast, cov, test)
    covenant_waiver_decide(waiver=waiver, user=cast.risk, approve=False, note="No cure plan.")
    scan()
    assert len(active(rule)) == 1
    [told] = Notification.objects.filter(user=cast.owner, key__startswith="covenant-waiver:")
    assert "Rejected" in told.title and "No cure plan." in told.body


def test_a_risk_officer_records_and_an_amendment_applies_only_once_approved(cast: Cast) -> None:
    cov, test = _breach(cast)
    url = reverse("risk:covenant_waiver_create", args=[cast.account.pk])
    data = {
        "covenant": cov.pk,
        "kind": WaiverKind.AMENDMENT,
        "approved_by": cast.lead.pk,
        "approved_on": TODAY().isoformat(),
        "effective_from": (TODAY() - dt.timedelta(days=60)).isoformat(),
        "threshold": "0.95",
        "reason": "Back-dated reset.",
    }
    # The RM may not back-date an amendment; a risk officer may.
    response = _client(cast.owner).post(url, data)
    assert "effective_from" in response.context["form"].errors
    assert _client(cast.risk).post(url, data).status_code == 302
    amendment = CovenantWaiver.objects.get()
    assert amendment.recorded_by == cast.risk
    assert not CovenantLevel.objects.filter(amendment__isnull=False).exists()
    test.refresh_from_db()
    assert test.threshold == Decimal("1.05")
    covenant_waiver_decide(waiver=amendment, user=cast.lead, approve=True)
    test.refresh_from_db()
    assert test.threshold == Decimal("0.95")


def test_concurrent_saves_of_a_new_covenant_do_not_fail(cast: Cast) -> None:
    """The other request inserts (and commits) the same covenant just after this one's read
    found none: this save still succeeds, on that row."""
    project = ProjectFactory.create(account=cast.account)
    dscr = CovenantMetric.objects.get(code="dscr")
    raced: list[int] = []

    def other_request_after_the_read(
        execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        result = execute(sql, params, many, context)
        if not raced and sql.startswith("SELECT") and '"risk_projectcovenant"' in sql:
            [other] = ProjectCovenant.objects.bulk_create(
                [ProjectCovenant(project=project, metric=dscr, clause="theirs")]
            )
            raced.append(other.pk)
        return result

    with connection.execute_wrapper(other_request_after_the_read):
        saved = covenant_save(project=project, metric=dscr, threshold=Decimal("1.10"))
    assert raced == [saved.pk]
    assert ProjectCovenant.objects.filter(project=project).count() == 1
    assert saved.default_threshold == Decimal("1.10")
