"""The quarterly snapshot keeps the drawn part of an account's exposure beside the exposure
(drawn plus undrawn) now that facilities hold the amounts (issue 15)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("accounts", "0016_project_amounts_live_in_facilities"),
    ]

    operations = [
        migrations.AddField(
            model_name="accountquartersnapshot",
            name="drawn_cny",
            field=models.DecimalField(
                decimal_places=2, default=0, max_digits=20, verbose_name="drawn (CNY)"
            ),
        ),
    ]
