"""Many keyed notifications at once: the same once-per-key promise as notification_send."""

from __future__ import annotations

import pytest
from django.core import mail

from kam.models import Notification
from kam.services import NotificationDraft, notification_send, notification_send_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_many_notifications_once_per_key_with_one_email_each(
    django_capture_on_commit_callbacks,
) -> None:
    alice = UserFactory.create(email="alice@bank.example")
    bob = UserFactory.create(email="bob@bank.example")
    nomail = UserFactory.create(email="")
    notification_send(user=bob, title="already there", key="k2")
    drafts = [
        NotificationDraft(user=alice, title="A", key="k1", url="/accounts/1/"),
        NotificationDraft(user=alice, title="A again", key="k1"),  # same pair: once
        NotificationDraft(user=bob, title="B", key="k1"),
        NotificationDraft(user=bob, title="B2", key="k2"),  # exists: skipped
        NotificationDraft(user=nomail, title="C", key="k1"),
    ]
    for _run in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            notification_send_many(drafts=drafts, email=True)
    assert Notification.objects.filter(user=alice).count() == 1
    assert Notification.objects.filter(user=bob).count() == 2
    assert Notification.objects.filter(user=nomail).count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@bank.example", "bob@bank.example"]
    assert any("/accounts/1/" in m.body for m in mail.outbox)
    assert Notification.objects.get(user=bob, key="k2").title == "already there"


def test_nothing_to_send() -> None:
    assert notification_send_many(drafts=[], email=True) == 0
