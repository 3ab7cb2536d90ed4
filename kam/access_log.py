"""Writing the access log (``AccessLog``): one door for every row, so each one carries the client
address as the sign-in lockout counts it (``kam.client_address``: proxy-aware, never a header
the client wrote) and the same shape whichever app records the read.

Rows name records by a pseudonym where a person is concerned ("Contact #12 (Sunrise Power)"):
the log outlives the person's data, which the retention job erases (README, "PIPL handling").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from .client_address import client_address
from .models import AccessLog, User

USER_AGENT_LENGTH = 200


def record_access(
    request: HttpRequest | None,
    action: str,
    *,
    user: User | None,
    object_repr: str,
    account_id: int | None = None,
    field: str = "",
    detail: Mapping[str, Any] | None = None,
    user_agent: bool = False,
) -> AccessLog:
    """Write one access-log row: who, what (``action``, ``object_repr``, ``field``), on which
    account, from which address. ``user_agent`` adds the browser's header (truncated), as
    sign-ins record it. Without a request (a job, a shell) the address is empty."""
    data: dict[str, Any] = {}
    if user_agent and request is not None:
        data["user_agent"] = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH]
    data.update(detail or {})
    return AccessLog.objects.create(
        user=user,
        action=action,
        account_id=account_id,
        object_repr=object_repr[:200],
        field=field,
        ip_address=client_address(request) if request is not None else None,
        detail=data,
    )
