"""Two-step sign-in (django-otp): who must pass it, enrolment, the code step with an
authenticator app's code or a single-use recovery code, new recovery codes, removal, and the
administrator's reset (README, Security: Two-step sign-in).

- The devices are kam's own django-otp devices (kam.models): ``TotpDevice`` keeps the
  authenticator's secret encrypted (``EncryptedTextField``), ``RecoveryCodeDevice`` keeps each
  recovery code as a keyed digest. A session passes the code step through ``django_otp.login``,
  which keeps the device's id in the session; django-otp's ``OTPMiddleware`` loads that device
  again on every request, so a device removed or reset unverifies every session that used it.
- Who owes the step is decided per request: the roles of ``MFA_REQUIRED_ROLES`` (read from the
  database once per request, as every page reads them), staff on Django admin, and whoever had
  an authenticator when they signed in. That last fact is a mark put in the session at sign-in,
  so that an ordinary request costs no query; enrolling, removing and resetting end the user's
  other sessions, so no session outlives the fact it marks.
- Enrolment keeps its secret in the session only (encrypted), for ``MFA_ENROLMENT_SECONDS``:
  nothing durable exists until a code from the app is accepted, and no other session — nor a
  visit before the user's own — can know the secret. After an administrator's reset the user
  enrols only with the one-time enrolment code the reset issued (``MFAEnrolmentCode``).
- Removing the authenticator and making new recovery codes ask for the password and a code.
  Every change of the factors (enrolment, removal, new recovery codes, reset) is notified to
  the user in the portal and by e-mail, so that a change they did not make does not go unseen.
- A wrong code counts twice: its device throttles itself (django-otp: after n wrong codes in a
  row it checks no code for 2**(n-1) seconds, whatever passwords are typed meanwhile), and it is
  a failed sign-in for django-axes, which locks the username and the address as wrong passwords
  do; the session is then ended. Every code accepted or refused is in the access log.
"""

from __future__ import annotations

import datetime as dt
import enum
import hmac
import os
import re
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno
from auditlog.models import LogEntry
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.util import random_hex

from . import crypto
from .access_log import record_access
from .client_address import client_address
from .models import (
    AccessLog,
    MFAEnrolmentCode,
    RecoveryCode,
    RecoveryCodeDevice,
    TotpDevice,
    User,
    UserSession,
)
from .roles import Role
from .services import notification_send, user_session_seen, user_sessions_end

# The names the devices are given (shown in the change log).
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
# Set at sign-in when the user had a confirmed authenticator: this session owes the code step.
ENROLLED_SESSION_KEY = "_kam_mfa_enrolled"
# The enrolment this session has under way: its secret (encrypted), when it started, whose.
ENROLMENT_SESSION_KEY = "_kam_mfa_enrolment"
# The id of the administrator's enrolment code this session typed (``MFAEnrolmentCode``).
ENROLMENT_CODE_SESSION_KEY = "_kam_mfa_enrolment_code"
# What the access log's ``field`` says was typed.
METHOD_AUTHENTICATOR = "authenticator app"
METHOD_RECOVERY = "recovery code"
METHOD_ENROLMENT_CODE = "enrolment code"

_SEPARATORS = re.compile(r"[\s-]+")


# ---------------------------------------------------------------- who owes the code step


def mfa_required_by_role(user: User) -> bool:
    """Whether the user's roles require two-step sign-in (``MFA_REQUIRED_ROLES``); a superuser
    counts as an administrator (``User.is_portal_admin``), as everywhere in the portal."""
    required = frozenset(settings.MFA_REQUIRED_ROLES)
    if not required:
        return False
    return (Role.ADMIN in required and user.is_portal_admin) or bool(user.role_names & required)


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


def mfa_authenticator(user: User) -> TotpDevice | None:
    """The user's confirmed authenticator app, if they enrolled."""
    return TotpDevice.objects.filter(user=user, confirmed=True).first()


def mfa_recovery_device(user: User) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


@dataclass(frozen=True)
class MFAStatus:
    authenticator: TotpDevice | None
    recovery_codes_left: int
    required: bool

    @property
    def enrolled(self) -> bool:
        return self.authenticator is not None


def mfa_status(user: User) -> MFAStatus:
    return MFAStatus(
        authenticator=mfa_authenticator(user),
        recovery_codes_left=RecoveryCode.objects.filter(device__user=user).count(),
        required=mfa_required_by_role(user),
    )


