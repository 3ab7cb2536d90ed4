from collections.abc import Callable

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
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .client_address import client_address
from .mfa import mfa_enrolment_code_outstanding, mfa_reset_by_admin, mfa_status
from .models import AccessLog, Heartbeat, Notification, Team, User
from .services import user_sessions_end_by_admin

# A change of a user made from their change page's buttons, or from the user list's actions:
# done to the users given, it may answer with a page of its own (None: back to where it came).
UserChange = Callable[[HttpRequest, list[User]], HttpResponse | None]

# The two-step devices (kam.TotpDevice, kam.RecoveryCodeDevice) have no admin pages: nobody can
# make a device for someone else. The one thing the admin does to two-step sign-in is reset a
# user's (UserAdmin below).


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
            issued = mfa_enrolment_code_outstanding(obj)
            if issued is None:
                return str(_("Off"))
            if issued.is_expired():
                return str(_("Off; the enrolment code of the last reset has expired"))
            return str(_("Off; enrolment code valid until %(when)s")) % {
                "when": timezone.localtime(issued.expires_at).strftime("%Y-%m-%d %H:%M")
            }
        return ngettext(
            "On; %(count)d recovery code left",
            "On; %(count)d recovery codes left",
            status.recovery_codes_left,
        ) % {"count": status.recovery_codes_left}

    def get_urls(self) -> list[URLPattern]:
        buttons = {"end-sessions": self._end_sessions, "reset-mfa": self._reset_mfa}
        return [
            *(
                path(
                    f"<id>/{slug}/",
                    self.admin_site.admin_view(self._user_button_view(change)),
                    name=f"kam_user_{slug.replace('-', '_')}",
                )
                for slug, change in buttons.items()
            ),
            *super().get_urls(),
        ]

    def _user_button_view(self, change: UserChange) -> Callable[[HttpRequest, str], HttpResponse]:
        """A change page's button (a POST) doing ``change`` to that one user, if the
        administrator may change them."""

        def view(request: HttpRequest, id: str) -> HttpResponse:
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            user = self.get_object(request, unquote(id))
            if user is None:
                raise Http404
            if not self.has_change_permission(request, user):
                raise PermissionDenied
            response = change(request, [user])
            if response is not None:
                return response
            return HttpResponseRedirect(
                reverse("admin:kam_user_change", args=[user.pk], current_app=self.admin_site.name)
            )

        return view

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

    def _reset_mfa(self, request: HttpRequest, users: list[User]) -> HttpResponse:
        """Reset the users' two-step sign-in, and show the one-time enrolment codes issued —
        this once, on a page no browser or proxy keeps (never in a message: messages are kept
        in a cookie or the session until shown)."""
        admin_user = request.user
        assert isinstance(admin_user, User)
        address = client_address(request)
        resets = [
            mfa_reset_by_admin(user=user, admin=admin_user, address=address) for user in users
        ]
        response = TemplateResponse(
            request,
            "admin/kam/user/mfa_reset_done.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Two-step sign-in reset"),
                "opts": self.model._meta,
                "codes": [reset.enrolment_code for reset in resets],
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(
        description=_("Reset two-step sign-in of the selected users"), permissions=["change"]
    )
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse:
        return self._reset_mfa(request, list(queryset))


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
