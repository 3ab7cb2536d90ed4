"""Verify the change log's hash chain: exit status 0 when intact, 1 at the first break."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kam.audit_chain import BATCH_SIZE, chain_verify
from kam.models import AuditVerification


class Command(BaseCommand):
    help = (
        "Walk the change log's hash chain in id order, in batches, and report the first "
        "entry altered, deleted or inserted. Recorded like a verification asked for on the "
        "compliance page. Exit status 1 when the chain is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help="Entries read per query."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            options["batch_size"] = BATCH_SIZE
        started_at = timezone.now()
        started = time.perf_counter()
        check = chain_verify(batch_size=options["batch_size"])
        seconds = time.perf_counter() - started
        AuditVerification.objects.create(
            requested_at=started_at,
            started_at=started_at,
            finished_at=timezone.now(),
            status=AuditVerification.Status.INTACT
            if check.intact
            else AuditVerification.Status.BROKEN,
            entries_checked=check.checked,
            problem=check.problem,
            broken_entry_id=check.entry_id,
            detail=check.detail,
            head_entry_id=check.head_entry_id,
            head_hash=check.head_hash,
        )
        if check.intact:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Intact: {check.checked} entries verified in {seconds:.1f} s; last entry "
                    f"{check.head_entry_id}, hash {check.head_hash}."
                )
            )
            return
        self.stderr.write(
            self.style.ERROR(
                f"Broken at entry {check.entry_id} ({check.problem}): {check.detail} "
                f"{check.checked} entries verified before it."
            )
        )
        raise SystemExit(1)
