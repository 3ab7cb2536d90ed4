"""The SLA breach scan: one breach per request and kind however often it runs, escalation to
the team lead for the tiers whose policy says so, notifications once per key."""

from __future__ import annotations

import datetime as dt
import os
import time
from unittest import mock

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.db import IntegrityError, transaction

from interactions.models import Channel, ServiceRequest, ServiceRequestEvent, SlaBreach
from interactions.services.service import (
    service_request_respond,
    service_request_wait_on_client,
    sla_breach_candidates,
    sla_breach_scan_now,
    sla_breaches_record,
)
from interactions.tasks.service import sla_breach_chunk, sla_breach_scan
from kam.celery import app
from kam.models import Notification
from tests.conftest import IN_CI, Cast
from tests.factories import AccountFactory, UserFactory
from tests.interactions.sla_support import at, open_request, set_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(cast: Cast) -> dict[str, ServiceRequest]:
    """Four requests opened Monday 23 Nov 2026 09:00, looked at on Tuesday 12:00."""
    set_policy("strategic", "high", 2, 16, escalate=True)
    set_policy("standard", "high", 2, 16, escalate=False)
    strategic = AccountFactory.create(owner=cast.owner, team=cast.team, tier="strategic")
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        requests = {
            # Never responded: first response was due Mon 11:00 (escalates: strategic).
            "silent": open_request(strategic, subject="silent"),
            # Responded in time; resolution due Tue 16:00 — still running on Tuesday noon.
            "in_time": open_request(cast.account, subject="in_time"),
            # Never responded, standard tier: no escalation.
            "standard": open_request(cast.account, subject="standard"),
            # Paused: its clocks do not run.
            "paused": open_request(cast.account, subject="paused"),
        }
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        for name in ("in_time", "paused"):
            requests[name] = service_request_respond(request=requests[name], user=cast.owner)
        requests["paused"] = service_request_wait_on_client(
            request=requests["paused"], user=cast.owner, note="Waiting for the board."
        )
    return requests


def _scan_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return sla_breach_scan_now()


def test_the_scan_twice_records_one_breach_per_request_and_kind(
    cast: Cast, book: dict[str, ServiceRequest]
) -> None:
    assert _scan_at(at(2026, 11, 24, 12)) == 2
    assert _scan_at(at(2026, 11, 24, 12, 5)) == 0
    breaches = set(SlaBreach.objects.values_list("request__subject", "kind"))
    assert breaches == {("silent", "response"), ("standard", "response")}
    # Wednesday: the resolution clocks of the running requests run out too (due Tue 16:00).
    assert _scan_at(at(2026, 11, 25, 12)) == 3
    assert _scan_at(at(2026, 11, 25, 12, 5)) == 0
    breaches = set(SlaBreach.objects.values_list("request__subject", "kind"))
    assert breaches == {
        ("silent", "response"),
        ("standard", "response"),
        ("silent", "resolution"),
        ("standard", "resolution"),
        ("in_time", "resolution"),
    }
    # Nothing for the paused request; one event per breach.
    assert ServiceRequestEvent.objects.filter(action="breached").count() == 5
    assert not SlaBreach.objects.filter(request=book["paused"]).exists()
    silent = ServiceRequest.objects.get(pk=book["silent"].pk)
    assert silent.response_breached_at == at(2026, 11, 24, 12)
    assert silent.resolution_breached_at == at(2026, 11, 25, 12)


def test_breaches_notify_the_assignee_and_escalate_for_the_higher_tiers(
    cast: Cast, book: dict[str, ServiceRequest]
) -> None:
    _scan_at(at(2026, 11, 24, 12))
    _scan_at(at(2026, 11, 24, 12, 5))
    owner_keys = set(Notification.objects.filter(user=cast.owner).values_list("key", flat=True))
    assert owner_keys == {
        f"sla-breach:{book['silent'].pk}:response",
        f"sla-breach:{book['standard'].pk}:response",
    }
    # The strategic tier escalates to the team lead; the standard tier does not.
    lead_keys = set(Notification.objects.filter(user=cast.lead).values_list("key", flat=True))
    assert lead_keys == {f"sla-breach:{book['silent'].pk}:response"}
    breach = SlaBreach.objects.get(request=book["silent"], kind="response")
    assert breach.escalated_to == cast.lead
    assert SlaBreach.objects.get(request=book["standard"]).escalated_to is None
    notification = Notification.objects.get(user=cast.lead)
    assert notification.level == "danger"
    assert notification.url == book["silent"].get_absolute_url()
    assert "silent" in notification.title


