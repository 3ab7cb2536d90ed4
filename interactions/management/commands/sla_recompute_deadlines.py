"""Recompute provisional SLA deadlines on the working calendar as installed now.

Run after upgrading chinesecalendar (README: the year-end calendar procedure). The daily beat
job ``interactions.sla_provisional_deadlines_refresh`` does the same; this runs it at once and
says what it did. Idempotent: a second run with the same calendar changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from interactions.business_time import calendar_missing_years
from interactions.services.service import sla_provisional_deadlines_refresh


class Command(BaseCommand):
    help = (
        "Recompute the provisional SLA deadlines (years the working calendar did not know) and "
        "withdraw the breaches the new deadlines undo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would change, and change nothing (no rows, no notifications).",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            with transaction.atomic():
                result = sla_provisional_deadlines_refresh()
                # Rolled back, so the notifications' e-mails (sent on commit) never go.
                transaction.set_rollback(True)
        else:
            # One short transaction per request, as the daily job.
            result = sla_provisional_deadlines_refresh()
        prefix = "Would have: " if dry_run else ""
        self.stdout.write(
            f"{prefix}examined {result.examined} request(s) with provisional deadlines: "
            f"{result.changed} changed, {result.withdrawn} breach(es) withdrawn, "
            f"{result.recorded} breach(es) recorded, {result.provisional} still provisional."
        )
        missing = calendar_missing_years()
        if missing:
            years = ", ".join(str(year) for year in missing)
            self.stdout.write(
                self.style.WARNING(
                    f"The installed chinesecalendar does not know {years}: deadlines there stay "
                    "provisional until it is upgraded."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS("The working calendar knows the years it should."))
