"""Two-step sign-in (django-otp): who must pass it, enrolment, the code step with an
authenticator app's code or a single-use recovery code, new recovery codes, removal, and the
administrator's reset (README, Security: Two-step sign-in).

- A session passes the code step through ``django_otp.login``, which keeps the device's id in
  the session; django-otp's ``OTPMiddleware`` loads that device again on every request, so a
  device removed or reset unverifies every session that used it at once.
- Who owes the step is decided per request: the roles of ``MFA_REQUIRED_ROLES`` (read from the
  database once per request, as every page reads them), staff on Django admin, and whoever had
  an authenticator when they signed in. That last fact is a mark put in the session at sign-in,
  so that an ordinary request costs no query; enrolling, removing and resetting end the user's
  other sessions, so no session outlives the fact it marks.
- A wrong code counts twice: its device throttles itself (django-otp: after n wrong codes in a
  row it checks no code for 2**(n-1) seconds, whatever passwords are typed meanwhile), and it is
  a failed sign-in for django-axes, which locks the username and the address as wrong passwords
  do; the session is then ended. Every code accepted or refused is in the access log.
"""

from __future__ import annotations

import datetime as dt
import re
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

import segno
from auditlog.models import LogEntry
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .client_address import client_address
from .models import AccessLog, User
from .roles import Role
from .services import user_sessions_end

# The names the devices are given (shown in Django admin and the change log).
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
# Set at sign-in when the user had a confirmed authenticator: this session owes the code step.
ENROLLED_SESSION_KEY = "_kam_mfa_enrolled"
# What the access log's ``field`` says was typed.
METHOD_AUTHENTICATOR = "authenticator app"
METHOD_RECOVERY = "recovery code"

_SEPARATORS = re.compile(r"[\s-]+")


# ---------------------------------------------------------------- who owes the code step


def mfa_required_by_role(user: User) -> bool:
    """Whether the user's roles require two-step sign-in (``MFA_REQUIRED_ROLES``); a superuser
    counts as an administrator, as everywhere in the portal."""
    required = frozenset(settings.MFA_REQUIRED_ROLES)
    if not required:
        return False
    if user.is_superuser and Role.ADMIN in required:
        return True
    return bool(user.role_names & required)


def mfa_required(user: User, *, admin: bool = False) -> bool:
    """Whether the user must pass the code step for a page; ``admin``: a Django admin page,
    which staff reach only with it (``MFA_REQUIRED_FOR_ADMIN``)."""
    if admin and user.is_staff and settings.MFA_REQUIRED_FOR_ADMIN:
        return True
    return mfa_required_by_role(user)


def mfa_session_verified(request: HttpRequest) -> bool:
    """Whether this session passed the code step (django-otp's middleware checks its device)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def mfa_pending_redirect(request: HttpRequest, *, admin: bool) -> HttpResponseRedirect | None:
    """Where a signed-in session that owes the code step must go first — the code page, or
    enrolment when the user has no authenticator yet — or None when it owes nothing."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    owes = request.session.get(ENROLLED_SESSION_KEY, False) or mfa_required(user, admin=admin)
    if not owes or mfa_session_verified(request):
        return None
    url = reverse("mfa:verify" if mfa_authenticator(user) is not None else "mfa:setup")
    if request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return HttpResponseRedirect(url)


