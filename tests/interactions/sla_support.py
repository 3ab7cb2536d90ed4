"""Helpers of the service-request tests (issue 5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from accounts.models import Account
from interactions.business_time import SHANGHAI
from interactions.models import Channel, ServiceRequest, SlaPolicy
from interactions.services.service import service_request_open
from kam.models import User


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    """An instant in Asia/Shanghai."""
    return dt.datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def set_policy(
    tier: str,
    priority: str,
    response: float,
    resolution: float,
    *,
    escalate: bool | None = None,
    requires_response: bool = True,
) -> SlaPolicy:
    """Pin a policy's terms so a test does not depend on the shipped defaults."""
    values: dict[str, Any] = {
        "first_response_hours": Decimal(str(response)),
        "resolution_hours": Decimal(str(resolution)),
        "business_day_start": dt.time(9),
        "business_day_end": dt.time(18),
        "requires_response": requires_response,
    }
    if escalate is not None:
        values["escalate_to_lead"] = escalate
    policy, _created = SlaPolicy.objects.update_or_create(
        tier=tier, priority=priority, defaults=values
    )
    return policy


def channel(code: str = "phone") -> Channel:
    return Channel.objects.get(code=code)


def open_request(
    account: Account,
    *,
    by: User | None = None,
    priority: str = "high",
    opened_at: dt.datetime | None = None,
    subject: str = "Drawdown schedule question",
    **kwargs: Any,
) -> ServiceRequest:
    return service_request_open(
        account=account,
        channel=channel(),
        priority=priority,
        subject=subject,
        opened_by=by or account.owner,
        opened_at=opened_at,
        **kwargs,
    )
