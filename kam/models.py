"""Users, teams and the cross-cutting records every app shares (sensitive-read log, heartbeat)."""

from __future__ import annotations

import datetime as dt
import time
from base64 import b32encode
from binascii import unhexlify
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import random_hex

from . import crypto
from .fields import EncryptedTextField
from .roles import ALL_ACCOUNTS_READERS, AUDIT_READERS, Role
from .user_agents import describe_user_agent


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


def person_name(username: str, first_name: str, last_name: str) -> str:
    """``User.short_name`` from the columns of a values() row."""
    return f"{first_name} {last_name}".strip() or username


# The two-step devices' ``user`` comes from django-otp, which has no type information: mypy's
# Django plugin cannot name their reverse managers here (``totpdevice_set``, unused).
class User(AbstractUser):  # type: ignore[django-manager-missing]
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The portal's language for this user; empty follows the browser."),
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    @property
    def short_name(self) -> str:
        """The full name, or the username when there is none (lists, timelines, e-mails)."""
        return person_name(self.username, self.first_name, self.last_name)

    @property
    def role_names(self) -> frozenset[str]:
        """The user's role (group) names: read once per user object (once per request, as
        Django reads permissions), never kept between requests."""
        cached: frozenset[str] | None = self.__dict__.get("_role_names")
        if cached is None:
            cached = (
                frozenset(self.groups.values_list("name", flat=True)) if self.pk else frozenset()
            )
            self.__dict__["_role_names"] = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(roles))

    @property
    def is_portal_admin(self) -> bool:
        return self.is_superuser or self.has_role(Role.ADMIN)

    @property
    def reads_all_accounts(self) -> bool:
        return self.is_superuser or bool(self.role_names & ALL_ACCOUNTS_READERS)

    @property
    def reads_audit_trail(self) -> bool:
        return self.is_superuser or bool(self.role_names & AUDIT_READERS)


class AccessLog(models.Model):
    """A deliberate read of sensitive data (a revealed phone number, an export), and the
    sign-ins, failed sign-ins and sign-outs, and the two-step codes passed and failed.

    Changes are in django-auditlog's LogEntry; reads and access are recorded here.
    ``account_id`` is a plain indexed integer so every app can log against accounts. A failed
    sign-in has no user: ``object_repr`` holds the username that was tried.
    """

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Revealed personal data")
        EXPORT = "export", _("Exported data")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")
        MFA_VERIFIED = "mfa_verified", _("Two-step code accepted")
        MFA_FAILED = "mfa_failed", _("Two-step code refused")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_logs",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    account_id = models.BigIntegerField(_("account"), null=True, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    field = models.CharField(_("field"), max_length=100, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("sensitive read")
        verbose_name_plural = _("sensitive reads")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    action__in=[
                        "reveal",
                        "export",
                        "login",
                        "login_failed",
                        "logout",
                        "mfa_verified",
                        "mfa_failed",
                    ]
                ),
                name="accesslog_action_valid",
            ),
            # Only a failed sign-in may lack its user.
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(action="login_failed"),
                name="accesslog_user_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_repr}"


# The hash before the first entry of the chain.
AUDIT_CHAIN_GENESIS = "0" * 64


class AuditChainLink(models.Model):
    """The hash-chain link of one change-log entry (django-auditlog's LogEntry): SHA-256 over
    the previous link's hash and the entry's canonical content (kam.audit_chain). One row per
    entry, written in the entry's transaction, in id order.

    ``entry_id`` is a plain key, not a foreign key: an entry deleted behind the portal's back
    leaves its link, and the verification reports it."""

    entry_id = models.BigIntegerField(_("log entry"), primary_key=True)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        ordering = ["entry_id"]
        verbose_name = _("audit chain link")
        verbose_name_plural = _("audit chain links")

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.hash[:12]}"


