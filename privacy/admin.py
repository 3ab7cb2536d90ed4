"""Django admin: retention rules are edited here (administrators); data-subject requests are
read here, and handled on their pages in the portal, where every step is in their history."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import DataSubjectRequest, RequestEvent, RetentionRule


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ("legal_basis", "clock", "retention_days", "is_active", "note")
    list_editable = ("retention_days", "is_active")
    readonly_fields = ("updated_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A basis without a rule is kept for ever: deactivate a rule instead (a legal hold).
        return False


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "by", "action", "from_status", "to_status", "note")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "received_on", "due_on", "account", "handled_by")
    list_filter = ("kind", "status")
    list_select_related = ("account", "handled_by")
    date_hierarchy = "received_on"
    inlines = [RequestEventInline]
    readonly_fields = [field.name for field in DataSubjectRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded in the portal, where the due date and history are kept

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
