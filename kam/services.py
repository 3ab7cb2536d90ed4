"""Cross-cutting writes: notifications."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
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


@dataclass(frozen=True)
class NotificationDraft:
    """One keyed notification for ``notification_send_many``."""

    user: User
    title: str
    key: str
    body: str = ""
    url: str = ""
    level: str = "info"


def notification_send_many(*, drafts: Sequence[NotificationDraft], email: bool = False) -> int:
    """``notification_send`` for many keyed notifications at once (a scheduled job's chunk):
    pairs (user, key) that exist already are skipped, the rest are inserted in one statement
    (a concurrent run's duplicates are ignored by the unique constraint), and after the
    commit their e-mails are claimed together with one conditional update and sent.
    Returns the number of notifications inserted."""
    wanted: dict[tuple[int, str], NotificationDraft] = {}
    for draft in drafts:
        wanted.setdefault((draft.user.pk, draft.key), draft)
    if not wanted:
        return 0
    existing = set(
        Notification.objects.filter(
            user_id__in={pk for pk, _key in wanted}, key__in={key for _pk, key in wanted}
        ).values_list("user_id", "key")
    )
    fresh = [d for pair, d in wanted.items() if pair not in existing]
    Notification.objects.bulk_create(
        [
            Notification(
                user=d.user, title=d.title[:200], body=d.body, url=d.url, key=d.key, level=d.level
            )
            for d in fresh
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    pairs = [(d.user.pk, d.key) for d in fresh if d.user.email]
    if email and pairs:
        transaction.on_commit(lambda: _email_many(pairs))
    return len(fresh)


def _email_many(pairs: list[tuple[int, str]]) -> None:
    """Claim the e-mails of these (user, key) notifications at once, then send them."""
    keys = {key for _pk, key in pairs}
    wanted = set(pairs)
    with transaction.atomic():
        candidates = [
            pk
            for pk, user_id, key in Notification.objects.select_for_update(skip_locked=True)
            .filter(user_id__in={u for u, _k in pairs}, key__in=keys, emailed_at__isnull=True)
            .values_list("pk", "user_id", "key")
            if (user_id, key) in wanted
        ]
        Notification.objects.filter(pk__in=candidates).update(emailed_at=timezone.now())
    base = settings.PORTAL_BASE_URL.rstrip("/")
    messages = []
    for notification in Notification.objects.filter(pk__in=candidates).select_related("user"):
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{base}{notification.url}"
        messages.append(
            EmailMessage(
                notification.title, body, settings.DEFAULT_FROM_EMAIL, [notification.user.email]
            )
        )
    if messages:
        # One connection for the batch rather than one per message.
        get_connection(fail_silently=False).send_messages(messages)


def notification_mark_read(*, user: User, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
