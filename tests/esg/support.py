"""Helpers of the E&S tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Project
from esg.choices import EsapItemStatus, EsReviewOutcome, EsStandard
from esg.models import EsapItem, EsReview


def today() -> date:
    return timezone.localdate()


def item(project: Project, *, due_in: int = 30, **fields: Any) -> EsapItem:
    values: dict[str, Any] = {
        "action": "Publish the grievance mechanism",
        "standard": EsStandard.IFC_PS1,
        "owner_contact": "SPV HSE manager",
        "status": EsapItemStatus.OPEN,
        "due_date": today() + timedelta(days=due_in),
        **fields,
    }
    if values["status"] == EsapItemStatus.DONE:
        values.setdefault("completed_on", today())
    new = EsapItem(project=project, **values)
    new.full_clean()
    new.save()
    return new


def review(project: Project, **fields: Any) -> EsReview:
    values: dict[str, Any] = {
        "reviewer_name": "Independent consultant",
        "review_date": today() - timedelta(days=30),
        "outcome": EsReviewOutcome.COMPLIANT,
        **fields,
    }
    new = EsReview(project=project, **values)
    new.full_clean()
    new.save()
    return new