def mfa_secret_text(device: TotpDevice) -> str:
    """The authenticator's secret as an app asks for it typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def mfa_qr_svg(device: TotpDevice) -> SafeString:
    """The authenticator's otpauth:// address as an inline SVG QR code: paths with presentation
    attributes only (no style, no script), so the Content-Security-Policy allows it as it is."""
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=4, border=4, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 - segno's own markup; the address is encoded, not quoted


# ---------------------------------------------------------------- enrolment under way


@dataclass(frozen=True)
class Enrolment:
    """The authenticator this session is enrolling (unsaved), and whether its secret is new on
    this request (a code typed for an earlier, expired secret cannot be right)."""

    device: TotpDevice
    fresh: bool


def mfa_enrolment(request: HttpRequest, user: User) -> Enrolment:
    """The enrolment this session has under way, or a new one: a fresh secret for each attempt,
    kept encrypted in this session alone for ``MFA_ENROLMENT_SECONDS`` (then replaced). Nothing
    is written to the database: the device exists once a code from the app is accepted
    (``mfa_enrolment_confirm``), so that no secret can be made in advance for someone else's
    session, nor read by any other session."""
    now = int(timezone.now().timestamp())
    attempt = request.session.get(ENROLMENT_SESSION_KEY)
    key: str | None = None
    if (
        isinstance(attempt, dict)
        and attempt.get("user") == user.pk
        and 0 <= now - int(attempt.get("started", 0)) < settings.MFA_ENROLMENT_SECONDS
    ):
        try:
            key = crypto.decrypt(str(attempt.get("key", "")))
        except crypto.DecryptionError:
            key = None
    fresh = key is None
    if key is None:
        key = random_hex(20)
        request.session[ENROLMENT_SESSION_KEY] = {
            "key": crypto.encrypt(key),
            "started": now,
            "user": user.pk,
        }
    device = TotpDevice(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=False)
    return Enrolment(device=device, fresh=fresh)


def mfa_enrolment_code_outstanding(user: User) -> MFAEnrolmentCode | None:
    """The enrolment code an administrator's reset issued the user, while they have not used it
    (expired or not): while it exists, enrolment needs it."""
    return MFAEnrolmentCode.objects.filter(user=user).first()


def mfa_enrolment_unlocked(request: HttpRequest, code: MFAEnrolmentCode | None) -> bool:
    """Whether this session may enrol: no enrolment code is outstanding, or it typed the one
    that is, and that one is still valid."""
    if code is None:
        return True
    return request.session.get(ENROLMENT_CODE_SESSION_KEY) == code.pk and not code.is_expired()


@dataclass(frozen=True)
class IssuedEnrolmentCode:
    """An enrolment code as issued: the code itself is shown to the administrator this once."""

    user: User
    code: str
    expires_at: dt.datetime


def _enrolment_code_issue(*, user: User, admin: User) -> IssuedEnrolmentCode:
    # 80 random bits in base32, typed in groups of four ("abcd-efgh-ijkl-mnop").
    raw = b32encode(os.urandom(10)).decode().lower()
    now = timezone.now()
    expires_at = now + dt.timedelta(hours=settings.MFA_ENROLMENT_CODE_HOURS)
    MFAEnrolmentCode.objects.update_or_create(
        user=user,
        defaults={
            "digest": MFAEnrolmentCode.digest_of(raw),
            "issued_by": admin,
            "issued_at": now,
            "expires_at": expires_at,
        },
    )
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return IssuedEnrolmentCode(user=user, code=code, expires_at=expires_at)


# ---------------------------------------------------------------- checking what was typed


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of one code typed: accepted (by ``device``, when a device checked it), or
    why not."""

    accepted: bool
    method: str
    device: Device | None = None
    throttled_until: dt.datetime | None = None
    locked_out: bool = False


@dataclass(frozen=True)
class _Attempt:
    accepted: bool
    device: Device | None = None
    throttled_until: dt.datetime | None = None


def _normalised(code: str) -> str:
    return _SEPARATORS.sub("", code).lower()


def _access(
    *, request: HttpRequest, user: User, action: str, method: str, detail: dict[str, Any]
) -> None:
    record_access(
        request,
        action,
        user=user,
        object_repr=user.get_username(),
        field=method,
        detail=detail,
        user_agent=True,
    )


