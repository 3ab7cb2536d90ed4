"""Cross-cutting writes: notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Notification, User


def notification_send(
    *,
    user: User,
    title: str,
    body: str = "",
    url: str = "",
    key: str | None = None,
    level: str = "info",
    email: bool = False,
) -> tuple[Notification, bool]:
    """Notify ``user`` in the portal, and by e-mail when asked; at most once per ``key``.

    Returns the notification and whether it was created now. The e-mail goes after the
    transaction commits, and only for a newly created notification, so a retried job that
    hits the unique key sends nothing twice.
    """
    if key is not None:
        existing = Notification.objects.filter(user=user, key=key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, title=title[:200], body=body, url=url, key=key, level=level
            )
    except IntegrityError:
        # A concurrent run created it between our read and our insert.
        return Notification.objects.get(user=user, key=key), False
    if email and user.email:
        transaction.on_commit(lambda: _email(notification.pk))
    return notification, True


def _email(notification_id: int) -> None:
    # Claim the e-mail with a conditional update, so two workers never send it twice.
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    body = notification.body
    if notification.url:
        body = f"{body}\n\n{settings.PORTAL_BASE_URL.rstrip('/')}{notification.url}"
    send_mail(
        notification.title,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.user.email],
        fail_silently=False,
    )


def notification_mark_read(*, user: User, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
