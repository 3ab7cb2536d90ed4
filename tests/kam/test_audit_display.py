"""The audit trail as a person reads it: field labels, choice labels, related records by name,
Beijing time to the second, no artefacts of reverse relations; the same words in its export;
and a page of entries costs the same queries however many there are."""

from __future__ import annotations

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from kam.audit_display import entries_for_display
from kam.models import AccessLog
from tests.conftest import Cast
from tests.factories import AccountFactory, UserFactory
from tests.interactions.factories import FollowUpFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def _hand_over(account: Account, to: object) -> None:
    account.owner = to  # type: ignore[assignment]
    account.status = "active"
    account.save()


def test_changes_read_as_labels_names_and_local_time(client, cast: Cast) -> None:
    cast.owner.first_name, cast.owner.last_name = "Wei", "Wang"
    cast.owner.save()
    new_owner = UserFactory.create(username="rm.liu", first_name="Yang", last_name="Liu")
    cast.account.status = "prospect"
    cast.account.save()
    _hand_over(cast.account, new_owner)
    entry = LogEntry.objects.get_for_object(cast.account).order_by("-pk").first()
    assert entry is not None
    assert entry.changes_dict["owner"] == [str(cast.owner.pk), str(new_owner.pk)]  # stored as is
    shown = entries_for_display([entry])[0]
    lines = {line.label: (line.old, line.new) for line in shown.lines}
    assert lines["Owner RM"] == ("Wei Wang", "Yang Liu")
    assert lines["Status"] == ("Prospect", "Active")
    local = timezone.localtime(entry.timestamp)
    assert shown.when == local.strftime("%Y-%m-%d %H:%M:%S")
    assert str(local.utcoffset()) == "8:00:00"

    client.force_login(cast.compliance)
    body = client.get(reverse("audit_trail"), {"account": cast.account.pk}).content.decode()
    assert "Wei Wang" in body and "Yang Liu" in body and "Prospect" in body
    assert shown.when in body and "." + f"{entry.timestamp.microsecond:06d}" not in body
    assert "Changed" in body and "Account" in body


def test_creates_show_no_reverse_relation_artefacts(client, cast: Cast) -> None:
    interaction = InteractionFactory.create(account=cast.account)
    FollowUpFactory.create(interaction=interaction, owner=cast.owner)
    stored = " ".join(str(e.changes) for e in LogEntry.objects.all())
    client.force_login(cast.compliance)
    body = client.get(reverse("audit_trail")).content.decode()
    assert ".None" not in body
    assert "Meeting" in body  # the channel by name
    if "interactions.FollowUp.None" in stored:  # what django-auditlog stores for a reverse FK
        assert "FollowUp" not in body


def test_a_deleted_related_record_is_named_as_deleted(cast: Cast) -> None:
    other = UserFactory.create(username="rm.gone")
    _hand_over(cast.account, other)
    cast.account.owner = cast.owner
    cast.account.save()
    entry = LogEntry.objects.get_for_object(cast.account).order_by("-pk").first()
    assert entry is not None
    gone = other.pk
    other.delete()
    line = next(x for x in entries_for_display([entry])[0].lines if x.label == "Owner RM")
    assert line.old == f"#{gone} (deleted)"


def test_a_page_of_entries_costs_the_same_queries_however_many(client, cast: Cast) -> None:
    client.force_login(cast.compliance)
    url = reverse("audit_trail")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    owners = UserFactory.create_batch(3)
    for owner in owners:
        AccountFactory.create(owner=owner)
    few = queries()
    for index in range(30):
        account = AccountFactory.create(owner=owners[index % 3])
        _hand_over(account, owners[(index + 1) % 3])
    assert queries() <= few + 2  # one name query per related model, not per entry


def test_the_export_uses_the_same_words_and_is_logged(client, cast: Cast) -> None:
    new_owner = UserFactory.create(username="rm.liu", first_name="Yang", last_name="Liu")
    _hand_over(cast.account, new_owner)
    client.force_login(cast.compliance)
    # The trail is data-security level 3: its export always says why (kam.data_levels).
    reason = "Annual PIPL audit of handovers"
    response = client.get(
        reverse("audit_trail_export", args=["csv"]),
        {"account": cast.account.pk, "export_reason": reason},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["When", "User", "Action"]
    assert any("Owner RM: " in row[6] and "Yang Liu" in row[6] for row in rows[1:])
    log = AccessLog.objects.get(action="export")
    assert log.user == cast.compliance and log.detail["export"] == "audit-changes"


@pytest.mark.parametrize("who", ["owner", "lead", "executive", "risk", "outsider"])
def test_only_compliance_and_admins_export_the_trail(client, cast: Cast, who: str) -> None:
    client.force_login(getattr(cast, who))
    assert client.get(reverse("audit_trail_export", args=["csv"])).status_code == 403
    assert not AccessLog.objects.filter(action="export").exists()
