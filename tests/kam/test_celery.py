"""A real Celery worker runs a task from the configured broker (Redis in CI)."""

from __future__ import annotations

import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from kam.celery import app
from kam.models import Heartbeat
from kam.tasks import heartbeat
from tests.conftest import IN_CI


def test_ci_runs_celery_on_redis() -> None:
    if IN_CI or os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_task_from_the_broker() -> None:
    if not os.environ.get("REDIS_URL"):
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set: the worker test needs Redis.")
        pytest.skip("REDIS_URL not set: the real-worker test runs against Redis.")
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).ping()  # fails loudly if Redis is down
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = heartbeat.delay("test-worker")
        assert result.get(timeout=30) == 1
        assert heartbeat.delay("test-worker").get(timeout=30) == 2
    assert Heartbeat.objects.get(name="test-worker").count == 2
