from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import CapitalBase, ClientGroup, ConnectedParty, GroupMembership
from .services import group_members_recompute, membership_ensure_top


class GroupMembershipInline(admin.TabularInline):
    model = GroupMembership
    fk_name = "group"
    fields = ("account", "parent", "ownership_pct")
    autocomplete_fields = ("account", "parent")
    extra = 0


@admin.register(ClientGroup)
class ClientGroupAdmin(admin.ModelAdmin):
    list_display = ("name_en", "name_zh", "parent", "updated_at")
    list_select_related = ("parent",)
    search_fields = ("name_en", "name_zh", "parent__legal_name_en", "parent__legal_name_zh")
    autocomplete_fields = ("parent",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [GroupMembershipInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The group's top is a member too, with no parent: added if the inline left it out.
        membership_ensure_top(group=form.instance)


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    list_display = ("account", "group", "parent", "ownership_pct")
    list_select_related = ("account", "group", "parent")
    search_fields = (
        "account__legal_name_en",
        "account__legal_name_zh",
        "group__name_en",
        "group__name_zh",
    )
    autocomplete_fields = ("group", "account", "parent")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = (
            GroupMembership.objects.filter(pk=obj.pk).values_list("group_id", "account_id").first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        old_group, old_account = before or (None, None)
        group_members_recompute(obj.group_id, old_group, also=old_account)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        group_id, account_id = obj.group_id, obj.account_id
        super().delete_model(request, obj)
        group_members_recompute(group_id, also=account_id)


@admin.register(ConnectedParty)
class ConnectedPartyAdmin(admin.ModelAdmin):
    list_display = ("account", "other", "reason", "note", "updated_at")
    list_filter = ("reason",)
    list_select_related = ("account", "other")
    search_fields = (
        "account__legal_name_en",
        "account__legal_name_zh",
        "other__legal_name_en",
        "other__legal_name_zh",
    )
    autocomplete_fields = ("account", "other")


@admin.register(CapitalBase)
class CapitalBaseAdmin(admin.ModelAdmin):
    list_display = ("as_of", "tier1_net_capital", "net_capital", "note", "updated_at")
    date_hierarchy = "as_of"
    readonly_fields = ("created_at", "updated_at")
