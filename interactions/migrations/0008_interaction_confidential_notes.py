"""Confidential interactions keep their notes encrypted (issue 14).

The summary and outcome of a confidential interaction move to the encrypted columns
``confidential_summary`` and ``confidential_outcome``; the plain ones are emptied, and a check
constraint keeps the notes in one place from then on. Reversing moves them back in plain text
(it needs the encryption keys).
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

import kam.fields

BATCH = 1000
PLAIN = ("summary", "outcome")
ENCRYPTED = ("confidential_summary", "confidential_outcome")


def _move(apps: Any, source: tuple[str, str], target: tuple[str, str]) -> None:
    """Move the notes of confidential interactions from the ``source`` columns to ``target``,
    in batches by id (only the confidential interactions with notes are read)."""
    Interaction = apps.get_model("interactions", "Interaction")
    pending = (
        Interaction.objects.filter(is_confidential=True)
        .exclude(**{source[0]: "", source[1]: ""})
        .order_by("pk")
        .only("pk", *source)
    )
    last = 0
    while batch := list(pending.filter(pk__gt=last)[:BATCH]):
        for row in batch:
            for src, dst in zip(source, target, strict=True):
                setattr(row, dst, getattr(row, src))
                setattr(row, src, "")
        Interaction.objects.bulk_update(batch, [*source, *target])
        last = batch[-1].pk


def encrypt_confidential_notes(apps: Any, schema_editor: Any) -> None:
    _move(apps, PLAIN, ENCRYPTED)


def decrypt_confidential_notes(apps: Any, schema_editor: Any) -> None:
    _move(apps, ENCRYPTED, PLAIN)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_account_handover"),
        ("interactions", "0007_service_calendar_recompute"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="interaction",
            name="confidential_outcome",
            field=kam.fields.EncryptedTextField(blank=True, verbose_name="outcome (confidential)"),
        ),
        migrations.AddField(
            model_name="interaction",
            name="confidential_summary",
            field=kam.fields.EncryptedTextField(blank=True, verbose_name="summary (confidential)"),
        ),
        migrations.AlterField(
            model_name="interaction",
            name="is_confidential",
            field=models.BooleanField(
                default=False,
                help_text="Visible only to the account team (the owner, team members and team lead) and to compliance; its summary and outcome are encrypted at rest.",
                verbose_name="confidential",
            ),
        ),
        migrations.RunPython(encrypt_confidential_notes, decrypt_confidential_notes),
        migrations.AddConstraint(
            model_name="interaction",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("is_confidential", True), ("outcome", ""), ("summary", "")),
                    models.Q(
                        ("confidential_outcome", ""),
                        ("confidential_summary", ""),
                        ("is_confidential", False),
                    ),
                    _connector="OR",
                ),
                name="interaction_notes_placed",
            ),
        ),
    ]
