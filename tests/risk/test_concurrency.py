"""Two chunk tasks for the same chunk at the same time, on PostgreSQL with real concurrent
transactions (threads, each with its own connection): the same alerts as one run, each raised
and resolved once. And the whole scan through a real Celery worker on Redis."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Account
from kam.models import Notification
from risk.choices import (
    ACTIVE_STATES,
    EsgCategory,
    EsgSeverity,
    EsgSource,
    EventKind,
    ScanStatus,
)
from risk.models import Alert, AlertEvent, EsgEvent, ScanRun
from risk.services import scan_chunk_process, scan_dispatch, scan_request
from tests.conftest import IN_CI, Cast
from tests.factories import AccountFactory

from .support import make_rule


@pytest.fixture
def roles(transactional_db: None) -> None:
    """A transactional test before this one may have flushed the roles the migrations made."""
    from django.contrib.auth.models import Group

    from kam.roles import Role

    for role in Role.values:
        Group.objects.get_or_create(name=role)


def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true but the database is not PostgreSQL.")
        pytest.skip("Concurrent transactions need PostgreSQL (SQLite serialises writers).")


def _esg(account: Account) -> EsgEvent:
    return EsgEvent.objects.create(
        account=account,
        occurred_on=timezone.localdate(),
        category=EsgCategory.SOCIAL,
        severity=EsgSeverity.SEVERE,
        source=EsgSource.MEDIA,
        title="Protest",
    )


def _together(*jobs: Callable[[], object]) -> None:
    """Start ``jobs`` in threads released at the same instant; re-raise their errors."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]


@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_the_same_chunk_at_once_raise_and_resolve_each_alert_once(
    roles: None, cast: Cast
) -> None:
    _needs_postgres()
    esg_rule = make_rule("esg_event", name="ESG")
    other_rule = make_rule("esg_event", name="ESG again", window_days=30)
    accounts = [cast.account, *AccountFactory.create_batch(29, owner=cast.outsider)]
    events = {account.pk: _esg(account) for account in accounts[:20]}

    for round_ in range(4):
        # Each round: some conditions clear, some appear, so that raising, refreshing and
        # resolving all race.
        for account in accounts[round_ * 5 : round_ * 5 + 5]:
            if account.pk in events:
                events.pop(account.pk).delete()
        for account in accounts[20 + round_ * 2 : 22 + round_ * 2]:
            events[account.pk] = _esg(account)

        run = ScanRun.objects.create(trigger="manual")
        scan_dispatch(run_id=run.pk, queue=False)
        chunk = run.chunks.get()
        _together(
            partial(scan_chunk_process, chunk_id=chunk.pk),
            partial(scan_chunk_process, chunk_id=chunk.pk),
        )

        run.refresh_from_db()
        assert run.status == ScanStatus.FINISHED
        assert run.chunks_done == 1
        assert run.errors == 0
        for rule in (esg_rule, other_rule):
            active = Counter(
                Alert.objects.filter(rule=rule, state__in=ACTIVE_STATES).values_list(
                    "account_id", flat=True
                )
            )
            assert set(active) == set(events), round_
            assert set(active.values()) <= {1}

    for kind in (EventKind.RAISED, EventKind.AUTO_RESOLVED):
        per_alert = Counter(AlertEvent.objects.filter(kind=kind).values_list("alert_id", flat=True))
        assert set(per_alert.values()) == {1}
    raised = Alert.objects.count()
    assert AlertEvent.objects.filter(kind=EventKind.RAISED).count() == raised
    assert Notification.objects.filter(key__endswith="-raised").count() == raised


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_requested_scan_from_redis(roles: None, cast: Cast) -> None:
    if not os.environ.get("REDIS_URL"):
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set: the worker test needs Redis.")
        pytest.skip("REDIS_URL not set: the real-worker test runs against Redis.")
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()
    from kam.celery import app

    rule = make_rule("esg_event")
    accounts = [cast.account, *AccountFactory.create_batch(5, owner=cast.outsider)]
    for account in accounts[:3]:
        _esg(account)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        run = scan_request(user=cast.risk)  # queued on commit (autocommit here)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status == ScanStatus.FINISHED:
                break
            time.sleep(0.2)
    assert run.status == ScanStatus.FINISHED, run.status
    assert run.raised == 3
    assert sorted(
        Alert.objects.filter(rule=rule, state__in=ACTIVE_STATES).values_list(
            "account_id", flat=True
        )
    ) == sorted(a.pk for a in accounts[:3])
