from __future__ import annotations

import pytest
from django.core import mail

from kam.models import Notification
from kam.services import notification_mark_read, notification_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_keyed_notification_is_created_and_emailed_once(
    django_capture_on_commit_callbacks,
) -> None:
    user = UserFactory.create(email="rm.wang@bank.example")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(
                user=user,
                title="Review due",
                url="/accounts/1/",
                key="review:1:2026Q4:30",
                email=True,
            )
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rm.wang@bank.example"]
    assert "/accounts/1/" in mail.outbox[0].body


def test_unkeyed_notifications_are_not_deduplicated_and_can_be_read() -> None:
    user = UserFactory.create()
    first, created = notification_send(user=user, title="Hello")
    second, _ = notification_send(user=user, title="Hello")
    assert created and first.pk != second.pk
    notification_mark_read(user=user, notification_id=first.pk)
    first.refresh_from_db()
    assert first.read_at is not None


def test_a_user_cannot_mark_someone_elses_notification() -> None:
    owner, other = UserFactory.create(), UserFactory.create()
    notification, _ = notification_send(user=owner, title="Hello")
    notification_mark_read(user=other, notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.read_at is None
