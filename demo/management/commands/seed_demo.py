"""Load the demo book (users per role, teams, ~60 accounts with contacts and projects)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Account
from demo.accounts import USERS, demo_password, seed_demo
from demo.dashboard import seed_dashboard
from demo.esg import seed_esg
from demo.interactions import seed_interactions
from demo.mfa import DEMO_MFA_SECRET, demo_mfa_devices_ensure
from demo.privacy import seed_privacy
from demo.risk import seed_risk
from demo.service import seed_service_requests
from demo.tiering import describe as describe_tiering
from demo.tiering import seed_tiering
from kam.models import User


class Command(BaseCommand):
    help = (
        "Load a realistic demo project-finance book: one user per role (password from "
        "DEMO_PASSWORD, default kam-demo-2026), two teams, 60 client accounts with contacts, "
        "projects (five to eight parties each, syndicated facilities) and account teams, their "
        "project companies and counterparties, client groups and connected parties. "
        "Idempotent: existing rows are left unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any account exists already.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Account.objects.exists():
            self.stdout.write("Accounts exist already; demo data not loaded.")
            return
        started = time.perf_counter()
        password = demo_password()
        usernames = [spec.username for spec in USERS]
        existing = set(
            User.objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        result = seed_demo(password=password)
        if result.parties or result.facilities or result.groups.groups:
            self.stdout.write(
                f"Project finance: {result.parties} project parties, {result.facilities} "
                f"facilities; {result.groups.groups} client groups with "
                f"{result.groups.members} members, {result.groups.connections} connected "
                "parties" + (", the capital base" if result.groups.capital else "") + "."
            )
        # Like the demo password, the demo authenticator is given only to users made now.
        two_step = demo_mfa_devices_ensure(
            User.objects.filter(username__in=set(usernames) - existing).order_by("username")
        )
        tiering = seed_tiering()  # scoring model, scores, overrides, account plans
        if tiering.inputs or tiering.plans or tiering.overrides:
            self.stdout.write(describe_tiering(tiering) + ".")
        history = seed_interactions()  # interactions, follow-ups, sponsors, strategic reviews
        if history.interactions or history.reviews:
            self.stdout.write(
                f"Relationship history: {history.interactions} interactions, "
                f"{history.follow_ups} follow-ups, {history.reviews} strategic reviews, "
                f"{history.sponsors} executive sponsors."
            )
        service = seed_service_requests()  # requests in every state, SLA breaches recorded
        if service.requests:
            self.stdout.write(
                f"Service requests: {service.requests}, {service.breaches} SLA breaches recorded."
            )
        privacy = seed_privacy()  # data-subject requests in every state (PIPL)
        if privacy.requests:
            self.stdout.write(
                f"Privacy: {privacy.requests} data-subject requests, "
                f"{privacy.anonymised} contact anonymised at a request."
            )
        esg = seed_esg()  # ESAPs and independent reviews of category A projects (before the scan)
        if esg.items or esg.reviews:
            self.stdout.write(
                f"E&S: {esg.plans} action plans with {esg.items} items, {esg.reviews} "
                "independent reviews."
            )
        risk = seed_risk()  # rules, covenants, ESG events, then a scan: alerts (read the above)
        self.stdout.write(
            f"Risk: {risk.rules} rules, {risk.figures} covenant figures, {risk.esg_events} ESG "
            f"events; {sum(risk.alerts.values())} active alerts after the scan."
        )
        snapshots = seed_dashboard()  # quarterly snapshots: dashboard trends and scorecards
        self.stdout.write(
            f"Dashboards: {snapshots.rows} quarterly snapshots over {len(snapshots.quarters)} "
            "quarters."
        )
        elapsed = time.perf_counter() - started
        if not result.created_anything and not result.memberships:
            self.stdout.write(f"Demo data already loaded; nothing to do ({elapsed:.1f} s).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded in {elapsed:.1f} s: {result.users} users, {result.teams} teams, "
                f"{result.accounts} accounts, {result.contacts} contacts, "
                f"{result.projects} projects, {result.memberships} account-team memberships."
            )
        )
        if result.users:
            self.stdout.write(f"Demo logins (password {password!r}):")
            for username, role in result.logins:
                self.stdout.write(f"  {username:<16} {role}")
        if two_step:
            self.stdout.write(
                f"Two-step sign-in for {', '.join(two_step)}: demo authenticator secret "
                f"{DEMO_MFA_SECRET}, or `python manage.py demo_mfa_code USERNAME` for the code."
            )
