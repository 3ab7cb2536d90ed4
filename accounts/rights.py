"""What each person may do on an account: the rights matrix, in one place.

A user reaches an account in one or more ways — they own it, they lead its team, they are on
its account team in a role, or a group of theirs holds a grant on it — and each way carries a
set of rights. What they may do is the union over the ways they reach it. Administrators hold
every right on every account; executives, risk officers and compliance read every account and
hold no right on it by that alone (risk officers triage alerts through the risk app's own rule).
Seeing an account is not a right here: whoever reaches it in any way sees it
(``accounts.selectors``, the one door).

The README's "Rights on an account" table is this matrix; tests check it cell by cell.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from .choices import MembershipRole


class Right(StrEnum):
    EDIT_ACCOUNT = "edit_account"  # the account's own data (names, codes, ratings, notes)
    CHANGE_OWNER = "change_owner"  # who owns it (and so its team)
    EDIT_CONTACTS = "edit_contacts"  # add and change contacts
    REVEAL_PII = "reveal_pii"  # show a contact's phone or e-mail in full (logged)
    EDIT_PROJECTS = "edit_projects"  # projects, covenants, covenant figures, ESG events
    RELATIONSHIP = "relationship"  # interactions, follow-ups, strategic reviews
    SERVICE = "service"  # open and work service requests
    TIERING = "tiering"  # the account plan; propose a tier override
    RISK = "risk"  # raise alerts and record their handling


RIGHT_LABELS = {
    Right.EDIT_ACCOUNT: _("Edit the account"),
    Right.CHANGE_OWNER: _("Change the owner"),
    Right.EDIT_CONTACTS: _("Edit contacts"),
    Right.REVEAL_PII: _("Reveal personal data"),
    Right.EDIT_PROJECTS: _("Edit projects and covenants"),
    Right.RELATIONSHIP: _("Log interactions and reviews"),
    Right.SERVICE: _("Work service requests"),
    Right.TIERING: _("Account plan and tier overrides"),
    Right.RISK: _("Raise and handle alerts"),
}

ALL_RIGHTS = frozenset(Right)

# How a user reaches an account (besides their roles): the values of ``selectors``' reach.
OWNER = "owner"
LEAD = "lead"
GRANT_CHANGE = "change_account"  # a group grant (django-guardian) to change the account
GRANT_VIEW = "view_account"  # a group grant to see it

# The matrix. The owner works the account in every way but hands it over only through the
# team lead; the lead and administrators change owners. A co-RM works it as the owner does.
# Specialists work their part: the credit analyst and the ESG specialist the projects,
# covenants and risk; the product specialist the service and the relationship; the assistant
# the contacts, diary and requests. A group granted "change" edits as a co-RM, without
# revealing personal data (which is for named people on the account).
RIGHTS_BY_REACH: dict[str, frozenset[Right]] = {
    OWNER: ALL_RIGHTS - {Right.CHANGE_OWNER},
    LEAD: ALL_RIGHTS,
    MembershipRole.CO_RM: ALL_RIGHTS - {Right.CHANGE_OWNER},
    MembershipRole.ANALYST: frozenset({Right.EDIT_PROJECTS, Right.RELATIONSHIP, Right.RISK}),
    MembershipRole.ESG: frozenset({Right.EDIT_PROJECTS, Right.RELATIONSHIP, Right.RISK}),
    MembershipRole.PRODUCT: frozenset({Right.RELATIONSHIP, Right.SERVICE}),
    MembershipRole.ASSISTANT: frozenset(
        {Right.EDIT_CONTACTS, Right.REVEAL_PII, Right.RELATIONSHIP, Right.SERVICE}
    ),
    GRANT_CHANGE: ALL_RIGHTS - {Right.CHANGE_OWNER, Right.REVEAL_PII},
    GRANT_VIEW: frozenset(),
}


def rights_of(reaches: set[str] | frozenset[str]) -> frozenset[Right]:
    """The rights of a user who reaches an account in each of these ways."""
    rights: frozenset[Right] = frozenset()
    for reach in reaches:
        rights |= RIGHTS_BY_REACH.get(reach, frozenset())
    return rights


def reaches_with(right: Right) -> frozenset[str]:
    """The ways of reaching an account that carry ``right``."""
    return frozenset(reach for reach, rights in RIGHTS_BY_REACH.items() if right in rights)


class Can:
    """A page's view of the rights: ``can.edit_contacts`` in a template."""

    def __init__(self, rights: frozenset[Right]) -> None:
        self.rights = rights
        for right in Right:
            setattr(self, right.value, right in rights)

    def __contains__(self, right: object) -> bool:
        return right in self.rights

    def __bool__(self) -> bool:
        """Whether any right is held (an "edit" of some kind is offered)."""
        return bool(self.rights)
