"""The one door to accounts: every view, export, search and figure reads through here.

Visibility is default-deny and a plain indexed queryset:
- the owner RM, and users on the account team (AccountMembership);
- the lead of the account's team;
- executives, risk officers, compliance and administrators (all accounts);
- groups granted ``view_account``/``change_account`` on the account (django-guardian).

What each may do on an account they see is the rights matrix of ``accounts.rights``
(``account_rights``; ``account_get_for_user(right=...)`` answers 403 without it). Executives,
risk and compliance read only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import CharField, F, Q, QuerySet, Value
from django.http import Http404
from django.utils.translation import gettext as _

from kam.models import User
from kam.roles import Role

from .choices import MembershipRole
from .models import (
    Account,
    AccountGroupObjectPermission,
    AccountMembership,
    Contact,
    Project,
    TierPolicy,
)
from .rights import (
    ALL_RIGHTS,
    GRANT_CHANGE,
    GRANT_VIEW,
    LEAD,
    OWNER,
    RIGHT_LABELS,
    Can,
    Right,
    reaches_with,
    rights_of,
)


def _visible_ids(
    user: User,
    right: Right | None = None,
    *,
    how: bool = False,
    account_pk: int | None = None,
) -> QuerySet[Any]:
    """Ids of the accounts ``user`` reaches through ownership, team lead, account team or a
    group grant — all of them, or those where the way of reaching carries ``right`` (the
    matrix of ``accounts.rights``): a UNION of four index-backed lookups, so its cost
    follows the size of the user's book, not of the whole table (an OR of EXISTS tests every
    account). With ``how``, each row also says how the account is reached (``owner``,
    ``lead``, the member's role or the grant's codename); ``account_pk`` asks about one."""
    reaches = reaches_with(right) if right is not None else None
    one = {} if account_pk is None else {"pk": account_pk}
    branches: list[QuerySet[Any, Any]] = []
    kind: CharField[str, str] = CharField()
    if reaches is None or OWNER in reaches:
        owned = Account.objects.filter(owner=user, **one).order_by().values("pk")
        branches.append(owned.annotate(how=Value(OWNER, kind)) if how else owned)
    if reaches is None or LEAD in reaches:
        led = Account.objects.filter(team__lead=user, **one).order_by().values("pk")
        branches.append(led.annotate(how=Value(LEAD, kind)) if how else led)
    roles = [role for role in MembershipRole if reaches is None or role in reaches]
    if roles:
        member = AccountMembership.objects.filter(
            user=user, role__in=roles, **({} if account_pk is None else {"account_id": account_pk})
        ).order_by()
        branches.append(
            member.values("account_id", how=F("role")) if how else member.values("account_id")
        )
    codenames = [c for c in (GRANT_VIEW, GRANT_CHANGE) if reaches is None or c in reaches]
    if codenames:
        granted = AccountGroupObjectPermission.objects.filter(
            group__user=user,
            permission__codename__in=codenames,
            **({} if account_pk is None else {"content_object_id": account_pk}),
        ).order_by()
        branches.append(
            granted.values("content_object_id", how=F("permission__codename"))
            if how
            else granted.values("content_object_id")
        )
    first, *rest = branches  # the lead's branch at least: the lead holds every right
    return first.union(*rest, all=True) if rest else first


def _reads_through_ids(user: User) -> bool:
    """Whether ``account_list_for_user`` filters ``user``'s reads by their book's ids."""
    return (
        user.is_authenticated
        and user.is_active
        and not user.is_portal_admin
        and not user.reads_all_accounts
    )


def account_list_for_user(*, user: User, right: Right | None = None) -> QuerySet[Account]:
    """The accounts ``user`` may see (or, with ``right``, on which they hold that right)."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.is_portal_admin:
        return Account.objects.all()
    if right is None and user.reads_all_accounts:
        return Account.objects.all()
    ids = _visible_ids_once(user, right)
    if isinstance(ids, list):
        return Account.objects.filter(pk__in_ids=ids)
    return Account.objects.filter(pk__in=ids)


