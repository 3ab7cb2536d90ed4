from collections.abc import Callable

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .client_address import client_address
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


class ClientAddressAuditlogMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, recording the client address the way logins count it.

    auditlog itself records the left-most X-Forwarded-For from any peer: a client could name
    any address for its changes, and one that is not an address failed the write on PostgreSQL.
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return client_address(request)
