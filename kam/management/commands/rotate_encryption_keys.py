"""Re-encrypt every encrypted column under FIELD_ENCRYPTION_ALGORITHM and its newest key.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_SM4_KEYS; keep
the old ones after it), run this command, then remove the old keys. Switching between Fernet
and SM4-GCM is the same: change FIELD_ENCRYPTION_ALGORITHM, keep the old algorithm's keys,
run this command, then remove them. Safe to re-run; works in batches.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction

from kam import crypto
from kam.fields import EncryptedTextField


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    found = []
    for model in apps.get_models():
        columns = [
            f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        ]
        if columns:
            found.append((model, columns))
    return found


def rotate_model(model: type[models.Model], columns: list[str], batch_size: int) -> int:
    """Rotate the tokens of ``columns`` in ``model``'s table; returns the rows rewritten.

    Rows whose encrypted columns are all empty hold nothing to rotate and are not read (most
    interactions: only confidential ones have encrypted notes)."""
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    cols = ", ".join(qn(c) for c in columns)
    assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
    stored = " OR ".join(f"COALESCE({qn(c)}, '') <> ''" for c in columns)
    rewritten, last_pk = 0, None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = f"{pk} > %s AND " if last_pk is not None else ""
            params: list[Any] = [last_pk] if last_pk is not None else []
            cursor.execute(
                f"SELECT {pk}, {cols} FROM {table} WHERE {after}({stored}) "  # noqa: S608
                f"ORDER BY {pk} LIMIT %s",
                [*params, batch_size],
            )
            rows = cursor.fetchall()
            if not rows:
                return rewritten
            updates = [[*(crypto.rotate(v) if v else v for v in row[1:]), row[0]] for row in rows]
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                updates,
            )
            rewritten += len(rows)
            last_pk = rows[-1][0]


class Command(BaseCommand):
    help = (
        "Re-encrypt all personal data with FIELD_ENCRYPTION_ALGORITHM and the newest key "
        "of its key list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        # Fails on a missing algorithm or key before any row is read.
        target = crypto.scheme_prefix()
        for model, columns in encrypted_columns():
            count = rotate_model(model, columns, batch_size)
            self.stdout.write(
                f"{model._meta.label}: {count} rows re-encrypted ({', '.join(columns)})"
            )
        self.stdout.write(
            self.style.SUCCESS(f"All encrypted data is now under the newest key ({target}).")
        )
