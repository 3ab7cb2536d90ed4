"""The service-request volume generator builds a consistent book: states, clocks and recorded
breaches agree with what the services and the scan would have done; only the backlog is left
for the first scan."""

from __future__ import annotations

import pytest
import time_machine
from django.db.models import Count, F, Q

from demo.service_volume import generate_service_requests
from interactions.models import ServiceRequest, ServiceRequestEvent, SlaBreach
from interactions.services.service import sla_breach_scan_now
from tests.conftest import Cast
from tests.factories import AccountFactory
from tests.interactions.sla_support import at

pytestmark = pytest.mark.django_db


def test_generated_requests_are_consistent_and_leave_only_the_backlog(cast: Cast) -> None:
    for tier in ("strategic", "key", "core", "standard"):
        AccountFactory.create_batch(3, owner=cast.owner, team=cast.team, tier=tier)
    now = at(2026, 11, 26, 15)  # Thursday afternoon
    with time_machine.travel(now, tick=False):
        result = generate_service_requests(count=400, seed=3, days=60, batch_size=150)
    assert result.requests == ServiceRequest.objects.count() == 400
    states = dict(ServiceRequest.objects.values_list("state").annotate(n=Count("pk")))
    assert {"responded", "waiting_on_client", "resolved", "closed"} <= set(states)
    assert result.open == sum(
        states.get(state, 0) for state in ("new", "responded", "waiting_on_client")
    )
    # Clocks agree with the states.
    assert not ServiceRequest.objects.filter(state="new", responded_at__isnull=False).exists()
    assert not ServiceRequest.objects.filter(
        state__in=["resolved", "closed"], resolved_at__isnull=True
    ).exists()
    assert not ServiceRequest.objects.filter(
        state="waiting_on_client", clock_stopped_at__isnull=True
    ).exists()
    assert (
        not ServiceRequest.objects.filter(state="new")
        .exclude(due_at=F("first_response_due"))
        .exists()
    )
    assert ServiceRequest.objects.filter(satisfaction__isnull=False).exists()
    # Every recorded breach has its flag and one event; breaches really were late.
    assert result.breaches == SlaBreach.objects.count() > 0
    assert (
        SlaBreach.objects.filter(kind="response").count()
        == ServiceRequest.objects.filter(response_breached_at__isnull=False).count()
    )
    assert ServiceRequestEvent.objects.filter(action="breached").count() == result.breaches
    assert not ServiceRequest.objects.filter(
        responded_at__lte=F("first_response_due"), response_breached_at__isnull=False
    ).exists()
    # The scan finds exactly the backlog, once.
    with time_machine.travel(now, tick=False):
        assert sla_breach_scan_now() == result.backlog
        assert sla_breach_scan_now() == 0
    overdue = ServiceRequest.objects.filter(
        Q(responded_at__isnull=True, first_response_due__lt=now, response_breached_at__isnull=True)
        | Q(
            state__in=["new", "responded"],
            resolution_due__lt=now,
            resolution_breached_at__isnull=True,
        )
    )
    assert not overdue.exists()
