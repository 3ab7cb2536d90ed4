# The change log's hash chain (issue 14, finding 8), sign-ins in the access log.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def link_existing_entries(apps, schema_editor):
    """Entries written before the chain existed are linked once, here, in id order, by the
    code that links and verifies every later entry."""
    from kam.audit_chain import BATCH_SIZE, entry_texts, link_hash

    Head = apps.get_model("kam", "AuditChainHead")
    Link = apps.get_model("kam", "AuditChainLink")
    previous, last, count = "0" * 64, 0, 0
    while rows := entry_texts(after=last, limit=BATCH_SIZE):
        links = []
        for entry_id, content in rows:
            previous, last = link_hash(previous, content), entry_id
            links.append(Link(entry_id=entry_id, hash=previous))
        Link.objects.bulk_create(links)
        count += len(links)
    Head.objects.create(pk=1, last_entry_id=last, last_hash=previous, length=count)


class Migration(migrations.Migration):

    dependencies = [
        ('auditlog', '0017_add_actor_email'),
        ('kam', '0004_snapshot_moves_to_dashboard'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='accesslog',
            name='accesslog_action_valid',
        ),
        migrations.AlterField(
            model_name='accesslog',
            name='action',
            field=models.CharField(choices=[('reveal', 'Revealed personal data'), ('export', 'Exported data'), ('login', 'Signed in'), ('login_failed', 'Failed sign-in'), ('logout', 'Signed out')], max_length=20, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='accesslog',
            name='user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='access_logs', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AddConstraint(
            model_name='accesslog',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['reveal', 'export', 'login', 'login_failed', 'logout'])), name='accesslog_action_valid'),
        ),
        migrations.AddConstraint(
            model_name='accesslog',
            constraint=models.CheckConstraint(condition=models.Q(('user__isnull', False), ('action', 'login_failed'), _connector='OR'), name='accesslog_user_required'),
        ),
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('last_entry_id', models.BigIntegerField(default=0, verbose_name='last entry')),
                ('last_hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64, verbose_name='last hash')),
                ('length', models.PositiveBigIntegerField(default=0, verbose_name='entries')),
            ],
            options={
                'verbose_name': 'audit chain head',
                'verbose_name_plural': 'audit chain head',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='auditchainhead_single_row')],
            },
        ),
        migrations.CreateModel(
            name='AuditChainLink',
            fields=[
                ('entry_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='log entry')),
                ('hash', models.CharField(max_length=64, verbose_name='hash')),
            ],
            options={
                'verbose_name': 'audit chain link',
                'verbose_name_plural': 'audit chain links',
                'ordering': ['entry_id'],
            },
        ),
        migrations.CreateModel(
            name='AuditVerification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='requested')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='started')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('intact', 'Intact'), ('broken', 'Broken'), ('failed', 'Could not finish')], default='queued', max_length=10, verbose_name='status')),
                ('entries_checked', models.PositiveBigIntegerField(default=0, verbose_name='entries checked')),
                ('problem', models.CharField(blank=True, choices=[('altered', 'Entry altered'), ('deleted', 'Entry deleted'), ('inserted', 'Entry inserted'), ('truncated', 'Entries missing at the end')], max_length=10, verbose_name='problem')),
                ('broken_entry_id', models.BigIntegerField(blank=True, null=True, verbose_name='first broken entry')),
                ('detail', models.TextField(blank=True, verbose_name='detail')),
                ('head_entry_id', models.BigIntegerField(blank=True, null=True, verbose_name='last entry')),
                ('head_hash', models.CharField(blank=True, max_length=64, verbose_name='last hash')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='requested by')),
            ],
            options={
                'verbose_name': 'audit chain verification',
                'verbose_name_plural': 'audit chain verifications',
                'ordering': ['-requested_at', '-pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'running', 'intact', 'broken', 'failed'])), name='auditverification_status_valid')],
            },
        ),
        migrations.RunPython(link_existing_entries, migrations.RunPython.noop),
    ]