def _checked(
    *,
    request: HttpRequest,
    user: User,
    method: str,
    purpose: str,
    attempt: Callable[[], _Attempt],
) -> CodeCheck:
    """Run ``attempt`` (in a transaction, so that it may lock what it checks) unless django-axes
    has locked the user or the address out, and count the outcome: the access log with
    ``purpose``, never what was typed; a wrong code is a failed sign-in for django-axes too,
    and ``locked_out`` says that it (or an earlier failure) locked the username or address."""
    credentials = {"username": user.get_username()}
    if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
        _access(
            request=request,
            user=user,
            action=AccessLog.Action.MFA_FAILED,
            method=method,
            detail={"purpose": purpose, "reason": "locked"},
        )
        return CodeCheck(accepted=False, method=method, locked_out=True)

    with transaction.atomic():
        outcome = attempt()

    if outcome.accepted:
        _access(
            request=request,
            user=user,
            action=AccessLog.Action.MFA_VERIFIED,
            method=method,
            detail={"purpose": purpose},
        )
        # As a sign-in does: the username's own failures are cleared, never the address's.
        AxesProxyHandler.reset_attempts(username=user.get_username())
        return CodeCheck(accepted=True, method=method, device=outcome.device)

    throttled_until = outcome.throttled_until
    _access(
        request=request,
        user=user,
        action=AccessLog.Action.MFA_FAILED,
        method=method,
        detail={"purpose": purpose, "reason": "throttled" if throttled_until else "wrong"},
    )
    if throttled_until is None:
        # A code that was checked and wrong: a failed sign-in, as a wrong password is. A code
        # refused unchecked while the device waits is not counted again.
        AxesProxyHandler.user_login_failed(mfa_code_check, credentials, request)
    return CodeCheck(
        accepted=False,
        method=method,
        throttled_until=throttled_until,
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


def mfa_code_check(
    *,
    request: HttpRequest,
    user: User,
    code: str,
    purpose: str,
    enrolling: TotpDevice | None = None,
) -> CodeCheck:
    """Check a code the user typed: six digits against their authenticator app (or against
    ``enrolling``, the session's enrolment, which alone is then checked), anything else against
    their recovery codes (a recovery code accepted is used up)."""
    code = _normalised(code)
    if enrolling is not None:
        # The session's own secret, not yet a device: nothing to lock or throttle but the
        # username's failed sign-ins.
        return _checked(
            request=request,
            user=user,
            method=METHOD_AUTHENTICATOR,
            purpose=purpose,
            attempt=lambda: _Attempt(accepted=enrolling.match(code), device=enrolling),
        )
    authenticator = mfa_authenticator(user)
    candidate: TotpDevice | RecoveryCodeDevice | None
    if authenticator is not None and code.isdigit() and len(code) == authenticator.digits:
        candidate, method = authenticator, METHOD_AUTHENTICATOR
    else:
        candidate, method = mfa_recovery_device(user), METHOD_RECOVERY

    def attempt() -> _Attempt:
        if candidate is None:
            return _Attempt(accepted=False)
        # Locked for the check, so that two requests never both use one code.
        device = type(candidate).objects.select_for_update().filter(pk=candidate.pk).first()
        if device is None:
            return _Attempt(accepted=False)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return _Attempt(accepted=False, throttled_until=(info or {}).get("locked_until"))
        return _Attempt(accepted=device.verify_token(code), device=device)

    return _checked(request=request, user=user, method=method, purpose=purpose, attempt=attempt)


def mfa_enrolment_code_check(*, request: HttpRequest, user: User, code: str) -> CodeCheck:
    """Check the enrolment code an administrator's reset issued; accepted (and still valid),
    this session may enrol (``mfa_enrolment_unlocked``). Counted as a two-step code is."""
    digest = MFAEnrolmentCode.digest_of(_normalised(code))
    accepted_pk: list[int] = []

    def attempt() -> _Attempt:
        issued = MFAEnrolmentCode.objects.select_for_update().filter(user=user).first()
        if (
            issued is not None
            and not issued.is_expired()
            and hmac.compare_digest(issued.digest, digest)
        ):
            accepted_pk.append(issued.pk)
            return _Attempt(accepted=True)
        return _Attempt(accepted=False)

    check = _checked(
        request=request,
        user=user,
        method=METHOD_ENROLMENT_CODE,
        purpose="enrolment",
        attempt=attempt,
    )
    if check.accepted:
        request.session[ENROLMENT_CODE_SESSION_KEY] = accepted_pk[0]
    return check


@dataclass(frozen=True)
class PasswordCheck:
    accepted: bool
    locked_out: bool = False


def mfa_password_check(*, request: HttpRequest, user: User, password: str) -> PasswordCheck:
    """Re-authentication before a change of the factors: the signed-in user's password, checked
    as a sign-in checks it (a wrong one is a failed sign-in, for the access log and for
    django-axes, which may lock the username and the address out)."""
    authenticated = authenticate(request, username=user.get_username(), password=password)
    return PasswordCheck(
        accepted=authenticated is not None and authenticated.pk == user.pk,
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


# ---------------------------------------------------------------- the session


def mfa_session_verify(*, request: HttpRequest, user: User, device: Device) -> None:
    """This session passed the code step with ``device``. It moves to a new session key and a
    new CSRF token — a key known before the step (planted, or seen on the way) is worth nothing
    after it — and keeps its row in the user's list of sessions, signed in when it was."""
    old_key = request.session.session_key
    signed_in_at = (
        UserSession.objects.filter(session_id=old_key).values_list("created_at", flat=True).first()
        if old_key
        else None
    )
    request.session.cycle_key()  # the old key's row goes, and its UserSession with it
    rotate_token(request)
    otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    user_session_seen(request=request, user=user)
    if signed_in_at is not None:
        UserSession.objects.filter(session_id=request.session.session_key).update(
            created_at=signed_in_at
        )


# ---------------------------------------------------------------- notices


class FactorChange(enum.Enum):
    ENROLLED = "enrolled"
    REMOVED = "removed"
    RECOVERY_CODES = "recovery codes"
    RESET = "reset"


_NOTICE_TITLES = {
    FactorChange.ENROLLED: _("Two-step sign-in turned on"),
    FactorChange.REMOVED: _("Two-step sign-in turned off"),
    FactorChange.RECOVERY_CODES: _("New recovery codes made"),
    FactorChange.RESET: _("Two-step sign-in reset by an administrator"),
}
_NOTICE_BODIES = {
    FactorChange.ENROLLED: _(
        "An authenticator app was set up for your account on %(when)s from %(address)s, and "
        "new recovery codes were made."
    ),
    FactorChange.REMOVED: _(
        "The authenticator app and recovery codes of your account were removed on %(when)s "
        "from %(address)s."
    ),
    FactorChange.RECOVERY_CODES: _(
        "New recovery codes were made for your account on %(when)s from %(address)s; the old "
        "ones no longer work."
    ),
    FactorChange.RESET: _(
        "An administrator removed the authenticator app and recovery codes of your account on "
        "%(when)s and ended your sessions. To set up two-step sign-in again you need the "
        "one-time enrolment code they were given."
    ),
}
_NOTICE_WARNING = _(
    "If this was not you, change your password and ask an administrator to reset your "
    "two-step sign-in."
)


def _notify(*, user: User, change: FactorChange, address: str | None) -> None:
    """Tell the user their factors changed — in the portal and by e-mail — in their language:
    a change made with their stolen password does not go unseen."""
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    with translation.override(user.language or settings.LANGUAGE_CODE):
        title = str(_NOTICE_TITLES[change])
        body = str(_NOTICE_BODIES[change]) % {"when": when, "address": address or "?"}
        body = f"{body} {_NOTICE_WARNING}"
    notification_send(
        user=user,
        title=title,
        body=body,
        url=reverse("mfa:overview"),
        level="warning",
        email=True,
    )


# ---------------------------------------------------------------- writes


def _recovery_codes_replace(*, user: User) -> tuple[RecoveryCodeDevice, int, list[str]]:
    """A new set of recovery codes in place of the user's old ones (how many were left)."""
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_CODES_NAME}
    )
    left, _deleted = device.codes.all().delete()
    codes: set[str] = set()
    while len(codes) < settings.MFA_RECOVERY_CODES:
        codes.add(b32encode(os.urandom(5)).decode().lower())  # 40 random bits, 8 characters
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(device=device, digest=RecoveryCodeDevice.digest(code)) for code in codes]
    )
    # A new set starts with a clean slate of wrong tries.
    device.throttle_reset()
    return device, left, sorted(codes)


