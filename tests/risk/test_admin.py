"""Rules are configured in the admin: thresholds of the wrong type or out of range are refused
with a message that names the parameter and says what it expects; nothing is saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from risk.forms import RiskRuleForm
from risk.models import CovenantTest, RiskRule
from risk.rules import registry
from tests.conftest import Cast
from tests.factories import ProjectFactory

from .support import covenant

pytestmark = pytest.mark.django_db


def _form(rule_type: str, parameters: str, **extra: object) -> RiskRuleForm:
    data = {
        "name": "Rule",
        "rule_type": rule_type,
        "severity": 2,
        "enabled": "on",
        "parameters": parameters,
        **extra,
    }
    return RiskRuleForm(data=data)


@pytest.mark.parametrize(
    ("rule_type", "parameters", "message"),
    [
        (
            "project_delay",
            '{"days": "ninety"}',
            "“days” (slipped by more than (days)) must be a whole number from 1 to 3650; got “ninety”.",
        ),
        ("project_delay", '{"days": 0}', "must be a whole number from 1 to 3650; got 0."),
        ("project_delay", '{"days": 12.5}', "must be a whole number from 1 to 3650; got 12.5."),
        ("project_delay", '{"days": true}', "must be a whole number from 1 to 3650; got True."),
        ("project_delay", '{"stages": ["building"]}', "unknown building"),
        ("covenant_headroom", '{"headroom_pct": "-5"}', "must be a number from 0.1 to 100"),
        ("covenant_headroom", '{"headroom_pct": "NaN"}', "must be a number from 0.1 to 100"),
        ("covenant_breach", '{"metrics": ["dscr", "ebitda"]}', "unknown ebitda"),
        ("esg_event", '{"min_severity": 7}', "must be one of: 1 (Minor), 2 (Moderate), 3 (Severe)"),
        (
            "esg_event",
            '{"window": 30}',
            "Unknown parameter “window”. This rule type takes: min_severity, window_days.",
        ),
        ("esg_event", "[1, 2]", "Parameters must be a JSON object"),
        ("esg_event", "{days: 3", "Enter the parameters as a JSON object"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(
    rule_type: str, parameters: str, message: str
) -> None:
    form = _form(rule_type, parameters)
    assert not form.is_valid()
    assert any(message in error for error in form.errors["parameters"]), form.errors
    assert not RiskRule.objects.exists()


def test_every_wrong_parameter_is_named_at_once() -> None:
    form = _form("rating_downgrade", '{"notches": 0, "window_days": "a year"}')
    assert not form.is_valid()
    errors = form.errors["parameters"]
    assert len(errors) == 2
    assert "notches" in errors[0] and "window_days" in errors[1]


def test_missing_parameters_take_their_defaults_and_tiers_are_checked() -> None:
    form = _form("rating_downgrade", "{}", tiers=["strategic"])
    assert form.is_valid(), form.errors
    rule = form.save()
    assert rule.parameters == {"notches": 2, "window_days": 365}
    assert rule.tiers == ["strategic"]
    with pytest.raises(ValidationError) as exc:
        registry.clean_rule(
            rule_type="rating_downgrade", parameters={}, tiers=["platinum"], enabled=True
        )
    assert "tiers" in exc.value.message_dict


def test_a_type_that_waits_for_missing_data_cannot_be_enabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cls = registry.get("repeated_sla_breaches")
    assert cls is not None
    monkeypatch.setattr(cls, "waits_for", "issue 5")
    form = _form("repeated_sla_breaches", "{}")
    assert not form.is_valid()
    assert "waits for issue 5" in form.errors["enabled"][0]
    assert "waits for issue 5" in dict(registry.choices())["repeated_sla_breaches"]


def test_the_admin_refuses_bad_thresholds(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    url = reverse("admin:risk_riskrule_add")
    assert client.get(url).status_code == 200
    data = {
        "name": "Delay",
        "rule_type": "project_delay",
        "severity": 2,
        "enabled": "on",
        "parameters": '{"days": -3}',
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "must be a whole number from 1 to 3650; got -3." in response.content.decode()
    assert not RiskRule.objects.exists()
    response = client.post(url, {**data, "parameters": '{"days": 120}'})
    assert response.status_code == 302
    rule = RiskRule.objects.get()
    assert rule.parameters["days"] == 120
    assert rule.updated_by == cast.admin
    # The admin pages of the risk models open.
    for name in (
        "alert",
        "scanrun",
        "covenanttest",
        "covenantlevel",
        "covenantwaiver",
        "projectcovenant",
        "esgevent",
        "covenantmetric",
    ):
        assert client.get(reverse(f"admin:risk_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:risk_riskrule_change", args=[rule.pk])).status_code == 200


def test_the_admin_takes_a_covenant_figures_threshold_from_the_covenant(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    project = ProjectFactory.create(account=cast.account)
    cov = covenant(project, threshold="1.25")
    url = reverse("admin:risk_covenanttest_add")
    data = {
        "project": project.pk,
        "metric": cov.metric_id,
        "period_end": "2026-06-30",
        "value": "x",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert not CovenantTest.objects.exists()
    response = client.post(url, {**data, "value": "1.1"})
    assert response.status_code == 302
    test = CovenantTest.objects.get()
    assert (str(test.threshold), test.direction, test.source) == ("1.2500", "min", "admin")
