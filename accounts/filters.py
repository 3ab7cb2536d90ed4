from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.models import User
from kam.roles import Role

from .choices import AccountStatus, Industry, Region, Tier
from .models import Account, TierPolicy


def _owners(request: object) -> QuerySet[User]:
    return (
        User.objects.filter(groups__name__in=[Role.RM, Role.TEAM_LEAD], is_active=True)
        .distinct()
        .order_by("username")
    )


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
