# The quarterly snapshot moved from the kam app to the dashboard app: the table stays
# where it is (kam_accountquartersnapshot); only Django's record of its owner changes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0002_initial'),
        ('kam', '0004_snapshot_moves_to_dashboard'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AccountQuarterSnapshot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                        ('quarter', models.PositiveSmallIntegerField(verbose_name='quarter')),
                        ('tier', models.CharField(max_length=20, verbose_name='tier')),
                        ('region', models.CharField(max_length=20, verbose_name='region')),
                        ('status', models.CharField(max_length=20, verbose_name='status')),
                        ('exposure_cny', models.DecimalField(decimal_places=2, max_digits=20, verbose_name='exposure (CNY)')),
                        ('green_exposure_cny', models.DecimalField(decimal_places=2, max_digits=20, verbose_name='green exposure (CNY)')),
                        ('cadence_applies', models.BooleanField(default=False, verbose_name='cadence applies')),
                        ('cadence_kept', models.BooleanField(default=False, verbose_name='cadence kept')),
                        ('review_required', models.BooleanField(default=False, verbose_name='review required')),
                        ('review_held', models.BooleanField(default=False, verbose_name='review held')),
                        ('sr_total', models.PositiveIntegerField(default=0, verbose_name='requests opened')),
                        ('sr_response_met', models.PositiveIntegerField(default=0, verbose_name='first responses in time')),
                        ('sr_response_missed', models.PositiveIntegerField(default=0, verbose_name='first responses late')),
                        ('sr_resolution_met', models.PositiveIntegerField(default=0, verbose_name='resolved in time')),
                        ('sr_resolution_missed', models.PositiveIntegerField(default=0, verbose_name='resolved late')),
                        ('alerts_raised', models.PositiveIntegerField(default=0, verbose_name='alerts raised')),
                        ('alerts_active_end', models.PositiveIntegerField(default=0, verbose_name='alerts active at the end')),
                        ('alerts_ack_in_time', models.PositiveIntegerField(default=0, verbose_name='alerts acknowledged in time')),
                        ('alerts_ack_late', models.PositiveIntegerField(default=0, verbose_name='alerts acknowledged late')),
                        ('actions_on_time', models.PositiveIntegerField(default=0, verbose_name='plan actions done on time')),
                        ('actions_late', models.PositiveIntegerField(default=0, verbose_name='plan actions late')),
                        ('computed_at', models.DateTimeField(verbose_name='computed')),
                        ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='quarter_snapshots', to='accounts.account', verbose_name='account')),
                        ('owner', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner RM')),
                        ('team', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.team', verbose_name='team')),
                    ],
                    options={
                        'db_table': 'kam_accountquartersnapshot',
                        'verbose_name': 'account quarter snapshot',
                        'verbose_name_plural': 'account quarter snapshots',
                        'indexes': [models.Index(fields=['year', 'quarter', 'account'], name='snapshot_quarter_idx'), models.Index(fields=['year', 'quarter', 'owner'], name='snapshot_owner_idx'), models.Index(fields=['year', 'quarter', 'team'], name='snapshot_team_idx')],
                        'constraints': [models.UniqueConstraint(fields=('account', 'year', 'quarter'), name='snapshot_once_per_quarter'), models.CheckConstraint(condition=models.Q(('quarter__gte', 1), ('quarter__lte', 4)), name='snapshot_quarter_valid')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
