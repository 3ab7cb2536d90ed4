"""Covenants as lenders test them: several levels per covenant (lock-up / cash sweep and event
of default, changed from a date by amendments), the test calendar (frequency, next test date,
certificate due), cures, waivers and amendments, and the inputs of DSCR and LLCR on a figure.

Every covenant's single threshold becomes its event-of-default level from the start, with no
row lost (tests/risk/test_covenants_migration.py); the figures keep the threshold they were
tested against as their event-of-default level."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def thresholds_into_levels(apps, schema_editor):
    ProjectCovenant = apps.get_model("risk", "ProjectCovenant")
    CovenantLevel = apps.get_model("risk", "CovenantLevel")
    rows = ProjectCovenant.objects.order_by("pk").values_list("pk", "threshold")
    batch = []
    for pk, threshold in rows.iterator(chunk_size=5000):
        batch.append(CovenantLevel(covenant_id=pk, kind="default", threshold=threshold))
        if len(batch) >= 5000:
            CovenantLevel.objects.bulk_create(batch)
            batch = []
    CovenantLevel.objects.bulk_create(batch)


def levels_into_thresholds(apps, schema_editor):
    """Each covenant's threshold back from its earliest event-of-default level (the one from
    the start, else the one from the earliest date; an amendment may have added one only from
    a date); a covenant with no default level at all takes its earliest level of any kind, so
    that the column can be required again."""
    ProjectCovenant = apps.get_model("risk", "ProjectCovenant")
    CovenantLevel = apps.get_model("risk", "CovenantLevel")
    earliest = (F("valid_from").asc(nulls_first=True), "pk")
    ProjectCovenant.objects.update(
        threshold=Coalesce(
            Subquery(
                CovenantLevel.objects.filter(covenant_id=OuterRef("pk"), kind="default")
                .order_by(*earliest)
                .values("threshold")[:1]
            ),
            Subquery(
                CovenantLevel.objects.filter(covenant_id=OuterRef("pk"))
                .order_by(*earliest)
                .values("threshold")[:1]
            ),
        )
    )


def grant_admin_permissions(apps, schema_editor):
    # Permissions are normally created after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("risk")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="Administrator").first()
    if admins is not None:
        admins.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="risk",
                content_type__model__in=["covenantlevel", "covenantwaiver"],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0003_covenant_test_account"),
        ("accounts", "0003_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CovenantLevel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("lock_up", "Lock-up / cash sweep"),
                            ("default", "Event of default"),
                        ],
                        max_length=10,
                        verbose_name="level",
                    ),
                ),
                (
                    "threshold",
                    models.DecimalField(decimal_places=4, max_digits=14, verbose_name="threshold"),
                ),
                (
                    "valid_from",
                    models.DateField(
                        blank=True,
                        help_text="Tests of periods ending on or after this date; empty: from the start.",
                        null=True,
                        verbose_name="valid from",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
            ],
            options={
                "verbose_name": "covenant level",
                "verbose_name_plural": "covenant levels",
                "ordering": ["covenant", "kind", "valid_from"],
            },
        ),
        migrations.CreateModel(
            name="CovenantWaiver",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("cure", "Cure (e.g. an equity cure)"),
                            ("waiver", "Waiver"),
                            ("amendment", "Amendment (new levels from a date)"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("approved_on", models.DateField(verbose_name="approved on")),
                (
                    "valid_until",
                    models.DateField(
                        blank=True,
                        help_text="Empty: without an end.",
                        null=True,
                        verbose_name="valid until",
                    ),
                ),
                (
                    "effective_from",
                    models.DateField(
                        blank=True,
                        help_text="An amendment: tests of periods ending on or after this date.",
                        null=True,
                        verbose_name="new levels from",
                    ),
                ),
                ("reason", models.TextField(verbose_name="reason")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="last changed")),
            ],
            options={
                "verbose_name": "cure, waiver or amendment",
                "verbose_name_plural": "cures, waivers and amendments",
                "ordering": ["covenant", "-approved_on", "-pk"],
            },
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="certificate_received_on",
            field=models.DateField(
                blank=True, null=True, verbose_name="compliance certificate received"
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="cfads",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Cash flow available for debt service in the period.",
                max_digits=18,
                null=True,
                verbose_name="CFADS",
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="cfads_forecast",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="CFADS of each period over the remaining loan life, first period first.",
                verbose_name="CFADS forecast",
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="computed_value",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                editable=False,
                help_text="The ratio computed from the inputs.",
                max_digits=14,
                null=True,
                verbose_name="computed value",
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="debt_outstanding",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=18,
                null=True,
                verbose_name="debt outstanding",
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="debt_service",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="Principal and interest due in the period.",
                max_digits=18,
                null=True,
                verbose_name="debt service",
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="discount_rate_pct",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                max_digits=7,
                null=True,
                verbose_name="discount rate (% a year)",
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="lock_up_threshold",
            field=models.DecimalField(
                blank=True,
                decimal_places=4,
                help_text="Copied from the covenant when the figure is recorded.",
                max_digits=14,
                null=True,
                verbose_name="lock-up level",
            ),
        ),
        migrations.AddField(
            model_name="covenanttest",
            name="value_mismatch",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="reported value differs from the inputs"
            ),
        ),
        migrations.AddField(
            model_name="projectcovenant",
            name="basis",
            field=models.CharField(
                choices=[
                    ("backward", "Backward-looking (the period just ended)"),
                    ("forward", "Forward-looking (the coming period, projected)"),
                ],
                default="backward",
                max_length=10,
                verbose_name="basis",
            ),
        ),
        migrations.AddField(
            model_name="projectcovenant",
            name="certificate_days",
            field=models.PositiveSmallIntegerField(
                default=60,
                help_text="The borrower delivers its compliance certificate this many days later.",
                verbose_name="certificate due (days after the test date)",
            ),
        ),
        migrations.AddField(
            model_name="projectcovenant",
            name="frequency",
            field=models.PositiveSmallIntegerField(
                choices=[(3, "Quarterly"), (6, "Semi-annual"), (12, "Annual")],
                default=6,
                verbose_name="test frequency",
            ),
        ),
        migrations.AddField(
            model_name="projectcovenant",
            name="next_test_date",
            field=models.DateField(
                blank=True,
                help_text="The end of the next period the covenant is tested on.",
                null=True,
                verbose_name="next test date",
            ),
        ),
        migrations.AlterField(
            model_name="covenanttest",
            name="threshold",
            field=models.DecimalField(
                decimal_places=4,
                help_text="Copied from the covenant when the figure is recorded.",
                max_digits=14,
                verbose_name="event-of-default level",
            ),
        ),
        migrations.AddIndex(
            model_name="projectcovenant",
            index=models.Index(
                condition=models.Q(("next_test_date__isnull", False)),
                fields=["next_test_date"],
                name="covenant_next_test_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="covenanttest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("lock_up_threshold__isnull", True),
                    ("lock_up_threshold__gt", 0),
                    _connector="OR",
                ),
                name="covenant_test_lock_up_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="projectcovenant",
            constraint=models.CheckConstraint(
                condition=models.Q(("basis__in", ["backward", "forward"])),
                name="covenant_basis_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="projectcovenant",
            constraint=models.CheckConstraint(
                condition=models.Q(("frequency__in", [3, 6, 12])), name="covenant_frequency_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="projectcovenant",
            constraint=models.CheckConstraint(
                condition=models.Q(("certificate_days__lte", 365)),
                name="covenant_certificate_days_range",
            ),
        ),
        migrations.AddField(
            model_name="covenantlevel",
            name="covenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="levels",
                to="risk.projectcovenant",
                verbose_name="covenant",
            ),
        ),
        migrations.AddField(
            model_name="covenantwaiver",
            name="approved_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="approved by",
            ),
        ),
        migrations.AddField(
            model_name="covenantwaiver",
            name="covenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="waivers",
                to="risk.projectcovenant",
                verbose_name="covenant",
            ),
        ),
        migrations.AddField(
            model_name="covenantwaiver",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="recorded by",
            ),
        ),
        migrations.AddField(
            model_name="covenantwaiver",
            name="test",
            field=models.ForeignKey(
                blank=True,
                help_text="Empty: every test of the covenant while the waiver is valid.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="waivers",
                to="risk.covenanttest",
                verbose_name="test covered",
            ),
        ),
        migrations.AddField(
            model_name="covenantlevel",
            name="amendment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="levels",
                to="risk.covenantwaiver",
                verbose_name="amendment",
            ),
        ),
        migrations.AddConstraint(
            model_name="covenantwaiver",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["cure", "waiver", "amendment"])),
                name="covenant_waiver_kind_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="covenantwaiver",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_until__isnull", True),
                    ("valid_until__gte", models.F("approved_on")),
                    _connector="OR",
                ),
                name="covenant_waiver_valid_after_approval",
            ),
        ),
        migrations.AddConstraint(
            model_name="covenantwaiver",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("effective_from__isnull", False),
                        ("kind", "amendment"),
                        ("test__isnull", True),
                    ),
                    models.Q(
                        models.Q(("kind", "amendment"), _negated=True),
                        ("effective_from__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="covenant_waiver_amendment_has_date",
            ),
        ),
        migrations.AddConstraint(
            model_name="covenantlevel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("valid_from__isnull", False)),
                fields=("covenant", "kind", "valid_from"),
                name="covenant_level_once_per_date",
            ),
        ),
        migrations.AddConstraint(
            model_name="covenantlevel",
            constraint=models.UniqueConstraint(
                condition=models.Q(("valid_from__isnull", True)),
                fields=("covenant", "kind"),
                name="covenant_level_once_from_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="covenantlevel",
            constraint=models.CheckConstraint(
                condition=models.Q(("threshold__gt", 0)), name="covenant_level_threshold_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="covenantlevel",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["lock_up", "default"])),
                name="covenant_level_kind_valid",
            ),
        ),
        # The single threshold of each covenant becomes its event-of-default level from the
        # start: made nullable first, so that the way back can refill it before it is required.
        migrations.AlterField(
            model_name="projectcovenant",
            name="threshold",
            field=models.DecimalField(
                decimal_places=4, max_digits=14, null=True, verbose_name="threshold"
            ),
        ),
        migrations.RunPython(thresholds_into_levels, levels_into_thresholds),
        migrations.RemoveConstraint(
            model_name="projectcovenant",
            name="covenant_threshold_positive",
        ),
        migrations.RemoveField(
            model_name="projectcovenant",
            name="threshold",
        ),
        # Administrators edit covenants in the admin (see 0002): the new models too.
        migrations.RunPython(grant_admin_permissions, migrations.RunPython.noop),
    ]
