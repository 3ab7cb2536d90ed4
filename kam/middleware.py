from collections.abc import Callable
from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .client_address import client_address
from .mfa import mfa_pending_redirect
from .models import User
from .services import user_session_seen


class UserLanguageMiddleware:
    """Activate the language a signed-in user chose; otherwise LocaleMiddleware's choice stands."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


class UserSessionMiddleware:
    """Keep the signed-in session's row current (kam.UserSession: last seen, address, browser),
    creating it for a session from before rows were kept. Written at most every few minutes
    per session (``USER_SESSION_SEEN_SECONDS``): an ordinary request adds no query. Runs before
    the view, so a view that ends the session leaves nothing to write after it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            user_session_seen(request=request, user=user)
        return self.get_response(request)


# Views a session that owes the two-step code may still reach: signing in and out (the portal's
# and the admin's), the code and enrolment pages themselves, the language switch, the health
# check. Static files never get this far (whitenoise answers them first).
MFA_OPEN_VIEWS = frozenset(
    {
        "login",
        "logout",
        "admin:login",
        "admin:logout",
        "mfa:verify",
        "mfa:setup",
        "set_language",
        "healthz",
    }
)


class MFARequiredMiddleware:
    """Send a signed-in session that owes the two-step code (kam.mfa: a role that requires it,
    staff on Django admin, or a user who enrolled) to the code page — or to enrolment when the
    user has no authenticator yet — before any other view runs. Decided per request; a session
    that owes nothing costs no query here beyond the roles every page reads."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name in MFA_OPEN_VIEWS:
            return None
        if not request.user.is_authenticated:
            return None
        return mfa_pending_redirect(request, admin="admin" in match.namespaces)


class ClientAddressAuditlogMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, recording the client address the way logins count it.

    auditlog itself records the left-most X-Forwarded-For from any peer: a client could name
    any address for its changes, and one that is not an address failed the write on PostgreSQL.
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_address(request)
