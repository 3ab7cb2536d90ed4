"""Add a large synthetic book for benchmarks (bulk inserts; not audited)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.accounts import demo_password
from demo.accounts_volume import (
    ACCOUNTS_PER_RM,
    EXEC_USERNAME,
    analyze_tables,
    generate_volume,
    rm_username,
)
from demo.audit_volume import generate_audit_entries
from demo.dashboard_volume import generate_alert_history, generate_snapshots
from demo.interactions_volume import analyze_tables as analyze_interaction_tables
from demo.interactions_volume import generate_interactions, generate_reviews
from demo.risk_volume import generate_risk_volume
from demo.service_volume import generate_service_requests
from demo.tiering import volume_tiering_setup


class Command(BaseCommand):
    help = (
        "Add N synthetic accounts with contacts, projects and account teams, owned by volume "
        f"RMs ({rm_username(1)}, ...; {ACCOUNTS_PER_RM} accounts each, ten RMs to a team with "
        f"a lead) and read by {EXEC_USERNAME}; passwords from DEMO_PASSWORD. Rows are bulk "
        "inserted: personal data is encrypted as usual, but django-auditlog records nothing "
        "for them. Runs are additive: credit codes continue after the last volume account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, required=True, help="Accounts to add.")
        parser.add_argument("--contacts-per-account", type=int, default=5)
        parser.add_argument("--projects-per-account", type=int, default=2)
        parser.add_argument(
            "--parties-per-project",
            type=int,
            default=5,
            help="Parties per project (at least 1, the lead account): the lead, a borrower, "
            "then contractors, lenders, off-takers from the same chunk of accounts.",
        )
        parser.add_argument(
            "--facilities-per-project",
            type=int,
            default=1,
            help="Facilities per project, owed by its borrower (0: none).",
        )
        parser.add_argument(
            "--accounts-per-group",
            type=int,
            default=10,
            help="One client group (2 to 50 accounts) per this many accounts (0: no groups); "
            "the run's first group has 50 accounts.",
        )
        parser.add_argument(
            "--accounts-per-rm", type=int, default=ACCOUNTS_PER_RM, help="Accounts per RM."
        )
        parser.add_argument("--seed", type=int, default=0, help="Random seed of the attributes.")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--interactions",
            type=int,
            default=0,
            help="Interactions to add over all accounts (COPY on PostgreSQL), with strategic "
            "reviews and sponsors for the accounts whose tier requires them.",
        )
        parser.add_argument(
            "--service-requests",
            type=int,
            default=0,
            help="Service requests to add over all accounts and the last year, with their "
            "history and the breaches recorded so far (three days' backlog is left for the scan).",
        )
        parser.add_argument(
            "--risk",
            action="store_true",
            help="Early-warning rules, covenants with figures, ESG events and earlier ratings "
            "for the projects and accounts that have none yet (the risk scan's benchmark).",
        )

        parser.add_argument(
            "--alerts",
            type=int,
            default=0,
            help="Risk alerts to add over all accounts and the last two years, most of them "
            "closed (the dashboards' benchmark).",
        )
        parser.add_argument(
            "--audit-entries",
            type=int,
            default=0,
            help="Change-log entries to add (edits of the accounts by the volume RMs over two "
            "years) with their hash chain (the audit verification's benchmark).",
        )
        parser.add_argument(
            "--snapshots",
            action="store_true",
            help="Compute the quarterly snapshots of the last eight quarters (dashboard trends "
            "and supervision scorecards), last, over everything generated.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("accounts", "accounts_per_rm", "batch_size", "parties_per_project"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        for name in (
            "contacts_per_account",
            "projects_per_account",
            "facilities_per_project",
            "accounts_per_group",
            "interactions",
            "service_requests",
            "alerts",
            "audit_entries",
        ):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative.")
        progress = self.stdout.write if options["verbosity"] > 1 else None
        result = generate_volume(
            accounts=options["accounts"],
            contacts_per_account=options["contacts_per_account"],
            projects_per_account=options["projects_per_account"],
            accounts_per_rm=options["accounts_per_rm"],
            parties_per_project=options["parties_per_project"],
            facilities_per_project=options["facilities_per_project"],
            accounts_per_group=options["accounts_per_group"],
            seed=options["seed"],
            batch_size=options["batch_size"],
            password=demo_password(),
            progress=progress,
        )
        analyze_tables()
        volume_tiering_setup()  # a published scoring model; accounts are scored by the recompute
        if options["interactions"] > 0:
            history = generate_interactions(
                count=options["interactions"], seed=options["seed"], progress=progress
            )
            reviews = generate_reviews(seed=options["seed"])
            analyze_interaction_tables()
            self.stdout.write(
                f"Generated {history.interactions} interactions, {history.follow_ups} follow-ups, "
                f"{reviews.reviews} strategic reviews: {history.seconds:.1f} seconds, "
                f"{history.interactions / max(history.seconds, 1e-9):,.0f} interactions/s."
            )
        rows = result.rows
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {result.accounts} accounts (numbers {result.first_index}-"
                f"{result.first_index + result.accounts - 1}), {result.contacts} contacts, "
                f"{result.projects} projects, {result.memberships} memberships, "
                f"{result.users} users, {result.teams} teams, {result.parties} project "
                f"parties, {result.facilities} facilities ({result.classification_changes} "
                f"classified below normal), {result.groups} client groups with "
                f"{result.group_members} members, {result.connections} connected parties: "
                f"{rows} rows in {result.seconds:.1f} s "
                f"({rows / max(result.seconds, 1e-9):,.0f} rows/s)."
            )
        )
        # After the accounts line: the benchmark reads the first "in N s" as the accounts' time.
        if options["service_requests"] > 0:
            service = generate_service_requests(
                count=options["service_requests"], seed=options["seed"], progress=progress
            )
            self.stdout.write(
                f"Generated {service.requests} service requests ({service.open} open, "
                f"{service.breaches} breaches recorded, {service.backlog} left for the scan), "
                f"{service.events} history rows in {service.seconds:.1f} s."
            )
        if options["risk"]:
            risk = generate_risk_volume(seed=options["seed"], progress=progress)
            self.stdout.write(
                f"Generated risk data: {risk.covenants} covenants, {risk.figures} covenant "
                f"figures, {risk.esg_events} ESG events, {risk.rating_snapshots} earlier ratings "
                f"in {risk.seconds:.1f} s."
            )
        if options["alerts"] > 0:
            alerts = generate_alert_history(
                count=options["alerts"], seed=options["seed"], progress=progress
            )
            self.stdout.write(
                f"Generated {alerts.alerts} risk alerts ({alerts.active} active) "
                f"in {alerts.seconds:.1f} s."
            )
        if options["audit_entries"] > 0:
            audit = generate_audit_entries(
                count=options["audit_entries"], seed=options["seed"], progress=progress
            )
            self.stdout.write(
                f"Generated {audit.entries} change-log entries, {audit.linked} linked into the "
                f"hash chain, in {audit.seconds:.1f} s."
            )
        if options["snapshots"]:
            snapshots = generate_snapshots(progress=progress)
            self.stdout.write(
                f"Computed {snapshots.rows} quarterly snapshots ({snapshots.quarters} quarters) "
                f"in {snapshots.seconds:.1f} s."
            )
