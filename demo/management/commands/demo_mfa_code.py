"""Print the current two-step code of a demo user (demo only: refuses any other secret)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.mfa import DEMO_MFA_KEY_HEX, DEMO_MFA_SECRET, totp_code_when_due
from kam.mfa import mfa_authenticator
from kam.models import User


class Command(BaseCommand):
    help = (
        "Print the code that the demo authenticator of USER shows now, to type after the "
        f"password when signing in as a demo user whose role requires two-step sign-in. Only "
        f"for devices with the published demo secret ({DEMO_MFA_SECRET}); any other is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="A demo user, e.g. exec.chen")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        device = mfa_authenticator(user)
        if device is None:
            raise CommandError(f"{user.username} has not set up two-step sign-in.")
        if device.key.lower() != DEMO_MFA_KEY_HEX:
            raise CommandError(
                f"{user.username}'s authenticator does not use the demo secret: "
                "this command reads demo devices only."
            )
        self.stdout.write(totp_code_when_due(device))
