from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from kam.models import User
from kam.roles import Role

from .forms import ContactPersonalDataForm
from .models import (
    Account,
    AccountGroupObjectPermission,
    AccountMembership,
    AccountUserObjectPermission,
    Contact,
    Project,
    TierPolicy,
)
from .tiering import admin as tiering_admin  # noqa: F401  (registers tiering and plan models)


class MembershipInline(admin.TabularInline):
    model = AccountMembership
    autocomplete_fields = ("user",)
    extra = 0


class ProjectInline(admin.TabularInline):
    model = Project
    fields = ("name", "sector", "stage", "currency", "commitment", "outstanding", "is_green")
    show_change_link = True
    extra = 0


@admin.register(Account)
class AccountAdmin(GuardedModelAdmin):
    list_display = (
        "display_name",
        "uscc",
        "tier",
        "status",
        "industry",
        "region",
        "owner",
        "team",
        "credit_rating",
        "esg_rating",
        "updated_at",
    )
    list_filter = ("tier", "status", "account_type", "industry", "region", "team", "esg_rating")
    list_select_related = ("owner", "team")
    search_fields = ("legal_name_en", "legal_name_zh", "uscc")
    autocomplete_fields = ("owner", "team")
    # The tier changes only through scoring and approved overrides (with tier history).
    readonly_fields = ("tier", "created_at", "updated_at")
    inlines = [MembershipInline, ProjectInline]
    actions = ["mark_dormant", "mark_active"]

    @admin.action(description=_("Mark selected accounts dormant"))
    def mark_dormant(self, request, queryset):
        self._set_status(request, queryset, "dormant")

    @admin.action(description=_("Mark selected accounts active"))
    def mark_active(self, request, queryset):
        self._set_status(request, queryset, "active")

    def _set_status(self, request, queryset, status):
        # Saved one by one so each change lands in the audit trail.
        for account in queryset:
            account.status = status
            account.stamp_exit()
            account.save(update_fields=["status", "exited_at", "updated_at"])
        self.message_user(request, _("%(n)d accounts updated.") % {"n": queryset.count()})


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Lists and the change form show personal data masked: the form replaces a value
    without showing it (the portal's logged reveal is the only way to see it in full)."""

    form = ContactPersonalDataForm
    list_display = (
        "name",
        "account",
        "title",
        "seniority",
        "influence",
        "attitude",
        "masked_phone",
        "masked_email",
    )
    list_filter = ("seniority", "influence", "attitude")
    list_select_related = ("account",)
    search_fields = ("name", "title", "account__legal_name_en", "account__legal_name_zh")
    autocomplete_fields = ("account",)
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None) -> list[str]:
        """A withdrawal of consent once recorded, and the legal basis or transfer it stopped,
        are compliance's to change (a privacy request), administrators' included."""
        fields = list(super().get_readonly_fields(request, obj))
        user = request.user
        if obj is not None and not (isinstance(user, User) and user.has_role(Role.COMPLIANCE)):
            fields += obj.compliance_only_fields
        return fields

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Contact) -> str:
        return obj.masked_phone

    @admin.display(description=_("e-mail"))
    def masked_email(self, obj: Contact) -> str:
        return obj.masked_email

    def get_search_results(self, request, queryset, search_term):
        # Exact phone or e-mail matches go through the blind index: the data is encrypted.
        results, distinct = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            by_email = queryset.with_email(term) if "@" in term else queryset.none()
            by_phone = (
                queryset.with_phone(term)
                if sum(c.isdigit() for c in term) >= 6
                else queryset.none()
            )
            results = results | by_email | by_phone
        return results, distinct


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "account",
        "sector",
        "region",
        "stage",
        "currency",
        "total_cost",
        "commitment",
        "outstanding",
        "equator_category",
        "is_green",
    )
    list_filter = ("sector", "stage", "region", "currency", "equator_category", "is_green")
    list_select_related = ("account",)
    search_fields = ("name", "account__legal_name_en", "account__legal_name_zh")
    autocomplete_fields = ("account",)
    date_hierarchy = "financial_close_date"


@admin.register(AccountMembership)
class AccountMembershipAdmin(admin.ModelAdmin):
    list_display = ("account", "user", "role")
    list_filter = ("role",)
    list_select_related = ("account", "user")
    search_fields = ("account__legal_name_en", "account__legal_name_zh", "user__username")
    autocomplete_fields = ("account", "user")


@admin.register(AccountGroupObjectPermission)
class AccountGroupObjectPermissionAdmin(admin.ModelAdmin):
    list_display = ("content_object", "group", "permission")
    list_select_related = ("content_object", "group", "permission")
    list_filter = ("group", "permission")
    autocomplete_fields = ("content_object",)


@admin.register(AccountUserObjectPermission)
class AccountUserObjectPermissionAdmin(admin.ModelAdmin):
    list_display = ("content_object", "user", "permission")
    list_select_related = ("content_object", "user", "permission")
    list_filter = ("permission",)
    autocomplete_fields = ("content_object", "user")


@admin.register(TierPolicy)
class TierPolicyAdmin(admin.ModelAdmin):
    list_display = ("tier", "cadence_days", "requires_quarterly_review", "requires_account_plan")
    list_editable = ("cadence_days", "requires_quarterly_review", "requires_account_plan")
