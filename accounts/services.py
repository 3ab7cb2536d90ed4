"""Writes to accounts, contacts and projects. Every change is audited by django-auditlog
(its middleware records the acting user); deliberate reads are logged here."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from kam.models import AccessLog, User

from .models import Account, AccountMembership, Contact, Project
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
    account.save(update_fields=[*ACCOUNT_FIELDS, "team", "updated_at"])
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


def _client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@transaction.atomic
def contact_reveal(
    *, user: User, contact: Contact, field: str, request: HttpRequest | None = None
) -> str:
    """Return a contact's full phone or e-mail, and log who saw it, when and from where."""
    if field not in REVEALABLE_FIELDS:
        raise ValueError(f"{field} is not a revealable field")
    AccessLog.objects.create(
        user=user,
        action=AccessLog.Action.REVEAL,
        account_id=contact.account_id,
        object_repr=f"{contact.name} ({contact.account})"[:200],
        field=field,
        ip_address=_client_ip(request),
        detail={"contact_id": contact.pk},
    )
    return str(getattr(contact, field))
