"""Celery tasks of the dashboards: thin — a dispatcher that lists the work, idempotent chunk
tasks that call the snapshot service (imported by kam.tasks so the worker registers them)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from kam.quarters import Quarter

from .snapshots import snapshot_chunks, snapshot_compute, snapshot_quarters_due


@shared_task(name="dashboard.snapshots_dispatch", ignore_result=True)
def snapshots_dispatch() -> int:
    """Queue one chunk task per (due quarter, range of account ids); returns how many."""
    queued = 0
    chunks = snapshot_chunks()
    for quarter in snapshot_quarters_due():
        for first_pk, last_pk in chunks:
            snapshot_chunk.delay(quarter.slug, first_pk, last_pk)
            queued += 1
    return queued


@shared_task(
    name="dashboard.snapshot_chunk",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def snapshot_chunk(quarter_slug: str, first_pk: int, last_pk: int) -> int:
    """Compute one chunk; an upsert, so a retry or a duplicate delivery rewrites the same rows."""
    quarter = Quarter.parse(quarter_slug)
    if quarter is None:
        return 0
    return snapshot_compute(quarter=quarter, first_pk=first_pk, last_pk=last_pk)
