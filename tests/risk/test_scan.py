"""The scan: idempotent across re-runs, retries and overlapping runs; a failing rule is recorded
and skipped; chunks are counted into their run once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from accounts.models import Account
from risk.choices import AlertState, EsgCategory, EsgSeverity, EsgSource, EventKind, ScanStatus
from risk.models import Alert, AlertEvent, EsgEvent, ScanError, ScanRun
from risk.rules.signals import NegativeEsgEvent
from risk.services import alert_dismiss, scan_chunk_process, scan_dispatch, scan_request
from risk.services.scan import scan_chunk_evaluate
from tests.conftest import Cast
from tests.factories import AccountFactory

from .support import active, make_rule, scan

pytestmark = pytest.mark.django_db


def _esg(account: Account, title: str = "Spill") -> EsgEvent:
    return EsgEvent.objects.create(
        account=account,
        occurred_on=timezone.localdate(),
        category=EsgCategory.ENVIRONMENTAL,
        severity=EsgSeverity.SEVERE,
        source=EsgSource.MEDIA,
        title=title,
    )


def _snapshot() -> Counter[tuple[int, int, str]]:
    return Counter(Alert.objects.values_list("account_id", "rule_id", "state"))


def test_the_scan_run_twice_gives_the_same_alerts(cast: Cast) -> None:
    rule = make_rule("esg_event")
    accounts = [cast.account, *AccountFactory.create_batch(4, owner=cast.outsider)]
    for account in accounts[:3]:
        _esg(account)
    first = scan()
    before = _snapshot()
    second = scan()
    assert _snapshot() == before
    assert len(active(rule)) == 3
    assert (first.raised, first.refreshed) == (3, 0)
    assert (second.raised, second.refreshed, second.resolved) == (0, 3, 0)
    assert AlertEvent.objects.filter(kind=EventKind.RAISED).count() == 3


@override_settings(RISK_SCAN_CHUNK_SIZE=2)
def test_a_chunk_run_again_after_finishing_or_crashing_changes_nothing(cast: Cast) -> None:
    make_rule("esg_event")
    for account in [cast.account, *AccountFactory.create_batch(4, owner=cast.outsider)]:
        _esg(account)
    run = ScanRun.objects.create(trigger="manual")
    run = scan_dispatch(run_id=run.pk, queue=False)
    chunks = list(run.chunks.order_by("index"))
    assert run.chunks_total == len(chunks) == 3
    # The worker running chunk 1 is killed after its alerts committed, before the chunk was
    # marked done; the broker redelivers the task.
    scan_chunk_evaluate(chunk=chunks[1])
    for chunk in chunks:
        scan_chunk_process(chunk_id=chunk.pk)
    before = _snapshot()
    scan_chunk_process(chunk_id=chunks[0].pk)  # a duplicate delivery of a finished chunk
    assert _snapshot() == before
    run.refresh_from_db()
    assert run.status == ScanStatus.FINISHED
    assert run.chunks_done == 3
    assert run.accounts == 5
    assert AlertEvent.objects.filter(kind=EventKind.RAISED).count() == 5
    assert Alert.objects.count() == 5


def test_a_dispatcher_delivered_twice_queues_only_unfinished_chunks(cast: Cast) -> None:
    make_rule("esg_event")
    run = ScanRun.objects.create(trigger="manual")
    with mock.patch("kam.queue.current_app.send_task") as delay:
        scan_dispatch(run_id=run.pk)
        assert delay.call_count == 1
        chunk = run.chunks.get()
        scan_chunk_process(chunk_id=chunk.pk)
        scan_dispatch(run_id=run.pk)  # the redelivered dispatcher
        assert delay.call_count == 1
    assert run.chunks.count() == 1


def test_a_rule_that_raises_is_recorded_and_the_others_still_run(cast: Cast) -> None:
    broken = make_rule("esg_event", name="Broken")
    working = make_rule("esg_event", name="Working")
    _esg(cast.account)
    original = NegativeEsgEvent.evaluate

    def explode(self: NegativeEsgEvent, account_ids: list[int]) -> dict[int, dict[str, object]]:
        if self.p.get("window_days") == 999:
            raise ZeroDivisionError("bad data")
        return original(self, account_ids)

    broken.parameters["window_days"] = 999
    broken.save()
    with mock.patch.object(NegativeEsgEvent, "evaluate", explode):
        run = scan()
    assert run.status == ScanStatus.FINISHED
    assert run.errors == 1
    error = ScanError.objects.get(run=run)
    assert error.rule == broken
    assert "ZeroDivisionError: bad data" in error.error
    assert "Traceback" in error.traceback
    assert [a.rule for a in active()] == [working]


def test_a_dismissed_alert_is_not_raised_again_while_quiet(cast: Cast) -> None:
    rule = make_rule("esg_event")
    _esg(cast.account)
    scan()
    [alert] = active(rule)
    alert_dismiss(alert=alert, user=cast.risk, reason="Known; covered by insurance", quiet_days=30)
    scan()
    assert active(rule) == []
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        scan()
    assert len(active(rule)) == 1


def test_a_resolved_alert_whose_condition_returns_is_raised_anew(cast: Cast) -> None:
    rule = make_rule("esg_event")
    event = _esg(cast.account)
    scan()
    event.closed_on = timezone.localdate()
    event.save()
    scan()
    _esg(cast.account, "Second spill")
    scan()
    states = sorted(Alert.objects.filter(rule=rule).values_list("state", flat=True))
    assert states == [AlertState.OPEN, AlertState.RESOLVED]


def test_disabled_rules_do_not_run(cast: Cast) -> None:
    make_rule("esg_event", enabled=False)
    _esg(cast.account)
    scan()
    assert active() == []


def test_a_scan_requested_by_a_risk_officer_is_queued_after_commit(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with mock.patch("kam.queue.current_app.send_task") as send:
        with django_capture_on_commit_callbacks(execute=True):
            run = scan_request(user=cast.risk)
            send.assert_not_called()
        send.assert_called_once_with("risk.scan_dispatch", args=(run.pk,))
    assert run.requested_by == cast.risk
    assert run.status == ScanStatus.QUEUED


def test_an_unreachable_broker_marks_the_requested_scan_failed(cast: Cast) -> None:
    with mock.patch("kam.queue.current_app.send_task", side_effect=ConnectionError("down")):
        from risk.services.scan import _queue_dispatch

        run = ScanRun.objects.create(trigger="manual", requested_by=cast.risk)
        with pytest.raises(ConnectionError):
            _queue_dispatch(run.pk)
    run.refresh_from_db()
    assert run.status == ScanStatus.FAILED


def test_new_alert_notifications_follow_each_owners_language(cast: Cast) -> None:
    make_rule("esg_event", name="Moderate or severe ESG event")
    cast.owner.language = "zh-hans"
    cast.owner.save()
    _esg(cast.account)
    english = AccountFactory.create(owner=cast.outsider, legal_name_en="Harbour Wind Ltd")
    _esg(english)
    scan()
    chinese_note = cast.owner.notifications.get(key__endswith="-raised")
    assert chinese_note.title.startswith("新风险预警：")
    assert "Sunrise Power Holdings" in chinese_note.title
    english_note = cast.outsider.notifications.get(key__endswith="-raised")
    assert english_note.title == "New risk alert: Moderate or severe ESG event — Harbour Wind Ltd"
    alert = Alert.objects.get(account=english)
    assert english_note.url == f"/risk/alerts/{alert.pk}/"
    assert english_note.level == "warning"
