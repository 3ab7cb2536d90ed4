"""Quarterly review reminders: a daily dispatcher splits the accounts due a reminder into
chunks; each chunk task claims and sends its reminders and is safe to run again (issue 4)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from celery import shared_task
from django.db import transaction

from kam.quarters import Quarter, today

from ..selectors.reviews import reminder_targets, review_tiers
from ..services.reviews import reminder_plan, review_reminders_process

CHUNK_SIZE = 500


def _day(on: str | None) -> dt.date:
    return dt.date.fromisoformat(on) if on else today()


@shared_task(name="interactions.review_reminders_dispatch", ignore_result=False)
def review_reminders_dispatch(on: str | None = None) -> dict[str, Any]:
    """List, with one query per stage, the accounts due a reminder today and queue them in
    chunks. ``on`` (ISO date) lets a test or the benchmark run the job for a given day."""
    day = _day(on)
    tiers = review_tiers()
    planned: dict[str, Any] = {"on": day.isoformat(), "stages": [], "accounts": 0, "chunks": 0}
    for quarter, stage in reminder_plan(day):
        ids = reminder_targets(quarter=quarter, stage=stage, tiers=tiers)
        chunks = [ids[i : i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]
        for chunk in chunks:
            transaction.on_commit(partial(_queue_chunk, quarter, stage, chunk, day))
        planned["stages"].append(
            {"quarter": quarter.slug, "stage": str(stage), "accounts": len(ids)}
        )
        planned["accounts"] += len(ids)
        planned["chunks"] += len(chunks)
    return planned


@shared_task(
    name="interactions.review_reminders_chunk",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def review_reminders_chunk(
    year: int, quarter: int, stage: str, account_ids: list[int], on: str | None = None
) -> int:
    """Claim and send one chunk's reminders; a retry sends only what is still unsent."""
    return review_reminders_process(
        quarter=Quarter(year, quarter), stage=stage, account_ids=account_ids, on=_day(on)
    )


def _queue_chunk(quarter: Quarter, stage: str, chunk: list[int], day: dt.date) -> None:
    review_reminders_chunk.delay(quarter.year, quarter.quarter, str(stage), chunk, day.isoformat())
