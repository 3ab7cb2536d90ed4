"""Confidential interaction notes (issue 14): encrypted at rest, read by the account team and by
compliance (each compliance read logged), by nobody else — not executives, risk officers,
other RMs or administrators, in the portal or in Django admin."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from interactions.models import Interaction
from interactions.services.interactions import (
    CONFIDENTIAL_NOTES_FIELD,
    interaction_create,
)
from kam import crypto
from kam.models import AccessLog
from tests.conftest import Cast
from tests.factories import AccountFactory, UserFactory

from .factories import channel

SUMMARY = "Chairman hinted at a bid for the Qinghai storage park QX-7731"
OUTCOME = "Walk away below a 1.85% margin QX-7732"
SUBJECT = "Board succession talk"
NOTES = (SUMMARY, OUTCOME)


def _raw(interaction: Interaction) -> dict[str, str]:
    """The stored columns, as the database holds them (no model field in between)."""
    columns = ("summary", "outcome", "confidential_summary", "confidential_outcome")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM interactions_interaction WHERE id = %s",  # noqa: S608
            [interaction.pk],
        )
        return dict(zip(columns, cursor.fetchone(), strict=True))


def _confidential(cast: Cast, **kwargs: object) -> Interaction:
    data: dict[str, object] = {
        "account": cast.account,
        "user": cast.owner,
        "channel": channel("meeting"),
        "occurred_at": timezone.now() - dt.timedelta(days=1),
        "subject": SUBJECT,
        "summary": SUMMARY,
        "outcome": OUTCOME,
        "is_confidential": True,
    }
    data.update(kwargs)
    return interaction_create(**data)  # type: ignore[arg-type]


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _assert_no_plain_notes(raw: dict[str, str]) -> None:
    assert raw["summary"] == raw["outcome"] == ""
    for stored in raw.values():
        assert "QX-773" not in stored
        assert "Qinghai" not in stored


# ---------------------------------------------------------------- at rest


@pytest.mark.django_db
@pytest.mark.parametrize(("algorithm", "scheme"), [("fernet", "fernet1"), ("sm4-gcm", "sm4gcm1")])
def test_confidential_notes_are_ciphertext_in_the_database(
    settings, cast: Cast, algorithm: str, scheme: str
) -> None:
    settings.FIELD_ENCRYPTION_ALGORITHM = algorithm
    interaction = _confidential(cast)
    raw = _raw(interaction)
    _assert_no_plain_notes(raw)
    assert raw["confidential_summary"].startswith(f"{scheme}:")
    assert raw["confidential_outcome"].startswith(f"{scheme}:")
    assert crypto.decrypt(raw["confidential_summary"]) == SUMMARY
    assert Interaction.objects.get(pk=interaction.pk).notes == NOTES


@pytest.mark.django_db
def test_open_notes_stay_plain_and_the_encrypted_columns_empty(cast: Cast) -> None:
    interaction = _confidential(cast, is_confidential=False)
    assert _raw(interaction) == {
        "summary": SUMMARY,
        "outcome": OUTCOME,
        "confidential_summary": "",
        "confidential_outcome": "",
    }
    assert Interaction.objects.get(pk=interaction.pk).notes == NOTES


@pytest.mark.django_db
def test_the_database_refuses_plain_notes_on_a_confidential_interaction(cast: Cast) -> None:
    confidential = _confidential(cast)
    open_one = _confidential(cast, is_confidential=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.filter(pk=confidential.pk).update(summary="leaked")
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.filter(pk=open_one.pk).update(is_confidential=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.filter(pk=open_one.pk).update(confidential_summary="hidden")


# ---------------------------------------------------------------- who reads them


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "teammate", "lead"])
def test_the_account_team_reads_the_notes_on_the_timeline_and_the_page(
    cast: Cast, who: str
) -> None:
    interaction = _confidential(cast)
    client = _client(getattr(cast, who))
    timeline = client.get(reverse("interactions:timeline", args=[cast.account.pk]))
    assert timeline.status_code == 200
    text = timeline.content.decode()
    assert SUBJECT in text and SUMMARY in text and OUTCOME in text
    detail = client.get(reverse("interactions:detail", args=[cast.account.pk, interaction.pk]))
    assert detail.status_code == 200
    assert SUMMARY in detail.content.decode() and OUTCOME in detail.content.decode()
    edit = client.get(reverse("interactions:edit", args=[cast.account.pk, interaction.pk]))
    assert edit.context["form"].initial["summary"] == SUMMARY
    # The account team's reads are ordinary work: nothing is logged.
    assert not AccessLog.objects.filter(field=CONFIDENTIAL_NOTES_FIELD).exists()


@pytest.mark.django_db
def test_compliance_reads_the_notes_on_the_interaction_page_and_each_read_is_logged(
    cast: Cast,
) -> None:
    interaction = _confidential(cast)
    _confidential(cast, subject="Another secret", summary="Second note QX-7733", outcome="")
    client = _client(cast.compliance)
    timeline = client.get(reverse("interactions:timeline", args=[cast.account.pk]))
    text = timeline.content.decode()
    # Listed, but the notes wait for the interaction's own page: listing logs nothing.
    assert SUBJECT in text and "Another secret" in text
    assert "QX-773" not in text
    assert "open the interaction to read them" in text
    assert not AccessLog.objects.filter(field=CONFIDENTIAL_NOTES_FIELD).exists()

    url = reverse("interactions:detail", args=[cast.account.pk, interaction.pk])
    for _read in range(2):
        detail = client.get(url, REMOTE_ADDR="10.1.2.3")
        assert detail.status_code == 200
        assert SUMMARY in detail.content.decode() and OUTCOME in detail.content.decode()
        assert "Second note" not in detail.content.decode()
    reads = AccessLog.objects.filter(field=CONFIDENTIAL_NOTES_FIELD).order_by("pk")
    assert reads.count() == 2
    read = reads[0]
    assert (read.user, read.action, read.account_id) == (
        cast.compliance,
        AccessLog.Action.REVEAL,
        cast.account.pk,
    )
    assert read.detail == {"interaction_id": interaction.pk}
    assert read.ip_address == "10.1.2.3"
    assert SUBJECT in read.object_repr
    assert "QX-773" not in str(read.__dict__)
    # Compliance reads; it does not edit.
    edit = client.get(reverse("interactions:edit", args=[cast.account.pk, interaction.pk]))
    assert edit.status_code == 403
    # The audit trail names what was read.
    trail = client.get(reverse("audit_trail"), {"kind": "reads"})
    assert "Confidential notes" in trail.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["executive", "risk", "admin"])
def test_other_all_accounts_readers_never_see_a_confidential_interaction(
    cast: Cast, who: str
) -> None:
    interaction = _confidential(cast)
    client = _client(getattr(cast, who))
    timeline = client.get(reverse("interactions:timeline", args=[cast.account.pk]))
    assert timeline.status_code == 200
    assert SUBJECT not in timeline.content.decode()
    assert "QX-773" not in timeline.content.decode()
    detail = client.get(reverse("interactions:detail", args=[cast.account.pk, interaction.pk]))
    assert detail.status_code == 404
    edit = client.get(reverse("interactions:edit", args=[cast.account.pk, interaction.pk]))
    assert edit.status_code in (403, 404)
    assert not AccessLog.objects.filter(field=CONFIDENTIAL_NOTES_FIELD).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "other_lead"])
def test_other_rms_get_404(cast: Cast, who: str) -> None:
    interaction = _confidential(cast)
    client = _client(getattr(cast, who))
    assert client.get(reverse("interactions:timeline", args=[cast.account.pk])).status_code == 404
    detail = client.get(reverse("interactions:detail", args=[cast.account.pk, interaction.pk]))
    assert detail.status_code == 404


@pytest.mark.django_db
def test_compliance_on_another_account_team_is_still_logged(cast: Cast) -> None:
    """Compliance reads any account's confidential interactions, each read logged — also of
    an account they reach only through their role."""
    other = AccountFactory.create(owner=cast.outsider)
    interaction = _confidential(cast, account=other, user=cast.outsider)
    detail = _client(cast.compliance).get(
        reverse("interactions:detail", args=[other.pk, interaction.pk])
    )
    assert detail.status_code == 200
    assert AccessLog.objects.get(field=CONFIDENTIAL_NOTES_FIELD).account_id == other.pk


@pytest.mark.django_db
def test_exports_never_carry_confidential_interactions(cast: Cast) -> None:
    _confidential(cast)
    _confidential(
        cast, is_confidential=False, subject="Open talk", summary="Open note", outcome="None"
    )
    for user in (cast.owner, cast.compliance):
        response = _client(user).get(
            reverse("interactions:timeline_export", args=[cast.account.pk, "csv"]),
            {"export_reason": "Checking what leaves the portal"},
        )
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
        assert "Open note" in text
        assert SUBJECT not in text and "QX-773" not in text


# ---------------------------------------------------------------- moving the notes


def _form(interaction: Interaction, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "channel": interaction.channel_id,
        "occurred_at": timezone.localtime(interaction.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        "subject": interaction.subject,
        "summary": SUMMARY,
        "outcome": OUTCOME,
        "actions-TOTAL_FORMS": "0",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_marking_an_interaction_confidential_moves_its_notes_and_back(cast: Cast) -> None:
    interaction = _confidential(cast, is_confidential=False)
    client = _client(cast.owner)
    url = reverse("interactions:edit", args=[cast.account.pk, interaction.pk])

    assert client.post(url, _form(interaction, is_confidential="on")).status_code == 302
    raw = _raw(interaction)
    _assert_no_plain_notes(raw)
    assert crypto.decrypt(raw["confidential_outcome"]) == OUTCOME
    interaction.refresh_from_db()
    assert interaction.is_confidential and interaction.notes == NOTES

    assert client.post(url, _form(interaction)).status_code == 302
    assert _raw(interaction) == {
        "summary": SUMMARY,
        "outcome": OUTCOME,
        "confidential_summary": "",
        "confidential_outcome": "",
    }
    # The change log says the notes moved, never what they say.
    changes = [e.changes for e in LogEntry.objects.get_for_object(interaction)]
    assert "QX-773" not in repr(changes)
    marked = LogEntry.objects.get_for_object(interaction).order_by("pk")[1].changes_dict
    assert marked["confidential_summary"] == ["", "********"]
    assert marked["summary"] == ["********", ""]


# ---------------------------------------------------------------- Django admin


@pytest.fixture
def root() -> Client:
    return _client(UserFactory.create(username="root", is_staff=True, is_superuser=True))


@pytest.mark.django_db
def test_django_admin_never_shows_confidential_notes(root: Client, cast: Cast) -> None:
    interaction = _confidential(cast)
    change_url = reverse("admin:interactions_interaction_change", args=[interaction.pk])
    for client in (root, _client(cast.admin), _client(cast.compliance)):
        page = client.get(change_url)
        if page.status_code != 200:  # compliance may not use the admin's interactions
            continue
        text = page.content.decode()
        assert SUBJECT in text
        assert "QX-773" not in text and "Qinghai" not in text
        assert "Confidential: encrypted" in text
        assert 'name="summary"' not in text and 'name="confidential_summary"' not in text
        listing = client.get(reverse("admin:interactions_interaction_changelist"))
        assert "QX-773" not in listing.content.decode()

    # A correction made in the admin keeps the notes as they are.
    data = {
        "account": cast.account.pk,
        "channel": interaction.channel_id,
        "occurred_at_0": timezone.localtime(interaction.occurred_at).strftime("%Y-%m-%d"),
        "occurred_at_1": timezone.localtime(interaction.occurred_at).strftime("%H:%M:%S"),
        "subject": "Board succession (corrected)",
        "meeting_link": "",
        "created_by": cast.owner.pk,
        "follow_ups-TOTAL_FORMS": "0",
        "follow_ups-INITIAL_FORMS": "0",
        "follow_ups-MIN_NUM_FORMS": "0",
        "follow_ups-MAX_NUM_FORMS": "1000",
    }
    assert root.post(change_url, data).status_code == 302
    interaction.refresh_from_db()
    assert interaction.subject == "Board succession (corrected)"
    assert interaction.is_confidential and interaction.notes == NOTES


@pytest.mark.django_db
def test_an_interaction_marked_confidential_in_the_admin_has_its_notes_encrypted(
    root: Client, cast: Cast
) -> None:
    now = timezone.localtime() - dt.timedelta(hours=1)
    response = root.post(
        reverse("admin:interactions_interaction_add"),
        {
            "account": cast.account.pk,
            "channel": channel("phone").pk,
            "occurred_at_0": now.strftime("%Y-%m-%d"),
            "occurred_at_1": now.strftime("%H:%M:%S"),
            "subject": SUBJECT,
            "summary": SUMMARY,
            "outcome": OUTCOME,
            "meeting_link": "",
            "is_confidential": "on",
            "follow_ups-TOTAL_FORMS": "0",
            "follow_ups-INITIAL_FORMS": "0",
            "follow_ups-MIN_NUM_FORMS": "0",
            "follow_ups-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get(subject=SUBJECT)
    _assert_no_plain_notes(_raw(interaction))
    assert interaction.notes == NOTES


# ---------------------------------------------------------------- keys and migration


def _fernet_id(key: str) -> str:
    return crypto.key_id(base64.urlsafe_b64decode(key))


@pytest.mark.django_db
def test_key_rotation_reencrypts_the_confidential_notes(settings, cast: Cast) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    interaction = _confidential(cast)
    _confidential(cast, is_confidential=False, subject="Open")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_encryption_keys", batch_size=1, stdout=out)
    # Only the confidential interaction holds encrypted notes to rewrite.
    assert (
        "interactions.Interaction: 1 rows re-encrypted (confidential_summary, confidential_outcome)"
        in out.getvalue()
    )
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    raw = _raw(interaction)
    header = f"fernet1:{_fernet_id(new_key)}:"
    assert raw["confidential_summary"].startswith(header)
    assert raw["confidential_outcome"].startswith(header)
    assert Interaction.objects.get(pk=interaction.pk).notes == NOTES


MIGRATION_BEFORE = ("interactions", "0007_service_calendar_recompute")
MIGRATION = ("interactions", "0008_interaction_confidential_notes")


def _migrate(target: tuple[str, str] | None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_confidential_notes_and_reverses() -> None:
    executor = _migrate(MIGRATION_BEFORE)
    try:
        old_apps = executor.loader.project_state([MIGRATION_BEFORE]).apps
        OldInteraction = old_apps.get_model("interactions", "Interaction")
        Channel = old_apps.get_model("interactions", "Channel")
        meeting, _ = Channel.objects.get_or_create(code="meeting", defaults={"name": "Meeting"})
        account = AccountFactory.create()
        rows = {
            secret: OldInteraction.objects.create(
                account_id=account.pk,
                channel_id=meeting.pk,
                occurred_at=timezone.now(),
                subject=f"Subject {secret}",
                summary=SUMMARY if secret else "Open summary",
                outcome=OUTCOME if secret else "Open outcome",
                is_confidential=secret,
            ).pk
            for secret in (True, False)
        }
        _migrate(MIGRATION)
        secret = Interaction.objects.get(pk=rows[True])
        _assert_no_plain_notes(_raw(secret))
        assert secret.notes == NOTES
        assert _raw(Interaction.objects.get(pk=rows[False]))["summary"] == "Open summary"

        # Reversing puts the notes back in the plain columns (the keys are needed for it).
        _migrate(MIGRATION_BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT summary, outcome FROM interactions_interaction WHERE id = %s",
                [rows[True]],
            )
            assert cursor.fetchone() == NOTES
    finally:
        _migrate(None)


# ---------------------------------------------------------------- never cached


@pytest.mark.django_db
def test_pages_with_the_notes_are_never_kept_by_a_browser(cast: Cast) -> None:
    interaction = _confidential(cast)
    detail = reverse("interactions:detail", args=[cast.account.pk, interaction.pk])
    team = _client(cast.owner)
    pages = {
        "timeline": team.get(reverse("interactions:timeline", args=[cast.account.pk])),
        "detail": team.get(detail),
        "edit": team.get(reverse("interactions:edit", args=[cast.account.pk, interaction.pk])),
        "new": team.get(reverse("interactions:create", args=[cast.account.pk])),
        "compliance's read": _client(cast.compliance).get(detail),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert "no-store" in page["Cache-Control"], name
