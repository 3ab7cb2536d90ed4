"""Celery tasks of the accounts app: thin wrappers that load by id and call a service.

Recomputing scores is idempotent: a task that runs twice, or is redelivered after a worker
died, finds the tier already applied and writes no second history row.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils import timezone

from . import tiering_services
from .choices import RecomputeTrigger

logger = logging.getLogger(__name__)

_RETRY: dict[str, Any] = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_kwargs": {"max_retries": 5},
}


@shared_task(name="accounts.tiering.recompute_account", **_RETRY)
def tiering_recompute_account(account_id: int) -> dict[str, int]:
    """Rescore one account after one of its inputs changed."""
    result = tiering_services.tiering_recompute_account(account_id=account_id)
    return {"accounts": result.accounts, "tier_changes": result.tier_changes}


@shared_task(name="accounts.tiering.recompute_all", **_RETRY)
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


@shared_task(name="accounts.tiering.recompute_chunk", **_RETRY)
def tiering_recompute_chunk(chunk_id: int) -> dict[str, int]:
    result = tiering_services.tiering_chunk_process(chunk_id=chunk_id)
    return {"accounts": result.accounts, "tier_changes": result.tier_changes}


# ---------------------------------------------------------------- queueing from the web


def _send(task: Any, *args: Any, **kwargs: Any) -> None:
    # The web keeps working when the broker is down: the nightly run catches up.
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # kombu raises several kinds of connection errors
        logger.exception(
            "Could not queue %s%r; the nightly recompute will catch up.", task.name, args
        )


def enqueue_account_recompute(account_id: int) -> None:
    """After the current transaction commits, rescore the account (one of its inputs changed)."""
    transaction.on_commit(lambda: _send(tiering_recompute_account, account_id))


def enqueue_recompute_all(*, trigger: str) -> None:
    _send(tiering_recompute_all, trigger)
