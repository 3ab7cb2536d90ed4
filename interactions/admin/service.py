"""Admin for SLA policies, service requests, their history and breaches (issue 5).

Policies are edited here (targets in business hours, the business day, escalation). Requests
change state only through the portal's services, which keep the clocks and the history
right, so their clock fields are read-only here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models.service import ServiceRequest, ServiceRequestEvent, SlaBreach, SlaPolicy
from ..services.service import sla_breach_scan_now


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "tier",
        "priority",
        "first_response_hours",
        "resolution_hours",
        "business_day_start",
        "business_day_end",
        "requires_response",
        "escalate_to_lead",
    )
    list_editable = (
        "first_response_hours",
        "resolution_hours",
        "requires_response",
        "escalate_to_lead",
    )
    list_filter = ("tier", "priority", "escalate_to_lead", "requires_response")
    ordering = ("tier", "priority")

    def has_delete_permission(self, request: HttpRequest, obj: SlaPolicy | None = None) -> bool:
        # Requests keep the policy they were opened under (PROTECT); edit it instead.
        return False


class EventInline(admin.TabularInline):
    model = ServiceRequestEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_state", "to_state", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class BreachInline(admin.TabularInline):
    model = SlaBreach
    extra = 0
    can_delete = False
    fields = ("kind", "due_at", "detected_at", "escalated_to")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = (
        "subject",
        "account",
        "tier",
        "priority",
        "state",
        "due_at",
        "assignee",
        "opened_at",
        "satisfaction",
    )
    list_filter = ("state", "tier", "priority", "channel", ("opened_at", admin.DateFieldListFilter))
    search_fields = ("subject", "account__legal_name_en", "account__legal_name_zh")
    list_select_related = ("account", "assignee")
    raw_id_fields = ("account", "assignee", "opened_by")
    date_hierarchy = "opened_at"
    inlines = (BreachInline, EventInline)
    actions = ("scan_breaches",)
    readonly_fields = (
        "state",
        "policy",
        "tier",
        "team",
        "opened_at",
        "response_target_minutes",
        "resolution_target_minutes",
        "business_day_start",
        "business_day_end",
        "response_required",
        "escalate_to_lead",
        "first_response_due",
        "resolution_due",
        "due_at",
        "responded_at",
        "resolved_at",
        "closed_at",
        "clock_stopped_at",
        "paused_seconds",
        "response_seconds",
        "resolution_seconds",
        "response_breached_at",
        "resolution_breached_at",
        "satisfaction",
        "satisfaction_comment",
        "satisfaction_recorded_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Opening a request computes its deadlines: the portal's form does that.
        return False

    @admin.action(description=_("Run the SLA breach scan now"))
    def scan_breaches(self, request: HttpRequest, queryset: QuerySet[ServiceRequest]) -> None:
        found = sla_breach_scan_now()
        self.message_user(
            request,
            ngettext("%(n)d new breach recorded.", "%(n)d new breaches recorded.", found)
            % {"n": found},
            messages.SUCCESS,
        )


@admin.register(SlaBreach)
class SlaBreachAdmin(admin.ModelAdmin):
    list_display = ("request", "kind", "due_at", "detected_at", "escalated_to")
    list_filter = ("kind", ("detected_at", admin.DateFieldListFilter))
    search_fields = ("request__subject", "request__account__legal_name_en")
    list_select_related = ("request", "escalated_to")
    raw_id_fields = ("request", "escalated_to")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SlaBreach | None = None) -> bool:
        return False
