"""Administrators edit SLA policies and read service requests in Django admin: give the
Administrator role the permissions of the service models (issue 5)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SERVICE_MODELS = ["slapolicy", "servicerequest", "servicerequestevent", "slabreach"]


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make them now so the group can hold them.
    app_config = apps.get_app_config("interactions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="Administrator").first()
    if admins is not None:
        admins.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="interactions", content_type__model__in=SERVICE_MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0002_service_requests"),
        ("accounts", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
