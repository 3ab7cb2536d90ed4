from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from kam.models import User

from . import watchlist_admin  # noqa: F401  (registers the watch list)
from .choices import ACTIVE_STATES, CovenantLevelKind, CovenantSource
from .forms import RiskRuleForm
from .models import (
    Alert,
    AlertEscalation,
    AlertEvent,
    CovenantLevel,
    CovenantMetric,
    CovenantTest,
    CovenantWaiver,
    EsgEvent,
    MitigationAction,
    ProjectCovenant,
    RatingChange,
    RiskRule,
    ScanError,
    ScanRun,
)
from .rules import registry
from .services import covenant_test_levels_apply


def _set_enabled(queryset: QuerySet[RiskRule], enabled: bool) -> int:
    """Switch rules on or off one save at a time, so that each is in the change log."""
    count = 0
    with transaction.atomic():
        for rule in queryset.exclude(enabled=enabled):
            rule.enabled = enabled
            rule.save(update_fields=["enabled", "updated_at"])
            count += 1
    return count


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    """Parameters are checked against the rule type's schema: a wrong type or a value out of
    range is refused with a message naming the parameter and what it expects."""

    form = RiskRuleForm
    list_display = ("name", "rule_type", "enabled", "severity", "tiers_display", "updated_at")
    list_filter = ("enabled", "rule_type", "severity")
    search_fields = ("name", "description")
    readonly_fields = ("parameter_reference", "updated_at", "updated_by")
    fields = (
        "name",
        "rule_type",
        "description",
        "enabled",
        "severity",
        "tiers",
        "parameters",
        "parameter_reference",
        "updated_at",
        "updated_by",
    )
    actions = ["enable", "disable"]

    @admin.display(description=_("tiers"))
    def tiers_display(self, obj: RiskRule) -> str:
        return ", ".join(obj.tier_labels) or str(_("all"))

    @admin.display(description=_("parameter reference"))
    def parameter_reference(self, obj: RiskRule | None) -> SafeString:
        codes = [obj.rule_type] if obj and obj.pk else None
        return render_to_string(
            "risk/_rule_reference.html", {"reference": registry.parameter_reference(codes)}
        )

    def save_model(self, request: HttpRequest, obj: RiskRule, form: Any, change: bool) -> None:
        assert isinstance(request.user, User)  # the admin is signed-in staff only
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Enable the selected rules"))
    def enable(self, request: HttpRequest, queryset: QuerySet[RiskRule]) -> None:
        waiting = [r.name for r in queryset if r.type is None or not r.type.available()]
        if waiting:
            self.message_user(
                request,
                _("Not enabled (their rule type waits for another part): %(names)s")
                % {"names": ", ".join(waiting)},
                messages.WARNING,
            )
        count = _set_enabled(queryset.exclude(name__in=waiting), True)
        self.message_user(request, _("%(n)d rules enabled.") % {"n": count})

    @admin.action(description=_("Disable the selected rules"))
    def disable(self, request: HttpRequest, queryset: QuerySet[RiskRule]) -> None:
        count = _set_enabled(queryset, False)
        self.message_user(request, _("%(n)d rules disabled.") % {"n": count})


@admin.register(CovenantMetric)
class CovenantMetricAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "name_zh",
        "direction",
        "unit",
        "default_threshold",
        "is_active",
    )
    list_editable = ("is_active",)
    search_fields = ("code", "name", "name_zh")


class CovenantLevelInline(admin.TabularInline):
    """The levels of a covenant; an amendment's levels are added by the amendment."""

    model = CovenantLevel
    fk_name = "covenant"
    extra = 0
    fields = ("kind", "threshold", "valid_from", "amendment")
    readonly_fields = ("amendment",)


