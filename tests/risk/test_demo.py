"""The demo's risk data: a believable set of alerts across rule types, idempotent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from demo.accounts import seed_demo
from demo.interactions import seed_interactions
from demo.risk import seed_risk
from risk.choices import ACTIVE_STATES, AlertState
from risk.models import (
    Alert,
    AlertEscalation,
    CovenantTest,
    CovenantWaiver,
    ProjectCovenant,
    RiskRule,
    ScanError,
)

pytestmark = pytest.mark.django_db


def test_seed_risk_gives_a_believable_set_of_alerts_and_is_idempotent() -> None:
    seed_demo(password="demo-pass-123")
    seed_interactions()
    first = seed_risk()
    assert first.rules == RiskRule.objects.count() >= 9
    assert first.figures > 100
    assert not ScanError.objects.exists()
    active = Alert.objects.filter(state__in=ACTIVE_STATES)
    types = set(active.values_list("rule__rule_type", flat=True))
    assert types >= {
        "covenant_breach",
        "covenant_headroom",
        "project_delay",
        "rating_downgrade",
        "esg_event",
        "manual",
    }
    assert 15 <= active.count() <= 80
    states = set(active.values_list("state", flat=True))
    assert states == {AlertState.OPEN, AlertState.ACKNOWLEDGED, AlertState.IN_MITIGATION}
    assert AlertEscalation.objects.exists()
    assert CovenantTest.objects.filter(value__lt=1.2, metric__code="dscr").exists()
    # Covenants with lock-up and default levels; alerts at both levels; one waiver.
    assert first.waivers == CovenantWaiver.objects.count() == 1
    dscr = ProjectCovenant.objects.filter(metric__code="dscr").prefetch_related("levels").first()
    assert dscr is not None
    assert dscr.current_levels == {"lock_up": Decimal("1.20"), "default": Decimal("1.10")}
    levels = {
        a.evidence["breaches"][0]["level"] for a in active.filter(rule__rule_type="covenant_breach")
    }
    assert levels == {"lock_up", "default"}
    waived = CovenantWaiver.objects.get().test
    assert waived is not None and waived.level_passed
    alerted = {
        b["test_id"]
        for evidence in active.filter(rule__rule_type="covenant_breach").values_list(
            "evidence", flat=True
        )
        for b in evidence["breaches"]
    }
    assert waived.pk not in alerted

    before = sorted(Alert.objects.values_list("account_id", "rule_id", "state"))
    again = seed_risk()
    assert (again.rules, again.covenants, again.figures, again.esg_events) == (0, 0, 0, 0)
    assert again.waivers == 0
    assert again.manual_alerts == 0
    assert sorted(Alert.objects.values_list("account_id", "rule_id", "state")) == before
