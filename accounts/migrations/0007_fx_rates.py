from datetime import date
from decimal import Decimal

from django.db import migrations

# Indicative rates (CNY per unit) so that exposures in foreign currencies can be scored on a
# fresh installation; treasury keeps them current in the admin (Accounts → FX rates).
RATES = {
    "USD": "7.1000",
    "EUR": "7.8000",
    "HKD": "0.9100",
    "JPY": "0.0480",
    "GBP": "9.1000",
    "SGD": "5.3000",
}


def create_rates(apps, schema_editor):
    FxRate = apps.get_model("accounts", "FxRate")
    for currency, rate in RATES.items():
        FxRate.objects.get_or_create(
            currency=currency,
            defaults={"rate_to_cny": Decimal(rate), "as_of": date(2026, 1, 1)},
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_tiering_and_plans")]

    operations = [migrations.RunPython(create_rates, migrations.RunPython.noop)]