def account_filter_for_user(*, user: User, field: str = "account", right: Right | None = None) -> Q:
    """A condition on a child of accounts (alerts, follow-ups, requests...): its ``field``
    is one of the accounts ``user`` may see (or holds ``right`` on). The same rules as
    ``account_list_for_user``, without a subquery on the account table: nothing for those
    who read every account, the ids of the user's book, or the UNION for a large one."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_portal_admin or (right is None and user.reads_all_accounts):
        return Q()
    ids = _visible_ids_once(user, right)
    if isinstance(ids, list):
        return Q(**{f"{field}__in_ids": ids})
    return Q(**{f"{field}__in": ids})


# A book up to this size is read once per request and passed to every query of the page as
# a list of ids (an index lookup each); a larger one stays a subquery.
VISIBLE_IDS_INLINE_MAX = 2000

# What a list of accounts on the home or a panel shows of each (name, tier, status,
# industry): read ``.only()`` these, a row of every column costs the page compiling and
# loading some thirty fields per account for four.
ACCOUNT_ROW_FIELDS = ("legal_name_en", "legal_name_zh", "tier", "status", "industry")


def account_row_fields(prefix: str = "") -> tuple[str, ...]:
    """``ACCOUNT_ROW_FIELDS`` through a relation: ``account_row_fields("account__")``."""
    return tuple(prefix + name for name in ACCOUNT_ROW_FIELDS)


@dataclass(frozen=True)
class _Book:
    """What one read of the user's reach gives: the accounts they may see, the rights they
    hold on each (``accounts.rights``), and those they own."""

    read: list[int]
    rights: dict[int, frozenset[Right]]
    owned: list[int]

    def with_right(self, right: Right) -> list[int]:
        return sorted(pk for pk, rights in self.rights.items() if right in rights)


def _book(user: User) -> _Book | None:
    """The user's book, read from the database once per user object — once per request, as
    Django reads a user's permissions — and never kept between requests, so a change of access
    by any route shows on the user's next request. None for a book too large to list."""
    if "_book" not in user.__dict__:
        rows = list(_visible_ids(user, how=True)[: VISIBLE_IDS_INLINE_MAX + 1])
        read: _Book | None = None
        if len(rows) <= VISIBLE_IDS_INLINE_MAX:
            reaches: dict[int, set[str]] = {}
            for row in rows:
                reaches.setdefault(row["pk"], set()).add(row["how"])
            # A book of hundreds of accounts is reached in a handful of ways: each
            # combination's rights are worked out once.
            combined: dict[frozenset[str], frozenset[Right]] = {}
            rights = {}
            for pk, how in reaches.items():
                key = frozenset(how)
                if key not in combined:
                    combined[key] = rights_of(key)
                rights[pk] = combined[key]
            read = _Book(
                read=sorted(reaches),
                rights=rights,
                owned=sorted(pk for pk, how in reaches.items() if OWNER in how),
            )
        user.__dict__["_book"] = read
    book: _Book | None = user.__dict__["_book"]
    return book


def _visible_ids_once(user: User, right: Right | None = None) -> list[int] | QuerySet[Any]:
    """The ids of the accounts ``user`` may see (or, with ``right``, on which they hold it): a
    page filters several queries by them, and a literal list plans as an index lookup where
    the UNION would make each query hash-join the whole account table. A book too large to
    list stays the UNION."""
    book = _book(user)
    if book is None:
        return _visible_ids(user, right)
    return book.read if right is None else book.with_right(right)


def forget_access(user: User) -> None:
    """Drop what ``user`` remembers of their roles and book: for code that changes access and
    reads it again with the same user object (a request's later reads, a test)."""
    user.__dict__.pop("_book", None)
    user.__dict__.pop("_rights", None)
    user.__dict__.pop("_role_names", None)


def owned_account_ids(*, user: User) -> list[int]:
    """The ids of the accounts ``user`` owns (from their book when it is in hand)."""
    book = _book(user) if _reads_through_ids(user) else None
    if book is not None:
        return book.owned
    return sorted(Account.objects.filter(owner=user).values_list("pk", flat=True))


def visible_ids_in_hand(*, user: User) -> frozenset[int] | None:
    """The ids of the accounts ``user`` may see, when the one door filters their reads by
    such a list; None when it does not — those who read every
    account, a book too large to list — and the caller filters in SQL. For a read narrowed by
    something more selective first (the requests assigned to the user), where the planner
    would rather combine the two indexes than trust the narrow one."""
    if not _reads_through_ids(user):
        return None
    ids = _visible_ids_once(user)
    return frozenset(ids) if isinstance(ids, list) else None


# What no account page shows of the owner it reads with the account: a third of the columns
# the query compiles and loads on every account page.
_OWNER_UNSHOWN = tuple(
    f"owner__{name}"
    for name in ("password", "last_login", "is_superuser", "is_staff", "date_joined", "language")
)


