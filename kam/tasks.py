from celery import shared_task
from django.db.models import F
from django.utils import timezone

from .models import Heartbeat


@shared_task(name="kam.tasks.heartbeat", ignore_result=False)
def heartbeat(name: str = "beat") -> int:
    """Record that the worker ran a scheduled job; returns the running count."""
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(last_seen=now, count=F("count") + 1)
    if not updated:
        Heartbeat.objects.get_or_create(name=name, defaults={"last_seen": now, "count": 1})
    return Heartbeat.objects.get(name=name).count


@shared_task(name="kam.audit_verify", ignore_result=True)
def audit_verify(verification_id: int) -> None:
    """Verify the change log's hash chain for a verification someone asked for."""
    from .audit_chain import audit_verification_run

    audit_verification_run(verification_id=verification_id)


@shared_task(name="kam.audit_verify_scheduled", ignore_result=True)
def audit_verify_scheduled() -> None:
    """The nightly verification: recorded like one asked for on the compliance page."""
    from .audit_chain import audit_verification_run
    from .models import AuditVerification

    audit_verification_run(verification_id=AuditVerification.objects.create().pk)


@shared_task(name="kam.sessions_clear_expired", ignore_result=True)
def sessions_clear_expired() -> None:
    """Delete expired sessions (and with them their kam.UserSession rows): the sessions page
    hides them, but nothing else removes them from the database."""
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
