"""Administrators configure scoring models and FX rates, and read scores, tier history,
overrides, recompute runs and account plans in Django admin: give the Administrator role the
permissions of the tiering and account-plan models (issue 3)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TIERING_MODELS = [
    "fxrate",
    "scoringmodel",
    "criterion",
    "scoreband",
    "choicepoints",
    "accountscore",
    "tierchange",
    "tieroverride",
    "tieringrun",
    "tieringchunk",
    "accountplan",
    "planwalletline",
    "planserviceitem",
    "planaction",
]


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="Administrator").first()
    if admins is not None:
        admins.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="accounts", content_type__model__in=TIERING_MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_fx_rates")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