def account_get_for_user(
    *,
    user: User,
    pk: int | str,
    right: Right | None = None,
    related: tuple[str, ...] = (),
    unshown: tuple[str, ...] = (),
) -> Account:
    """One account: 404 when ``user`` may not see it, 403 when they may see it but do not
    hold ``right`` on it. ``related``: more relations to read with it (``select_related``)
    for a page's panels, ``unshown`` columns of them it does not show (``defer``)."""
    try:
        ids = _visible_ids_once(user) if _reads_through_ids(user) else None
        if isinstance(ids, list):
            # The user's book is in hand: an account outside it costs no query.
            if int(pk) not in ids:
                raise Account.DoesNotExist
            visible = Account.objects.all()
        else:
            visible = account_list_for_user(user=user)
        account = (
            visible.select_related("owner", "team", *related)
            .defer(*_OWNER_UNSHOWN, *unshown)
            .get(pk=pk)
        )
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such account.") from exc
    if right is not None and right not in account_rights(user=user, account=account):
        raise PermissionDenied(_("You may not do this on this account (%s).") % RIGHT_LABELS[right])
    return account


def account_rights(*, user: User, account: Account) -> frozenset[Right]:
    """What ``user`` may do on ``account`` (fetched through the one door): the union of the
    rights of every way they reach it (``accounts.rights``): from the user's book, or read
    once per user object and account when the book is not listed."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_portal_admin:
        return ALL_RIGHTS
    book = _book(user) if _reads_through_ids(user) else None
    if book is not None:
        return book.rights.get(account.pk, frozenset())
    held: dict[int, frozenset[Right]] = user.__dict__.setdefault("_rights", {})
    if account.pk not in held:
        reaches = {row["how"] for row in _visible_ids(user, how=True, account_pk=account.pk)}
        held[account.pk] = rights_of(reaches)
    return held[account.pk]


def account_can(*, user: User, account: Account, right: Right) -> bool:
    return right in account_rights(user=user, account=account)


def account_can_for(*, user: User, account: Account) -> Can:
    """The rights as a page shows them (``can.edit_contacts``)."""
    return Can(account_rights(user=user, account=account))


def contact_get_for_account(*, account: Account, pk: int | str) -> Contact:
    """A contact of an account already fetched through ``account_get_for_user``."""
    try:
        return Contact.objects.get(account=account, pk=pk)
    except (Contact.DoesNotExist, ValueError) as exc:
        raise Http404("No such contact.") from exc


def project_get_for_account(*, account: Account, pk: int | str) -> Project:
    """A project led by an account already fetched through ``account_get_for_user``: the lead
    account's book decides who opens a project, whichever parties it has."""
    try:
        return Project.objects.get(account=account, pk=pk)
    except (Project.DoesNotExist, ValueError) as exc:
        raise Http404("No such project.") from exc


def account_ids_visible_among(*, user: User, ids: Iterable[int]) -> frozenset[int]:
    """Which of ``ids`` ``user`` may see: a page that names other accounts (a project's
    parties, the leads of an account's projects) links only those, and shows the rest as a
    name. No query for those who read every account or whose book is in hand."""
    wanted = {pk for pk in ids if pk is not None}
    if not wanted or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_portal_admin or user.reads_all_accounts:
        return frozenset(wanted)
    in_hand = visible_ids_in_hand(user=user)
    if in_hand is not None:
        return frozenset(wanted & in_hand)
    return frozenset(
        account_list_for_user(user=user).filter(pk__in=wanted).values_list("pk", flat=True)
    )


def user_can_create_accounts(*, user: User) -> bool:
    return user.is_portal_admin or user.has_role(Role.RM, Role.TEAM_LEAD)


def owner_choices_for_user(*, user: User) -> QuerySet[User]:
    """Who ``user`` may make an account's owner: any RM for administrators; otherwise
    themselves and the RMs of the teams they lead."""
    qs = User.objects.filter(is_active=True, groups__name__in=[Role.RM, Role.TEAM_LEAD]).distinct()
    if not user.is_portal_admin:
        qs = qs.filter(Q(pk=user.pk) | Q(team__lead=user))
    return qs.order_by("username")


def tier_policies() -> dict[str, TierPolicy]:
    """Every tier's policy (cadence, quarterly review, account plan) by tier: a few rows that
    most pages read."""
    return {policy.tier: policy for policy in TierPolicy.objects.all()}


def tier_policy(tier: str) -> TierPolicy | None:
    return tier_policies().get(tier)


def account_tier_policy(account: Account) -> TierPolicy | None:
    """The policy of ``account``'s tier, read once per account object: the panels of one
    account page each ask for it (and a page reads its account afresh on every request)."""
    held = account.__dict__.get("_tier_policy")
    if held is None or held[0] != account.tier:
        held = account.__dict__["_tier_policy"] = (account.tier, tier_policy(account.tier))
    policy: TierPolicy | None = held[1]
    return policy
