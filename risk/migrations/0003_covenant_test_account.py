"""For a faster scan: covenant figures carry their project's account, so that the scan reads a
chunk of accounts' figures by an index range (see CovenantTest); alerts no longer record when
the scan last confirmed them (an active alert is confirmed by the latest finished scan); no
indexes on foreign keys nobody looks alerts up by (each one slows the scan's inserts)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_account(apps, schema_editor):
    CovenantTest = apps.get_model("risk", "CovenantTest")
    Project = apps.get_model("accounts", "Project")
    CovenantTest.objects.update(
        account_id=Subquery(Project.objects.filter(pk=OuterRef("project_id")).values("account_id"))
    )


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("accounts", "0005_tier_policy_defaults"),
        ("risk", "0002_metrics_and_permissions"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="covenanttest",
            name="covenant_test_latest_idx",
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.account",
                verbose_name="account",
            ),
        ),
        migrations.RunPython(copy_account, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="covenanttest",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="accounts.account",
                verbose_name="account",
            ),
        ),
        migrations.RemoveField(
            model_name="alert",
            name="last_seen_at",
        ),
        migrations.AddIndex(
            model_name="covenanttest",
            index=models.Index(
                fields=["account", "project", "metric", "-period_end"],
                name="covenant_test_account_idx",
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="acknowledged_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="acknowledged by",
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="closed by",
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="raised_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="raised by",
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="rule",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="alerts",
                to="risk.riskrule",
                verbose_name="rule",
            ),
        ),
        migrations.AlterField(
            model_name="alertevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="by",
            ),
        ),
    ]
