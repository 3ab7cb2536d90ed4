"""SLA breach scan: a dispatcher (beat, every five minutes) lists the requests past due and not
yet recorded — one query per kind on a partial index — and queues them in chunks; each chunk
task records its breaches and notifies, and is safe to run again (issue 5)."""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction

from ..services.service import (
    sla_breach_candidates,
    sla_breaches_record,
    sla_provisional_deadlines_refresh,
)


@shared_task(name="interactions.sla_breach_scan", ignore_result=False)
def sla_breach_scan() -> dict[str, Any]:
    """Queue the chunks of requests whose first-response or resolution clock ran out."""
    chunks = sla_breach_candidates()
    for kind, ids in chunks:
        transaction.on_commit(partial(_queue_chunk, kind, ids))
    return {
        "chunks": len(chunks),
        "requests": sum(len(ids) for _kind, ids in chunks),
    }


@shared_task(
    name="interactions.sla_breach_chunk",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    ignore_result=False,
)
def sla_breach_chunk(kind: str, request_ids: list[int]) -> int:
    """Record one chunk's breaches (once per request and kind); returns how many were new."""
    return sla_breaches_record(kind=kind, request_ids=request_ids)


def _queue_chunk(kind: str, ids: list[int]) -> None:
    sla_breach_chunk.delay(kind, ids)


@shared_task(name="interactions.sla_provisional_deadlines_refresh", ignore_result=False)
def sla_provisional_deadlines_refresh_task() -> dict[str, int]:
    """Daily: deadlines computed while their year's working calendar was unknown are
    recomputed on the calendar as it is now (once an upgraded chinesecalendar knows the year,
    their flag goes), and the breaches they undo are withdrawn. Idempotent."""
    return asdict(sla_provisional_deadlines_refresh())
