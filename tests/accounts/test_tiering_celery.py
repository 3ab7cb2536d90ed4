"""The chunked recompute through a real Celery worker on Redis, the after-commit rescore of an
edited account, and two concurrent recomputes of one account writing one history row
(threads on PostgreSQL: the row lock is what makes it so)."""

from __future__ import annotations

import os
import threading
import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, connections

from accounts import services
from accounts.models import Account, AccountScore, TierChange, TieringRun
from accounts.tiering import engine
from accounts.tiering.services import tiering_recompute_account
from accounts.tiering.tasks import tiering_recompute_all
from kam.celery import app
from tests.accounts.tiering_helpers import make_model
from tests.conftest import IN_CI
from tests.factories import AccountFactory, ProjectFactory, TeamFactory, UserFactory

BN = Decimal(1_000_000_000)


def _need_redis() -> None:
    if not os.environ.get("REDIS_URL"):
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set: the real-worker test needs Redis.")
        pytest.skip("REDIS_URL not set: the real-worker test runs against Redis.")
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()  # fails loudly if Redis is down


def _wait(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.1)


def _book(n: int) -> list[Account]:
    owner = UserFactory.create(team=TeamFactory.create())
    accounts = AccountFactory.create_batch(n, owner=owner, esg_rating="AAA")
    for i, account in enumerate(accounts):
        outstanding = BN if i % 2 else Decimal(0)  # half Strategic (100), half Core (40)
        ProjectFactory.create(
            account=account,
            total_cost=BN * 3,
            commitment=outstanding,  # fully drawn: the exposure is the outstanding amount
            outstanding=outstanding,
        )
    return accounts


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_chunked_recompute(settings) -> None:
    _need_redis()
    settings.TIERING_CHUNK_SIZE = 5
    make_model()
    accounts = _book(12)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        run_id = tiering_recompute_all.delay("manual").get(timeout=60)
        _wait(lambda: TieringRun.objects.get(pk=run_id).finished_at is not None)
        run = TieringRun.objects.get(pk=run_id)
        assert run.chunk_count == 3
        assert AccountScore.objects.count() == 12
        tiers = dict(Account.objects.values_list("pk", "tier"))
        assert sorted(set(tiers.values())) == ["core", "strategic"]
        assert TierChange.objects.count() == 12  # all started Standard

        # Again: the same scores, no new history.
        again = tiering_recompute_all.delay("manual").get(timeout=60)
        _wait(lambda: TieringRun.objects.get(pk=again).finished_at is not None)
        assert TierChange.objects.count() == 12

        # Editing an input rescores the account through the worker, after the commit.
        account = Account.objects.get(pk=accounts[0].pk)
        services.account_update(account=account, esg_rating="CCC")
        _wait(lambda: AccountScore.objects.get(account=account).score == Decimal("0.00"))
        assert Account.objects.get(pk=account.pk).tier == "standard"
        assert TierChange.objects.count() == 13


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_recomputes_of_one_account_write_one_history_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true: the concurrency test must run on PostgreSQL.")
        pytest.skip("Row locks are tested on PostgreSQL (SQLite serialises writers anyway).")
    make_model()
    account = _book(2)[1]  # Strategic by the model, Standard now

    # Hold each recompute inside its transaction for a moment, after reading the tier, so the
    # two really overlap: without the row lock both would see "standard" and both write history.
    original = engine.account_inputs

    def slow_inputs(*args, **kwargs):
        time.sleep(0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr("accounts.tiering.services.account_inputs", slow_inputs)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def recompute() -> None:
        try:
            barrier.wait(timeout=10)
            tiering_recompute_account(account_id=account.pk)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=recompute) for _ in range(2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert time.monotonic() - started >= 1.0  # the second waited for the first's lock
    assert TierChange.objects.filter(account=account).count() == 1
    assert Account.objects.get(pk=account.pk).tier == "strategic"
