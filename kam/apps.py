from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KamConfig(AppConfig):
    name = "kam"
    verbose_name = _("KAM Portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # System checks; the __in_ids lookup; change-log registrations, hash chain, sign-ins;
        # sessions that follow their user's access; two-step sign-in's mark at sign-in.
        from . import audit, checks, lookups, mfa, signals  # noqa: F401
