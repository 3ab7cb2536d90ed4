"""Administrators keep project parties, facilities and the classification history in Django
admin (issue 15): give the Administrator role the permissions of those models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FINANCE_MODELS = ["projectparty", "facility", "facilityclassificationchange"]


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
                content_type__app_label="accounts", content_type__model__in=FINANCE_MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0017_retire_equator_scoring")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
