from typing import Any

from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, Any]:
    """What the navigation needs to know about the signed-in user's roles."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_reads_audit": user.reads_audit_trail,
        "user_is_portal_admin": user.is_portal_admin or user.is_staff,
    }
