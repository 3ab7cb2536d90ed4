from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User


class AuditFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("user"), queryset=User.objects.order_by("username"), required=False
    )
    account = forms.IntegerField(label=_("account number"), required=False, min_value=1)
    date_from = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=_("show"),
        required=False,
        choices=[("changes", _("Changes")), ("reads", _("Sensitive reads"))],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
