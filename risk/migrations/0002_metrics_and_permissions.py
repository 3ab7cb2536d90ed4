"""Reference data: the usual project-finance covenant metrics (administrators add more), and
the risk models' permissions for administrators (they edit rules and covenants in the admin)."""

from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

METRICS = [
    # code, English, Chinese, direction, unit, usual threshold, position
    ("dscr", "Debt service coverage ratio (DSCR)", "偿债覆盖率（DSCR）", "min", "x", "1.20", 10),
    ("llcr", "Loan life coverage ratio (LLCR)", "贷款期覆盖率（LLCR）", "min", "x", "1.30", 20),
    ("debt_equity", "Debt to equity", "债务权益比", "max", "x", "4.00", 30),
    ("icr", "Interest cover ratio (ICR)", "利息保障倍数", "min", "x", "2.00", 40),
    ("net_debt_ebitda", "Net debt / EBITDA", "净债务/EBITDA", "max", "x", "5.00", 50),
]


def forwards(apps, schema_editor):
    Metric = apps.get_model("risk", "CovenantMetric")
    for code, name, name_zh, direction, unit, threshold, position in METRICS:
        Metric.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_zh": name_zh,
                "direction": direction,
                "unit": unit,
                "default_threshold": Decimal(threshold),
                "position": position,
            },
        )
    app_config = apps.get_app_config("risk")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="Administrator").first()
    if admins is not None:
        admins.permissions.add(*Permission.objects.filter(content_type__app_label="risk"))


def backwards(apps, schema_editor):
    apps.get_model("risk", "CovenantMetric").objects.filter(
        code__in=[m[0] for m in METRICS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
        ("accounts", "0003_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
