from __future__ import annotations

from typing import Any

from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

from kam.fields import PersonalDataField
from kam.forms import DATE_INPUT, CrispyMixin
from kam.masking import mask_email, mask_phone
from kam.models import User
from kam.roles import Role

from .choices import OBLIGOR_ROLES, PARTY_ROLE_OF_ACCOUNT_TYPE, ContactChannel, PartyRole
from .models import Account, Contact, Facility, Project, ProjectParty
from .selectors import account_list_for_user, owner_choices_for_user


class AccountForm(CrispyMixin, forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Account
        fields = [
            "legal_name_zh",
            "legal_name_en",
            "uscc",
            "account_type",
            "industry",
            "region",
            "status",
            "owner",
            "credit_rating",
            "esg_rating",
            # Scoring inputs (tiering); the tier itself is not edited here.
            "relationship_revenue",
            "wallet_size",
            "growth_potential",
            "strategic_fit",
            "relationship_depth",
            "website",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(
        self, *args: Any, user: User, can_change_owner: bool = False, **kwargs: Any
    ) -> None:
        """``can_change_owner``: the user holds ``Right.CHANGE_OWNER`` on the account being
        edited (its team lead, an administrator); without it the form has no owner field and
        a save leaves the owner as it is. A new account's owner is the user or one of the RMs
        they lead."""
        super().__init__(*args, **kwargs)
        if self.instance.pk and not can_change_owner:
            del self.fields["owner"]
        self._setup_helper()
        owner_field = self.fields.get("owner")
        if owner_field is not None:
            assert isinstance(owner_field, forms.ModelChoiceField)
            choices = owner_choices_for_user(user=user)
            if self.instance.pk:  # the present owner stays a choice
                choices = User.objects.filter(
                    Q(pk__in=choices.values("pk")) | Q(pk=self.instance.owner_id)
                ).order_by("username")
            owner_field.queryset = choices
            if not self.instance.pk:
                owner_field.initial = user.pk

    def clean_uscc(self) -> str | None:
        value = uscc.compact(self.cleaned_data.get("uscc") or "").upper()
        # The conditional unique constraint reports a form-wide error; say it on the field.
        if value and Account.objects.filter(uscc=value).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("An account with this Unified Social Credit Code already exists."),
                code="unique",
            )
        return value or None


def _validate_phone(value: str) -> None:
    digits = [c for c in value if c.isdigit()]
    if not (6 <= len(digits) <= 15 and all(c.isdigit() or c in "+-() " for c in value)):
        raise forms.ValidationError(_("Enter a phone number of 6 to 15 digits."), code="invalid")


# The contact's PIPL record (README, "PIPL handling"): the model checks it (Contact.clean).
CONTACT_PIPL_FIELDS = [
    "legal_basis",
    "purpose",
    "notice_given_on",
    "source",
    "consent_given_on",
    "consent_withdrawn_on",
    "cross_border_transfer",
    "cross_border_recipient",
    "cross_border_consent_on",
    "cross_border_withdrawn_on",
]


class ContactPersonalDataForm(forms.ModelForm):
    """A contact with its phone and e-mail as masked "replace" inputs, each new value
    validated, and its PIPL record: the admin's contact form, and the base of the portal's."""

    phone = PersonalDataField(label=_("phone"), mask=mask_phone, validators=[_validate_phone])
    email = PersonalDataField(
        label=_("e-mail"),
        mask=mask_email,
        input_type="email",
        max_length=320,
        validators=[validate_email],
    )

    class Meta:
        model = Contact
        fields = [
            "account",
            "name",
            "title",
            "reports_to",
            "seniority",
            "influence",
            "attitude",
            "channel_preferences",
            "phone",
            "email",
            "is_primary",
            *CONTACT_PIPL_FIELDS,
        ]
        widgets = {
            name: DATE_INPUT
            for name in CONTACT_PIPL_FIELDS
            if name.endswith("_on")  # the dates of notice, consents and withdrawals
        }

    def __init__(self, *args: Any, withdrawal_editable: bool = True, **kwargs: Any) -> None:
        """``withdrawal_editable``: the user may change a withdrawal of consent once recorded,
        and the legal basis or transfer it stopped (compliance; the privacy request flow).
        Without it those fields are shown read-only and a post cannot change them."""
        super().__init__(*args, **kwargs)
        # What we use a person's information for is part of every record (PIPL art. 17).
        self.fields["purpose"].required = True
        if not withdrawal_editable:
            for name in self.instance.compliance_only_fields:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _(
                        "Consent has been withdrawn: only compliance changes this, through a "
                        "privacy request."
                    )


class ContactForm(CrispyMixin, ContactPersonalDataForm):
    channel_preferences = forms.MultipleChoiceField(
        label=_("preferred channels"),
        choices=ContactChannel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta(ContactPersonalDataForm.Meta):
        # The account is the page's, not a choice.
        fields = [name for name in ContactPersonalDataForm.Meta.fields if name != "account"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        """Whoever edits the account's contacts keeps the PIPL record; a withdrawal once
        recorded, and the legal basis or transfer it stopped, stay compliance's."""
        kwargs["withdrawal_editable"] = user.has_role(Role.COMPLIANCE)
        super().__init__(*args, **kwargs)
        # A manager is one of the same account's other contacts (the relationship map draws
        # the reporting lines).
        reports_to = self.fields["reports_to"]
        assert isinstance(reports_to, forms.ModelChoiceField)
        reports_to.queryset = (
            Contact.objects.filter(account_id=self.instance.account_id)
            .exclude(pk=self.instance.pk)
            .only("name", "title")
            .order_by("name", "pk")
        )
        self._setup_helper()
        self.helper.layout = Layout(
            *(name for name in self.fields if name not in CONTACT_PIPL_FIELDS),
            Fieldset(_("Personal information protection (PIPL)"), *CONTACT_PIPL_FIELDS),
        )


class ProjectForm(CrispyMixin, forms.ModelForm):
    """A project's own figures. A new project also says what its lead account is to it (the
    first of its parties); its financing is in its facilities, each added on the project's
    page."""

    lead_role = forms.ChoiceField(
        label=_("role of the account in the project"), choices=PartyRole.choices
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "sector",
            "region",
            "currency",
            "total_cost",
            "stage",
            "financial_close_date",
            "planned_cod",
            "forecast_cod",
            "equator_category",
            "green_category",
        ]
        widgets = {
            "financial_close_date": DATE_INPUT,
            "planned_cod": DATE_INPUT,
            "forecast_cod": DATE_INPUT,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["lead_role"]  # the parties are edited on the project's page
        else:
            account = self.instance.account
            self.fields["lead_role"].initial = PARTY_ROLE_OF_ACCOUNT_TYPE.get(
                account.account_type, PartyRole.SPONSOR
            )
        self._setup_helper()


# A party's account is chosen among the accounts the user sees (the one door); a book larger
# than this is narrowed by a search on the name first, rather than sent as one huge list.
PARTY_ACCOUNT_OPTIONS_MAX = 300


class PartyForm(CrispyMixin, forms.ModelForm):
    """One party of a project: an account the user may see, its role, and a sponsor's equity.

    The options list the accounts of the user's book (or those whose name matches
    ``search``), at most ``PARTY_ACCOUNT_OPTIONS_MAX``; any account of the book is accepted.
    The party's present account stays a choice even when the user does not see it (it shows
    by its name only)."""

    class Meta:
        model = ProjectParty
        fields = ["account", "role", "equity_pct", "note"]

    def __init__(self, *args: Any, user: User, search: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        visible = account_list_for_user(user=user)
        present = self.instance.account_id
        field.queryset = (
            Account.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk=present))
            if present
            else visible
        ).only("legal_name_en", "legal_name_zh")
        options = visible
        if search:
            options = options.filter(
                Q(legal_name_en__icontains=search) | Q(legal_name_zh__icontains=search)
            )
        shown = list(
            options.order_by("legal_name_en", "legal_name_zh", "pk").only(
                "legal_name_en", "legal_name_zh"
            )[: PARTY_ACCOUNT_OPTIONS_MAX + 1]
        )
        self.more_accounts = len(shown) > PARTY_ACCOUNT_OPTIONS_MAX
        shown = shown[:PARTY_ACCOUNT_OPTIONS_MAX]
        # What is chosen (the party's account, or the one just posted) stays among the options.
        chosen = self.data.get(self.add_prefix("account")) if self.is_bound else present
        ids = {account.pk for account in shown}
        if chosen and str(chosen).isdigit() and int(chosen) not in ids:
            extra = field.queryset.filter(pk=int(chosen)).first()
            if extra is not None:
                shown.insert(0, extra)
        field.widget.choices = [("", "---------")] + [
            (account.pk, account.display_name) for account in shown
        ]
        self.fields["equity_pct"].help_text = _("Sponsors only: their share of the equity.")


class FacilityForm(CrispyMixin, forms.ModelForm):
    """A facility of a project. Its borrower is one of the project's parties that can owe (a
    borrower, sponsor or guarantor); a worse classification than before needs a reason, kept
    in the classification history."""

    reason = forms.CharField(
        label=_("reason for the classification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the classification becomes worse; kept in its history."),
    )

    class Meta:
        model = Facility
        fields = [
            "name",
            "kind",
            "borrower",
            "currency",
            "commitment",
            "drawn",
            "undrawn",
            "facility_size",
            "maturity_date",
            "margin_pct",
            "classification",
        ]
        widgets = {"maturity_date": DATE_INPUT}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        facility = self.instance
        self.classification_before: int | None = (
            facility.classification if facility.pk is not None else None
        )
        field = self.fields["borrower"]
        assert isinstance(field, forms.ModelChoiceField)
        can_owe = ProjectParty.objects.filter(
            project_id=facility.project_id, role__in=sorted(OBLIGOR_ROLES)
        ).values("account_id")
        field.queryset = (
            Account.objects.filter(Q(pk__in=can_owe) | Q(pk=facility.borrower_id))
            .only("legal_name_en", "legal_name_zh")
            .order_by("legal_name_en", "legal_name_zh", "pk")
        )
        field.empty_label = _("Not known yet (unattributed)")
        field.help_text = _(
            "A party of the project as borrower, sponsor or guarantor: the obligor the "
            "exposure counts against."
        )
        if facility.pk is None:
            self.fields["currency"].initial = facility.project.currency

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new = data.get("classification")
        before = self.classification_before
        if before is not None and new is not None and int(new) > before and not data.get("reason"):
            self.add_error("reason", _("Give the reason for the downgrade of the classification."))
        return data


class HandoverForm(CrispyMixin, forms.Form):
    """The owner's request to hand an account to another relationship manager."""

    to_owner = forms.ModelChoiceField(label=_("hand over to"), queryset=User.objects.none())
    reason = forms.CharField(
        label=_("reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The team lead reads it before deciding."),
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        field = self.fields["to_owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(is_active=True, groups__name__in=[Role.RM, Role.TEAM_LEAD])
            .exclude(pk=account.owner_id)
            .distinct()
            .order_by("username")
        )
