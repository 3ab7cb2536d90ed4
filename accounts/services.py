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

from .choices import OBLIGOR_ROLES
from .models import (
    Account,
    AccountHandover,
    AccountMembership,
    Contact,
    Facility,
    FacilityClassificationChange,
    HandoverStatus,
    Project,
    ProjectParty,
)
from .rights import RIGHT_LABELS, Right
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
    _recompute_project_accounts(project.pk, also=project.account_id)  # green share, EP category
    return project


def _recompute_project_accounts(project_id: int, *, also: int | None = None) -> None:
    """Rescore every account whose inputs a project's change can move: its lead account, its
    parties, its borrowers (and ``also``) and the members of their client groups (a member's
    tier reads its group's exposure). Groups live a floor above (``groups``): read by the
    reverse relation's name, never by import, in one query."""
    ids = set(
        ProjectParty.objects.filter(project_id=project_id).values_list("account_id", flat=True)
    )
    borrowers = set(
        Facility.objects.filter(project_id=project_id, borrower__isnull=False).values_list(
            "borrower_id", flat=True
        )
    )
    if also is not None:
        borrowers.add(also)  # the facility's previous borrower, or the account the change named
    ids |= borrowers
    if borrowers:
        ids |= set(
            Account.objects.filter(
                group_membership__group__memberships__account_id__in=sorted(borrowers)
            )
            .order_by()
            .values_list("pk", flat=True)
        )
    for account_id in sorted(ids):
        enqueue_account_recompute(account_id)


@transaction.atomic
def party_save(*, party: ProjectParty) -> ProjectParty:
    """Save a party; refused when the change (another account, a role that cannot borrow)
    would leave one of the project's facilities with a borrower that is no longer a party
    able to borrow."""
    party.full_clean()
    if party.pk is not None:
        before = (
            ProjectParty.objects.select_for_update()
            .filter(pk=party.pk)
            .values("account_id", "role")
            .first()
        )
        if before is not None and (
            before["account_id"] != party.account_id or party.role not in OBLIGOR_ROLES
        ):
            _refuse_if_borrower_left(party, before["account_id"])
    party.save()
    _recompute_project_accounts(party.project_id, also=party.account_id)
    return party


def borrower_left_by(party: ProjectParty, account_id: int) -> bool:
    """Whether changing or removing ``party`` leaves ``account_id`` borrowing under the
    project's facilities with no other role able to borrow."""
    other_obligor_role = (
        ProjectParty.objects.filter(
            project_id=party.project_id, account_id=account_id, role__in=OBLIGOR_ROLES
        )
        .exclude(pk=party.pk)
        .exists()
    )
    if other_obligor_role:
        return False
    return Facility.objects.filter(project_id=party.project_id, borrower_id=account_id).exists()


def _refuse_if_borrower_left(party: ProjectParty, account_id: int) -> None:
    if borrower_left_by(party, account_id):
        raise ValidationError(
            _("%(account)s borrows under this project's facilities: name another borrower first.")
            % {"account": Account.objects.filter(pk=account_id).first()}
        )


@transaction.atomic
def party_delete(*, party: ProjectParty) -> None:
    """Remove a party; refused while the account borrows under one of the project's facilities
    in no other role that can borrow (the facility would name a borrower who is not a party)."""
    _refuse_if_borrower_left(party, party.account_id)
    account_id, project_id = party.account_id, party.project_id
    party.delete()
    _recompute_project_accounts(project_id, also=account_id)


@transaction.atomic
def facility_save(*, facility: Facility, by: User | Any, reason: str = "") -> Facility:
    """Save a facility; a new classification (or a new facility) is recorded in its history
    with who changed it and why. A downgrade needs a reason."""
    previous: int | None = None
    previous_borrower: int | None = None
    if facility.pk is not None:
        row = (
            Facility.objects.select_for_update()
            .filter(pk=facility.pk)
            .values("classification", "borrower_id")
            .first()
        )
        if row is not None:
            previous, previous_borrower = row["classification"], row["borrower_id"]
    changed = previous != facility.classification
    if changed and previous is not None and facility.classification > previous and not reason:
        raise ValidationError(
            {"classification": _("Give the reason for the downgrade of the classification.")}
        )
    facility.full_clean()
    user = by if getattr(by, "pk", None) else None
    if changed:
        facility.classified_at = timezone.now()
        facility.classified_by = user
    facility.save()
    if changed:
        FacilityClassificationChange.objects.create(
            facility=facility,
            previous=previous,
            classification=facility.classification,
            reason=reason
            or (
                _("Classified when the facility was recorded.")
                if previous is None
                else _("Classification improved (no reason given).")
            ),
            changed_by=user,
        )
    _recompute_project_accounts(facility.project_id, also=previous_borrower)
    return facility


@transaction.atomic
def facility_delete(*, facility: Facility, by: User) -> None:
    """Remove a facility recorded by mistake or long repaid. Only who may edit the projects of
    its lead account removes it, and never while anything is outstanding or still available
    to draw (exposure = drawn + undrawn): a repaid facility has both at zero. Its
    classification history goes with it; the change log keeps the deletion."""
    row = (
        Facility.objects.select_for_update()
        .select_related("project__account")
        .filter(pk=facility.pk)
        .first()
    )
    if row is None:
        return  # removed meanwhile
    if not account_can(user=by, account=row.project.account, right=Right.EDIT_PROJECTS):
        raise PermissionDenied(
            _("You may not do this on this account (%s).") % RIGHT_LABELS[Right.EDIT_PROJECTS]
        )
    if row.drawn > 0 or row.undrawn > 0:
        raise ValidationError(
            _(
                "A facility with an outstanding amount cannot be removed; set drawn and "
                "undrawn to zero when it is repaid."
            )
        )
    project_id, borrower_id = row.project_id, row.borrower_id
    row.delete()
    _recompute_project_accounts(project_id, also=borrower_id)


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