class AuditChainHead(models.Model):
    """The end of the chain, one row (pk 1): the last linked entry and its hash. Writers of
    change-log entries lock it (``select_for_update``) before the entry gets its id, so ids
    follow the chain and two transactions never extend it from the same link."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_entry_id = models.BigIntegerField(_("last entry"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default=AUDIT_CHAIN_GENESIS)
    length = models.PositiveBigIntegerField(_("entries"), default=0)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="auditchainhead_single_row"),
        ]

    def __str__(self) -> str:
        return f"{self.last_entry_id}: {self.last_hash[:12]}"


class AuditVerification(models.Model):
    """One verification of the change log's hash chain (``manage.py audit_verify`` or the
    compliance page): when, by whom, how far it read and the first broken link it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        INTACT = "intact", _("Intact")
        BROKEN = "broken", _("Broken")
        FAILED = "failed", _("Could not finish")

    class Problem(models.TextChoices):
        ALTERED = "altered", _("Entry altered")
        DELETED = "deleted", _("Entry deleted")
        INSERTED = "inserted", _("Entry inserted")
        TRUNCATED = "truncated", _("Entries missing at the end")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    entries_checked = models.PositiveBigIntegerField(_("entries checked"), default=0)
    problem = models.CharField(_("problem"), max_length=10, choices=Problem.choices, blank=True)
    broken_entry_id = models.BigIntegerField(_("first broken entry"), null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    head_entry_id = models.BigIntegerField(_("last entry"), null=True, blank=True)
    head_hash = models.CharField(_("last hash"), max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("audit chain verification")
        verbose_name_plural = _("audit chain verifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "intact", "broken", "failed"]),
                name="auditverification_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.INTACT, self.Status.BROKEN, self.Status.FAILED)


class Heartbeat(models.Model):
    """The last time a scheduled job ran; the health page reads it to show beat and worker live."""

    name = models.CharField(max_length=100, unique=True)
    last_seen = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app notification (and, where asked, an e-mail) for one user.

    ``key`` makes a notification happen once: a job that re-runs or retries asks for the same
    key and gets the existing row (a unique constraint, not hope)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    key = models.CharField(_("deduplication key"), max_length=200, null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    level = models.CharField(
        _("level"),
        max_length=10,
        choices=[("info", _("Information")), ("warning", _("Warning")), ("danger", _("Urgent"))],
        default="info",
    )
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(key__isnull=False),
                name="notification_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class UserSession(models.Model):
    """A signed-in session of a user, beside Django's own row for it (``django_session``): who,
    since when, last seen when, from which address and browser. Created at sign-in (or on the
    first request of a session from before these rows were kept); deleted with its session —
    at sign-out, when ended, when it expires and is cleared (on_delete=CASCADE)."""

    session = models.OneToOneField(
        "sessions.Session",
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="user_sessions",
    )
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen", "-pk"]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.device} {self.last_seen:%Y-%m-%d %H:%M}"

    @property
    def device(self) -> str:
        """The browser and system, as a person reads them ("Chrome on Windows")."""
        return describe_user_agent(self.user_agent)


# ---------------------------------------------------------------- two-step sign-in (kam.mfa)
# django-otp's own TOTP and static devices keep the authenticator's secret and the recovery
# codes in plain text; these keep the secret encrypted and the codes as keyed digests, and are
# django-otp devices all the same (django_otp.login, OTPMiddleware, throttling).

# What a device saves after a code is checked: never the encrypted key again.
_THROTTLE_FIELDS = ["throttling_failure_timestamp", "throttling_failure_count"]


class TotpDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's authenticator app (TOTP, RFC 6238), its secret key (hex) encrypted at rest.

    Made confirmed, once a code from the app was accepted at enrolment (kam.mfa); one per user.
    Each time step's code is accepted once (``last_t``), and wrong codes throttle the device
    (django-otp's ThrottlingMixin, ``OTP_TOTP_THROTTLE_FACTOR``)."""

    # Annotated: django-otp has no type information, so mypy's Django plugin cannot tell that
    # this is a model and infer its fields' types as it does for the others.
    key: models.TextField[str, str] = EncryptedTextField(_("secret key"), default=random_hex)
    step: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        _("time step (seconds)"), default=30
    )
    t0: models.BigIntegerField[int, int] = models.BigIntegerField(
        _("start of the first time step (Unix time)"), default=0
    )
    digits: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        _("digits"), default=6
    )
    tolerance: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        _("time steps of tolerance"), default=1
    )
    drift: models.SmallIntegerField[int, int] = models.SmallIntegerField(
        _("drift (time steps)"), default=0
    )
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(
        _("time step of the last code accepted"), default=-1
    )

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(confirmed=True),
                name="totpdevice_one_per_user",
            ),
        ]

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    @property
    def config_url(self) -> str:
        """The otpauth:// address an authenticator app scans (Key Uri Format), named by
        ``OTP_TOTP_ISSUER`` and the username."""
        issuer = str(getattr(settings, "OTP_TOTP_ISSUER", "") or "").replace(":", "")
        label = self.user.get_username()
        params = urlencode(
            {
                "secret": b32encode(self.bin_key).decode(),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        if issuer:
            label = f"{issuer}:{label}"
            params += f"&issuer={quote(issuer)}"
        return f"otpauth://totp/{quote(label)}?{params}"

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def match(self, token: str) -> bool:
        """Whether ``token`` is the code of a time step after the last one accepted, within
        ``tolerance`` steps of now; a match is remembered (``last_t``, ``drift``), unsaved."""
        try:
            code = int(token)
        except ValueError:
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if not totp.verify(code, self.tolerance, self.last_t + 1):
            return False
        self.last_t = totp.t()
        self.drift = totp.drift
        return True

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        if self.match(str(token)):
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save(update_fields=[*_THROTTLE_FIELDS, "last_t", "drift", "last_used_at"])
            return True
        self.throttle_increment(commit=False)
        self.save(update_fields=_THROTTLE_FIELDS)
        return False


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's single-use recovery codes (``codes``, kept as keyed digests): each signs in
    once. Wrong codes throttle the device (``OTP_STATIC_THROTTLE_FACTOR``)."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="recoverycodedevice_one_per_user"),
        ]

    @staticmethod
    def digest(code: str) -> str:
        return crypto.secret_digest(code, purpose="recovery code")

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1))

    def verify_token(self, token: Any) -> bool:
        """Whether ``token`` (as the user typed it, normalised by kam.mfa) is one of the codes
        left; a code accepted is deleted, so that it never signs in again."""
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        used, _deleted = RecoveryCode.objects.filter(
            device=self, digest=self.digest(str(token))
        ).delete()
        if used:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save(update_fields=[*_THROTTLE_FIELDS, "last_used_at"])
            return True
        self.throttle_increment(commit=False)
        self.save(update_fields=_THROTTLE_FIELDS)
        return False


class RecoveryCode(models.Model):
    """One recovery code, as its keyed digest (kam.crypto.secret_digest): shown once, when made."""

    device = models.ForeignKey(
        RecoveryCodeDevice,
        verbose_name=_("recovery codes"),
        on_delete=models.CASCADE,
        related_name="codes",
    )
    digest = models.CharField(_("digest"), max_length=64)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recoverycode_once"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.digest[:8]}"


class MFAEnrolmentCode(models.Model):
    """The one-time code an administrator's reset of two-step sign-in issues (kam.mfa): while
    it exists, the user enrols only by typing it, so that a password alone no longer sets up an
    authenticator for them. Shown once to the administrator, stored as a keyed digest, valid
    until ``expires_at``; deleted when the user enrols. One per user (a new one replaces it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="mfa_enrolment_code",
    )
    digest = models.CharField(_("digest"), max_length=64)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))

    class Meta:
        verbose_name = _("two-step enrolment code")
        verbose_name_plural = _("two-step enrolment codes")

    def __str__(self) -> str:
        return f"{self.user_id} {self.expires_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def digest_of(code: str) -> str:
        return crypto.secret_digest(code, purpose="enrolment code")

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at
