"""Data-security levels (JR/T 0197) of exports (issue 14): every export names what it contains;
its highest level is logged with it, and one with data at EXPORT_REASON_MIN_LEVEL (3) or above
asks why it is needed whatever its size — as large exports always did."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from kam.data_levels import FIELD_LEVELS, DataLevel, level_of
from kam.models import AccessLog
from tests.conftest import Cast
from tests.interactions.factories import InteractionFactory

from .support import client_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_registry_grades_personal_and_confidential_data_higher() -> None:
    assert FIELD_LEVELS["contact.phone"] == FIELD_LEVELS["contact.email"] == DataLevel.SENSITIVE
    assert FIELD_LEVELS["interaction.notes"] == DataLevel.SENSITIVE
    assert FIELD_LEVELS["interaction.confidential_notes"] == DataLevel.HIGHLY_SENSITIVE
    assert FIELD_LEVELS["account.financials"] == DataLevel.INTERNAL
    assert level_of(["account.name", "contact.phone", "user.name"]) == DataLevel.SENSITIVE
    assert level_of([]) is None
    with pytest.raises(KeyError):
        level_of(["contact.shoe_size"])


def test_every_export_names_what_it_contains() -> None:
    """Each call of export_response in the apps passes ``fields``."""
    missing = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "export_response"
                and not any(keyword.arg == "fields" for keyword in node.keywords)
            ):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, missing


def test_an_export_of_level_3_asks_for_a_reason_whatever_its_size(cast: Cast) -> None:
    InteractionFactory.create(account=cast.account, subject="Lunch", summary="Pricing talk")
    url = reverse("interactions:timeline_export", args=[cast.account.pk, "csv"])
    client = client_for(cast.owner)
    asked = client.get(url)
    assert asked["Content-Type"].startswith("text/html")
    body = asked.content.decode()
    assert 'name="export_reason"' in body and "data-security level 3" in body
    assert not AccessLog.objects.filter(action="export").exists()

    response = client.get(url, {"export_reason": "Preparing the annual review"})
    assert response["Content-Disposition"].startswith("attachment")
    log = AccessLog.objects.get(action="export")
    assert log.detail["data_level"] == 3
    assert log.detail["reason"] == "Preparing the annual review"


def test_the_threshold_level_is_a_setting(cast: Cast, settings: Any) -> None:
    settings.EXPORT_REASON_MIN_LEVEL = 4
    InteractionFactory.create(account=cast.account)
    url = reverse("interactions:timeline_export", args=[cast.account.pk, "csv"])
    response = client_for(cast.owner).get(url)
    assert response["Content-Disposition"].startswith("attachment")
    assert AccessLog.objects.get(action="export").detail["data_level"] == 3


@pytest.mark.parametrize(
    ("url", "level"),
    [
        (reverse("accounts:export", args=["csv"]), 2),
        (reverse("risk:alert_export", args=["csv"]), 2),
        (reverse("service:export", args=["csv"]) + "?state=all", 2),
        (reverse("dashboard:export", args=["tiers", "csv"]), 2),
    ],
)
def test_lower_level_exports_go_straight_through_with_their_level_logged(
    cast: Cast, url: str, level: int
) -> None:
    response = client_for(cast.executive).get(url)
    assert response["Content-Disposition"].startswith("attachment"), url
    log = AccessLog.objects.get(action="export")
    assert log.detail["data_level"] == level and "reason" not in log.detail


def test_the_audit_trail_is_level_3_and_shows_each_exports_level(cast: Cast) -> None:
    client = client_for(cast.compliance)
    asked = client.get(reverse("audit_trail_export", args=["csv"]), {"kind": "reads"})
    assert asked["Content-Type"].startswith("text/html")
    client.get(
        reverse("audit_trail_export", args=["csv"]),
        {"kind": "reads", "export_reason": "Quarterly access review"},
    )
    assert AccessLog.objects.get(action="export").detail["data_level"] == 3
    page = client.get(reverse("audit_trail"), {"kind": "reads"}).content.decode()
    assert "Data level" in page and "Level 3" in page
