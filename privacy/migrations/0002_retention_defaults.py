"""The default retention rule of each legal basis (README, "PIPL handling"), and the
Administrator role's permissions on the privacy models (retention rules are edited in the
admin; requests are read there)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DAYS_A_YEAR = 365
RULES = [
    # (legal basis, clock, days, note)
    (
        "consent",
        "consent_withdrawn",
        30,
        "PIPL art. 47: delete once consent is withdrawn; 30 days to carry it out.",
    ),
    (
        "contract",
        "account_exited",
        5 * DAYS_A_YEAR + 1,
        "Five years after the relationship ends: credit files and claims (bank policy).",
    ),
    (
        "hr",
        "last_activity",
        2 * DAYS_A_YEAR,
        "Labour Contract Law art. 50: records kept two years after the contract ends.",
    ),
    (
        "legal_duty",
        "account_exited",
        10 * DAYS_A_YEAR + 2,
        "Anti-Money Laundering Law (2024): client records ten years after the relationship.",
    ),
    (
        "health_emergency",
        "last_activity",
        180,
        "Only while the emergency lasts (PIPL art. 13(4)).",
    ),
    (
        "public_interest",
        "last_activity",
        DAYS_A_YEAR,
        "Within a reasonable scope (PIPL art. 13(5)).",
    ),
    (
        "publicly_disclosed",
        "last_activity",
        3 * DAYS_A_YEAR,
        "Within a reasonable scope (PIPL art. 27).",
    ),
    (
        "other_law",
        "account_exited",
        5 * DAYS_A_YEAR + 1,
        "Five years after the relationship ends unless the law named says otherwise.",
    ),
]
MODELS = ["retentionrule", "datasubjectrequest", "requestevent"]


def seed(apps, schema_editor):
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    for basis, clock, days, note in RULES:
        RetentionRule.objects.get_or_create(
            legal_basis=basis, defaults={"clock": clock, "retention_days": days, "note": note}
        )
    # Permissions are normally created after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("privacy")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="Administrator").first()
    if admins is not None:
        admins.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="privacy", content_type__model__in=MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("accounts", "0003_roles"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
