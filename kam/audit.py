"""The change log (django-auditlog) and the access log (``AccessLog``): what the ground floor
registers and records.

- Users (without their password hash or last sign-in), roles (group membership, a group's
  permissions), teams, per-object grants (django-guardian) and two-step sign-in devices
  (django-otp, without their secrets) are registered here; each app
  registers its own models in its ``audit.py``.
- Every change-log entry is linked into the hash chain (``kam.audit_chain``) in the
  transaction that writes it: the chain's head is locked before the entry gets its id, so
  ids follow the chain.
- Sign-ins, failed sign-ins and sign-outs are written to ``AccessLog`` (two-step codes
  accepted and refused by ``kam.mfa``).
- ``audit_update`` records what a conditional ``update()`` wrote (no signals) the way
  django-auditlog records a save.
"""

from __future__ import annotations

import logging
from typing import Any

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models, transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.models import GroupObjectPermission, UserObjectPermission

from .audit_chain import chain_append, chain_head
from .client_address import client_address
from .models import AccessLog, Team, User

logger = logging.getLogger(__name__)

auditlog.register(
    User,
    exclude_fields=["last_login"],
    mask_fields=["password"],
    mask_callable="kam.audit.mask_secret",
    m2m_fields={"groups", "user_permissions"},
)
auditlog.register(Team)
auditlog.register(Group, m2m_fields={"permissions"})
auditlog.register(GroupObjectPermission)
auditlog.register(UserObjectPermission)
# Two-step sign-in (kam.mfa): a device's owner, name and whether it counts — enrolled, removed,
# reset — never its secret key, nor the counters every code typed moves (the access log has
# each code accepted or refused).
auditlog.register(TOTPDevice, include_fields=["user", "name", "confirmed"])
auditlog.register(StaticDevice, include_fields=["user", "name", "confirmed"])

# Models of this floor that are not in the change log, and why (tests/kam/test_audit_coverage).
NOT_AUDITED: dict[str, str] = {
    "kam.AccessLog": "the access log itself",
    "kam.AuditChainLink": "the hash chain over the change log",
    "kam.AuditChainHead": "the hash chain over the change log",
    "kam.AuditVerification": "a record of verifying the change log",
    "kam.Heartbeat": "job liveness, written every minute",
    "kam.Notification": "messages to users, derived from audited changes",
    "kam.UserSession": "signed-in sessions; sign-ins and sign-outs are in the access log",
    "otp_static.StaticToken": "recovery codes are secrets; each new set is logged on its device",
}


def mask_secret(value: str) -> str:
    """A secret (a password hash) is never logged: only that it changed."""
    return "********" if value not in (None, "", "None") else ""


# ---------------------------------------------------------------- the hash chain


@receiver(pre_save, sender=LogEntry, dispatch_uid="kam.audit.chain_lock")
def _chain_lock(
    sender: type[LogEntry], instance: LogEntry, raw: bool, using: str, **kwargs: Any
) -> None:
    """Lock the chain's head before the entry is inserted, so that the entry's id comes after
    every linked entry's and no other transaction can extend the chain until this one ends."""
    if raw or not instance._state.adding:
        return
    if transaction.get_connection(using).in_atomic_block:
        instance.__dict__["_kam_chain_head"] = chain_head(lock=True)


@receiver(post_save, sender=LogEntry, dispatch_uid="kam.audit.chain_link")
def _chain_link(
    sender: type[LogEntry], instance: LogEntry, created: bool, raw: bool, **kwargs: Any
) -> None:
    """Link the new entry in its own transaction. An entry written outside a transaction (a
    script saving in autocommit; the portal's services and views write in transactions) is
    linked in a transaction of its own right after: were two such writers to race, the
    verification would report the entry linked out of id order as broken (an alarm to look
    into, never a change missed)."""
    if raw or not created:
        return
    head = instance.__dict__.pop("_kam_chain_head", None)
    if head is None:
        logger.debug("Change-log entry %s written outside a transaction.", instance.pk)
    chain_append([instance.pk], head=head)


def audit_update(*, old: models.Model, new: models.Model) -> LogEntry | None:
    """Record the change from ``old`` to ``new`` (the same row before and after a conditional
    ``update()``, which sends no signals) as django-auditlog records a save."""
    if not auditlog.contains(type(new)):
        return None
    changes = model_instance_diff(old, new)
    if not changes:
        return None
    entry: LogEntry | None = LogEntry.objects.log_create(
        new, action=LogEntry.Action.UPDATE, changes=changes
    )
    return entry


# ---------------------------------------------------------------- sign-in and sign-out


def _access(
    *, action: str, request: HttpRequest | None, user: User | None, username: str = ""
) -> None:
    AccessLog.objects.create(
        user=user,
        action=action,
        object_repr=(username or (user.get_username() if user else ""))[:200],
        ip_address=client_address(request) if request is not None else None,
        detail={"user_agent": request.META.get("HTTP_USER_AGENT", "")[:200]} if request else {},
    )


@receiver(user_logged_in, dispatch_uid="kam.audit.logged_in")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    _access(action=AccessLog.Action.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="kam.audit.logged_out")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if isinstance(user, User):
        _access(action=AccessLog.Action.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="kam.audit.login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get(User.USERNAME_FIELD) or "")[:200]
    user = User.objects.filter(username=username).first() if username else None
    _access(action=AccessLog.Action.LOGIN_FAILED, request=request, user=user, username=username)
