"""The benchmark book's risk data: generated in bulk, additive, and the scan finds work in it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import F

from risk.models import CovenantLevel, CovenantTest, ProjectCovenant, RiskRule
from risk.services import scan_run_inline

pytestmark = pytest.mark.django_db


def test_generate_volume_adds_risk_data_once_and_the_scan_runs_over_it() -> None:
    call_command("generate_volume", accounts=400, contacts_per_account=0, risk=True, verbosity=0)
    covenants, figures = ProjectCovenant.objects.count(), CovenantTest.objects.count()
    assert covenants > 20
    assert figures >= covenants * 4
    assert RiskRule.objects.filter(enabled=True).count() >= 9
    # Figures carry their project's account (the scan reads them by account range).
    assert not CovenantTest.objects.exclude(account_id=F("project__account_id")).exists()
    # Every covenant has its default level; DSCR and LLCR a lock-up level too, copied onto
    # their figures.
    assert CovenantLevel.objects.filter(kind="default").count() == covenants
    assert CovenantLevel.objects.filter(kind="lock_up").count() == (
        ProjectCovenant.objects.filter(metric__code__in=["dscr", "llcr"]).count()
    )
    assert not CovenantTest.objects.filter(
        metric__code="dscr", lock_up_threshold__isnull=True
    ).exists()

    call_command("generate_volume", accounts=1, contacts_per_account=0, risk=True, verbosity=0)
    assert ProjectCovenant.objects.count() - covenants <= 2  # only the new account's projects

    run = scan_run_inline()
    assert run.errors == 0
    assert run.accounts == 401
    assert run.raised > 0
