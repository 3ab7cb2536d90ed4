"""Celery tasks of tiering: thin wrappers that load by id and call a service. Registered with
the worker through ``accounts/tasks.py`` (what Celery's autodiscovery imports).

Recomputing scores is idempotent: a task that runs twice, or is redelivered after a worker
died, finds the tier already applied and writes no second history row. The web queues these
tasks by name (``services.enqueue_*``), so this module imports the services and never the
other way round.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from ..choices import RecomputeTrigger
from . import services as tiering_services

_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
}


@shared_task(name=tiering_services.TASK_RECOMPUTE_ACCOUNT, **_RETRY)
def tiering_recompute_account(account_id: int) -> dict[str, int]:
    """Rescore one account after one of its inputs changed."""
    result = tiering_services.tiering_recompute_account(account_id=account_id)
    return {"accounts": result.accounts, "tier_changes": result.tier_changes}


@shared_task(name=tiering_services.TASK_RECOMPUTE_ALL, **_RETRY)
def tiering_recompute_all(trigger: str = RecomputeTrigger.NIGHTLY) -> int | None:
    """Dispatcher: plan a run over every account and queue one task per chunk.

    The nightly run is keyed by date, so beat firing twice, or this task being retried,
    re-queues the unfinished chunks of the same run rather than starting another."""
    key = (
        tiering_services.nightly_key(timezone.localdate())
        if trigger == RecomputeTrigger.NIGHTLY
        else None
    )
    run, chunk_ids = tiering_services.tiering_run_start(trigger=trigger, key=key)
    for chunk_id in chunk_ids:
        tiering_recompute_chunk.delay(chunk_id)
    return run.pk if run else None


@shared_task(name=tiering_services.TASK_RECOMPUTE_CHUNK, **_RETRY)
def tiering_recompute_chunk(chunk_id: int) -> dict[str, int]:
    result = tiering_services.tiering_chunk_process(chunk_id=chunk_id)
    return {"accounts": result.accounts, "tier_changes": result.tier_changes}
