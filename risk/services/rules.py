"""Writes of early-warning rules (the risk officers' page; the admin saves the same form)."""

from __future__ import annotations

from django.db import transaction

from kam.models import User

from ..models import RiskRule


@transaction.atomic
def rule_save(*, rule: RiskRule, user: User | None) -> RiskRule:
    """Save a rule whose parameters have been checked against its type's schema."""
    rule.updated_by = user
    rule.full_clean()
    rule.save()
    return rule
