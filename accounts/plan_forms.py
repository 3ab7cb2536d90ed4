"""Forms of account plans: the plan itself, its wallet lines and service bundle (formsets),
and its actions."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import Q, QuerySet
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from kam.models import User

from .models import Account, AccountPlan, PlanAction, PlanServiceItem, PlanWalletLine

_DATE = {"type": "date"}


class AccountPlanForm(forms.ModelForm):
    class Meta:
        model = AccountPlan
        fields = ["status", "objectives", "strategy", "next_review"]
        widgets = {
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "strategy": forms.Textarea(attrs={"rows": 3}),
            "next_review": forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class _UniqueProductLines(BaseInlineFormSet):
    def validate_unique(self) -> None:
        # Said on the row, in words, by clean() below (the constraint still guards the table).
        return None

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            line = form.cleaned_data.get("product_line")
            if line in seen:
                form.add_error("product_line", _("This product line is listed twice."))
            seen.add(line)


WalletLineFormSet: type[
    BaseInlineFormSet[PlanWalletLine, AccountPlan, forms.ModelForm[PlanWalletLine]]
] = inlineformset_factory(
    AccountPlan,
    PlanWalletLine,
    fields=["product_line", "potential", "current"],
    formset=_UniqueProductLines,
    extra=2,
    can_delete=True,
    max_num=20,
    validate_max=True,
)

ServiceItemFormSet: type[
    BaseInlineFormSet[PlanServiceItem, AccountPlan, forms.ModelForm[PlanServiceItem]]
] = inlineformset_factory(
    AccountPlan,
    PlanServiceItem,
    fields=["product_line", "name", "terms", "status"],
    extra=2,
    can_delete=True,
    max_num=30,
    validate_max=True,
)


def action_owner_choices(account: Account) -> QuerySet[User]:
    """Who can own a plan action: the account team (owner, members) and the team's lead."""
    condition = Q(pk=account.owner_id) | Q(account_memberships__account=account)
    if account.team_id and account.team and account.team.lead_id:
        condition |= Q(pk=account.team.lead_id)
    return User.objects.filter(condition, is_active=True).distinct().order_by("username")


class _OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.short_name


class PlanActionForm(forms.ModelForm):
    class Meta:
        model = PlanAction
        fields = ["title", "owner", "due_date", "notes"]
        field_classes = {"owner": _OwnerChoiceField}
        widgets = {
            "due_date": forms.DateInput(attrs=_DATE, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = action_owner_choices(account)
        if not self.instance.pk:
            owner.initial = account.owner_id