@transaction.atomic
def mfa_enrolment_confirm(*, request: HttpRequest, user: User, device: TotpDevice) -> list[str]:
    """The enrolling authenticator's code was accepted: it is saved and now counts, the user
    gets recovery codes (returned, to be shown once), this session has passed the code step,
    every other session of the user ends — they were signed in with the password alone — and
    the user is notified. An outstanding enrolment code is used up; enrolling needs it typed
    in this session (raises PermissionDenied otherwise, or when the user has an authenticator
    already)."""
    # One enrolment of a user at a time: the second waits here, then finds the first's device.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if mfa_authenticator(user) is not None:
        raise PermissionDenied("The user has an authenticator already.")
    if not mfa_enrolment_unlocked(request, mfa_enrolment_code_outstanding(user)):
        raise PermissionDenied("Enrolment needs the enrolment code.")
    # Whatever device rows are left unconfirmed (from before enrolment kept its secret in the
    # session) go: the one confirmed now is the user's only authenticator.
    TotpDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save()
    MFAEnrolmentCode.objects.filter(user=user).delete()
    request.session.pop(ENROLMENT_SESSION_KEY, None)
    request.session.pop(ENROLMENT_CODE_SESSION_KEY, None)
    _recovery_device, _left, codes = _recovery_codes_replace(user=user)
    mfa_session_verify(request=request, user=user, device=device)
    user_sessions_end(user_ids=[user.pk], keep_session_key=request.session.session_key)
    _notify(user=user, change=FactorChange.ENROLLED, address=client_address(request))
    return codes


