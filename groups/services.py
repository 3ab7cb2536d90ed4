"""Writes of client groups, their members and connected parties. Each validates the row
(``full_clean``), saves it (django-auditlog records the change) and asks for the tier of the
accounts it touches to be worked out again (tiering reads group figures)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.tiering.services import enqueue_account_recompute

from .models import CapitalBase, ClientGroup, ConnectedParty, GroupMembership


def _in_a_group(account: Account, *, but: int | None = None) -> ClientGroup | None:
    membership = (
        GroupMembership.objects.filter(account=account)
        .exclude(group_id=but)
        .select_related("group")
        .first()
    )
    return membership.group if membership else None


@transaction.atomic
def group_create(*, group: ClientGroup) -> ClientGroup:
    """A new group with its top account as its first member."""
    other = _in_a_group(group.parent)
    if other is not None:
        raise ValidationError(
            {
                "parent": _("%(account)s is already in the group %(group)s.")
                % {"account": group.parent, "group": other}
            }
        )
    group.full_clean()
    group.save()
    membership_ensure_top(group=group)
    return group


@transaction.atomic
def group_update(*, group: ClientGroup) -> ClientGroup:
    """Names and note (the top changes in the admin)."""
    group.full_clean()
    group.save()
    return group


def group_members_recompute(*group_ids: int | None, also: int | None = None) -> None:
    """Rescore every member of the groups (a member's tier reads its group's exposure, so a
    member joining, moving or leaving moves every member's input) and ``also`` (the account
    that left). One query."""
    ids = set(
        GroupMembership.objects.filter(group_id__in=[g for g in group_ids if g is not None])
        .order_by()
        .values_list("account_id", flat=True)
    )
    if also is not None:
        ids.add(also)
    for account_id in sorted(ids):
        enqueue_account_recompute(account_id)


def membership_ensure_top(*, group: ClientGroup) -> GroupMembership:
    """The group's top account is a member with no parent. Every member is rescored (the
    admin saves its members inline, then calls this), and the members of the group the top
    came from."""
    membership, _created = GroupMembership.objects.get_or_create(
        account_id=group.parent_id, defaults={"group": group}
    )
    came_from = None
    if membership.group_id != group.pk or membership.parent_id is not None:
        came_from = membership.group_id if membership.group_id != group.pk else None
        membership.group = group
        membership.parent = None
        membership.ownership_pct = None
        membership.save()
    group_members_recompute(group.pk, came_from)
    return membership


@transaction.atomic
def membership_save(*, membership: GroupMembership) -> GroupMembership:
    if membership.account_id:
        other = _in_a_group(membership.account, but=membership.group_id)
        if other is not None:
            raise ValidationError(
                {
                    "account": _("%(account)s is already in the group %(group)s.")
                    % {"account": membership.account, "group": other}
                }
            )
    before = (
        GroupMembership.objects.filter(pk=membership.pk)
        .values_list("group_id", "account_id")
        .first()
        if membership.pk is not None
        else None
    )
    membership.full_clean()
    membership.save()
    # The group it is in now and the one it was in (an account edited out of a membership
    # leaves that group: it is rescored too).
    old_group, old_account = before or (None, None)
    group_members_recompute(membership.group_id, old_group, also=old_account)
    return membership


@transaction.atomic
def membership_delete(*, membership: GroupMembership) -> None:
    """Take an account out of its group; refused for the group's top, and while other members
    name it as their parent (move them first)."""
    if membership.account_id == membership.group.parent_id:
        raise ValidationError(_("The group's top account cannot leave its group."))
    if GroupMembership.objects.filter(
        group_id=membership.group_id, parent_id=membership.account_id
    ).exists():
        raise ValidationError(
            _("Other members name %(account)s as their parent: move them first.")
            % {"account": membership.account}
        )
    account_id, group_id = membership.account_id, membership.group_id
    membership.delete()
    group_members_recompute(group_id, also=account_id)


@transaction.atomic
def connected_party_save(*, connection: ConnectedParty) -> ConnectedParty:
    if (
        connection.account_id
        and connection.other_id
        and connection.account_id > connection.other_id
    ):
        connection.account_id, connection.other_id = connection.other_id, connection.account_id
    connection.full_clean()
    connection.save()
    return connection


@transaction.atomic
def connected_party_delete(*, connection: ConnectedParty) -> None:
    connection.delete()


@transaction.atomic
def capital_base_save(*, capital: CapitalBase) -> CapitalBase:
    capital.full_clean()
    capital.save()
    return capital
