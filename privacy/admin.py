"""Django admin: retention rules are edited here (administrators); data-subject requests are
read here, and handled on their pages in the portal, where every step is in their history.
The admin shows who asked and where to answer them masked, and never what they wrote: the
portal's logged reveal is the only way to read those in full."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kam.masking import mask_value

from .models import DataSubjectRequest, RequestEvent, RetentionRule


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = (
        "legal_basis",
        "clock",
        "retention_days",
        "is_active",
        "required_by_law",
        "note",
    )
    list_editable = ("retention_days", "is_active", "required_by_law")
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


# How the request's personal columns are shown (the admin's display methods below).
_SHOWN_AS = {
    "person_name": "masked_person_name",
    "reply_to": "masked_reply_to",
    "details": "details_held",
}


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "received_on", "due_on", "account", "handled_by")
    list_filter = ("kind", "status")
    list_select_related = ("account", "handled_by")
    date_hierarchy = "received_on"
    inlines = [RequestEventInline]
    # Every column read-only; the person's own words never shown, their name and address masked.
    readonly_fields = tuple(
        _SHOWN_AS.get(field.name, field.name) for field in DataSubjectRequest._meta.fields
    )
    fields = readonly_fields

    @admin.display(description=_("person"))
    def masked_person_name(self, obj: DataSubjectRequest) -> str:
        return mask_value(obj.person_name) or "—"

    @admin.display(description=_("reply to"))
    def masked_reply_to(self, obj: DataSubjectRequest) -> str:
        return obj.masked_reply_to or "—"

    @admin.display(description=_("what they asked"))
    def details_held(self, obj: DataSubjectRequest) -> str:
        if not obj.details:
            return "—"
        return str(_("Encrypted: read it on the request's page in the portal (logged)."))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded in the portal, where the due date and history are kept

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
