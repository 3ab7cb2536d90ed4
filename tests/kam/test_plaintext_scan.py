"""A database dump and Redis hold no plaintext phone, e-mail, confidential note or what a person
wrote in a data-subject request, nor where to answer them (issue 14).

The portal is used as it is in production — a contact saved through its service, a
confidential interaction logged and another marked confidential through the pages, the phone
and e-mail revealed, the notes read by compliance, exports, a handover notification, the
dashboard cached in Redis, scheduled jobs run by a real Celery worker from Redis, a
data-subject request recorded with where to answer the person and what they wrote (both
revealed to compliance, its copy exported) — and then everything at rest is read back: ``pg_dump`` of the test database, and every key of the
Redis database (values read by type; base64 inside them, such as Celery's message bodies,
decoded). None of the values may be there; the logs and the e-mails sent are searched too.
The values are shown where they should be (the logged reveal, the logged compliance read),
and planted probes are found by the same search, so the test cannot pass by reading nothing.

It needs PostgreSQL (with ``pg_dump``) and Redis: it skips without them, and fails in CI.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Contact
from accounts.services import account_update, contact_save
from interactions.models import Channel, Interaction
from interactions.services.interactions import CONFIDENTIAL_NOTES_FIELD
from kam.celery import app
from kam.models import AccessLog
from kam.roles import Role
from kam.tasks import heartbeat
from privacy.models import DataSubjectRequest
from tests.conftest import IN_CI, Cast
from tests.factories import ContactFactory, UserFactory

PHONE = "13957913571"
EMAIL = "qiu.scan.7421@huanghe-power.cn"
NOTE_SUMMARY = "Chairman disclosed the Zephyr-Lagoon 4471 takeover plan"
NOTE_OUTCOME = "Hold pricing at Marigold-Kestrel 8812 until signing"
MOVED_SECRET = "Quokka-Tundra"
MOVED_SUMMARY = f"Sponsor weighing a {MOVED_SECRET} 5523 disposal"
REQUEST_REPLY_TO = "hu.scan.3318@heron-mail.cn"
REQUEST_DETAILS = "Asks for everything on her Pangolin-Aurora 6604 file"
# What may never be at rest, with parts a mask never shows (138****1234, q***@domain).
SECRETS = (
    PHONE,
    "5791357",
    EMAIL,
    "qiu.scan.7421",
    "Zephyr-Lagoon",
    "Marigold-Kestrel",
    MOVED_SECRET,
    REQUEST_REPLY_TO,
    "hu.scan.3318",
    "Pangolin-Aurora",
)
# Planted where the search must find them: proof that it reads what it says it reads.
PROBE_MESSAGE = "plaintext-scan-probe-message"
PROBE_CACHE = "plaintext-scan-probe-cache"
PROBE_QUEUE = "plaintext-scan-probe"


def _services_or_skip() -> None:
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true but the database is not PostgreSQL: the dump needs it.")
        pytest.skip("pg_dump needs PostgreSQL (set DATABASE_URL).")
    if not os.environ.get("REDIS_URL"):
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set: the scan reads Redis.")
        pytest.skip("REDIS_URL not set: the scan reads Redis.")
    if not shutil.which("pg_dump"):
        pytest.fail("PostgreSQL is in use but pg_dump is not installed.")


def _pg_dump() -> str:
    """The whole test database as ``pg_dump`` writes it (schema and data, plain SQL)."""
    db = connection.settings_dict
    result = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            *(["--host", db["HOST"]] if db["HOST"] else []),
            *(["--port", str(db["PORT"])] if db["PORT"] else []),
            *(["--username", db["USER"]] if db["USER"] else []),
            db["NAME"],
        ],
        env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return result.stdout


_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


def _with_base64_decoded(blob: bytes, depth: int = 2) -> Iterator[bytes]:
    """``blob``, then whatever base64 inside it decodes to (Celery's message bodies are
    base64 JSON), to ``depth`` levels."""
    yield blob
    if depth == 0:
        return
    for run in _BASE64_RUN.findall(blob):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(run + b"=" * (-len(run) % 4))
            except (binascii.Error, ValueError):
                continue
            yield from _with_base64_decoded(decoded, depth - 1)


def _redis_contents(client: Any) -> tuple[list[bytes], list[bytes]]:
    """Every key of the Redis database, and every value read according to its type."""
    keys: list[bytes] = []
    values: list[bytes] = []
    readers: dict[bytes, Callable[[bytes], list[bytes]]] = {
        b"string": lambda k: [client.get(k)],
        b"list": lambda k: client.lrange(k, 0, -1),
        b"hash": lambda k: [b for pair in client.hgetall(k).items() for b in pair],
        b"set": lambda k: list(client.smembers(k)),
        b"zset": lambda k: [m for m, _score in client.zrange(k, 0, -1, withscores=True)],
        b"stream": lambda k: [
            b for _id, fields in client.xrange(k) for pair in fields.items() for b in pair
        ],
    }
    for key in client.scan_iter(count=500):
        keys.append(key)
        kind = client.type(key)
        assert kind in readers, f"a Redis key of a type the scan cannot read: {key!r} {kind!r}"
        values.extend(v for v in readers[kind](key) if v is not None)
    return keys, values


def _wait(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _interaction_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "channel": Channel.objects.get(code="meeting").pk,
        "occurred_at": (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_no_plaintext_phone_email_or_confidential_note_at_rest(
    cast: Cast, redis_cache: None, settings: Any, caplog: pytest.LogCaptureFixture, capfd: Any
) -> None:
    _services_or_skip()
    import redis

    settings.DASHBOARD_CACHE_SECONDS = 300  # the executive dashboard is kept in Redis
    redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])
    redis_client.ping()
    assert os.environ["REDIS_URL"] == settings.CELERY_BROKER_URL
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")  # Django's "django" is INFO
    connection.force_debug_cursor = True  # every SQL statement and its parameters is logged
    try:
        _use_the_portal(cast)
    finally:
        connection.force_debug_cursor = False

    dump = _pg_dump()
    keys, values = _redis_contents(redis_client)
    redis_text = b"\n".join(
        part for blob in (*keys, *values) for part in _with_base64_decoded(blob)
    ).decode("utf-8", "replace")

    # The search reads what it should: the dump has the rows (encrypted where it must) ...
    contact = Contact.objects.get(name="Scan Contact")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, email FROM accounts_contact WHERE id = %s", [contact.pk])
        stored_phone, stored_email = cursor.fetchone()
        cursor.execute(
            "SELECT confidential_summary FROM interactions_interaction WHERE subject = %s",
            ["Board dinner"],
        )
        (stored_note,) = cursor.fetchone()
        cursor.execute(
            "SELECT reply_to, details FROM privacy_datasubjectrequest WHERE contact_id = %s",
            [contact.pk],
        )
        stored_reply_to, stored_details = cursor.fetchone()
    for stored in (stored_phone, stored_email, stored_note, stored_reply_to, stored_details):
        assert stored.startswith("fernet1:") and stored in dump
    assert cast.account.legal_name_en in dump
    assert CONFIDENTIAL_NOTES_FIELD in dump  # the compliance read, in the access log
    # ... and Redis held the cached dashboard, Celery's results and the planted probes.
    assert any(key.startswith(b"celery-task-meta-") for key in keys)
    assert any(b"dashboard" in key for key in keys)
    assert PROBE_MESSAGE in redis_text  # only inside a base64 message body
    assert PROBE_CACHE in redis_text  # inside a pickled cache value

    captured = capfd.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert "SELECT" in caplog.text  # the SQL log was on
    outbox = "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox)
    assert outbox  # the notifications went out by e-mail too
    for secret in SECRETS:
        assert secret not in dump, f"{secret} is in plain text in the database dump"
        assert secret not in redis_text, f"{secret} is in plain text in Redis"
        assert secret not in outbox, f"{secret} is in an e-mail"
        # The moved note was an open one's first, written in plain text then (and so in
        # the SQL log): only what is at rest now must hold none of it.
        if secret != MOVED_SECRET:
            assert secret not in logs, f"{secret} is in the logs"


def _use_the_portal(cast: Cast) -> None:
    """Everything that handles the secrets, through the services and pages that do it."""
    account = cast.account
    owner, compliance = _client(cast.owner), _client(cast.compliance)
    contact = contact_save(
        contact=ContactFactory.build(account=account, name="Scan Contact", phone=PHONE, email=EMAIL)
    )

    # A confidential interaction logged through the form, with the contact taking part ...
    response = owner.post(
        reverse("interactions:create", args=[account.pk]),
        _interaction_form(
            subject="Board dinner",
            summary=NOTE_SUMMARY,
            outcome=NOTE_OUTCOME,
            is_confidential="on",
            contacts=[contact.pk],
            internal_participants=[cast.owner.pk],
        ),
    )
    assert response.status_code == 302
    secret = Interaction.objects.get(subject="Board dinner")
    # ... and an open one marked confidential afterwards (its notes move, the log is masked).
    owner.post(
        reverse("interactions:create", args=[account.pk]),
        _interaction_form(subject="Disposal idea", summary=MOVED_SUMMARY, outcome=""),
    )
    moved = Interaction.objects.get(subject="Disposal idea")
    response = owner.post(
        reverse("interactions:edit", args=[account.pk, moved.pk]),
        _interaction_form(subject="Disposal idea", summary=MOVED_SUMMARY, is_confidential="on"),
    )
    assert response.status_code == 302
    timeline = owner.get(reverse("interactions:timeline", args=[account.pk]))
    assert MOVED_SUMMARY in timeline.content.decode()

    # The logged reveals show the team the real values ...
    for field, value in (("phone", PHONE), ("email", EMAIL)):
        url = reverse("accounts:contact_reveal", args=[account.pk, contact.pk, field])
        assert value in owner.post(url).content.decode()
        assert value in owner.post(url, HTTP_HX_REQUEST="true").content.decode()
    # ... and compliance the notes, each read logged.
    detail = compliance.get(reverse("interactions:detail", args=[account.pk, secret.pk]))
    assert NOTE_SUMMARY in detail.content.decode() and NOTE_OUTCOME in detail.content.decode()
    assert AccessLog.objects.filter(user=cast.owner, action="reveal").count() == 4
    assert AccessLog.objects.filter(user=cast.compliance, field=CONFIDENTIAL_NOTES_FIELD).exists()

    # Exports, each logged.
    for client, url in (
        (owner, reverse("accounts:export", args=["csv"]) + "?"),
        (owner, reverse("interactions:timeline_export", args=[account.pk, "xlsx"]) + "?"),
        (compliance, reverse("audit_trail_export", args=["csv"]) + "?kind=reads&"),
        (compliance, reverse("audit_trail_export", args=["csv"]) + "?kind=changes&"),
    ):
        response = client.get(url + "export_reason=Checking+what+is+kept+at+rest")
        assert response.status_code == 200, url
        assert "attachment" in response["Content-Disposition"], url
        if response.streaming:  # CSV; Excel is a zip, read for its side effects only
            body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
            assert PHONE.encode() not in body and b"Zephyr" not in body

    # A data-subject request from the contact's row (compliance told in the portal and by
    # e-mail): compliance reveals where to answer and what was asked (each read logged), and
    # exports the person's copy.
    response = owner.post(
        reverse("privacy:contact_request", args=[account.pk, contact.pk]),
        {
            "kind": "access",
            "received_on": timezone.localdate().isoformat(),
            "reply_to": REQUEST_REPLY_TO,
            "details": REQUEST_DETAILS,
        },
    )
    assert response.status_code == 302
    dsr = DataSubjectRequest.objects.get(contact=contact)
    page = compliance.get(reverse("privacy:request_detail", args=[dsr.pk])).content.decode()
    assert REQUEST_REPLY_TO not in page and "Pangolin" not in page
    for field, value in (("reply_to", REQUEST_REPLY_TO), ("details", REQUEST_DETAILS)):
        url = reverse("privacy:request_reveal", args=[dsr.pk, field])
        assert value in compliance.post(url, HTTP_HX_REQUEST="true").content.decode()
    reads = AccessLog.objects.filter(user=cast.compliance, field__startswith="privacy_request.")
    assert reads.count() == 2
    response = compliance.get(reverse("privacy:request_export", args=[dsr.pk, "csv"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert PHONE.encode() in b"".join(response.streaming_content)  # type: ignore[attr-defined]

    # A notification (in the portal and by e-mail): the owner asks to hand the account over.
    successor = UserFactory.create(username="rm.scan", team=cast.other_team, roles=[Role.RM])
    cast.lead.email = "lead.zhao@bank.example"
    cast.lead.save(update_fields=["email"])
    response = owner.post(
        reverse("accounts:handover_request", args=[account.pk]),
        {"to_owner": successor.pk, "reason": "Moving to the Shanghai branch."},
    )
    assert response.status_code == 302

    # The executive dashboard, cached in Redis; a probe value in the cache.
    assert _client(cast.executive).get(reverse("dashboard:executive")).status_code == 200
    cache.set("plaintext-scan-probe", {"value": PROBE_CACHE}, 300)

    # Scheduled work through the broker: an edit queues a rescore after its commit, and the
    # beat jobs are sent; a real worker runs them from Redis, results kept there.
    account_update(account=account, esg_rating="AAA")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for name in ("interactions.review_reminders_dispatch", "interactions.sla_breach_scan"):
            app.send_task(name).get(timeout=60)
        assert heartbeat.delay("plaintext-scan").get(timeout=60) == 1
        import redis

        broker = redis.Redis.from_url(os.environ["REDIS_URL"])
        _wait(lambda: broker.llen("celery") == 0)
    # A message no worker takes: it stays in Redis, its body base64 as the broker keeps it.
    app.send_task("kam.tasks.heartbeat", args=[PROBE_MESSAGE], queue=PROBE_QUEUE)
