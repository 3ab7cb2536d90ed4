"""Administrators keep E&S action plans, their items and the independent reviews in Django
admin (issue 15): give the Administrator role the permissions of the esg models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("esg")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="Administrator").first()
    if admins is not None:
        admins.permissions.add(*Permission.objects.filter(content_type__app_label="esg"))


class Migration(migrations.Migration):
    dependencies = [("esg", "0001_initial"), ("accounts", "0003_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
