"""The change log's hash chain: every entry linked in id order as it is written; the
verification (command, task and compliance page) finds an entry altered, deleted or inserted
behind the portal's back, and a clean chain verifies. On PostgreSQL, concurrent writers keep
the chain linear."""

from __future__ import annotations

import threading
from collections.abc import Callable
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse

from kam.audit_chain import (
    audit_verification_request,
    audit_verification_run,
    chain_head,
    chain_verify,
    entry_texts,
    link_hash,
)
from kam.models import AUDIT_CHAIN_GENESIS, AuditChainLink, AuditVerification
from tests.conftest import IN_CI, Cast
from tests.factories import AccountFactory, ContactFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _some_changes(cast: Cast) -> list[int]:
    """A few entries of every action; their ids in order."""
    project = ProjectFactory.create(account=cast.account)
    project.name = "Renamed wind farm"
    project.save()
    ContactFactory.create(account=cast.account, phone="13812341234")
    project.delete()
    return list(LogEntry.objects.order_by("pk").values_list("pk", flat=True))


def _execute(sql: str, params: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_every_entry_is_linked_in_id_order_as_it_is_written(cast: Cast) -> None:
    ids = _some_changes(cast)
    assert len(ids) >= 6
    links = list(AuditChainLink.objects.order_by("entry_id").values_list("entry_id", "hash"))
    assert [entry_id for entry_id, _hash in links] == ids
    previous = AUDIT_CHAIN_GENESIS
    for (entry_id, content), (link_id, stored) in zip(entry_texts(), links, strict=True):
        previous = link_hash(previous, content)
        assert (entry_id, stored) == (link_id, previous)
    head = chain_head(lock=False)
    assert (head.last_entry_id, head.last_hash, head.length) == (ids[-1], previous, len(ids))


def test_a_clean_chain_verifies(cast: Cast) -> None:
    ids = _some_changes(cast)
    check = chain_verify(batch_size=2)  # several batches
    assert check.intact, check.detail
    assert check.checked == len(ids)
    assert check.head_entry_id == ids[-1]


def test_an_empty_chain_verifies(db: None) -> None:
    LogEntry.objects.all().delete()
    AuditChainLink.objects.all().delete()
    check = chain_verify()
    assert check.intact and check.checked == 0


@pytest.mark.parametrize("batch_size", [2, 1000])
def test_changes_altered_by_sql_are_found(cast: Cast, batch_size: int) -> None:
    ids = _some_changes(cast)
    target = ids[3]
    entry = LogEntry.objects.get(pk=target)
    forged = dict(entry.changes or {})
    forged["forged"] = ["", "by hand"]
    LogEntry.objects.filter(pk=target).update(changes=forged)  # no signal: like raw SQL
    check = chain_verify(batch_size=batch_size)
    assert (check.problem, check.entry_id) == ("altered", target)
    assert check.checked == 3


def test_an_actor_rewritten_by_raw_sql_is_found(cast: Cast) -> None:
    ids = _some_changes(cast)
    _execute("UPDATE auditlog_logentry SET actor_id = %s WHERE id = %s", [cast.outsider.pk, ids[1]])
    check = chain_verify()
    assert (check.problem, check.entry_id) == ("altered", ids[1])


def test_a_deleted_entry_is_found(cast: Cast) -> None:
    ids = _some_changes(cast)
    _execute("DELETE FROM auditlog_logentry WHERE id = %s", [ids[2]])
    check = chain_verify(batch_size=3)
    assert (check.problem, check.entry_id) == ("deleted", ids[2])


def test_an_entry_deleted_with_its_link_breaks_the_next_link(cast: Cast) -> None:
    ids = _some_changes(cast)
    _execute("DELETE FROM auditlog_logentry WHERE id = %s", [ids[2]])
    _execute("DELETE FROM kam_auditchainlink WHERE entry_id = %s", [ids[2]])
    check = chain_verify()
    assert (check.problem, check.entry_id) == ("altered", ids[3])


def test_the_last_entries_deleted_with_their_links_are_found(cast: Cast) -> None:
    ids = _some_changes(cast)
    _execute("DELETE FROM auditlog_logentry WHERE id >= %s", [ids[-2]])
    _execute("DELETE FROM kam_auditchainlink WHERE entry_id >= %s", [ids[-2]])
    check = chain_verify()
    assert (check.problem, check.entry_id) == ("truncated", ids[-1])


def test_an_entry_inserted_by_sql_is_found(cast: Cast) -> None:
    ids = _some_changes(cast)
    # A copy of a genuine entry, as someone with database access would slip one in.
    _execute(
        "INSERT INTO auditlog_logentry (content_type_id, object_pk, object_id, object_repr, "
        "action, changes_text, changes, actor_id, timestamp, additional_data) "
        "SELECT content_type_id, object_pk, object_id, object_repr, action, changes_text, "
        "changes, actor_id, timestamp, additional_data FROM auditlog_logentry WHERE id = %s",
        [ids[1]],
    )
    inserted = LogEntry.objects.order_by("-pk").values_list("pk", flat=True)[0]
    check = chain_verify()
    assert (check.problem, check.entry_id) == ("inserted", inserted)
    # Later entries written by the portal do not hide it.
    ContactFactory.create(account=cast.account)
    assert chain_verify().entry_id == inserted


def test_the_command_reports_and_fails_on_a_break(
    cast: Cast, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _some_changes(cast)
    call_command("audit_verify", "--batch-size", "2")
    assert "Intact" in capsys.readouterr().out
    done = AuditVerification.objects.get()
    assert (done.status, done.entries_checked) == ("intact", len(ids))

    _execute("DELETE FROM auditlog_logentry WHERE id = %s", [ids[0]])
    with pytest.raises(SystemExit) as exit_:
        call_command("audit_verify")
    assert exit_.value.code == 1
    assert f"Broken at entry {ids[0]}" in capsys.readouterr().err
    broken = AuditVerification.objects.order_by("-pk").first()
    assert broken is not None
    assert (broken.status, broken.problem, broken.broken_entry_id) == (
        "broken",
        "deleted",
        ids[0],
    )


def test_a_requested_verification_is_queued_once_and_run_by_the_task(cast: Cast) -> None:
    _some_changes(cast)
    with mock.patch("kam.queue.current_app.send_task") as send:
        with transaction.atomic():
            first = audit_verification_request(user=cast.compliance)
            again = audit_verification_request(user=cast.compliance)
        assert first.pk == again.pk
    from kam.tasks import audit_verify

    audit_verify(first.pk)
    first.refresh_from_db()
    assert first.status == "intact" and first.finished_at is not None
    assert audit_verification_run(verification_id=first.pk) is None  # claimed once
    assert send.call_count <= 1


@pytest.mark.parametrize("who", ["owner", "lead", "executive", "risk", "outsider"])
def test_only_compliance_and_admins_see_the_verification_page(client, cast: Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    url = reverse("audit_verification")
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not AuditVerification.objects.exists()


@pytest.mark.parametrize("who", ["compliance", "admin"])
def test_compliance_runs_and_reads_the_verification(client, cast: Cast, who: str) -> None:
    _some_changes(cast)
    client.force_login(getattr(cast, who))
    url = reverse("audit_verification")
    with mock.patch("kam.queue.current_app.send_task"):
        response = client.post(url)
    assert response.status_code == 302
    verification = AuditVerification.objects.get()
    assert verification.requested_by == getattr(cast, who)
    audit_verification_run(verification_id=verification.pk)
    _execute("DELETE FROM auditlog_logentry WHERE id = %s", [LogEntry.objects.order_by("pk")[1].pk])
    verification = AuditVerification.objects.create(requested_by=getattr(cast, who))
    audit_verification_run(verification_id=verification.pk)
    body = client.get(url).content.decode()
    assert "Intact" in body and "Broken" in body
    assert "it was deleted" in body
    assert chain_head(lock=False).last_hash in body


# ---------------------------------------------------------------- concurrency (PostgreSQL)


def _together(*jobs: Callable[[], object]) -> None:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_linear(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true but the database is not PostgreSQL.")
        pytest.skip("Concurrent transactions need PostgreSQL (SQLite serialises writers).")
    accounts = [cast.account, AccountFactory.create(owner=cast.outsider)]

    def writer(index: int) -> None:
        for round_ in range(15):
            with transaction.atomic():
                project = ProjectFactory.create(account=accounts[index])
                project.name = f"Project {index}-{round_}"
                project.save()

    _together(lambda: writer(0), lambda: writer(1))
    check = chain_verify(batch_size=7)
    assert check.intact, check.detail
    assert check.checked == LogEntry.objects.count() >= 60
    assert AuditChainLink.objects.count() == LogEntry.objects.count()
