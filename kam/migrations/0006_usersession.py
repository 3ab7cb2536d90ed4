# The signed-in sessions of users (issue 14, finding 7): a row beside each of Django's sessions.

import datetime as dt
from importlib import import_module

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def record_open_sessions(apps, schema_editor):
    """Sessions signed in before rows were kept get theirs now, so that ending all of a user's
    sessions (a role change, an administrator) reaches them too. Nothing in the portal saves a
    session after sign-in, so it was signed in SESSION_COOKIE_AGE before it expires; the address
    and browser are filled in by its next request."""
    Session = apps.get_model("sessions", "Session")
    UserSession = apps.get_model("kam", "UserSession")
    User = apps.get_model("kam", "User")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = django.utils.timezone.now()
    age = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    found = {}
    for key, data, expires in (
        Session.objects.filter(expire_date__gt=now)
        .values_list("session_key", "session_data", "expire_date")
        .iterator(2000)
    ):
        user_id = store.decode(data).get("_auth_user_id")
        if user_id and str(user_id).isdigit():
            found[key] = (int(user_id), min(expires - age, now))
    users = set(
        User.objects.filter(pk__in={u for u, _at in found.values()}).values_list("pk", flat=True)
    )
    UserSession.objects.bulk_create(
        [
            UserSession(session_id=key, user_id=user_id, created_at=at, last_seen=at)
            for key, (user_id, at) in found.items()
            if user_id in users
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("kam", "0005_audit_chain"),
        ("sessions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="UserSession",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="signed in"
                    ),
                ),
                (
                    "last_seen",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="last seen"
                    ),
                ),
                (
                    "ip_address",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address"),
                ),
                (
                    "user_agent",
                    models.CharField(blank=True, max_length=300, verbose_name="browser"),
                ),
                (
                    "session",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="sessions.session",
                        verbose_name="session",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="user_sessions",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "signed-in session",
                "verbose_name_plural": "signed-in sessions",
                "ordering": ["-last_seen", "-pk"],
            },
        ),
        migrations.RunPython(record_open_sessions, migrations.RunPython.noop),
    ]
