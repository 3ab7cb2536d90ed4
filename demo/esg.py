"""E&S data for the demo book (called by ``manage.py seed_demo`` before the risk scan): every
category A project gets its E&S action plan — a handful of items against the IFC Performance
Standards, some done, some in progress, some ahead — and an independent E&S review, by the
project's independent engineer when it has one. One item, on the first category A project,
is well past its due date, so the "Overdue ESAP item" rule has something to raise.

Idempotent: a project that has ESAP items or a review already is left as it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.choices import PartyRole
from accounts.models import Project, ProjectParty
from esg import services
from esg.choices import EsapItemStatus, EsReviewOutcome, EsStandard
from esg.models import Esap, EsapItem, EsReview

# (action, standard, reference, owner is ours, due in days from today, status, evidence)
ITEMS: tuple[tuple[str, str, str, bool, int, str, str], ...] = (
    (
        "Adopt and publish a grievance mechanism for affected communities",
        EsStandard.IFC_PS1,
        "EP 6",
        False,
        -200,
        EsapItemStatus.DONE,
        "Grievance procedure posted at the township offices and on the SPV's website.",
    ),
    (
        "Occupational health and safety plan for the construction workforce, with monthly "
        "incident reporting",
        EsStandard.IFC_PS2,
        "PS2 §23",
        False,
        -90,
        EsapItemStatus.DONE,
        "OHS plan approved by the independent engineer; first three monthly reports received.",
    ),
    (
        "Biodiversity action plan for the habitat crossed by the access road",
        EsStandard.IFC_PS6,
        "PS6 §17",
        False,
        60,
        EsapItemStatus.IN_PROGRESS,
        "",
    ),
    (
        "Annual E&S monitoring report to the lenders",
        EsStandard.EQUATOR,
        "EP 9",
        True,
        150,
        EsapItemStatus.OPEN,
        "",
    ),
)
# The first category A project's late item: compensation still unpaid six weeks after the date.
OVERDUE_ITEM = (
    "Complete the livelihood restoration payments of the resettlement action plan",
    EsStandard.IFC_PS5,
    "PS5 §28, RAP schedule 3",
    False,
    -45,
    EsapItemStatus.IN_PROGRESS,
    "",
)
CLIENT_OWNER = "Project company HSE manager"
REVIEWER_NAME = "Independent E&S consultant (lenders' appointee)"


@dataclass
class EsgSeedResult:
    plans: int = 0
    items: int = 0
    reviews: int = 0


@transaction.atomic
def seed_esg(*, today: date | None = None) -> EsgSeedResult:
    """Load the demo's ESAPs and independent reviews (see the module docstring)."""
    today = today or timezone.localdate()
    result = EsgSeedResult()
    projects = list(
        Project.objects.filter(equator_category="A").select_related("account").order_by("pk")
    )
    engineers = dict(
        ProjectParty.objects.filter(
            project__in=projects, role=PartyRole.INDEPENDENT_ENGINEER
        ).values_list("project_id", "account_id")
    )
    for n, project in enumerate(projects):
        if EsapItem.objects.filter(project=project).exists():
            continue
        _, created = Esap.objects.get_or_create(
            project=project,
            defaults={"agreed_on": project.financial_close_date or today - timedelta(days=365)},
        )
        result.plans += created
        specs = (*ITEMS, OVERDUE_ITEM) if n == 0 else ITEMS
        for action, standard, reference, ours, due_in, status, evidence in specs:
            due = today + timedelta(days=due_in)
            services.esap_item_save(
                item=EsapItem(
                    project=project,
                    action=action,
                    standard=standard,
                    reference=reference,
                    owner_user=project.account.owner if ours else None,
                    owner_contact="" if ours else CLIENT_OWNER,
                    due_date=due,
                    status=status,
                    completed_on=(due - timedelta(days=5))
                    if status == EsapItemStatus.DONE
                    else None,
                    evidence=evidence,
                ),
                today=today,
            )
            result.items += 1
        if not EsReview.objects.filter(project=project).exists():
            engineer = engineers.get(project.pk)
            services.es_review_save(
                review=EsReview(
                    project=project,
                    reviewer_account_id=engineer,
                    reviewer_name="" if engineer else REVIEWER_NAME,
                    review_date=today - timedelta(days=120),
                    outcome=EsReviewOutcome.FINDINGS if n == 0 else EsReviewOutcome.COMPLIANT,
                    findings=(
                        "Resettlement compensation behind the RAP schedule; grievance log "
                        "shows 14 open cases. Otherwise in line with the ESAP."
                        if n == 0
                        else "Construction in line with the ESIA and the ESAP; no material "
                        "findings."
                    ),
                    next_review_date=today + timedelta(days=245),
                )
            )
            result.reviews += 1
    return result
