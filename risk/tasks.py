"""Thin Celery tasks: load by id, call a service. Chunk tasks are idempotent (see
risk.services.scan); acks are late, so a worker killed mid-chunk gets it redelivered."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(name="risk.scan_scheduled", ignore_result=True)
def scan_scheduled() -> int:
    """Beat's hourly scan: create a run, split it, queue its chunks."""
    return services.scan_schedule().pk


@shared_task(
    name="risk.scan_dispatch",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def scan_dispatch(run_id: int) -> None:
    services.scan_dispatch(run_id=run_id)


@shared_task(
    name="risk.scan_chunk",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
)
def scan_chunk(chunk_id: int) -> None:
    services.scan_chunk_process(chunk_id=chunk_id)


@shared_task(name="risk.escalate_alerts", ignore_result=True)
def escalate_alerts() -> None:
    services.alert_escalations_process()


@shared_task(name="risk.covenant_certificate_reminders", ignore_result=True)
def covenant_certificate_reminders() -> int:
    """Beat's daily reminders of compliance certificates due or overdue (keyed: once each)."""
    return services.covenant_certificate_reminders_send()
