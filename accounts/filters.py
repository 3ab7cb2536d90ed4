from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.models import User
from kam.roles import Role

from .choices import AccountStatus, Industry, Region, Tier
from .models import Account


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
    o = django_filters.OrderingFilter(
        label=_("sort"),
        fields=(
            ("legal_name_en", "name"),
            ("tier", "tier"),
            ("status", "status"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "legal_name_en": _("Name"),
            "tier": _("Tier"),
            "status": _("Status"),
            "updated_at": _("Last changed"),
        },
    )

    class Meta:
        model = Account
        fields = ["q", "tier", "status", "industry", "region", "owner"]

    def search(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(legal_name_en__icontains=value)
            | Q(legal_name_zh__icontains=value)
            | Q(uscc=value.upper())
        )
