from typing import Any, cast

from django import forms
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
    Facility,
    FacilityClassificationChange,
    Project,
    ProjectParty,
    TierPolicy,
)
from .services import (
    borrower_left_by,
    facility_delete,
    facility_save,
    party_delete,
    party_save,
)
from .tiering import admin as tiering_admin  # noqa: F401  (registers tiering and plan models)


class MembershipInline(admin.TabularInline):
    model = AccountMembership
    autocomplete_fields = ("user",)
    extra = 0


class _ReadOnlyInline(admin.TabularInline):
    """Listed on the project; changed on their own admin pages, whose saves and deletes go
    through the services (a borrower stays a party, a classification keeps its history)."""

    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProjectPartyInline(_ReadOnlyInline):
    model = ProjectParty
    fields = ("account", "role", "equity_pct", "note")


class FacilityInline(_ReadOnlyInline):
    model = Facility
    fields = ("name", "borrower", "kind", "currency", "commitment", "drawn", "undrawn")


class FacilityAdminForm(forms.ModelForm):
    classification_reason = forms.CharField(
        label=_("reason for the classification change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Facility
        fields = (
            "project",
            "borrower",
            "name",
            "kind",
            "currency",
            "commitment",
            "drawn",
            "undrawn",
            "facility_size",
            "maturity_date",
            "margin_pct",
            "classification",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new = data.get("classification")
        if self.instance.pk is not None and new is not None:
            old = (
                Facility.objects.filter(pk=self.instance.pk)
                .values_list("classification", flat=True)
                .first()
            )
            if old is not None and int(new) > old and not data.get("classification_reason"):
                self.add_error(
                    "classification_reason",
                    _("Give the reason for the downgrade of the classification."),
                )
        return data


class ClassificationChangeInline(admin.TabularInline):
    model = FacilityClassificationChange
    fields = ("changed_at", "previous", "classification", "changed_by", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProjectInline(admin.TabularInline):
    model = Project
    fields = ("name", "sector", "stage", "currency", "total_cost", "green_category")
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
    # A manager among 500,000 contacts: searched, never listed whole (the model checks that
    # it is a contact of the same account).
    autocomplete_fields = ("account", "reports_to")
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
        "equator_category",
        "green_category",
    )
    list_filter = ("sector", "stage", "region", "currency", "equator_category", "green_category")
    list_select_related = ("account",)
    search_fields = ("name", "account__legal_name_en", "account__legal_name_zh")
    autocomplete_fields = ("account",)
    date_hierarchy = "financial_close_date"
    inlines = [ProjectPartyInline, FacilityInline]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "project",
        "borrower",
        "kind",
        "currency",
        "commitment",
        "drawn",
        "undrawn",
        "exposure",
        "classification",
        "maturity_date",
    )
    list_filter = ("kind", "currency", "classification")
    list_select_related = ("project", "borrower")
    search_fields = ("name", "project__name", "borrower__legal_name_en", "borrower__legal_name_zh")
    autocomplete_fields = ("project", "borrower")
    readonly_fields = ("exposure", "classified_at", "classified_by")
    inlines = [ClassificationChangeInline]
    form = FacilityAdminForm

    def save_model(self, request: HttpRequest, obj: Facility, form: Any, change: bool) -> None:
        # A classification changed in the admin is recorded like one changed in the portal,
        # with the reason typed here (a downgrade without one is refused on the form).
        facility_save(
            facility=obj, by=request.user, reason=form.cleaned_data.get("classification_reason", "")
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a repaid facility (nothing drawn, nothing left to draw) may go.
        if obj is not None and (obj.drawn > 0 or obj.undrawn > 0):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Facility) -> None:
        facility_delete(facility=obj, by=cast(User, request.user))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for facility in queryset:
            facility_delete(facility=facility, by=cast(User, request.user))


@admin.register(ProjectParty)
class ProjectPartyAdmin(admin.ModelAdmin):
    list_display = ("project", "account", "role", "equity_pct")
    list_filter = ("role",)
    list_select_related = ("project", "account")
    search_fields = ("project__name", "account__legal_name_en", "account__legal_name_zh")
    autocomplete_fields = ("project", "account")

    def save_model(self, request: HttpRequest, obj: ProjectParty, form: Any, change: bool) -> None:
        party_save(party=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Not while the account borrows under the project in no other role that can borrow.
        if obj is not None and borrower_left_by(obj, obj.account_id):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: ProjectParty) -> None:
        party_delete(party=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for party in queryset:
            party_delete(party=party)


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
