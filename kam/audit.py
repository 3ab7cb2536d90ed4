"""The change log (django-auditlog) and the access log (``AccessLog``): what the ground floor
registers and records.

- Users (without their password hash or last sign-in), roles (group membership, a group's
  permissions), teams, per-object grants (django-guardian) and two-step sign-in devices
  (kam.TotpDevice, kam.RecoveryCodeDevice, without their secrets) are registered here; each app
  registers its own models in its ``audit.py``.
- Every change-log entry is linked into the hash chain (``kam.audit_chain``) in the
  transaction that writes it: the chain's head is locked before the entry gets its id, so
  ids follow the chain.
- Records about a person (contacts) are named by pseudonym in the change log ("Contact #12",
  ``kam.pseudonyms``), and ``audit_m2m_by_pseudonym`` logs a many-to-many field of them so.
- Sign-ins, failed sign-ins and sign-outs are written to ``AccessLog`` through
  ``kam.access_log.record_access`` (two-step codes accepted and refused by ``kam.mfa``).
- ``audit_update`` records what a conditional ``update()`` wrote (no signals) the way
  django-auditlog records a save.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.receivers import check_disable
from auditlog.registry import auditlog
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from guardian.models import GroupObjectPermission, UserObjectPermission

from .access_log import record_access
from .audit_chain import chain_append, chain_head
from .models import AccessLog, RecoveryCodeDevice, Team, TotpDevice, User
from .pseudonyms import pseudonym, pseudonym_label

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
# each code accepted or refused). Only these fields: a field added to a device later stays out.
auditlog.register(TotpDevice, include_fields=["user", "name", "confirmed"])
auditlog.register(RecoveryCodeDevice, include_fields=["user", "name", "confirmed"])

# Models of this floor that are not in the change log, and why (tests/kam/test_audit_coverage).
NOT_AUDITED: dict[str, str] = {
    "kam.AccessLog": "the access log itself",
    "kam.AuditChainLink": "the hash chain over the change log",
    "kam.AuditChainHead": "the hash chain over the change log",
    "kam.AuditVerification": "a record of verifying the change log",
    "kam.Heartbeat": "job liveness, written every minute",
    "kam.Notification": "messages to users, derived from audited changes",
    "kam.UserSession": "signed-in sessions; sign-ins and sign-outs are in the access log",
    "kam.RecoveryCode": "recovery codes are secrets (digests); each new set is logged on its device",
    "kam.MFAEnrolmentCode": "a one-time secret (a digest); issuing one is logged on its user",
}


def mask_secret(value: str) -> str:
    """A secret (a password hash) is never logged: only that it changed."""
    return "********" if value not in (None, "", "None") else ""


# ---------------------------------------------------------------- records about a person


@receiver(pre_save, sender=LogEntry, dispatch_uid="kam.audit.pseudonym")
def _pseudonymous_repr(
    sender: type[LogEntry], instance: LogEntry, raw: bool, **kwargs: Any
) -> None:
    """A record about a person is named "Contact #12" in the change log, never by the name
    django-auditlog takes from ``str()`` (``kam.pseudonyms``)."""
    if raw or not instance._state.adding or instance.content_type_id is None:
        return
    model = ContentType.objects.get_for_id(instance.content_type_id).model_class()
    if pseudonym_label(model) is not None and instance.object_pk:
        assert model is not None
        instance.object_repr = pseudonym(model, instance.object_pk)


def audit_m2m_by_pseudonym(model: type[models.Model], field_name: str) -> None:
    """Log the changes of ``model.field_name`` as django-auditlog logs a many-to-many field
    (register the model without it), naming the related records by pseudonym ("added
    Contact #12") where django-auditlog would write their names. Either side may change it."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, models.ManyToManyField)
    related = field.related_model
    assert isinstance(related, type) and pseudonym_label(related) is not None
    through = field.remote_field.through
    stash = f"_kam_m2m_cleared_{field_name}"

    def log(owner: models.Model, pks: Iterable[Any], operation: str) -> None:
        names = [pseudonym(related, pk) for pk in sorted(pks)]
        if names:
            LogEntry.objects.log_m2m_changes(names, owner, operation, field_name)

    @check_disable
    def changed(
        sender: Any,
        instance: models.Model,
        action: str,
        reverse: bool,
        pk_set: set[Any] | None,
        **kwargs: Any,
    ) -> None:
        if action == "pre_clear":  # who is linked is gone once cleared: note it first
            owners = (
                model._default_manager.filter(**{field_name: instance})
                if reverse
                else getattr(instance, field_name).all()
            )
            instance.__dict__[stash] = list(owners.values_list("pk", flat=True))
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        operation = "add" if action == "post_add" else "delete"
        pks = instance.__dict__.pop(stash, []) if action == "post_clear" else list(pk_set or ())
        if not reverse:
            log(instance, pks, operation)
            return
        for owner in model._base_manager.filter(pk__in=pks).order_by("pk"):
            log(owner, [instance.pk], operation)

    m2m_changed.connect(
        changed,
        sender=through,
        weak=False,
        dispatch_uid=f"kam.audit.m2m_by_pseudonym.{model._meta.label}.{field_name}",
    )


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
    record_access(
        request,
        action,
        user=user,
        object_repr=username or (user.get_username() if user else ""),
        user_agent=True,
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
