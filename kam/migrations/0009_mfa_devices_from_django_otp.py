"""Move two-step sign-in devices from django-otp's plugins (otp_totp, otp_static: the secret key
and the recovery codes in plain text) into kam's own devices: the key encrypted
(kam.TotpDevice.key, an EncryptedTextField), each recovery code as its keyed digest
(kam.RecoveryCode). The plaintext rows are then deleted.

The plugins are no longer installed apps, so their tables are read with SQL, where they exist
(a database made before this change); a new database has none and nothing to move. Their
tables are left in place, empty. Unconfirmed authenticators (enrolments never finished) are
not moved. A session verified with an old device is asked for a code again (its device id
names the old model). Not reversible: the recovery codes cannot be recovered from digests.
"""

import datetime as dt
import re

from django.db import migrations
from django.utils.dateparse import parse_datetime

from kam.crypto import secret_digest

TOTP_TABLE = "otp_totp_totpdevice"
STATIC_DEVICE_TABLE = "otp_static_staticdevice"
STATIC_TOKEN_TABLE = "otp_static_statictoken"
# Columns copied as they are, where the table has them (older django-otp had no timestamps).
TOTP_COLUMNS = (
    "id",
    "user_id",
    "name",
    "key",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
)
STATIC_COLUMNS = (
    "id",
    "user_id",
    "name",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
)
TIMESTAMPS = ("throttling_failure_timestamp", "created_at", "last_used_at")


def _aware(value):
    """A timestamp read with SQL: SQLite gives text, in UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _rows(cursor, connection, table, wanted, where=""):
    present = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    columns = [c for c in wanted if c in present]
    qn = connection.ops.quote_name
    cursor.execute(
        f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)} {where} ORDER BY {qn('id')}"
    )
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        for name in TIMESTAMPS:
            if name in row:
                row[name] = _aware(row[name])
        rows.append(row)
    return rows


def _copy(model, row, fields):
    """Create ``model`` from ``row`` (timestamps set after: created_at is auto_now_add)."""
    device = model.objects.create(**{f: row[f] for f in fields if f in row})
    stamps = {name: row[name] for name in ("created_at", "last_used_at") if name in row}
    if stamps:
        model.objects.filter(pk=device.pk).update(**stamps)
    return device


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    tables = set(connection.introspection.table_names())
    TotpDevice = apps.get_model("kam", "TotpDevice")
    RecoveryCodeDevice = apps.get_model("kam", "RecoveryCodeDevice")
    RecoveryCode = apps.get_model("kam", "RecoveryCode")
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if TOTP_TABLE in tables:
            moved = set()
            for row in _rows(
                cursor, connection, TOTP_TABLE, TOTP_COLUMNS, f"WHERE {qn('confirmed')}"
            ):
                if row["user_id"] in moved:  # one authenticator per user: the first enrolled
                    continue
                moved.add(row["user_id"])
                _copy(
                    TotpDevice,
                    {**row, "key": row["key"].lower(), "confirmed": True},
                    (
                        "user_id",
                        "name",
                        "confirmed",
                        "key",
                        "step",
                        "t0",
                        "digits",
                        "tolerance",
                        "drift",
                        "last_t",
                        "throttling_failure_timestamp",
                        "throttling_failure_count",
                    ),
                )
            cursor.execute(f"DELETE FROM {qn(TOTP_TABLE)}")
        if STATIC_DEVICE_TABLE in tables and STATIC_TOKEN_TABLE in tables:
            devices = {}  # user id -> the user's one RecoveryCodeDevice
            device_of = {}  # old device id -> new device
            for row in _rows(
                cursor,
                connection,
                STATIC_DEVICE_TABLE,
                STATIC_COLUMNS,
                f"WHERE {qn('confirmed')}",
            ):
                if row["user_id"] not in devices:
                    devices[row["user_id"]] = _copy(
                        RecoveryCodeDevice,
                        {**row, "confirmed": True},
                        (
                            "user_id",
                            "name",
                            "confirmed",
                            "throttling_failure_timestamp",
                            "throttling_failure_count",
                        ),
                    )
                device_of[row["id"]] = devices[row["user_id"]]
            cursor.execute(
                f"SELECT {qn('device_id')}, {qn('token')} FROM {qn(STATIC_TOKEN_TABLE)}"
            )
            digests = set()
            codes = []
            for device_id, token in cursor.fetchall():
                device = device_of.get(device_id)
                if device is None:
                    continue
                code = re.sub(r"[\s-]+", "", token).lower()  # as kam.mfa reads what is typed
                digest = secret_digest(code, purpose="recovery code")
                if (device.pk, digest) not in digests:
                    digests.add((device.pk, digest))
                    codes.append(RecoveryCode(device_id=device.pk, digest=digest))
            RecoveryCode.objects.bulk_create(codes)
            cursor.execute(f"DELETE FROM {qn(STATIC_TOKEN_TABLE)}")
            cursor.execute(f"DELETE FROM {qn(STATIC_DEVICE_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0008_mfa_devices"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
