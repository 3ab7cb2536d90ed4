"""Data-subject requests keep what the person wrote (``details``) and where to answer them
(``reply_to``) encrypted at rest; rows written before are encrypted here, and the history's
"Recorded" notes, which copied what the person wrote, are emptied. Requests record when the
person's details were erased (``erased_at``); retention rules say whether a law requires the
period (``required_by_law``: a deletion request is refused until it has run out); the
retention job records each day's run (``RetentionRun``).

Reversing decrypts the two columns again (it needs the encryption keys); the emptied notes
stay empty.
"""

from typing import Any

import django.core.validators
from django.db import migrations, models

import kam.fields

BATCH = 1000
ENCRYPTED = ("reply_to", "details")
# The periods a law sets (the rest are the bank's policy or a reasonable scope): the Labour
# Contract Law, the Anti-Money Laundering Law, and the law another ground names.
REQUIRED_BY_LAW = ("hr", "legal_duty", "other_law")


def _rewrite(apps: Any, schema_editor: Any, convert: Any) -> None:
    """Apply ``convert`` to every stored value of the two columns, in batches by id, in SQL:
    the model's field would decrypt what is still plain text."""
    table = apps.get_model("privacy", "DataSubjectRequest")._meta.db_table
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in ENCRYPTED)
    assignments = ", ".join(f"{qn(c)} = %s" for c in ENCRYPTED)
    stored = " OR ".join(f"{qn(c)} <> ''" for c in ENCRYPTED)
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, {columns} FROM {qn(table)} "  # noqa: S608
                f"WHERE id > %s AND ({stored}) ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(
                f"UPDATE {qn(table)} SET {assignments} WHERE id = %s",  # noqa: S608
                [[*(convert(v) if v else v for v in row[1:]), row[0]] for row in rows],
            )
            last = rows[-1][0]


def encrypt_requests(apps: Any, schema_editor: Any) -> None:
    from kam import crypto

    _rewrite(apps, schema_editor, crypto.encrypt)
    RequestEvent = apps.get_model("privacy", "RequestEvent")
    RequestEvent.objects.filter(action="recorded").exclude(note="").update(note="")


def decrypt_requests(apps: Any, schema_editor: Any) -> None:
    from kam import crypto

    _rewrite(apps, schema_editor, crypto.decrypt)


def mark_required_by_law(apps: Any, schema_editor: Any) -> None:
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    RetentionRule.objects.filter(legal_basis__in=REQUIRED_BY_LAW).update(required_by_law=True)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0002_retention_defaults"),
    ]

    operations = [
        migrations.CreateModel(
            name="RetentionRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("on", models.DateField(unique=True, verbose_name="day")),
                ("started_at", models.DateTimeField(auto_now_add=True, verbose_name="started")),
                ("listed", models.PositiveIntegerField(default=0, verbose_name="contacts listed")),
                ("chunks", models.PositiveIntegerField(default=0, verbose_name="chunks")),
                (
                    "anonymised",
                    models.PositiveIntegerField(default=0, verbose_name="contacts anonymised"),
                ),
                ("failures", models.JSONField(blank=True, default=dict, verbose_name="failures")),
                (
                    "requests_erased",
                    models.PositiveIntegerField(default=0, verbose_name="requests erased"),
                ),
            ],
            options={
                "verbose_name": "retention run",
                "verbose_name_plural": "retention runs",
                "ordering": ["-on"],
            },
        ),
        migrations.AddField(
            model_name="datasubjectrequest",
            name="erased_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="personal details erased"
            ),
        ),
        migrations.AddField(
            model_name="retentionrule",
            name="required_by_law",
            field=models.BooleanField(
                default=False,
                help_text="A law requires keeping the information for this period: a request to delete it is refused until the period has run out.",
                verbose_name="required by law",
            ),
        ),
        migrations.AlterField(
            model_name="datasubjectrequest",
            name="details",
            field=kam.fields.EncryptedTextField(
                blank=True,
                validators=[django.core.validators.MaxLengthValidator(4000)],
                verbose_name="what they asked",
            ),
        ),
        migrations.AlterField(
            model_name="datasubjectrequest",
            name="reply_to",
            field=kam.fields.EncryptedTextField(
                blank=True,
                help_text="How to answer them (an address, a phone number).",
                validators=[django.core.validators.MaxLengthValidator(200)],
                verbose_name="reply to",
            ),
        ),
        migrations.AlterField(
            model_name="requestevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("recorded", "Recorded"),
                    ("started", "Taken on"),
                    ("exported", "Copy exported"),
                    ("corrected", "Information corrected"),
                    ("anonymised", "Information anonymised"),
                    ("objection", "Objection recorded"),
                    ("consent_withdrawn", "Consent withdrawal recorded"),
                    ("completed", "Completed"),
                    ("refused", "Refused"),
                    ("overdue", "Overdue: compliance notified"),
                    ("erased", "Personal details erased"),
                ],
                max_length=20,
                verbose_name="what",
            ),
        ),
        migrations.RunPython(mark_required_by_law, migrations.RunPython.noop),
        migrations.RunPython(encrypt_requests, decrypt_requests),
    ]
