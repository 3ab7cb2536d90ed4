"""System checks of the groups app: concentration against capital needs a capital base."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.database)
def check_capital_base(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[Warning]:
    """Without a capital base in force, the concentration rule cannot measure anything: the
    scan skips it (and says so) every run. Reads the database, so, like Django's own database
    checks, it runs only when asked for databases (``migrate``, ``check --database default``)."""
    if not databases:
        return []
    from .models import CapitalBase

    warnings = []
    for alias in databases:
        try:
            missing = CapitalBase.current(using=alias) is None
        except DatabaseError:  # not migrated yet: ``migrate`` creates the table
            continue
        if missing:
            warnings.append(
                Warning(
                    f"No capital base is in force in database {alias!r}: concentration "
                    "against capital (risk rule exposure_concentration) cannot be measured, "
                    "and the scan skips it.",
                    hint="Add the bank's tier-1 net capital and net capital as of a date on or "
                    "before today in the admin (Client groups → Capital bases).",
                    id="client_groups.W001",
                )
            )
    return warnings
