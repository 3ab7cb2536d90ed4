from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM Portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, lookups  # noqa: F401  (system checks; the __in_ids lookup)
