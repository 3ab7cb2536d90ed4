from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.models import Team

from .choices import ACTIVE_STATES, AlertState, Severity
from .models import Alert, RiskRule

AGE_CHOICES = [
    ("lt7", _("Less than 7 days")),
    ("7to30", _("7 to 30 days")),
    ("30to90", _("30 to 90 days")),
    ("gt90", _("More than 90 days")),
]
AGE_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    "lt7": (None, 7),
    "7to30": (7, 30),
    "30to90": (30, 90),
    "gt90": (90, None),
}


def alert_age_q(value: str, now: datetime) -> Q:
    """Alerts raised within an age bucket (``AGE_BOUNDS``): the list's filter and the
    dashboards' "open alerts by age" count with this one condition."""
    low, high = AGE_BOUNDS.get(value, (None, None))
    condition = Q()
    if low is not None:
        condition &= Q(opened_at__lte=now - timedelta(days=low))
    if high is not None:
        condition &= Q(opened_at__gt=now - timedelta(days=high))
    return condition


def _rules(request: Any) -> QuerySet[RiskRule]:
    return RiskRule.objects.order_by("name")


def _teams(request: Any) -> QuerySet[Team]:
    return Team.objects.order_by("name")


class AlertFilter(django_filters.FilterSet):
    """The alerts page. With no state chosen, it shows the active alerts."""

    q = django_filters.CharFilter(
        label=_("Account"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("Account name")}),
    )
    state = django_filters.MultipleChoiceFilter(
        label=_("state"), choices=AlertState.choices, widget=forms.CheckboxSelectMultiple
    )
    severity = django_filters.MultipleChoiceFilter(
        label=_("severity"), choices=Severity.choices, widget=forms.CheckboxSelectMultiple
    )
    rule = django_filters.ModelChoiceFilter(label=_("rule"), queryset=_rules)
    team = django_filters.ModelChoiceFilter(
        label=_("team"), queryset=_teams, field_name="account__team"
    )
    age = django_filters.ChoiceFilter(label=_("open for"), choices=AGE_CHOICES, method="by_age")
    overdue = django_filters.BooleanFilter(
        label=_("only past the acknowledgement deadline"),
        method="by_overdue",
        widget=forms.CheckboxInput,
    )
    mine = django_filters.BooleanFilter(
        label=_("only alerts I own"), method="by_owner", widget=forms.CheckboxInput
    )
    o = django_filters.OrderingFilter(
        label=_("sort"),
        fields=(("severity", "severity"), ("opened_at", "opened"), ("ack_deadline", "deadline")),
        field_labels={
            "severity": _("Severity"),
            "opened_at": _("Opened"),
            "ack_deadline": _("Acknowledgement deadline"),
        },
    )

    class Meta:
        model = Alert
        fields = ["q", "state", "severity", "rule", "team", "age", "overdue", "mine"]

    def filter_queryset(self, queryset: QuerySet[Alert]) -> QuerySet[Alert]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.filter(state__in=ACTIVE_STATES)
        return queryset

    def search(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(account__legal_name_en__icontains=value) | Q(account__legal_name_zh__icontains=value)
        )

    def by_age(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        return queryset.filter(alert_age_q(value, timezone.now()))

    def by_overdue(self, queryset: QuerySet[Alert], name: str, value: bool) -> QuerySet[Alert]:
        if value:
            queryset = queryset.filter(state=AlertState.OPEN, ack_deadline__lt=timezone.now())
        return queryset

    def by_owner(self, queryset: QuerySet[Alert], name: str, value: bool) -> QuerySet[Alert]:
        if value and self.request is not None:
            queryset = queryset.filter(account__owner=self.request.user)
        return queryset
