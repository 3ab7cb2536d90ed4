"""Forms of the risk pages and of the admin. Crispy forms render the fields; templates supply
<form>, CSRF and buttons."""

from __future__ import annotations

import json
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
from .models import CovenantMetric, CovenantTest, EsgEvent, ProjectCovenant, RiskRule
from .rules import registry

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


class CovenantForm(_Crispy, forms.ModelForm):
    class Meta:
        model = ProjectCovenant
        fields = ["project", "metric", "threshold", "clause"]

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        project_field, metric_field = self.fields["project"], self.fields["metric"]
        assert isinstance(project_field, forms.ModelChoiceField)
        assert isinstance(metric_field, forms.ModelChoiceField)
        project_field.queryset = Project.objects.filter(account=account)
        metric_field.queryset = CovenantMetric.objects.filter(is_active=True)

    def validate_unique(self) -> None:
        # Saving an existing (project, metric) amends its threshold (see covenant_save).
        pass


class CovenantTestForm(_Crispy, forms.ModelForm):
    class Meta:
        model = CovenantTest
        fields = ["project", "metric", "period_end", "value", "note"]
        widgets = {"period_end": DATE}

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._setup_helper()
        project_field, metric_field = self.fields["project"], self.fields["metric"]
        assert isinstance(project_field, forms.ModelChoiceField)
        assert isinstance(metric_field, forms.ModelChoiceField)
        project_field.queryset = Project.objects.filter(account=account)
        metric_field.queryset = CovenantMetric.objects.filter(is_active=True)
        self.fields["value"].help_text = _(
            "As reported for the period; corrections replace the figure of the same period."
        )

    def _post_clean(self) -> None:
        # Threshold and direction come from the project's covenant, in the service.
        pass

    def validate_unique(self) -> None:
        pass


class CovenantImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: project_id, metric, period_end (YYYY-MM-DD), value, and optionally note. "
            "UTF-8 or GB18030. A file with any error is rejected whole."
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
