from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    label = "client_groups"
    verbose_name = _("Client groups")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # django-auditlog registrations; the system check that a capital base is in force.
        from . import audit, checks  # noqa: F401
