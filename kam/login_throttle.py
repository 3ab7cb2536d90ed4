"""How django-axes counts failed sign-ins (settings: AXES_HANDLER, AXES_USERNAME_CALLABLE)."""

from __future__ import annotations

from typing import Any

from axes.conf import settings  # django.conf.settings with axes' defaults filled in
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.http import HttpRequest

# The length of django-axes' username columns (varchar(255)).
RECORDED_USERNAME_LENGTH = 255


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username a sign-in tried, cut to what axes can record.

    The sign-in forms refuse a username longer than a user can have before authenticating;
    this keeps any other way to authenticate from failing with a database error (PostgreSQL
    enforces the column's length, SQLite does not).
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    return username[:RECORDED_USERNAME_LENGTH] if isinstance(username, str) else username


class LoginAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler, except that a sign-in clears its own username's failures.

    axes would clear every failure matching any lockout parameter, the address's included, so
    an attacker who holds one working login could sign in between tries to start the address's
    count again.
    """

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted
