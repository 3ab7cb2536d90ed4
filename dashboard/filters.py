from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.choices import AccountStatus, EquatorCategory, Industry, Region, Sector, Tier
from accounts.models import Account, TierPolicy
from accounts.selectors import account_list_for_user
from kam.models import Team, User
from kam.quarters import Quarter
from kam.roles import Role

from . import conditions

# What an owner option shows (str(user)): a whole row carries the password hash and a dozen
# columns more for each of the options.
_OWNER_LABEL = ("username", "first_name", "last_name")


def _owners(request: HttpRequest | None) -> QuerySet[User]:
    """The owners worth filtering by: every RM for those who read all accounts, otherwise
    the owners of the accounts the user can see (a handful, not the whole bank)."""
    user = getattr(request, "user", None)
    if isinstance(user, User) and not (user.is_portal_admin or user.reads_all_accounts):
        visible = account_list_for_user(user=user).order_by().values("owner_id")
        return User.objects.filter(pk__in=visible).only(*_OWNER_LABEL).order_by("username")
    return (
        User.objects.filter(groups__name__in=[Role.RM, Role.TEAM_LEAD], is_active=True)
        .distinct()
        .only(*_OWNER_LABEL)
        .order_by("username")
    )


def _teams(request: HttpRequest | None) -> QuerySet[Team]:
    return Team.objects.order_by("name")


class AccountFilterForm(forms.Form):
    def clean_quarter(self) -> str:
        value = self.cleaned_data.get("quarter") or ""
        if value and Quarter.parse(value) is None:
            raise forms.ValidationError(_("Give a quarter as 2026Q3."))
        return value


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("Name or credit code")}),
    )
    tier = django_filters.MultipleChoiceFilter(
        label=_("tier"), choices=Tier.choices, widget=forms.CheckboxSelectMultiple
    )
    status = django_filters.ChoiceFilter(label=_("status"), choices=AccountStatus.choices)
    industry = django_filters.ChoiceFilter(label=_("industry"), choices=Industry.choices)
    region = django_filters.ChoiceFilter(label=_("region"), choices=Region.choices)
    owner = django_filters.ModelChoiceFilter(label=_("owner RM"), queryset=_owners)
    # Tiering: the current score (0–100) and the account plan the tier may require.
    score_min = django_filters.NumberFilter(
        label=_("score from"),
        field_name="current_score__score",
        lookup_expr="gte",
        min_value=0,
        max_value=100,
    )
    score_max = django_filters.NumberFilter(
        label=_("score up to"),
        field_name="current_score__score",
        lookup_expr="lte",
        min_value=0,
        max_value=100,
    )
    plan = django_filters.ChoiceFilter(
        label=_("account plan"),
        choices=[("missing", _("Required but missing")), ("present", _("Has a plan"))],
        method="filter_plan",
    )
    # Drill-down from the dashboards (dashboard): each filter counts what its figure counts.
    team = django_filters.ModelChoiceFilter(label=_("team"), queryset=_teams)
    # Project conditions apply together: a project meeting all of them (see filter_queryset);
    # with "borrows", a facility the account borrows under, of a project meeting them.
    sector = django_filters.ChoiceFilter(
        label=_("project sector"), choices=Sector.choices, method="filter_project"
    )
    project_region = django_filters.ChoiceFilter(
        label=_("project region"), choices=Region.choices, method="filter_project"
    )
    green = django_filters.ChoiceFilter(
        label=_("green finance"),
        choices=[("yes", _("Has a green project")), ("no", _("Has a project not green"))],
        method="filter_project",
    )
    borrows = django_filters.ChoiceFilter(
        label=_("exposure"),
        choices=[("yes", _("Borrows under a facility with exposure"))],
        method="filter_project",
    )
    loan_class = django_filters.ChoiceFilter(
        label=_("loan classification of a facility borrowed"),
        choices=conditions.LOAN_CLASS_CHOICES,
        method="filter_project",
    )
    equator = django_filters.ChoiceFilter(
        label=_("Equator Principles category"),
        choices=[(c.value, c.value) for c in EquatorCategory]
        + [(conditions.NO_EQUATOR, _("Not categorised"))],
        method="filter_project",
    )
    has_projects = django_filters.ChoiceFilter(
        label=_("projects"),
        choices=[("yes", _("Has projects"))],
        method="filter_project",
    )
    risk = django_filters.ChoiceFilter(
        label=_("risk level"), choices=conditions.RISK_CHOICES, method="filter_risk"
    )
    cadence = django_filters.ChoiceFilter(
        label=_("contact cadence"), choices=conditions.CADENCE_CHOICES, method="filter_cadence"
    )
    review = django_filters.ChoiceFilter(
        label=_("quarterly review"), choices=conditions.REVIEW_CHOICES, method="filter_review"
    )
    quarter = django_filters.CharFilter(
        label=_("review quarter"),
        method="filter_noop",
        widget=forms.TextInput(attrs={"placeholder": "2026Q3"}),
    )
    o = django_filters.OrderingFilter(
        label=_("sort"),
        fields=(
            ("legal_name_en", "name"),
            ("tier", "tier"),
            ("current_score__score", "score"),
            ("status", "status"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "legal_name_en": _("Name"),
            "tier": _("Tier"),
            "current_score__score": _("Score"),
            "status": _("Status"),
            "updated_at": _("Last changed"),
        },
    )

    class Meta:
        model = Account
        fields = ["q", "tier", "status", "industry", "region", "owner"]
        form = AccountFilterForm

    def filter_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        parts: dict[str, Any] = {
            "sector": data.get("sector") or "",
            "region": data.get("project_region") or "",
            "green": {"yes": True, "no": False}.get(data.get("green") or ""),
            "equator": data.get("equator") or None,
        }
        loan_class = data.get("loan_class") or ""
        if data.get("borrows") or loan_class:
            # The obligors the exposure figures count; the sector is also the dashboard's
            # slice (an account involved in a project of the sector), as the figures apply it.
            queryset = conditions.with_facility(
                queryset, conditions.facility_q(**parts, loan_class=loan_class)
            )
            if parts["sector"]:
                queryset = conditions.with_project(queryset, Q(sector=parts["sector"]))
            return queryset
        condition = conditions.project_q(**parts)
        if condition or data.get("has_projects"):
            queryset = conditions.with_project(queryset, condition)
        return queryset

    def filter_noop(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        return queryset

    filter_project = filter_noop

    def filter_risk(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        return conditions.filter_risk(queryset, value)

    def filter_cadence(
        self, queryset: QuerySet[Account], name: str, value: str
    ) -> QuerySet[Account]:
        return conditions.filter_cadence(queryset, value)

    def filter_review(
        self, queryset: QuerySet[Account], name: str, value: str
    ) -> QuerySet[Account]:
        quarter = Quarter.parse(self.form.cleaned_data.get("quarter")) or Quarter.current()
        return conditions.filter_review(queryset, value, quarter)

    def filter_plan(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        if value == "present":
            return queryset.filter(plan__isnull=False)
        if value == "missing":
            required = TierPolicy.objects.filter(requires_account_plan=True).values("tier")
            return queryset.filter(tier__in=required, plan__isnull=True)
        return queryset

    def search(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(legal_name_en__icontains=value)
            | Q(legal_name_zh__icontains=value)
            | Q(uscc=value.upper())
        )