@admin.register(ProjectCovenant)
class ProjectCovenantAdmin(admin.ModelAdmin):
    list_display = (
        "project",
        "metric",
        "levels_display",
        "basis",
        "frequency",
        "next_test_date",
        "clause",
        "updated_at",
    )
    list_filter = ("metric", "basis", "frequency")
    list_select_related = ("project", "metric")
    search_fields = ("project__name", "project__account__legal_name_en", "clause")
    autocomplete_fields = ("project",)
    date_hierarchy = "next_test_date"
    inlines = [CovenantLevelInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectCovenant]:
        return super().get_queryset(request).prefetch_related("levels")

    @admin.display(description=_("levels in force"))
    def levels_display(self, obj: ProjectCovenant) -> str:
        levels = obj.current_levels
        return " / ".join(
            f"{label} {levels[kind].normalize()}"
            for kind, label in CovenantLevelKind.choices
            if kind in levels
        )


@admin.register(CovenantLevel)
class CovenantLevelAdmin(admin.ModelAdmin):
    list_display = ("covenant", "kind", "threshold", "valid_from", "amendment")
    list_filter = ("kind",)
    list_select_related = ("covenant__project", "covenant__metric", "amendment")
    search_fields = ("covenant__project__name", "covenant__project__account__legal_name_en")
    raw_id_fields = ("covenant", "amendment")


