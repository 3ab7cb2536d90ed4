"""Writes to accounts, contacts and projects. Every change is audited by django-auditlog
(its middleware records the acting user); deliberate reads are logged here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.access_log import record_access
from kam.links import link
from kam.models import AccessLog, User
from kam.pseudonyms import pseudonym
from kam.services import notification_send

from .models import Account, AccountHandover, AccountMembership, Contact, HandoverStatus, Project
from .rights import Right
from .selectors import account_can
from .tiering.services import enqueue_account_recompute

REVEALABLE_FIELDS = ("phone", "email")

ACCOUNT_FIELDS = (
    "legal_name_zh",
    "legal_name_en",
    "uscc",
    "account_type",
    "industry",
    "region",
    "status",
    "owner",
    "credit_rating",
    "esg_rating",
    # Scoring inputs; the tier itself changes only through accounts.tiering.services.
    "relationship_revenue",
    "wallet_size",
    "growth_potential",
    "strategic_fit",
    "relationship_depth",
    "website",
    "notes",
)


def _apply(instance: Any, data: dict[str, Any], fields: tuple[str, ...] | None = None) -> None:
    for name, value in data.items():
        if fields is None or name in fields:
            setattr(instance, name, value)


@transaction.atomic
def account_create(*, owner: User, **data: Any) -> Account:
    account = Account(owner=owner)
    _apply(account, data, ACCOUNT_FIELDS)
    account.uscc = account.uscc or None
    account.team = owner.team
    account.full_clean()
    account.save()
    enqueue_account_recompute(account.pk)
    return account


@transaction.atomic
def account_update(*, account: Account, **data: Any) -> Account:
    _apply(account, data, ACCOUNT_FIELDS)
    account.uscc = account.uscc or None
    # The account follows its owner's team, so the team lead always sees what their RMs own.
    account.team = account.owner.team
    account.full_clean()
    # Never write ``tier`` from a form: a recompute or an override may have changed it since.
    # ``exited_at``: stamped by full_clean when the status becomes exited, cleared when it
    # leaves it (Account.stamp_exit), the start of its contacts' retention (privacy).
    account.save(update_fields=[*ACCOUNT_FIELDS, "team", "exited_at", "updated_at"])
    enqueue_account_recompute(account.pk)
    return account


@transaction.atomic
def account_member_add(*, account: Account, user: User, role: str) -> AccountMembership:
    membership, _created = AccountMembership.objects.update_or_create(
        account=account, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def contact_save(*, contact: Contact) -> Contact:
    """Create or update a contact that a ModelForm has already validated."""
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def project_save(*, project: Project) -> Project:
    project.full_clean()
    project.save()
    enqueue_account_recompute(project.account_id)  # exposure, green share, EP category
    return project


@transaction.atomic
def contact_reveal(
    *, user: User, contact: Contact, field: str, request: HttpRequest | None = None
) -> str:
    """Return a contact's full phone or e-mail, and log who saw it, when and from where.
    Refused (PermissionDenied) once processing has stopped: consent withdrawn, anonymised."""
    if field not in REVEALABLE_FIELDS:
        raise ValueError(f"{field} is not a revealable field")
    if contact.processing_stopped:
        raise PermissionDenied(
            _("The person has withdrawn consent or been anonymised: their data is not shown.")
        )
    # The log outlives the person's data: "Contact #12 (Sunrise Power)", never the name.
    record_access(
        request,
        AccessLog.Action.REVEAL,
        user=user,
        account_id=contact.account_id,
        object_repr=f"{pseudonym(Contact, contact.pk)} ({contact.account})",
        field=field,
        detail={"contact_id": contact.pk},
    )
    return str(getattr(contact, field))


# ---------------------------------------------------------------- handovers


@transaction.atomic
def handover_request(
    *, account: Account, user: User, to_owner: User, reason: str
) -> AccountHandover:
    """The owner asks to hand ``account`` to ``to_owner``; nothing changes until the team lead
    (or an administrator) approves. One request waits per account."""
    if account.owner_id != user.pk:
        raise PermissionDenied(_("Only the account's owner hands it over."))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the account is handed over.")]
    if to_owner.pk == account.owner_id:
        errors["to_owner"] = [_("Choose someone other than the present owner.")]
    if AccountHandover.objects.filter(account=account, status=HandoverStatus.PENDING).exists():
        errors["__all__"] = [_("A handover of this account is already waiting for a decision.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            handover = AccountHandover.objects.create(
                account=account, from_owner=user, to_owner=to_owner, reason=reason
            )
    except IntegrityError as exc:  # another request got in first
        raise ValidationError(
            {"__all__": [_("A handover of this account is already waiting for a decision.")]}
        ) from exc
    lead = account.team.lead if account.team_id and account.team else None
    if lead is not None and lead.pk != user.pk:
        name = account.legal_name_en or account.legal_name_zh
        notification_send(
            user=lead,
            title=_("Handover to decide: %(account)s") % {"account": name},
            body=reason,
            url=link("accounts:detail", account.pk),
            key=f"handover:{handover.pk}:lead",
            email=True,
        )
    return handover


@transaction.atomic
def handover_decide(
    *, handover: AccountHandover, user: User, approve: bool, note: str = ""
) -> AccountHandover:
    """The team lead or an administrator (``Right.CHANGE_OWNER``) approves or rejects; an
    approval makes ``to_owner`` the owner, and the account follows them to their team."""
    handover = AccountHandover.objects.select_for_update().get(pk=handover.pk)
    account = (
        Account.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=handover.account_id)
    )
    if handover.status != HandoverStatus.PENDING:
        raise ValidationError(_("This handover has been decided already."))
    if user.pk == handover.from_owner_id or not account_can(
        user=user, account=account, right=Right.CHANGE_OWNER
    ):
        raise PermissionDenied(_("Only the team lead or an administrator decides a handover."))
    handover.status = HandoverStatus.APPROVED if approve else HandoverStatus.REJECTED
    handover.decided_by, handover.decided_at = user, timezone.now()
    handover.note = (note or "").strip()
    handover.save(update_fields=["status", "decided_by", "decided_at", "note"])
    name = account.legal_name_en or account.legal_name_zh
    if approve:
        account.owner = handover.to_owner
        account.team = handover.to_owner.team
        account.save(update_fields=["owner", "team", "updated_at"])
        notification_send(
            user=handover.to_owner,
            title=_("You now own %(account)s") % {"account": name},
            url=link("accounts:detail", account.pk),
            key=f"handover:{handover.pk}:to",
            email=True,
        )
    notification_send(
        user=handover.from_owner,
        title=(
            _("Handover approved: %(account)s") if approve else _("Handover rejected: %(account)s")
        )
        % {"account": name},
        body=handover.note,
        url=link("accounts:detail", account.pk),
        key=f"handover:{handover.pk}:from",
    )
    return handover


def handover_withdraw(*, handover: AccountHandover, user: User) -> AccountHandover:
    """The owner who asked takes a waiting request back."""
    if handover.from_owner_id != user.pk:
        raise PermissionDenied(_("Only who asked for the handover withdraws it."))
    updated = AccountHandover.objects.filter(pk=handover.pk, status=HandoverStatus.PENDING).update(
        status=HandoverStatus.WITHDRAWN, decided_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("This handover has been decided already."))
    handover.refresh_from_db()
    return handover
