from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .client_address import client_address
from .mfa import mfa_reset_by_admin, mfa_status
from .models import AccessLog, Heartbeat, Notification, Team, User
from .services import user_sessions_end_by_admin

# django-otp's own device pages would let an administrator make a device for someone else, with
# a key of their choosing; the one thing the admin does to two-step sign-in is reset a user's
# (UserAdmin below). Their apps come before kam in INSTALLED_APPS, so they are registered by now.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "get_full_name",
        "email",
        "team",
        "roles",
        "is_active",
        "last_login",
    )
    list_filter = ("groups", "team", "is_active", "is_staff", "language")
    list_select_related = ("team",)
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("team",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Portal"), {"fields": ("team", "language", "two_step_sign_in")}),
    )
    readonly_fields = ("two_step_sign_in",)
    actions = ["end_sessions", "reset_mfa"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    @admin.display(description=_("two-step sign-in"))
    def two_step_sign_in(self, obj: User) -> str:
        if obj.pk is None:
            return "—"
        status = mfa_status(obj)
        if status.authenticator is None:
            return str(_("Off"))
        return ngettext(
            "On; %(count)d recovery code left",
            "On; %(count)d recovery codes left",
            status.recovery_codes_left,
        ) % {"count": status.recovery_codes_left}

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<id>/end-sessions/",
                self.admin_site.admin_view(self.end_sessions_view),
                name="kam_user_end_sessions",
            ),
            path(
                "<id>/reset-mfa/",
                self.admin_site.admin_view(self.reset_mfa_view),
                name="kam_user_reset_mfa",
            ),
            *super().get_urls(),
        ]

    def _end_sessions(self, request: HttpRequest, users: list[User]) -> None:
        admin_user = request.user
        assert isinstance(admin_user, User)
        address = client_address(request)
        ended = sum(
            user_sessions_end_by_admin(user=user, admin=admin_user, address=address)
            for user in users
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d session of %(users)s has ended.",
                "%(count)d sessions of %(users)s have ended.",
                ended,
            )
            % {"count": ended, "users": ", ".join(user.username for user in users)},
        )

    @admin.action(description=_("End all sessions of the selected users"), permissions=["change"])
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._end_sessions(request, list(queryset))

    def end_sessions_view(self, request: HttpRequest, id: str) -> HttpResponse:
        """The change page's "End all sessions" button (a POST)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        self._end_sessions(request, [user])
        return HttpResponseRedirect(
            reverse("admin:kam_user_change", args=[user.pk], current_app=self.admin_site.name)
        )

    def _reset_mfa(self, request: HttpRequest, users: list[User]) -> None:
        admin_user = request.user
        assert isinstance(admin_user, User)
        address = client_address(request)
        for user in users:
            mfa_reset_by_admin(user=user, admin=admin_user, address=address)
        self.message_user(
            request,
            _(
                "Two-step sign-in of %(users)s is reset and their sessions have ended; they set "
                "it up again at their next sign-in if their role requires it."
            )
            % {"users": ", ".join(user.username for user in users)},
        )

    @admin.action(
        description=_("Reset two-step sign-in of the selected users"), permissions=["change"]
    )
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._reset_mfa(request, list(queryset))

    def reset_mfa_view(self, request: HttpRequest, id: str) -> HttpResponse:
        """The change page's "Reset two-step sign-in" button (a POST)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        self._reset_mfa(request, [user])
        return HttpResponseRedirect(
            reverse("admin:kam_user_change", args=[user.pk], current_app=self.admin_site.name)
        )


class MemberInline(admin.TabularInline):
    model = User
    fk_name = "team"
    fields = ("username", "first_name", "last_name", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead")
    list_select_related = ("lead",)
    search_fields = ("name", "lead__username")
    autocomplete_fields = ("lead",)
    inlines = [MemberInline]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the log of sensitive reads is evidence and is never edited."""

    list_display = ("at", "user", "action", "object_repr", "field", "account_id", "ip_address")
    list_filter = ("action", "at")
    search_fields = ("user__username", "object_repr")
    date_hierarchy = "at"
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen", "count")
    readonly_fields = ("name", "last_seen", "count")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "level", "title", "read_at", "emailed_at")
    list_filter = ("level", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "title", "key")
    raw_id_fields = ("user",)
