"""The demo service requests: every state, breaches and scores, and idempotent."""

from __future__ import annotations

import pytest
import time_machine
from django.db.models import Count

from demo.service import seed_service_requests
from interactions.models import ServiceRequest, SlaBreach
from tests.conftest import Cast
from tests.factories import AccountFactory
from tests.interactions.sla_support import at

pytestmark = pytest.mark.django_db


def test_demo_requests_cover_every_state_and_load_once(cast: Cast) -> None:
    for tier in ("strategic", "strategic", "key", "core"):
        AccountFactory.create(owner=cast.owner, team=cast.team, tier=tier)
    now = at(2026, 11, 27, 15)
    with time_machine.travel(now, tick=False):
        first = seed_service_requests(now=now)
        again = seed_service_requests(now=now)
    assert first.requests == ServiceRequest.objects.count() == 6 + 6 + 4 + 2 + 1
    assert first.skipped == 0
    assert again.requests == 0 and again.breaches == 0
    states = set(ServiceRequest.objects.values_list("state", flat=True))
    assert states == {"new", "responded", "waiting_on_client", "resolved", "closed"}
    assert SlaBreach.objects.count() == first.breaches > 0
    assert ServiceRequest.objects.filter(satisfaction__isnull=False).exists()
    assert ServiceRequest.objects.filter(paused_seconds__gt=0).exists()
    assert ServiceRequest.objects.filter(events__action="reopened").exists()
    per_account = ServiceRequest.objects.values("account").annotate(n=Count("pk"))
    assert max(row["n"] for row in per_account) == 6
