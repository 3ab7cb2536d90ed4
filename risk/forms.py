"""Forms of the risk pages and of the admin. Crispy forms render the fields; templates supply
<form>, CSRF and buttons."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import Tier
from accounts.models import Account, Project
from kam.models import User

from .choices import Severity
from .models import (
    CovenantMetric,
    CovenantTest,
    CovenantWaiver,
    EsgEvent,
    ProjectCovenant,
    RiskRule,
)
from .rules import registry
from .selectors import approver_choices
from .services.covenants import RatioInputs

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _Crispy:
    def _setup_helper(self) -> None:
        self.helper = FormHelper()
        self.helper.form_tag = False


# ---------------------------------------------------------------- rules


class ParametersField(forms.JSONField):
    """A JSON object, shown pretty-printed and refused with a clear message when not JSON."""

    default_error_messages = {
        "invalid": _('Enter the parameters as a JSON object, for example {"days": 30}.'),
    }

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value or {}, indent=2, ensure_ascii=False, sort_keys=True)


class RiskRuleForm(_Crispy, forms.ModelForm):
    """Shared by the admin and the risk officers' rule page: parameters are checked against the
    rule type's schema (types and ranges), with one message per wrong parameter."""

    tiers = forms.MultipleChoiceField(
        label=_("tiers"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None selected: the rule applies to every tier."),
    )
    parameters = ParametersField(
        label=_("parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_("Leave out a parameter to use its default. See the reference below."),
    )

    class Meta:
        model = RiskRule
        fields = ["name", "rule_type", "description", "enabled", "severity", "tiers", "parameters"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        if self.instance.pk:
            # Alerts hang on the rule: changing what it checks would mislabel them.
            self.fields["rule_type"].disabled = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what the base clean() returns
        rule_type = data.get("rule_type") or self.instance.rule_type
        if not rule_type or "parameters" in self.errors:
            return data
        try:
            data["parameters"], data["tiers"] = registry.clean_rule(
                rule_type=rule_type,
                parameters=data.get("parameters"),
                tiers=data.get("tiers") or [],
                enabled=bool(data.get("enabled")),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data

    def _post_clean(self) -> None:
        # The model's clean() repeats the schema check: once wrong is enough to say so.
        if any(field in self.errors for field in ("parameters", "tiers", "enabled")):
            return
        # Django's private hook (full_clean's last step) is missing from django-stubs.
        super()._post_clean()  # type: ignore[misc]


# ---------------------------------------------------------------- alerts


class ManualAlertForm(_Crispy, forms.Form):
    title = forms.CharField(label=pgettext_lazy("heading", "title"), max_length=200)
    description = forms.CharField(
        label=_("what is the concern"), widget=forms.Textarea(attrs={"rows": 4})
    )
    severity = forms.TypedChoiceField(
        label=_("severity"), choices=Severity.choices, coerce=int, initial=Severity.MEDIUM
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()


class NoteForm(_Crispy, forms.Form):
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        self.fields["note"].required = required


class ActionForm(_Crispy, forms.Form):
    description = forms.CharField(label=pgettext_lazy("mitigation", "action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("due"), widget=DATE)

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners

    def clean_due_date(self) -> Any:
        due = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise ValidationError(_("The due date cannot be in the past."))
        return due


class MitigationForm(_Crispy, forms.Form):
    plan = forms.CharField(
        label=_("mitigation plan"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What we will do about it, and how we will know it worked."),
    )
    action = forms.CharField(label=_("first action"), max_length=300, required=False)
    owner = forms.ModelChoiceField(
        label=_("action owner"), queryset=User.objects.none(), required=False
    )
    due_date = forms.DateField(label=_("action due"), widget=DATE, required=False)

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owners

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what the base clean() returns
        if data.get("action"):
            if not data.get("owner"):
                self.add_error("owner", _("Name who owns the action."))
            if not data.get("due_date"):
                self.add_error("due_date", _("Give the action a due date."))
            elif data["due_date"] < timezone.localdate():
                self.add_error("due_date", _("The due date cannot be in the past."))
        return data


QUIET_CHOICES = [
    (0, _("raise it again as soon as the condition holds")),
    (7, _("not for 7 days")),
    (30, _("not for 30 days")),
    (90, _("not for 90 days")),
    (180, _("not for 180 days")),
]


class CloseForm(_Crispy, forms.Form):
    note = forms.CharField(label=_("closing note"), widget=forms.Textarea(attrs={"rows": 3}))
    quiet_days = forms.TypedChoiceField(
        label=_("if the condition still holds"),
        choices=QUIET_CHOICES,
        coerce=int,
        initial=0,
        help_text=_("The scan does not raise this rule again on this account meanwhile."),
    )

    def __init__(self, *args: Any, dismiss: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        if dismiss:
            self.fields["note"].label = _("reason for dismissing")
            self.fields["quiet_days"].initial = 30


# ---------------------------------------------------------------- covenants and ESG


LEVEL_FIELD: dict[str, Any] = {
    "max_digits": 14,
    "decimal_places": 4,
    "min_value": Decimal("0.0001"),
}


class CovenantForm(_Crispy, forms.ModelForm):
    """A covenant and its levels from the start of the loan (later changes: an amendment)."""

    lock_up_threshold = forms.DecimalField(
        label=_("lock-up level"),
        required=False,
        help_text=_("Distributions are blocked (cash swept) past this level. Optional."),
        **LEVEL_FIELD,
    )
    threshold = forms.DecimalField(
        label=_("event-of-default level"),
        help_text=_("Past this level the lenders may accelerate the loan."),
        **LEVEL_FIELD,
    )

    class Meta:
        model = ProjectCovenant
        fields = [
            "project",
            "metric",
            "lock_up_threshold",
            "threshold",
            "basis",
            "frequency",
            "next_test_date",
            "certificate_days",
            "clause",
        ]
        widgets = {"next_test_date": DATE}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        project_field, metric_field = self.fields["project"], self.fields["metric"]
        assert isinstance(project_field, forms.ModelChoiceField)
        assert isinstance(metric_field, forms.ModelChoiceField)
        project_field.queryset = Project.objects.filter(account=account)
        metric_field.queryset = CovenantMetric.objects.filter(is_active=True)

    def validate_unique(self) -> None:
        # Saving an existing (project, metric) corrects it (see covenant_save).
        pass


class CovenantTestForm(_Crispy, forms.ModelForm):
    """A reported figure; for DSCR and LLCR optionally with its inputs, from which the ratio is
    computed and compared with the reported value."""

    cfads_forecast = forms.CharField(
        label=_("CFADS forecast (LLCR)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "CFADS of each remaining period of the loan life, first period first, separated "
            "by “;” or new lines."
        ),
    )

    class Meta:
        model = CovenantTest
        fields = [
            "project",
            "metric",
            "period_end",
            "value",
            "certificate_received_on",
            "cfads",
            "debt_service",
            "cfads_forecast",
            "discount_rate_pct",
            "debt_outstanding",
            "note",
        ]
        widgets = {"period_end": DATE, "certificate_received_on": DATE}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        project_field, metric_field = self.fields["project"], self.fields["metric"]
        assert isinstance(project_field, forms.ModelChoiceField)
        assert isinstance(metric_field, forms.ModelChoiceField)
        project_field.queryset = Project.objects.filter(account=account)
        metric_field.queryset = CovenantMetric.objects.filter(is_active=True)
        self.fields["value"].required = False
        self.fields["value"].help_text = _(
            "As reported for the period; corrections replace the figure of the same period. "
            "Empty: computed from the inputs."
        )
        self.fields["cfads"].label = _("CFADS (DSCR)")
        self.fields["debt_service"].label = _("debt service (DSCR)")
        self.fields["discount_rate_pct"].label = _("discount rate, % a year (LLCR)")
        self.fields["debt_outstanding"].label = _("debt outstanding (LLCR)")

    def clean_cfads_forecast(self) -> list[Decimal]:
        text = self.cleaned_data.get("cfads_forecast") or ""
        parts = [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]
        try:
            numbers = [Decimal(p.replace(",", "")) for p in parts]
        except InvalidOperation:
            raise ValidationError(_("Enter numbers separated by “;”.")) from None
        if len(numbers) > 120 or any(
            not n.is_finite() or abs(n) >= Decimal("1e16") for n in numbers
        ):
            raise ValidationError(_("Enter at most 120 numbers below 10^16."))
        return [n.quantize(Decimal("0.01")) for n in numbers]

    def clean_certificate_received_on(self) -> Any:
        received = self.cleaned_data.get("certificate_received_on")
        if received and received > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return received

    def record_kwargs(self) -> dict[str, Any]:
        """The arguments of ``covenant_test_record``."""
        data = self.cleaned_data
        return {
            "project": data["project"],
            "metric": data["metric"],
            "period_end": data["period_end"],
            "value": data.get("value"),
            "note": data.get("note") or "",
            "certificate_received_on": data.get("certificate_received_on"),
            "inputs": RatioInputs(
                cfads=data.get("cfads"),
                debt_service=data.get("debt_service"),
                cfads_forecast=tuple(data.get("cfads_forecast") or ()),
                discount_rate_pct=data.get("discount_rate_pct"),
                debt_outstanding=data.get("debt_outstanding"),
            ),
        }

    def _post_clean(self) -> None:
        # Levels and direction come from the project's covenant, in the service.
        pass

    def validate_unique(self) -> None:
        pass


class CovenantWaiverForm(_Crispy, forms.ModelForm):
    lock_up_threshold = forms.DecimalField(
        label=_("amended lock-up level"), required=False, **LEVEL_FIELD
    )
    threshold = forms.DecimalField(
        label=_("amended event-of-default level"), required=False, **LEVEL_FIELD
    )

    class Meta:
        model = CovenantWaiver
        fields = [
            "covenant",
            "kind",
            "test",
            "approved_by",
            "approved_on",
            "valid_from",
            "valid_until",
            "effective_from",
            "lock_up_threshold",
            "threshold",
            "reason",
        ]
        widgets = {
            "approved_on": DATE,
            "valid_from": DATE,
            "valid_until": DATE,
            "effective_from": DATE,
            "reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, account: Account, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        covenant_field, test_field = self.fields["covenant"], self.fields["test"]
        approver_field = self.fields["approved_by"]
        assert isinstance(covenant_field, forms.ModelChoiceField)
        assert isinstance(test_field, forms.ModelChoiceField)
        assert isinstance(approver_field, forms.ModelChoiceField)
        covenant_field.queryset = ProjectCovenant.objects.filter(
            project__account=account
        ).select_related("project", "metric")
        test_field.queryset = (
            CovenantTest.objects.filter(account_id=account.pk)
            .select_related("project", "metric")
            .order_by("-period_end", "project__name", "metric__position")
        )
        # The recorder never approves their own record.
        approver_field.queryset = approver_choices(account=account, recorder=user)
        self.fields["approved_on"].initial = timezone.localdate

    def clean_approved_on(self) -> Any:
        approved = self.cleaned_data["approved_on"]
        if approved > timezone.localdate():
            raise ValidationError(_("The approval date cannot be in the future."))
        return approved

    def _post_clean(self) -> None:
        # The service checks the record as a whole (kind, test, levels).
        pass


class CovenantWaiverDecisionForm(_Crispy, forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("decision note"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()


class CovenantImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: project_id, metric, period_end (YYYY-MM-DD), value, and optionally note, "
            "certificate_received_on, the DSCR inputs cfads and debt_service, and the LLCR "
            "inputs cfads_forecast (numbers separated by “;”), discount_rate_pct and "
            "debt_outstanding (value may then be empty: it is computed). UTF-8 or GB18030. "
            "A file with any error is rejected whole."
        ),
    )


class EsgEventForm(_Crispy, forms.ModelForm):
    class Meta:
        model = EsgEvent
        fields = [
            "occurred_on",
            "project",
            "category",
            "severity",
            "source",
            "title",
            "description",
        ]
        widgets = {"occurred_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.ModelChoiceField)
        project_field.queryset = Project.objects.filter(account=account)

    def clean_occurred_on(self) -> Any:
        occurred = self.cleaned_data["occurred_on"]
        if occurred > timezone.localdate():
            raise ValidationError(_("The event cannot be in the future."))
        return occurred


class EsgCloseForm(_Crispy, forms.Form):
    closed_on = forms.DateField(label=_("closed on"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("closing note"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
