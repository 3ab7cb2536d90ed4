"""Cross-cutting writes: notifications, and the signed-in sessions of users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .client_address import client_address
from .models import Notification, User, UserSession


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


# ---------------------------------------------------------------- sessions

# Kept in the session itself: [the session key it was written under, when (epoch seconds)] of
# the last write of the session's row. The session is read on every request anyway, so a fresh
# mark costs no query; a mark under another key (Django moved the session to a new key at
# sign-in or on a password change) is stale.
SESSION_SEEN_KEY = "_kam_seen"
USER_AGENT_MAX_LENGTH = 300


def _seen_recently(session: SessionBase, now: dt.datetime) -> bool:
    mark = session.get(SESSION_SEEN_KEY)
    if not (isinstance(mark, list) and len(mark) == 2 and mark[0] == session.session_key):
        return False
    # A mark from the future (another web server's clock a little ahead) counts as fresh.
    return now.timestamp() - mark[1] < settings.USER_SESSION_SEEN_SECONDS


def user_session_seen(*, request: HttpRequest, user: User) -> None:
    """Record that ``user`` uses the request's session now: its row's last seen, address and
    browser, the row created when missing (at sign-in, or for a session from before rows were
    kept). Written at most once per ``USER_SESSION_SEEN_SECONDS`` per session: an ordinary
    request costs no query."""
    session = request.session
    now = timezone.now()
    if _seen_recently(session, now):
        return
    if session.session_key is None:
        # login() emptied another user's session and has not saved the new one yet.
        session.save()
    key = session.session_key
    assert key is not None
    seen = {
        "last_seen": now,
        "ip_address": client_address(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH],
    }
    if not UserSession.objects.filter(session_id=key).update(**seen):
        try:
            with transaction.atomic():
                UserSession.objects.create(session_id=key, user=user, created_at=now, **seen)
        except IntegrityError:
            # Another request of this session created the row first, or the session was
            # ended (its row deleted) since this request read it.
            pass
    was_modified = session.modified
    session[SESSION_SEEN_KEY] = [key, int(now.timestamp())]
    if not was_modified:
        # Write the mark into the session's row directly, keeping its expiry: a save would
        # push expire_date SESSION_COOKIE_AGE further every few minutes, and a session in use
        # would never expire. An ended session (no row) stays ended.
        Session.objects.filter(session_key=key).update(
            session_data=session.encode(dict(session.items()))
        )
        session.modified = False


def _sessions_delete(rows: QuerySet[UserSession]) -> int:
    keys = list(rows.values_list("session_id", flat=True))
    if keys:
        # The session's row goes, so the browser's next request is signed out; its
        # UserSession follows (on_delete=CASCADE).
        Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def user_session_end(*, user_session: UserSession) -> None:
    """End one session: the browser holding it is signed out on its next request."""
    _sessions_delete(UserSession.objects.filter(pk=user_session.pk))


def user_sessions_end(*, user_ids: Collection[int], keep_session_key: str | None = None) -> int:
    """End every session of these users, but the one under ``keep_session_key`` if given.
    Returns how many were ended."""
    rows = UserSession.objects.filter(user_id__in=user_ids)
    if keep_session_key:
        rows = rows.exclude(session_id=keep_session_key)
    return _sessions_delete(rows)


@transaction.atomic
def user_sessions_end_by_admin(*, user: User, admin: User, address: str | None) -> int:
    """An administrator ends every session of ``user``, written to the audit trail (a change
    of the user: active sessions from how many to none). Returns how many were ended."""
    ended = user_sessions_end(user_ids=[user.pk])
    LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.UPDATE,
        changes={"active sessions": [str(ended), "0"]},
        actor=admin,
        remote_addr=address,
    )
    return ended
