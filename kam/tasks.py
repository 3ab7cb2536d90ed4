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
