"""Roles are groups. Administrators get every model permission of the portal's apps
(they work in Django admin); compliance reads the audit trail there too."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = [
    "Relationship manager",
    "Team lead",
    "Risk officer",
    "Executive",
    "Compliance",
    "Administrator",
]
ADMIN_APPS = ["kam", "accounts", "auth", "auditlog", "axes", "guardian"]
COMPLIANCE_VIEW = [("auditlog", "logentry"), ("kam", "accesslog")]


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; make them now so groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
    groups["Administrator"].permissions.add(
        *Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )
    for app_label, model in COMPLIANCE_VIEW:
        groups["Compliance"].permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__startswith="view_",
            )
        )


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("kam", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auditlog", "__latest__"),
        ("axes", "__latest__"),
        ("guardian", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
