"""Users, teams and the cross-cutting records every app shares (sensitive-read log, heartbeat)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import ALL_ACCOUNTS_READERS, AUDIT_READERS, Role


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


class User(AbstractUser):
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
    """A deliberate read of sensitive data (a revealed phone number, an export).

    Changes are in django-auditlog's LogEntry; reads are recorded here.
    ``account_id`` is a plain indexed integer so every app can log against accounts.
    """

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Revealed personal data")
        EXPORT = "export", _("Exported data")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
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
                condition=models.Q(action__in=["reveal", "export"]), name="accesslog_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.object_repr}"


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
