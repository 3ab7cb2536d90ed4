"""The demo's risk data: a believable set of alerts across rule types, idempotent."""

from __future__ import annotations

import pytest

from demo.accounts import seed_demo
from demo.interactions import seed_interactions
from demo.risk import seed_risk
from risk.choices import ACTIVE_STATES, AlertState
from risk.models import Alert, AlertEscalation, CovenantTest, RiskRule, ScanError

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

    before = sorted(Alert.objects.values_list("account_id", "rule_id", "state"))
    again = seed_risk()
    assert (again.rules, again.covenants, again.figures, again.esg_events) == (0, 0, 0, 0)
    assert again.manual_alerts == 0
    assert sorted(Alert.objects.values_list("account_id", "rule_id", "state")) == before
