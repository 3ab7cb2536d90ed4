"""Forms of the privacy pages: recording a request, finding the person, and each way of
answering one (a correction edits the contact through the masked personal-data form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import ContactPersonalDataForm
from kam.forms import DATE_INPUT, CrispyMixin
from kam.quarters import today

from .models import DETAILS_MAX_LENGTH, REPLY_TO_MAX_LENGTH, RequestKind
from .services import WITHDRAW_PROCESSING, WITHDRAW_TRANSFER


class RequestForm(CrispyMixin, forms.Form):
    """What a person asked, when. The person is a contact (chosen before) or named here."""

    kind = forms.ChoiceField(label=_("request"), choices=RequestKind.choices)
    received_on = forms.DateField(label=_("received on"), widget=DATE_INPUT)
    person_name = forms.CharField(
        label=_("person"),
        max_length=200,
        required=False,
        help_text=_("Who asked, when they are not one of our contacts."),
    )
    reply_to = forms.CharField(
        label=_("reply to"),
        max_length=REPLY_TO_MAX_LENGTH,
        required=False,
        help_text=_("How to answer them (an address, a phone number)."),
    )
    details = forms.CharField(
        label=_("what they asked"),
        max_length=DETAILS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, with_contact: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        self.with_contact = with_contact
        self.fields["received_on"].initial = today()
        if with_contact:
            del self.fields["person_name"]

    def clean_received_on(self) -> Any:
        value = self.cleaned_data["received_on"]
        if value > today():
            raise forms.ValidationError(_("A request cannot be received in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.with_contact and not (data.get("person_name") or "").strip():
            self.add_error(
                "person_name",
                _("Name the person, or find them among our contacts and record it there."),
            )
        return data


class ContactSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find the person"),
        max_length=320,
        required=False,
        help_text=_("Part of the name, or the exact phone number or e-mail address."),
    )


class NoteForm(CrispyMixin, forms.Form):
    note = forms.CharField(
        label=_("how it was answered"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()


class RefuseForm(CrispyMixin, forms.Form):
    reason = forms.CharField(
        label=_("reason for refusing"),
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=10,
        max_length=2000,
        help_text=_(
            "The person is told why, e.g. a legal duty to keep the information (the client "
            "records anti-money-laundering law requires)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()


class WithdrawForm(CrispyMixin, forms.Form):
    which = forms.MultipleChoiceField(
        label=_("consent withdrawn"),
        choices=[
            (WITHDRAW_PROCESSING, _("to the processing of their information")),
            (WITHDRAW_TRANSFER, _("to the transfer of their information abroad")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()


class CorrectionForm(CrispyMixin, ContactPersonalDataForm):
    """The contact as the person asked it corrected: the portal's masked personal-data form
    (a stored phone or e-mail is never sent to the browser), without the account."""

    class Meta(ContactPersonalDataForm.Meta):
        fields = [
            name
            for name in ContactPersonalDataForm.Meta.fields
            if name not in ("account", "channel_preferences")
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
