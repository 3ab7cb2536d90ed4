"""Writes of account plans (audited by django-auditlog through the model saves)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.models import User

from .choices import PlanActionStatus
from .models import AccountPlan, PlanAction


@transaction.atomic
def account_plan_save(
    *,
    plan: AccountPlan,
    user: User,
    formsets: tuple[BaseInlineFormSet, ...] = (),
) -> AccountPlan:
    """Save a plan and its wallet and service formsets (all validated) in one transaction."""
    plan.updated_by = user
    plan.full_clean()
    plan.save()
    for formset in formsets:
        formset.instance = plan
        formset.save()
    return plan


@transaction.atomic
def plan_action_save(*, action: PlanAction) -> PlanAction:
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def plan_action_set_status(*, action: PlanAction, user: User, status: str) -> PlanAction:
    """Mark an action done, cancelled or open again. The row is locked and saved (so the
    change is audited); asking twice for the same status changes nothing."""
    if status not in PlanActionStatus.values:
        raise ValidationError(_("Unknown status."))
    locked = PlanAction.objects.select_for_update().get(pk=action.pk)
    if locked.status == status:
        return locked
    locked.status = status
    locked.done_at = timezone.now() if status == PlanActionStatus.DONE else None
    locked.save(update_fields=["status", "done_at"])
    return locked