class CovenantTestAdminForm(forms.ModelForm):
    class Meta:
        model = CovenantTest
        fields = ["project", "metric", "period_end", "value", "certificate_received_on", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what the base clean() returns
        project, metric = data.get("project"), data.get("metric")
        if project and metric and data.get("period_end"):
            covenant = (
                ProjectCovenant.objects.filter(project=project, metric=metric)
                .select_related("metric", "project")
                .prefetch_related("levels")
                .first()
            )
            if covenant is None:
                raise forms.ValidationError(
                    _("%(project)s has no %(metric)s covenant; add its threshold first.")
                    % {"project": project, "metric": metric}
                )
            self.instance.period_end = data["period_end"]
            covenant_test_levels_apply(test=self.instance, covenant=covenant)
            if not self.instance.pk:
                self.instance.source = CovenantSource.ADMIN
        return data


@admin.register(CovenantTest)
class CovenantTestAdmin(admin.ModelAdmin):
    form = CovenantTestAdminForm
    list_display = (
        "project",
        "metric",
        "period_end",
        "value",
        "computed_value",
        "value_mismatch",
        "lock_up_threshold",
        "threshold",
        "level_display",
        "certificate_received_on",
        "source",
    )
    list_filter = ("metric", "source", "value_mismatch", "period_end")
    list_select_related = ("project", "metric")
    search_fields = ("project__name", "project__account__legal_name_en")
    autocomplete_fields = ("project",)
    date_hierarchy = "period_end"
    readonly_fields = (
        "lock_up_threshold",
        "threshold",
        "cfads",
        "debt_service",
        "cfads_forecast",
        "discount_rate_pct",
        "debt_outstanding",
        "computed_value",
        "value_mismatch",
        "waivers_display",
    )

    @admin.display(description=_("level passed"))
    def level_display(self, obj: CovenantTest) -> str:
        return obj.level_passed_label or "—"

    @admin.display(description=_("cures and waivers"))
    def waivers_display(self, obj: CovenantTest) -> str:
        if not obj.pk:
            return "—"
        return (
            "; ".join(
                f"{w.get_kind_display()} ({w.get_status_display()}) {w.approved_on:%Y-%m-%d}"
                for w in obj.waivers.order_by("approved_on", "pk")
            )
            or "—"
        )

    def save_model(self, request: HttpRequest, obj: CovenantTest, form: Any, change: bool) -> None:
        assert isinstance(request.user, User)  # the admin is signed-in staff only
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(CovenantWaiver)
class CovenantWaiverAdmin(admin.ModelAdmin):
    """Cures, waivers and amendments are recorded in the portal and decided there by the
    approver they name (an approved amendment adds levels and re-tests the figures from its
    date); here they are read, and their agreement date and reason corrected. What they cover
    and their decision are not edited here: that would relieve a breach nobody approved."""

    list_display = (
        "covenant",
        "kind",
        "status",
        "test",
        "approved_by",
        "approved_on",
        "valid_from",
        "valid_until",
        "effective_from",
    )
    list_filter = ("status", "kind", "approved_on")
    list_select_related = (
        "covenant__project",
        "covenant__metric",
        "test__project",
        "test__metric",
        "approved_by",
    )
    search_fields = ("covenant__project__name", "reason")
    date_hierarchy = "approved_on"
    fields = (
        "covenant",
        "kind",
        "test",
        "valid_from",
        "valid_until",
        "effective_from",
        "proposed_lock_up_threshold",
        "proposed_threshold",
        "approved_by",
        "approved_on",
        "reason",
        "recorded_by",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    readonly_fields = (
        "covenant",
        "kind",
        "test",
        "valid_from",
        "valid_until",
        "effective_from",
        "proposed_lock_up_threshold",
        "proposed_threshold",
        "approved_by",
        "recorded_by",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(EsgEvent)
class EsgEventAdmin(admin.ModelAdmin):
    list_display = ("title", "account", "occurred_on", "category", "severity", "closed_on")
    list_filter = ("category", "severity", "source")
    list_select_related = ("account",)
    search_fields = ("title", "account__legal_name_en", "account__legal_name_zh")
    autocomplete_fields = ("account", "project")
    date_hierarchy = "occurred_on"


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    fields = ("at", "kind", "actor", "from_state", "to_state", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MitigationActionInline(admin.TabularInline):
    model = MitigationAction
    extra = 0
    fields = ("description", "owner", "due_date", "done_at")
    autocomplete_fields = ("owner",)


class EscalationInline(admin.TabularInline):
    model = AlertEscalation
    extra = 0
    fields = ("level", "at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Active")), ("no", _("Closed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Alert]) -> QuerySet[Alert]:
        if self.value() == "yes":
            return queryset.filter(state__in=ACTIVE_STATES)
        if self.value() == "no":
            return queryset.exclude(state__in=ACTIVE_STATES)
        return queryset


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Alerts change state through the portal's lifecycle (which keeps their history); the
    admin shows them and lets an administrator correct owner or description."""

    list_display = (
        "title",
        "account",
        "severity",
        "state",
        "source",
        "opened_at",
        "escalation_level",
    )
    list_filter = (ActiveFilter, "state", "severity", "source", "rule", "escalation_level")
    list_select_related = ("account", "rule")
    search_fields = ("title", "account__legal_name_en", "account__legal_name_zh")
    autocomplete_fields = ("owner",)
    date_hierarchy = "opened_at"
    readonly_fields = (
        "account",
        "rule",
        "source",
        "severity",
        "state",
        "evidence",
        "raised_by",
        "opened_at",
        "evidence_changed_at",
        "ack_deadline",
        "acknowledged_at",
        "acknowledged_by",
        "mitigation_started_at",
        "closed_at",
        "closed_by",
        "closing_note",
        "resolved_automatically",
        "suppressed_until",
        "escalation_level",
        "portal_link",
    )
    inlines = [MitigationActionInline, EscalationInline, AlertEventInline]

    @admin.display(description=_("in the portal"))
    def portal_link(self, obj: Alert) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("Open the alert"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ScanErrorInline(admin.TabularInline):
    model = ScanError
    extra = 0
    fields = ("at", "step", "rule", "error", "traceback")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScanRun)
class ScanRunAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "trigger",
        "status",
        "chunks_done",
        "chunks_total",
        "accounts",
        "raised",
        "resolved",
        "errors",
    )
    list_filter = ("status", "trigger")
    readonly_fields = [f.name for f in ScanRun._meta.fields]
    inlines = [ScanErrorInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RatingChange)
class RatingChangeAdmin(admin.ModelAdmin):
    list_display = ("account", "from_rating", "to_rating", "observed_at")
    list_select_related = ("account",)
    search_fields = ("account__legal_name_en", "account__legal_name_zh")
    readonly_fields = ("account", "from_rating", "to_rating", "observed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