@receiver(user_logged_in, dispatch_uid="kam.mfa.signed_in")
def _mark_enrolled_session(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """A new session of a user with an authenticator owes the code step, whatever their role."""
    if request is None or not hasattr(request, "session") or not isinstance(user, User):
        return
    if mfa_authenticator(user) is not None:
        request.session[ENROLLED_SESSION_KEY] = True


# ---------------------------------------------------------------- reads


def mfa_authenticator(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they enrolled."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


def mfa_recovery_device(user: User) -> StaticDevice | None:
    device: StaticDevice | None = (
        StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


@dataclass(frozen=True)
class MFAStatus:
    authenticator: TOTPDevice | None
    recovery_codes_left: int
    required: bool

    @property
    def enrolled(self) -> bool:
        return self.authenticator is not None


def mfa_status(user: User) -> MFAStatus:
    recovery = mfa_recovery_device(user)
    return MFAStatus(
        authenticator=mfa_authenticator(user),
        recovery_codes_left=recovery.token_set.count() if recovery is not None else 0,
        required=mfa_required_by_role(user),
    )


def mfa_secret_text(device: TOTPDevice) -> str:
    """The authenticator's secret as an app asks for it typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def mfa_qr_svg(device: TOTPDevice) -> SafeString:
    """The authenticator's otpauth:// address as an inline SVG QR code: paths with presentation
    attributes only (no style, no script), so the Content-Security-Policy allows it as it is."""
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=4, border=4, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the address is encoded, not quoted


# ---------------------------------------------------------------- checking a code


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of one code typed: the device that accepted it, or why none did."""

    device: Device | None
    method: str
    throttled_until: dt.datetime | None = None
    locked_out: bool = False

    @property
    def accepted(self) -> bool:
        return self.device is not None


def _normalised(code: str) -> str:
    return _SEPARATORS.sub("", code).lower()


def _access(
    *, request: HttpRequest, user: User, action: str, method: str, detail: dict[str, Any]
) -> None:
    AccessLog.objects.create(
        user=user,
        action=action,
        object_repr=user.get_username()[:200],
        field=method,
        ip_address=client_address(request),
        detail={"user_agent": request.META.get("HTTP_USER_AGENT", "")[:200], **detail},
    )


def mfa_code_check(
    *,
    request: HttpRequest,
    user: User,
    code: str,
    purpose: str,
    device: TOTPDevice | None = None,
) -> CodeCheck:
    """Check a code the user typed: six digits against their authenticator app (or ``device``,
    an authenticator being enrolled, which alone is then checked), anything else against their
    recovery codes (a recovery code accepted is used up). The outcome is written to the access
    log with ``purpose``; a wrong code is a failed sign-in for django-axes too, and
    ``locked_out`` says that it (or an earlier failure) locked the username or the address."""
    credentials = {"username": user.get_username()}
    code = _normalised(code)
    authenticator = device or mfa_authenticator(user)
    candidate: Device | None
    if device is not None or (
        authenticator is not None and code.isdigit() and len(code) == authenticator.digits
    ):
        candidate, method = authenticator, METHOD_AUTHENTICATOR
    else:
        candidate, method = mfa_recovery_device(user), METHOD_RECOVERY

    if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
        _access(
            request=request,
            user=user,
            action=AccessLog.Action.MFA_FAILED,
            method=method,
            detail={"purpose": purpose, "reason": "locked"},
        )
        return CodeCheck(device=None, method=method, locked_out=True)

    accepted: Device | None = None
    throttled_until: dt.datetime | None = None
    with transaction.atomic():
        if candidate is not None:
            # Locked for the check, so that two requests never both use one code.
            candidate = type(candidate).objects.select_for_update().get(pk=candidate.pk)
            allowed, info = candidate.verify_is_allowed()
            if not allowed:
                throttled_until = (info or {}).get("locked_until")
            elif candidate.verify_token(code):
                accepted = candidate

    if accepted is not None:
        _access(
            request=request,
            user=user,
            action=AccessLog.Action.MFA_VERIFIED,
            method=method,
            detail={"purpose": purpose},
        )
        # As a sign-in does: the username's own failures are cleared, never the address's.
        AxesProxyHandler.reset_attempts(username=user.get_username())
        return CodeCheck(device=accepted, method=method)

    reason = "throttled" if throttled_until is not None else "wrong"
    _access(
        request=request,
        user=user,
        action=AccessLog.Action.MFA_FAILED,
        method=method,
        detail={"purpose": purpose, "reason": reason},
    )
    if throttled_until is None:
        # A code that was checked and wrong: a failed sign-in, as a wrong password is. A code
        # refused unchecked while the device waits is not counted again.
        AxesProxyHandler.user_login_failed(mfa_code_check, credentials, request)
    return CodeCheck(
        device=None,
        method=method,
        throttled_until=throttled_until,
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


def mfa_session_verify(*, request: HttpRequest, device: Device) -> None:
    """This session passed the code step with ``device``."""
    otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True


# ---------------------------------------------------------------- writes


def mfa_enrolment_device(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled: unconfirmed, so that it counts for nothing until a code
    from it is accepted; made on the first visit and shown again on the next ones."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def _recovery_codes_replace(*, user: User) -> tuple[StaticDevice, int, list[str]]:
    """A new set of recovery codes in place of the user's old ones (how many were left)."""
    device = mfa_recovery_device(user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME)
    left, _ = device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < settings.MFA_RECOVERY_CODES:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    # A new set starts with a clean slate of wrong tries.
    device.throttle_reset()
    return device, left, sorted(codes)


@transaction.atomic
def mfa_enrolment_confirm(*, request: HttpRequest, user: User, device: TOTPDevice) -> list[str]:
    """The enrolling authenticator's code was accepted: it now counts, the user gets recovery
    codes (returned, to be shown once), this session has passed the code step, and every
    other session of the user ends — they were signed in with the password alone."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    _recovery_device, _left, codes = _recovery_codes_replace(user=user)
    mfa_session_verify(request=request, device=device)
    user_sessions_end(user_ids=[user.pk], keep_session_key=request.session.session_key)
    return codes


@transaction.atomic
def mfa_recovery_codes_regenerate(*, user: User, address: str | None) -> list[str]:
    """New recovery codes replace the user's old ones (returned, to be shown once); written to
    the change log (how many old ones were left, never the codes)."""
    device, left, codes = _recovery_codes_replace(user=user)
    LogEntry.objects.log_create(
        device,
        action=LogEntry.Action.UPDATE,
        changes={"recovery codes": [f"{left} left", f"{len(codes)} new"]},
        actor=user,
        remote_addr=address,
    )
    return codes


def _devices_delete(*, user: User) -> bool:
    """Delete the user's authenticators and recovery codes (each deletion in the change log);
    whether they had a confirmed authenticator."""
    had = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    for device in [*TOTPDevice.objects.filter(user=user), *StaticDevice.objects.filter(user=user)]:
        device.delete()
    return had


@transaction.atomic
def mfa_remove(*, request: HttpRequest, user: User) -> int:
    """The user removes their authenticator and recovery codes (after typing a current code).
    Their other sessions end; this one no longer counts as having passed the code step, and a
    role that requires it sends the user to enrol again. Returns how many sessions ended."""
    _devices_delete(user=user)
    request.session.pop(ENROLLED_SESSION_KEY, None)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    return user_sessions_end(user_ids=[user.pk], keep_session_key=request.session.session_key)


@transaction.atomic
def mfa_reset_by_admin(*, user: User, admin: User, address: str | None) -> int:
    """An administrator resets ``user``'s two-step sign-in (a lost phone and no recovery code):
    authenticator and recovery codes deleted, every session of the user ended, and written to the
    change log with the administrator and their address. The user enrols again at their next
    sign-in if their role requires it (or when they choose). Returns how many sessions ended."""
    had = _devices_delete(user=user)
    ended = user_sessions_end(user_ids=[user.pk])
    LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.UPDATE,
        changes={"two-step sign-in": ["on" if had else "off", "reset"]},
        actor=admin,
        remote_addr=address,
    )
    return ended
