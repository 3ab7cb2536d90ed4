"""When an account became exited: the start of the retention of its contacts' information
(privacy), which ran from ``updated_at`` before — moved by every edit and rescoring, so the
five- and ten-year periods started again and again.

Accounts exited already get the time of their latest status change in the change log
(django-auditlog: the latest entry that changed the status, when it changed it to exited);
where the log has none that can be read (a status written around the services, entries from
before the log, or no log), their ``updated_at``, the best date there is.
"""

import json
from typing import Any

from django.db import migrations, models

EXITED = "exited"
BATCH = 500
# django-auditlog's actions: create and update.
LOGGED_ACTIONS = (0, 1)


def _status_after(changes: Any) -> str | None:
    """The status an entry's changes set, None when it did not change the status."""
    if isinstance(changes, str):
        try:
            changes = json.loads(changes)
        except ValueError:
            return None
    status = changes.get("status") if isinstance(changes, dict) else None
    if isinstance(status, list | tuple) and len(status) == 2:
        return str(status[1])
    return None


def _exits_in_change_log(apps: Any, ids: list[int]) -> dict[int, Any]:
    """The time of each account's latest status change, when that change was its exit."""
    try:
        LogEntry = apps.get_model("auditlog", "LogEntry")
        ContentType = apps.get_model("contenttypes", "ContentType")
    except LookupError:
        return {}
    content_type = ContentType.objects.filter(app_label="accounts", model="account").first()
    if content_type is None:
        return {}
    found: dict[int, Any] = {}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        entries = (
            LogEntry.objects.filter(
                content_type=content_type, object_id__in=batch, action__in=LOGGED_ACTIONS
            )
            .order_by("object_id", "-timestamp", "-pk")
            .values_list("object_id", "timestamp", "changes")
        )
        seen: set[int] = set()
        for object_id, timestamp, changes in entries.iterator(chunk_size=2000):
            if object_id in seen:
                continue
            status = _status_after(changes)
            if status is None:
                continue
            seen.add(object_id)  # the latest status change decides
            if status == EXITED:
                found[object_id] = timestamp
    return found


def backfill_exited_at(apps: Any, schema_editor: Any) -> None:
    Account = apps.get_model("accounts", "Account")
    ids = list(
        Account.objects.filter(status=EXITED, exited_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return
    logged = _exits_in_change_log(apps, ids)
    for start in range(0, len(ids), BATCH):
        accounts = list(
            Account.objects.filter(pk__in=ids[start : start + BATCH]).only("pk", "updated_at")
        )
        for account in accounts:
            account.exited_at = logged.get(account.pk) or account.updated_at
        Account.objects.bulk_update(accounts, ["exited_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_contact_pipl"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="exited_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="exited"
            ),
        ),
        migrations.RunPython(backfill_exited_at, migrations.RunPython.noop, elidable=True),
    ]
