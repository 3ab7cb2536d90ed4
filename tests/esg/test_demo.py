"""The demo's E&S data: every category A project has its ESAP and an independent review; one
item is overdue, and the demo's rule raises it; loading twice adds nothing."""

from __future__ import annotations

import pytest

from accounts.models import Project
from demo.accounts import seed_demo
from demo.esg import seed_esg
from demo.risk import DEMO_RULES
from esg.models import EsapItem, EsReview
from risk.models import Alert
from tests.esg.support import today
from tests.risk.support import active, make_rule, scan

pytestmark = pytest.mark.django_db


def test_seed_esg_covers_category_a_with_one_overdue_item_and_is_idempotent() -> None:
    seed_demo(password="demo-pass-123")
    first = seed_esg()
    category_a = Project.objects.filter(equator_category="A")
    assert category_a.exists()
    assert first.plans == category_a.count() == first.reviews
    for project in category_a:
        assert EsapItem.objects.filter(project=project).count() >= 4
        assert EsReview.objects.filter(project=project).exists()
    overdue = [i for i in EsapItem.objects.all() if i.days_overdue(today()) > 0]
    assert len(overdue) == 1 and overdue[0].days_overdue(today()) == 45

    again = seed_esg()
    assert (again.plans, again.items, again.reviews) == (0, 0, 0)

    [spec] = [spec for spec in DEMO_RULES if spec.rule_type == "esap_item_overdue"]
    rule = make_rule(spec.rule_type, severity=spec.severity, **spec.parameters)
    scan()
    alerts = active(rule)
    assert overdue[0].project.account_id in {a.account_id for a in alerts}
    assert Alert.objects.filter(rule=rule).count() == len(alerts) >= 1
