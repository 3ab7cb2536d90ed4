from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM Portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import checks, lookups  # noqa: F401  (system checks; the __in_ids lookup)
        from .data_cache import watch_writes

        # Every write on every connection moves the data generation (kam.data_cache).
        connection_created.connect(watch_writes, dispatch_uid="kam-watch-writes")
