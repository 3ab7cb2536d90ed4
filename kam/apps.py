from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM Portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save

        from . import checks, lookups  # noqa: F401  (system checks; the __in_ids lookup)
        from .data_cache import notification_written, watch_writes
        from .models import Notification

        # Every write on every connection moves the data generation (kam.data_cache); a
        # notification also moves its user's, which their home is kept under.
        connection_created.connect(watch_writes, dispatch_uid="kam-watch-writes")
        for signal in (post_save, post_delete):
            signal.connect(notification_written, sender=Notification, dispatch_uid="kam-notified")
