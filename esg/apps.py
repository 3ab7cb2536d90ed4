from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EsgConfig(AppConfig):
    name = "esg"
    verbose_name = _("Environmental and social")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import audit  # noqa: F401  (registers models with django-auditlog)
