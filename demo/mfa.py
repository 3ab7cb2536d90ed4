"""Two-step sign-in for the demo and volume users: the users whose roles require it (and staff,
for Django admin) get an authenticator with one well-known demo secret, so that a newcomer can
sign in as them — with an authenticator app given the secret, or with
``manage.py demo_mfa_code USER``. Demo only: never a secret for real users."""

from __future__ import annotations

import time
from base64 import b32decode
from collections.abc import Callable, Iterable

from django_otp.oath import totp

from kam.mfa import AUTHENTICATOR_NAME, mfa_required_by_role
from kam.models import TotpDevice, User

# The secret of RFC 6238's test vectors ("12345678901234567890" in ASCII), in base32 as
# authenticator apps take it. Published in the README: it protects nothing.
DEMO_MFA_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # noqa: S105 - demo only, published
DEMO_MFA_KEY_HEX = b32decode(DEMO_MFA_SECRET).hex()


def demo_mfa_devices_ensure(users: Iterable[User]) -> list[str]:
    """Give each of ``users`` whose roles require two-step sign-in, or who is staff, a confirmed
    authenticator with the demo secret, unless they have one. Returns the usernames given one."""
    wanted = [user for user in users if user.is_staff or mfa_required_by_role(user)]
    enrolled = set(
        TotpDevice.objects.filter(user__in=wanted, confirmed=True).values_list("user_id", flat=True)
    )
    given = [user for user in wanted if user.pk not in enrolled]
    for user in given:
        # One save per device (a handful of users), so that each is in the change log; the key
        # is encrypted at rest as any other's.
        TotpDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, key=DEMO_MFA_KEY_HEX, confirmed=True
        )
    return [user.username for user in given]


def _current_step(device: TotpDevice) -> int:
    return (int(time.time()) - device.t0) // device.step + device.drift


def totp_code(device: TotpDevice) -> str | None:
    """The code ``device`` accepts now, computed from its key as an authenticator app does
    (``django_otp.oath.totp``); None when this time step's code was accepted already (each is
    accepted once): the next one comes within ``device.step`` seconds."""
    if _current_step(device) <= device.last_t:
        return None
    token = totp(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift
    )
    return f"{token:0{device.digits}d}"


def totp_code_when_due(device: TotpDevice, *, sleep: Callable[[float], None] = time.sleep) -> str:
    """``totp_code``, waiting for the next time step when this one's code was used already."""
    while (code := totp_code(device)) is None:
        sleep(device.step - (int(time.time()) - device.t0) % device.step + 0.1)
    return code
