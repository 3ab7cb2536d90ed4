"""The watch list in the admin (imported by ``risk.admin``): every entry, open or closed, read
and corrected by administrators; the pages (``risk.watchlist_views``) are where risk officers
and team leads work it, through the services that notify the owner."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import WatchListEntry


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", str(_("On the watch list"))), ("no", str(_("Taken off")))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[WatchListEntry]
    ) -> QuerySet[WatchListEntry]:
        if self.value() == "yes":
            return queryset.filter(exited_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(exited_on__isnull=False)
        return queryset


@admin.register(WatchListEntry)
class WatchListEntryAdmin(admin.ModelAdmin):
    list_display = (
        "account",
        "reason_kind",
        "entered_on",
        "entered_by",
        "next_review_on",
        "exited_on",
    )
    list_filter = (OpenFilter, "reason_kind")
    search_fields = ("account__legal_name_en", "account__legal_name_zh", "reason")
    date_hierarchy = "entered_on"
    autocomplete_fields = ("account",)
    raw_id_fields = ("entered_by", "last_reviewed_by", "exited_by")
    readonly_fields = ("created_at", "updated_at")
    list_select_related = ("account", "entered_by")
