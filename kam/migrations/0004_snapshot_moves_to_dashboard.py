# The quarterly snapshot moves to the dashboard app (dashboard.0001_initial takes it over):
# the table stays; only Django's record of its owner changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('kam', '0003_rollups'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='AccountQuarterSnapshot')],
            database_operations=[],
        ),
    ]
