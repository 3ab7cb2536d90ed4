from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import User

# A date picker that round-trips the ISO date the browser sends.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CrispyMixin:
    """Crispy forms render the fields; the template supplies <form>, CSRF and buttons."""

    def _setup_helper(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False


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


class LoginForm(AuthenticationForm):
    """Django's sign-in form, refusing a username longer than any user's as a field error.

    Django sets the field's max_length after the field is built, so it only reaches the
    widget's maxlength, and a longer username went on to authenticate().
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        assert isinstance(field, forms.CharField) and field.max_length is not None
        field.validators.append(MaxLengthValidator(field.max_length))


class AdminLoginForm(LoginForm, AdminAuthenticationForm):
    """The admin's sign-in form (staff only), with the same username check."""


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: each field's on that field, the rest
    (``__all__`` or a field the form does not have) above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class MFACodeForm(forms.Form):
    """A two-step code: six digits from an authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args: Any, authenticator_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        if authenticator_only:
            field.help_text = _("The six-digit code your authenticator app shows now.")
            field.widget.attrs["inputmode"] = "numeric"
        else:
            field.help_text = _(
                "The six-digit code your authenticator app shows now, or one of your recovery "
                "codes."
            )


class MFAReauthenticationForm(MFACodeForm):
    """A change of one's two-step sign-in: the password again, and a current code."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["password", "code"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.pop("autofocus", None)


class MFAEnrolmentCodeForm(forms.Form):
    """The one-time enrolment code an administrator gave after resetting two-step sign-in.
    Named ``code`` like the other codes, so that django-axes never records what was typed."""

    code = forms.CharField(
        label=_("Enrolment code"),
        max_length=40,
        help_text=_(
            "The one-time code the administrator who reset your two-step sign-in gave you."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )
