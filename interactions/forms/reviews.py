"""Forms for strategic reviews and executive sponsors (issue 4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.models import User
from kam.roles import Role

from ..models import StrategicReview
from .interactions import (
    DATETIME_INPUT_FORMATS,
    DateTimeLocalInput,
    OwnerChoiceField,
    UserChoiceField,
)


def executives() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, groups__name=Role.EXECUTIVE)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class ReviewForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=StrategicReview.Status.choices)
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"), widget=DateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    video_link = forms.URLField(
        label=_("Video link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Zoom, Microsoft Teams or Tencent Meeting link."),
    )
    executives = UserChoiceField(
        label=_("Attending executives"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Only users with the Executive role attend as executives.")
        },
    )
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    decisions = forms.CharField(
        label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        executives_field = self.fields["executives"]
        assert isinstance(executives_field, forms.ModelChoiceField)
        executives_field.queryset = executives()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        when: dt.datetime | None = data.get("scheduled_at")
        if status == StrategicReview.Status.HELD:
            if "executives" in data and not data["executives"]:
                self.add_error(
                    "executives",
                    _(
                        "A review counts as held only with at least one executive attending; "
                        "add the executives who attended."
                    ),
                )
            if when is not None and when > timezone.now():
                self.add_error(
                    "scheduled_at", _("A review cannot have been held on a date in the future.")
                )
        if status != StrategicReview.Status.CANCELLED and not (
            (data.get("location") or "").strip() or (data.get("video_link") or "").strip()
        ):
            self.add_error("location", _("Give a place or a video link."))
        return data

    @classmethod
    def initial_for(cls, review: StrategicReview) -> dict[str, Any]:
        return {
            "status": review.status,
            "scheduled_at": timezone.localtime(review.scheduled_at),
            "location": review.location,
            "video_link": review.video_link,
            "executives": [u.pk for u in review.executives.all()],
            "agenda": review.agenda,
            "minutes": review.minutes,
            "decisions": review.decisions,
        }


class SponsorForm(forms.Form):
    executive = OwnerChoiceField(
        label=_("Executive sponsor"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— none —"),
        help_text=_("Overdue strategic reviews escalate to the sponsor and the team lead."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        executive_field = self.fields["executive"]
        assert isinstance(executive_field, forms.ModelChoiceField)
        executive_field.queryset = executives()
