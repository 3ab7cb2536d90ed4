"""Forms of service requests and the service report (issue 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Tier
from accounts.models import Account
from accounts.rights import Right
from accounts.selectors import account_list_for_user
from kam.models import User
from kam.quarters import Quarter

from ..models import Channel
from ..models.service import Priority, RequestState

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A browser ``datetime-local`` input, read in the portal's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(**kwargs)


class ServiceRequestForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.none(),
        help_text=_("How the client reached us."),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="normal")
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    opened_at = LocalDateTimeField(
        label=_("Received"),
        required=False,
        help_text=_("When the client asked; leave empty for now."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts: QuerySet[Account] = account_list_for_user(
            user=user, right=Right.SERVICE
        ).order_by("legal_name_en", "legal_name_zh", "pk")
        account_field, channel_field = self.fields["account"], self.fields["channel"]
        assert isinstance(account_field, forms.ModelChoiceField)
        assert isinstance(channel_field, forms.ModelChoiceField)
        account_field.queryset = accounts
        channel_field.queryset = Channel.objects.filter(is_active=True)

    def clean_opened_at(self) -> dt.datetime | None:
        value: dt.datetime | None = self.cleaned_data.get("opened_at")
        if value is not None and value > timezone.now():
            raise forms.ValidationError(_("A request cannot be opened in the future."))
        return value


class RespondForm(forms.Form):
    responded_at = LocalDateTimeField(
        label=_("Responded at"),
        required=False,
        help_text=_("When the first response was given; leave empty for now."),
    )
    note = forms.CharField(
        label=_("Response"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RequiredNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    resolved_at = LocalDateTimeField(
        label=_("Resolved at"),
        required=False,
        help_text=_("Leave empty for now."),
    )
    note = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))


class SatisfactionForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Client satisfaction"),
        choices=[
            (5, _("5 — very satisfied")),
            (4, _("4 — satisfied")),
            (3, _("3 — neutral")),
            (2, _("2 — dissatisfied")),
            (1, _("1 — very dissatisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none())

    def __init__(self, *args: Any, choices: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee_field = self.fields["assignee"]
        assert isinstance(assignee_field, forms.ModelChoiceField)
        assignee_field.queryset = choices


STATE_FILTERS = (
    ("open", _("Open")),
    ("overdue", _("Overdue")),
    (RequestState.NEW, RequestState.NEW.label),
    (RequestState.RESPONDED, RequestState.RESPONDED.label),
    (RequestState.WAITING, RequestState.WAITING.label),
    (RequestState.RESOLVED, RequestState.RESOLVED.label),
    (RequestState.CLOSED, RequestState.CLOSED.label),
    ("all", _("All")),
)


SLA_FILTERS = (
    ("", _("Any")),
    ("response_met", _("First response in time")),
    ("response_missed", _("First response late")),
    ("resolution_met", _("Resolved in time")),
    ("resolution_missed", _("Resolved late")),
)


class RequestFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=STATE_FILTERS, required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", _("Any"))] + Priority.choices, required=False
    )
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("Any"))] + Tier.choices, required=False
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    account = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Drill-down from the dashboards: requests opened in a quarter, by SLA outcome.
    quarter = forms.CharField(label=_("Opened in quarter"), required=False, max_length=7)
    sla = forms.ChoiceField(label=_("SLA outcome"), choices=SLA_FILTERS, required=False)

    def clean_quarter(self) -> Quarter | None:
        value = self.cleaned_data.get("quarter") or ""
        if not value:
            return None
        quarter = Quarter.parse(value)
        if quarter is None:
            raise forms.ValidationError(_("Give a quarter as 2026Q3."))
        return quarter


PERIODS = (
    ("this_quarter", _("This quarter")),
    ("last_quarter", _("Last quarter")),
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("ytd", _("Year to date")),
    ("last_12_months", _("Last 12 months")),
    ("custom", _("Custom dates")),
)
MAX_PERIOD_DAYS = 2 * 366


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of a named period containing or before ``today``."""
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if period == "last_quarter":
        end = _quarter_start(today) - dt.timedelta(days=1)
        return _quarter_start(end), end
    if period == "ytd":
        return dt.date(today.year, 1, 1), today
    if period == "last_12_months":
        return today - dt.timedelta(days=365), today
    return _quarter_start(today), today


class ReportPeriodForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        period = data.get("period") or "this_quarter"
        if period == "custom":
            start, end = data.get("date_from"), data.get("date_to")
            if start is None or end is None:
                raise forms.ValidationError(_("Choose both dates of a custom period."))
            if end < start:
                raise forms.ValidationError(_("The period cannot end before it starts."))
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError(_("Choose a period of at most two years."))
        else:
            start, end = period_bounds(period, today)
        data["period"], data["start"], data["end"] = period, start, end
        return data