def test_breach_notifications_follow_the_users_language(
    cast: Cast, book: dict[str, ServiceRequest]
) -> None:
    cast.lead.language = "zh-hans"
    cast.lead.save(update_fields=["language"])
    _scan_at(at(2026, 11, 24, 12))
    assert "SLA" in Notification.objects.get(user=cast.lead).title
    assert "超时" in Notification.objects.get(user=cast.lead).title


def test_a_late_response_records_its_breach_at_once(cast: Cast) -> None:
    set_policy("standard", "high", 2, 16)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        sr = open_request(cast.account)
    with time_machine.travel(at(2026, 11, 23, 11, 2), tick=False):  # due 11:00, no scan yet
        service_request_respond(request=sr, user=cast.owner)
    assert SlaBreach.objects.filter(request=sr, kind="response").count() == 1
    assert _scan_at(at(2026, 11, 23, 11, 5)) == 0
    assert SlaBreach.objects.filter(request=sr).count() == 1


def test_a_chunk_run_again_after_success_changes_nothing(
    cast: Cast, book: dict[str, ServiceRequest]
) -> None:
    with time_machine.travel(at(2026, 11, 24, 12), tick=False):
        chunks = sla_breach_candidates()
        assert [kind for kind, _ids in chunks] == ["response"]
        kind, ids = chunks[0]
        assert sla_breaches_record(kind=kind, request_ids=ids) == 2
        # A retry of the same chunk (e.g. the worker died before acknowledging it).
        assert sla_breaches_record(kind=kind, request_ids=ids) == 0
    assert SlaBreach.objects.count() == 2
    assert Notification.objects.count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaBreach.objects.create(
            request=book["silent"],
            kind="response",
            due_at=at(2026, 11, 23),
            detected_at=at(2026, 11, 24),
        )


def test_the_dispatcher_queues_chunks_after_commit(
    cast: Cast, book: dict[str, ServiceRequest], django_capture_on_commit_callbacks
) -> None:
    sent: list[tuple[str, list[int]]] = []
    with time_machine.travel(at(2026, 11, 25, 12), tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = sla_breach_scan.run()
        assert result == {"chunks": 2, "requests": 5}
        assert len(callbacks) == 2

        def record(kind: str, ids: list[int]) -> None:
            sent.append((kind, ids))

        with mock.patch.object(sla_breach_chunk, "delay", record):
            for callback in callbacks:
                callback()
        for kind, ids in sent:
            sla_breach_chunk.run(kind, ids)
            sla_breach_chunk.run(kind, ids)
    assert sorted(kind for kind, _ids in sent) == ["resolution", "response"]
    assert SlaBreach.objects.count() == 5


def test_the_polling_query_is_small_and_indexed(
    cast: Cast, book: dict[str, ServiceRequest], django_assert_num_queries
) -> None:
    with time_machine.travel(at(2026, 11, 24, 12), tick=False), django_assert_num_queries(2):
        sla_breach_candidates()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_scan_and_its_chunks_twice_without_duplicates() -> None:
    """The beat job through the broker: the dispatcher queues the chunks after commit, the
    worker records each breach once, and a second run finds nothing new."""
    if not os.environ.get("REDIS_URL"):
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set: the worker test needs Redis.")
        pytest.skip("REDIS_URL not set: the real-worker test runs against Redis.")
    # A transactional test may run after another one has flushed the migrations' rows.
    Channel.objects.get_or_create(code="phone", defaults={"name": "Phone"})
    set_policy("standard", "high", 2, 16)
    owner = UserFactory.create(username="rm.worker")
    account = AccountFactory.create(owner=owner, team=None)
    with time_machine.travel(at(2026, 11, 23, 9), tick=False):
        silent = open_request(account, subject="silent")  # both clocks ran out long ago
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for expected in (2, 0):
            assert sla_breach_scan.delay().get(timeout=30)["requests"] == expected
            deadline = time.monotonic() + 30
            while sla_breach_candidates() and time.monotonic() < deadline:
                time.sleep(0.2)
    kinds = set(SlaBreach.objects.filter(request=silent).values_list("kind", flat=True))
    assert kinds == {"response", "resolution"}
    assert SlaBreach.objects.count() == 2
    assert Notification.objects.filter(user=owner).count() == 2
