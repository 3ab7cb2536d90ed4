"""Roles are Django groups, created by a data migration; these are their names."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RM = "Relationship manager", _("Relationship manager")
    TEAM_LEAD = "Team lead", _("Team lead")
    RISK = "Risk officer", _("Risk officer")
    EXECUTIVE = "Executive", _("Executive")
    COMPLIANCE = "Compliance", _("Compliance")
    ADMIN = "Administrator", _("Administrator")


# Roles that read every account (read-only unless also granted write elsewhere).
ALL_ACCOUNTS_READERS = frozenset({Role.EXECUTIVE, Role.RISK, Role.COMPLIANCE, Role.ADMIN})
# Roles that read the audit trail.
AUDIT_READERS = frozenset({Role.COMPLIANCE, Role.ADMIN})
