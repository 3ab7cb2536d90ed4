"""Reads of the E&S app. A project is reached through its lead account by the one door
(``accounts.selectors.account_get_for_user``): 404 when the account is not in the user's
book, 403 when they may see it but not hold the right asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.http import Http404

from accounts.choices import PartyRole
from accounts.models import Account, Project
from accounts.rights import Right
from accounts.selectors import (
    account_filter_for_user,
    account_get_for_user,
    project_get_for_account,
)
from kam.models import User

from .choices import OPEN_ITEM_STATUSES
from .models import Esap, EsapItem, EsReview
from .requirements import Gap, es_gaps, requirements_for

# What the pages show of an item's owner and a review's reviewer.
_USER_FIELDS = ("owner_user__username", "owner_user__first_name", "owner_user__last_name")


def project_get_for_user(*, user: User, pk: int | str, right: Right | None = None) -> Project:
    """A project, through the one door on its lead account (``project.account``)."""
    try:
        account_id = Project.objects.filter(pk=pk).values_list("account_id", flat=True).get()
    except (Project.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such project.") from exc
    account = account_get_for_user(user=user, pk=account_id, right=right)
    project = project_get_for_account(account=account, pk=pk)
    project.account = account
    return project


@dataclass(frozen=True)
class EsSection:
    """What a project's E&S page shows."""

    project: Project
    esap: Esap | None
    items: list[EsapItem]
    reviews: list[EsReview]
    requirements: tuple[str, ...]
    gaps: list[Gap]
    today: date

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.items if item.days_overdue(self.today))

    @property
    def open_count(self) -> int:
        return sum(1 for item in self.items if item.is_open)


def es_section(*, project: Project, today: date) -> EsSection:
    """The project's ESAP, its items and reviews, what its category requires and what is
    missing: a fixed number of queries whatever the number of items."""
    esap = Esap.objects.filter(project=project).first()
    items = list(
        EsapItem.objects.filter(project=project)
        .select_related("owner_user")
        .only(
            "project_id",
            "action",
            "standard",
            "reference",
            "owner_contact",
            "due_date",
            "status",
            "completed_on",
            "evidence",
            "owner_user_id",
            *_USER_FIELDS,
        )
        .order_by("due_date", "pk")
    )
    reviews = list(
        EsReview.objects.filter(project=project)
        .select_related("reviewer_account")
        .only(
            "project_id",
            "reviewer_account_id",
            "reviewer_account__legal_name_en",
            "reviewer_account__legal_name_zh",
            "reviewer_name",
            "review_date",
            "outcome",
            "findings",
            "next_review_date",
        )
        .order_by("-review_date", "-pk")
    )
    category = project.equator_category
    return EsSection(
        project=project,
        esap=esap,
        items=items,
        reviews=reviews,
        requirements=tuple(str(r.label) for r in requirements_for(category)),
        gaps=es_gaps(category=category, item_count=len(items), reviews=reviews, today=today),
        today=today,
    )


def esap_items_due_for_user(
    *, user: User, today: date, within_days: int = 30
) -> QuerySet[EsapItem]:
    """Items still to do that are overdue or due within ``within_days``, on the projects of
    the accounts in ``user``'s book (the one door), soonest first."""
    return (
        EsapItem.objects.filter(
            account_filter_for_user(user=user, field="project__account"),
            status__in=OPEN_ITEM_STATUSES,
            due_date__lte=today + timedelta(days=within_days),
        )
        .select_related("project", "project__account", "owner_user")
        .only(
            "action",
            "standard",
            "due_date",
            "status",
            "owner_contact",
            "owner_user_id",
            *_USER_FIELDS,
            "project__name",
            "project__equator_category",
            "project__account_id",
            "project__account__legal_name_en",
            "project__account__legal_name_zh",
        )
        .order_by("due_date", "pk")
    )


def independent_engineers(*, project: Project) -> QuerySet[Account]:
    """The accounts that are ``project``'s independent engineer: who may sign its review."""
    return Account.objects.filter(
        project_parties__project=project,
        project_parties__role=PartyRole.INDEPENDENT_ENGINEER,
    ).distinct()
