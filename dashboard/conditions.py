"""Conditions on accounts that a dashboard figure counts and the account list filters by —
one definition each, so that the figure and the list behind its link always agree.

They reuse the owning apps' definitions: cadence (interactions.selectors.interactions),
quarterly review coverage (interactions.selectors.reviews), risk level (risk.selectors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.choices import NON_PERFORMING_CLASSES, AccountStatus, LoanClass
from accounts.models import Account, Facility, Project
from interactions.selectors.interactions import cadence_overdue_q, tier_cadence_days
from interactions.selectors.reviews import (
    accounts_missing_review,
    held_exists,
    review_required_accounts,
    review_tiers,
    scheduled_exists,
)
from kam.quarters import Quarter
from risk.choices import RiskLevel
from risk.selectors import RiskLevelAnnotation, with_risk_level

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# ---------------------------------------------------------------- projects and facilities

NO_EQUATOR = "none"
NON_PERFORMING = "non_performing"
LOAN_CLASS_CHOICES = [(str(value), label) for value, label in LoanClass.choices] + [
    (NON_PERFORMING, _("Non-performing (substandard, doubtful, loss)"))
]


def project_q(
    *,
    sector: str = "",
    region: str = "",
    green: bool | None = None,
    equator: str | None = None,
    prefix: str = "",
) -> Q:
    """Conditions on one project (reached through ``prefix``, e.g. ``"project__"``);
    ``equator`` ``"none"`` means "not categorised"; green means a green taxonomy category."""
    condition = Q()
    if sector:
        condition &= Q(**{f"{prefix}sector": sector})
    if region:
        condition &= Q(**{f"{prefix}region": region})
    if green is not None:
        not_green = Q(**{f"{prefix}green_category": ""})
        condition &= ~not_green if green else not_green
    if equator:
        condition &= Q(**{f"{prefix}equator_category": "" if equator == NO_EQUATOR else equator})
    return condition


def with_project(queryset: QuerySet[Account], condition: Q) -> QuerySet[Account]:
    """Accounts that lead, or are a party to, at least one project meeting every part of
    ``condition`` at once (a renewables project in Southeast Asia, not a renewables project
    and another one there)."""
    return queryset.filter(
        Exists(Project.objects.filter(condition, account_id=OuterRef("pk")))
        | Exists(Project.objects.filter(condition, parties__account_id=OuterRef("pk")).order_by())
    )


def facility_q(
    *,
    sector: str = "",
    region: str = "",
    green: bool | None = None,
    equator: str | None = None,
    loan_class: str = "",
) -> Q:
    """Conditions on one facility: on its project, and its five-category classification
    (one of LoanClass, or ``"non_performing"``)."""
    condition = project_q(
        sector=sector, region=region, green=green, equator=equator, prefix="project__"
    )
    if loan_class == NON_PERFORMING:
        condition &= Q(classification__in=sorted(NON_PERFORMING_CLASSES))
    elif loan_class:
        condition &= Q(classification=int(loan_class))
    return condition


def with_facility(queryset: QuerySet[Account], condition: Q) -> QuerySet[Account]:
    """Obligors: accounts that borrow under at least one facility with exposure meeting
    every part of ``condition`` at once — the accounts the exposure figures count."""
    return queryset.filter(
        Exists(Facility.objects.filter(condition, borrower_id=OuterRef("pk"), exposure__gt=0))
    )


# ---------------------------------------------------------------- risk level

RISK_CHOICES = [
    ("red", RiskLevel.RED.label),
    ("orange", RiskLevel.ORANGE.label),
    ("yellow", RiskLevel.YELLOW.label),
    ("green", RiskLevel.GREEN.label),
    ("at_risk", _("At risk (yellow, orange or red)")),
]
RISK_VALUES = {
    "green": RiskLevel.GREEN,
    "yellow": RiskLevel.YELLOW,
    "orange": RiskLevel.ORANGE,
    "red": RiskLevel.RED,
}
RISK_CODES = {int(level): code for code, level in RISK_VALUES.items()}


def ensure_risk_level(
    queryset: QuerySet[Account],
) -> QuerySet[WithAnnotations[Account, RiskLevelAnnotation]]:
    if "risk_level" in queryset.query.annotations:  # annotated already, by with_risk_level
        return cast("QuerySet[WithAnnotations[Account, RiskLevelAnnotation]]", queryset)
    return with_risk_level(queryset)


def filter_risk(queryset: QuerySet[Account], value: str) -> QuerySet[Account]:
    annotated = ensure_risk_level(queryset)
    if value == "at_risk":
        return annotated.filter(risk_level__gte=RiskLevel.YELLOW)
    if value in RISK_VALUES:
        return annotated.filter(risk_level=RISK_VALUES[value])
    return annotated


# ---------------------------------------------------------------- cadence

CADENCE_CHOICES = [
    ("kept", _("Contacted within the tier's cadence")),
    ("overdue", _("Contact overdue")),
]


def cadence_applies(queryset: QuerySet[Account], cadence: dict[str, int]) -> QuerySet[Account]:
    """Accounts a cadence is expected of: not exited, of a tier with a cadence target."""
    return queryset.exclude(status=AccountStatus.EXITED).filter(tier__in=list(cadence))


def filter_cadence(
    queryset: QuerySet[Account], value: str, cadence: dict[str, int] | None = None
) -> QuerySet[Account]:
    cadence = tier_cadence_days() if cadence is None else cadence
    applies = cadence_applies(queryset, cadence)
    if value == "overdue":
        return applies.filter(cadence_overdue_q(cadence=cadence))
    if value == "kept":
        return applies.exclude(cadence_overdue_q(cadence=cadence))
    return queryset


# ---------------------------------------------------------------- quarterly reviews

REVIEW_CHOICES = [
    ("required", _("Review required")),
    ("held", _("Review held")),
    ("scheduled", _("Review scheduled, not yet held")),
    ("missing", _("Review missing (neither held nor scheduled)")),
]


def review_required(queryset: QuerySet[Account], tiers: list[str]) -> QuerySet[Account]:
    """The accounts of ``queryset`` that require a quarterly review."""
    return queryset.filter(pk__in=review_required_accounts(tiers=tiers).order_by().values("pk"))


def filter_review(
    queryset: QuerySet[Account],
    value: str,
    quarter: Quarter,
    tiers: list[str] | None = None,
) -> QuerySet[Account]:
    """The required accounts in a review state for ``quarter``, as the coverage figures count
    them (interactions.selectors.reviews)."""
    tiers = review_tiers() if tiers is None else tiers
    required = review_required(queryset, tiers)
    if value == "required":
        return required
    if value == "held":
        return required.filter(held_exists(quarter))
    if value == "scheduled":
        return required.exclude(held_exists(quarter)).filter(scheduled_exists(quarter))
    if value == "missing":
        missing = accounts_missing_review(quarter=quarter, scheduled_counts=True, tiers=tiers)
        return queryset.filter(pk__in=missing.order_by().values("pk"))
    return queryset


def choice_labels(choices: list[tuple[str, Any]]) -> dict[str, str]:
    return {value: str(label) for value, label in choices}
