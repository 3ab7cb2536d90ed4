from __future__ import annotations

from django.contrib import admin

from .models import Esap, EsapItem, EsReview


@admin.register(Esap)
class EsapAdmin(admin.ModelAdmin):
    list_display = ("project", "agreed_on", "updated_at")
    search_fields = ("project__name",)
    raw_id_fields = ("project",)
    list_select_related = ("project",)


@admin.register(EsapItem)
class EsapItemAdmin(admin.ModelAdmin):
    list_display = ("action", "project", "standard", "due_date", "status", "completed_on")
    list_filter = ("status", "standard")
    search_fields = ("action", "reference", "project__name", "owner_contact")
    raw_id_fields = ("project", "owner_user")
    list_select_related = ("project",)
    date_hierarchy = "due_date"


@admin.register(EsReview)
class EsReviewAdmin(admin.ModelAdmin):
    list_display = ("project", "review_date", "outcome", "next_review_date")
    list_filter = ("outcome",)
    search_fields = ("project__name", "reviewer_name", "findings")
    raw_id_fields = ("project", "reviewer_account")
    list_select_related = ("project",)
