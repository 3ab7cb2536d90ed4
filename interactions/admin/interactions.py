"""Admin for channels, interactions, follow-ups, strategic reviews and reminders (issue 4)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import (
    AccountContactStats,
    AccountSponsor,
    Channel,
    FollowUp,
    Interaction,
    ReviewReminder,
    StrategicReview,
)
from ..services.interactions import contact_stats_refresh


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "name_zh",
        "code",
        "counts_for_cadence",
        "is_video",
        "is_active",
        "sort_order",
    )
    list_editable = ("counts_for_cadence", "is_active", "sort_order")
    list_filter = ("counts_for_cadence", "is_video", "is_active")
    search_fields = ("name", "name_zh", "code")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Channel | None = None
    ) -> tuple[str, ...]:
        # The code is referenced by contact preferences and service requests: fixed once saved.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Channel | None = None) -> bool:
        # Interactions keep their channel (PROTECT); deactivate instead of deleting.
        return False


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    fk_name = "interaction"
    extra = 0
    fields = ("description", "owner", "due_date", "done_at")
    raw_id_fields = ("owner",)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "account", "channel", "subject", "is_confidential", "created_by")
    list_filter = ("channel", "is_confidential", ("occurred_at", admin.DateFieldListFilter))
    search_fields = ("subject", "account__legal_name_en", "account__legal_name_zh")
    date_hierarchy = "occurred_at"
    raw_id_fields = ("account", "created_by", "internal_participants", "contacts")
    list_select_related = ("account", "channel", "created_by")
    inlines = [FollowUpInline]
    show_full_result_count = False
    # Confidential notes are read in the portal by the account team and compliance (logged);
    # the admin never shows them, to anyone, nor decrypts them into a form: a confidential
    # interaction's page here says only that it has notes.
    exclude = ("confidential_summary", "confidential_outcome")

    def get_exclude(self, request: HttpRequest, obj: Interaction | None = None) -> tuple[str, ...]:
        if obj is not None and obj.is_confidential:
            return (*self.exclude, "summary", "outcome")
        return self.exclude

    def get_readonly_fields(
        self, request: HttpRequest, obj: Interaction | None = None
    ) -> tuple[str, ...]:
        if obj is not None and obj.is_confidential:
            # Opening it again would bring its notes here; that is for the account team.
            return ("is_confidential", "notes_kept")
        return ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Interaction]:
        # Never even decrypted here (a save writes only the columns it loaded or set).
        return super().get_queryset(request).defer(*self.exclude)

    @admin.display(description=_("notes"))
    def notes_kept(self, obj: Interaction) -> str:
        return str(
            _(
                "Confidential: encrypted, read in the portal by the account team and "
                "compliance only."
            )
        )

    def save_model(self, request: HttpRequest, obj: Interaction, form: Any, change: bool) -> None:
        if "summary" in form.cleaned_data:  # an open (or new) interaction's form
            # Ticked confidential here, its notes go to the encrypted columns.
            obj.set_notes(summary=obj.summary, outcome=obj.outcome)
        super().save_model(request, obj, form, change)

    # Corrections made here keep the account's contact stats (cadence, risk scan) current.
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        contact_stats_refresh(account_id=form.instance.account_id)

    def delete_model(self, request: HttpRequest, obj: Interaction) -> None:
        account_id = obj.account_id
        super().delete_model(request, obj)
        contact_stats_refresh(account_id=account_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Interaction]) -> None:
        account_ids = set(queryset.values_list("account_id", flat=True))
        super().delete_queryset(request, queryset)
        for account_id in account_ids:
            contact_stats_refresh(account_id=account_id)


@admin.action(description=_("Mark selected actions done"))
def mark_done(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[FollowUp]
) -> None:
    # One save per action, so that each is in the change log.
    now = timezone.now()
    with transaction.atomic():
        for follow_up in queryset.filter(done_at__isnull=True):
            follow_up.done_at = now
            follow_up.save(update_fields=["done_at"])


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("description", "account", "owner", "due_date", "done_at")
    list_filter = (("done_at", admin.EmptyFieldListFilter), "due_date")
    search_fields = ("description", "account__legal_name_en", "owner__username")
    raw_id_fields = ("account", "interaction", "review", "owner")
    list_select_related = ("account", "owner")
    actions = [mark_done]


class ReviewActionInline(admin.TabularInline):
    model = FollowUp
    fk_name = "review"
    extra = 0
    fields = ("description", "owner", "due_date", "done_at")
    raw_id_fields = ("owner",)
    verbose_name = _("action")
    verbose_name_plural = _("actions")


@admin.register(StrategicReview)
class StrategicReviewAdmin(admin.ModelAdmin):
    list_display = ("account", "year", "quarter", "status", "scheduled_at")
    list_filter = ("status", "year", "quarter")
    search_fields = ("account__legal_name_en", "account__legal_name_zh")
    raw_id_fields = ("account", "created_by")
    filter_horizontal = ("executives",)
    readonly_fields = ("year", "quarter")
    list_select_related = ("account",)
    inlines = [ReviewActionInline]


@admin.register(ReviewReminder)
class ReviewReminderAdmin(admin.ModelAdmin):
    list_display = ("account", "year", "quarter", "stage", "claimed_at", "sent_at")
    list_filter = ("stage", "year", "quarter", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("account__legal_name_en", "account__legal_name_zh")
    raw_id_fields = ("account",)
    list_select_related = ("account",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Reminders are claimed by the scheduled job only.
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ReviewReminder | None = None
    ) -> bool:
        return False


@admin.register(AccountSponsor)
class AccountSponsorAdmin(admin.ModelAdmin):
    list_display = ("account", "executive")
    search_fields = ("account__legal_name_en", "account__legal_name_zh", "executive__username")
    raw_id_fields = ("account", "executive")
    list_select_related = ("account", "executive")


@admin.register(AccountContactStats)
class AccountContactStatsAdmin(admin.ModelAdmin):
    list_display = ("account", "last_meaningful_at", "last_interaction_at", "interaction_count")
    raw_id_fields = ("account",)
    list_select_related = ("account",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AccountContactStats | None = None
    ) -> bool:
        return False
