"""Forms of the tiering pages: proposing a manual tier, deciding and ending overrides."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import Tier
from .services import OVERRIDE_REASON_MIN_LENGTH


class _Crispy(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class OverrideProposeForm(_Crispy):
    requested_tier = forms.ChoiceField(label=_("Requested tier"), choices=Tier.choices)
    reason = forms.CharField(
        label=_("Reason"),
        min_length=OVERRIDE_REASON_MIN_LENGTH,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Why the model's tier is wrong for this client: the approver reads this, and it "
            "stays in the tier history."
        ),
    )

    def __init__(self, *args: Any, current_tier: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_tier = current_tier
        field = self.fields["requested_tier"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(v, label) for v, label in Tier.choices if v != current_tier]

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()


class OverrideNoteForm(_Crispy):
    """The note of an approval (optional) or of a rejection or revocation (required)."""

    note = forms.CharField(
        label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
