from django.db import migrations

# Strategic accounts are met at least every 14 days and reviewed by executives each quarter.
DEFAULTS = [
    ("strategic", 14, True, True),
    ("key", 30, True, True),
    ("core", 60, False, True),
    ("standard", 90, False, False),
]


def create_policies(apps, schema_editor):
    TierPolicy = apps.get_model("accounts", "TierPolicy")
    for tier, cadence, review, plan in DEFAULTS:
        TierPolicy.objects.get_or_create(
            tier=tier,
            defaults={
                "cadence_days": cadence,
                "requires_quarterly_review": review,
                "requires_account_plan": plan,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_tier_policy")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