@transaction.atomic
def mfa_recovery_codes_regenerate(*, request: HttpRequest, user: User) -> list[str]:
    """New recovery codes replace the user's old ones (returned, to be shown once); written to
    the change log (how many old ones were left, never the codes) and notified to the user."""
    address = client_address(request)
    device, left, codes = _recovery_codes_replace(user=user)
    LogEntry.objects.log_create(
        device,
        action=LogEntry.Action.UPDATE,
        changes={"recovery codes": [f"{left} left", f"{len(codes)} new"]},
        actor=user,
        remote_addr=address,
    )
    _notify(user=user, change=FactorChange.RECOVERY_CODES, address=address)
    return codes


def _devices_delete(*, user: User) -> bool:
    """Delete the user's authenticators and recovery codes (each deletion in the change log);
    whether they had a confirmed authenticator."""
    had = TotpDevice.objects.filter(user=user, confirmed=True).exists()
    devices: list[Device] = [
        *TotpDevice.objects.filter(user=user),
        *RecoveryCodeDevice.objects.filter(user=user),
    ]
    for device in devices:
        device.delete()
    return had


@transaction.atomic
def mfa_remove(*, request: HttpRequest, user: User) -> int:
    """The user removes their authenticator and recovery codes (after typing their password and
    a current code). Their other sessions end; this one no longer counts as having passed the
    code step, and a role that requires it sends the user to enrol again; the user is notified.
    Returns how many sessions ended."""
    _devices_delete(user=user)
    request.session.pop(ENROLLED_SESSION_KEY, None)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    ended = user_sessions_end(user_ids=[user.pk], keep_session_key=request.session.session_key)
    _notify(user=user, change=FactorChange.REMOVED, address=client_address(request))
    return ended


@dataclass(frozen=True)
class MFAReset:
    sessions_ended: int
    enrolment_code: IssuedEnrolmentCode


@transaction.atomic
def mfa_reset_by_admin(*, user: User, admin: User, address: str | None) -> MFAReset:
    """An administrator resets ``user``'s two-step sign-in (a lost phone and no recovery code):
    authenticator and recovery codes deleted, every session of the user ended, a one-time
    enrolment code issued (returned, for the administrator to hand over out of band: the user
    needs it to enrol again), the user notified, and written to the change log with the
    administrator and their address (never the code)."""
    had = _devices_delete(user=user)
    ended = user_sessions_end(user_ids=[user.pk])
    issued = _enrolment_code_issue(user=user, admin=admin)
    valid_until = timezone.localtime(issued.expires_at).strftime("%Y-%m-%d %H:%M")
    LogEntry.objects.log_create(
        user,
        action=LogEntry.Action.UPDATE,
        changes={
            "two-step sign-in": ["on" if had else "off", "reset"],
            "enrolment code": ["", f"issued, valid until {valid_until}"],
        },
        actor=admin,
        remote_addr=address,
    )
    _notify(user=user, change=FactorChange.RESET, address=address)
    return MFAReset(sessions_ended=ended, enrolment_code=issued)
