"""Scheduled PIPL work: the daily retention job (a dispatcher lists the contacts whose retention
has run out and queues them in chunks; each chunk checks again and anonymises, safe to retry;
then the closed requests past their evidence period are erased) and the daily notice of
overdue data-subject requests."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction

from kam.quarters import today

from .selectors import expired_contact_ids, overdue_request_ids, requests_past_evidence_ids
from .services import (
    TRANSIENT_DB_ERRORS,
    requests_erase_past_evidence,
    requests_overdue_notify,
    retention_anonymise,
    retention_run_start,
)


def _day(on: str | None) -> dt.date:
    return dt.date.fromisoformat(on) if on else today()


@shared_task(name="privacy.retention_dispatch", ignore_result=False)
def retention_dispatch(on: str | None = None) -> dict[str, Any]:
    """Queue the contacts whose retention has run out by ``on`` (ISO date; today by default)
    in chunks of ``PRIVACY_RETENTION_CHUNK_SIZE``, and the closed requests whose evidence
    period has run out; the day's ``RetentionRun`` records what they do."""
    day = _day(on)
    ids = expired_contact_ids(on=day)
    size = settings.PRIVACY_RETENTION_CHUNK_SIZE
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    run = retention_run_start(on=day, listed=len(ids), chunks=len(chunks))
    for chunk in chunks:
        transaction.on_commit(partial(_queue_chunk, chunk, day, run.pk))
    requests = requests_past_evidence_ids(on=day)
    if requests:
        transaction.on_commit(partial(requests_erase.delay, requests, run.pk))
    return {
        "on": day.isoformat(),
        "contacts": len(ids),
        "chunks": len(chunks),
        "requests": len(requests),
    }


@shared_task(
    name="privacy.retention_chunk",
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def retention_chunk(
    contact_ids: list[int], on: str | None = None, run_id: int | None = None
) -> int:
    """Anonymise one chunk. A contact that fails is recorded on the run and skipped; only a
    transient database error retries the chunk, which anonymises only what is still left."""
    return retention_anonymise(contact_ids=contact_ids, on=_day(on), run_id=run_id)


def _queue_chunk(chunk: list[int], day: dt.date, run_id: int) -> None:
    retention_chunk.delay(chunk, day.isoformat(), run_id)


@shared_task(
    name="privacy.requests_erase",
    autoretry_for=TRANSIENT_DB_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def requests_erase(request_ids: list[int], run_id: int | None = None) -> int:
    """Erase the person's details from closed requests past their evidence period; a retry
    erases only what is left."""
    return requests_erase_past_evidence(request_ids=request_ids, run_id=run_id)


@shared_task(
    name="privacy.requests_overdue",
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
)
def requests_overdue(on: str | None = None) -> int:
    """Tell compliance of the requests still open past their due date, once each."""
    day = _day(on)
    return requests_overdue_notify(request_ids=overdue_request_ids(on=day), on=day)
