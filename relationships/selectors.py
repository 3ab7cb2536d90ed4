"""The relationship map of an account or a client group, read through the one door.

A map reads a fixed handful of queries whatever its size: the group tree, the connected
parties, the projects the accounts are parties of with their other parties, which of the
accounts met on the way the user may see, the clients' people and ours.

What the user may see decides what the map shows:
- an account outside the user's book is a name, never linked, and none of its people;
- a project is linked, and shows all its parties, only when the user may see the account
  it is managed under (its lead account); otherwise it is a name, and only the roles in it
  of the focus accounts the user may see;
- interactions count as the user reads them (a confidential one only for the account team and
  compliance);
- a contact is a name and a title: no phone, no e-mail (they are never read), and none whose
  information is no longer processed (anonymised, consent or transfer consent withdrawn).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from accounts.choices import LegalBasis, MembershipRole, PartyRole
from accounts.models import Account, AccountMembership, Contact, ProjectParty
from accounts.selectors import account_list_for_user, visible_ids_in_hand
from groups.models import ClientGroup, ConnectedParty, ConnectionReason, GroupMembership
from interactions.models import AccountSponsor
from interactions.selectors.interactions import interaction_list_for_user
from kam.links import link
from kam.models import User, person_name

from .graph import (
    ACCOUNT,
    CONNECTED,
    CONTACT,
    COVERS,
    EMPLOYS,
    GROUP,
    MEMBER,
    MET,
    PARTY,
    PERSON,
    PROJECT,
    REPORTS_TO,
    SUBSIDIARY,
    Graph,
    Node,
    account_node_id,
    contact_node_id,
    group_node_id,
    person_node_id,
    project_node_id,
)

_MEMBERSHIP_FIELDS = (
    "group_id",
    "group__name_en",
    "group__name_zh",
    "account_id",
    "account__legal_name_en",
    "account__legal_name_zh",
    "parent_id",
    "ownership_pct",
)


def _in_language(en: str, zh: str) -> str:
    """A name kept in both languages, in the user's (the other when it is missing)."""
    if (get_language() or "").lower().startswith("zh"):
        return zh or en
    return en or zh


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def account_map(*, user: User, account: Account) -> Graph:
    """The map around one account fetched through the one door: its group's tree, its
    connected parties, its projects and their parties, its people and ours."""
    memberships = list(
        GroupMembership.objects.filter(group__memberships__account_id=account.pk)
        .order_by("pk")
        .values(*_MEMBERSHIP_FIELDS)
    )
    names = {account.pk: _in_language(account.legal_name_en, account.legal_name_zh)}
    return _build(
        user=user,
        focus=names,
        memberships=memberships,
        group_names=None,
        focus_node=account_node_id(account.pk),
    )


def group_map(*, user: User, group: ClientGroup) -> Graph:
    """The map of a group fetched with ``groups.selectors.group_get_for_user`` (the group's
    own door: one of its accounts is in the user's book): the tree of its accounts, and
    around every one of them what ``account_map`` shows around one."""
    memberships = list(
        GroupMembership.objects.filter(group=group).order_by("pk").values(*_MEMBERSHIP_FIELDS)
    )
    focus = {
        row["account_id"]: _in_language(
            row["account__legal_name_en"], row["account__legal_name_zh"]
        )
        for row in memberships
    }
    focus.setdefault(
        group.parent_id, _in_language(group.parent.legal_name_en, group.parent.legal_name_zh)
    )
    return _build(
        user=user,
        focus=focus,
        memberships=memberships,
        group_names={group.pk: _in_language(group.name_en, group.name_zh)},
        focus_node=group_node_id(group.pk),
    )


def _visible(user: User, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` the user may see: from the book in hand, else one query."""
    wanted = set(ids)
    in_hand = visible_ids_in_hand(user=user)
    if in_hand is not None:
        return wanted & in_hand
    return set(account_list_for_user(user=user).filter(pk__in=wanted).values_list("pk", flat=True))


def _build(
    *,
    user: User,
    focus: dict[int, str],
    memberships: list[dict[str, Any]],
    group_names: dict[int, str] | None,
    focus_node: str,
) -> Graph:
    names = dict(focus)
    for membership in memberships:
        names.setdefault(
            membership["account_id"],
            _in_language(
                membership["account__legal_name_en"], membership["account__legal_name_zh"]
            ),
        )
    if group_names is None:
        group_names = {
            membership["group_id"]: _in_language(
                membership["group__name_en"], membership["group__name_zh"]
            )
            for membership in memberships
        }

    connections = list(
        ConnectedParty.objects.filter(Q(account_id__in=focus) | Q(other_id__in=focus))
        .order_by("pk")
        .values(
            "account_id",
            "account__legal_name_en",
            "account__legal_name_zh",
            "other_id",
            "other__legal_name_en",
            "other__legal_name_zh",
            "reason",
        )
    )
    for pair in connections:
        names.setdefault(
            pair["account_id"],
            _in_language(pair["account__legal_name_en"], pair["account__legal_name_zh"]),
        )
        names.setdefault(
            pair["other_id"],
            _in_language(pair["other__legal_name_en"], pair["other__legal_name_zh"]),
        )

    # Every party of every project one of the focus accounts is a party of.
    parties = list(
        ProjectParty.objects.filter(
            project_id__in=ProjectParty.objects.filter(account_id__in=focus).values("project_id")
        )
        .order_by("project__name", "project_id", "role", "pk")
        .values(
            "project_id",
            "project__name",
            "project__account_id",
            "account_id",
            "account__legal_name_en",
            "account__legal_name_zh",
            "role",
            "equity_pct",
        )
    )
    leads = {party["project__account_id"] for party in parties}
    visible = _visible(user, set(names) | leads | {party["account_id"] for party in parties})

    graph = Graph()

    def add_account(pk: int, name: str) -> None:
        node_id = account_node_id(pk)
        if pk in visible:
            node = Node(node_id, ACCOUNT, name, url=link("accounts:detail", pk))
        else:
            node = Node(node_id, ACCOUNT, name, name_only=True)
        graph.add(node)

    # The group tree: the group above its top account, each account under its direct parent.
    for group_pk, group_name in group_names.items():
        graph.add(Node(group_node_id(group_pk), GROUP, group_name, url=_group_url(group_pk)))
    for pk, name in names.items():
        add_account(pk, name)
    for membership in memberships:
        account_id = account_node_id(membership["account_id"])
        if membership["parent_id"] is None:
            graph.connect(group_node_id(membership["group_id"]), account_id, MEMBER)
        else:
            pct = membership["ownership_pct"]
            label = _percent(pct) if pct is not None else ""
            graph.connect(account_node_id(membership["parent_id"]), account_id, SUBSIDIARY, label)

    for pair in connections:
        graph.connect(
            account_node_id(pair["account_id"]),
            account_node_id(pair["other_id"]),
            CONNECTED,
            str(ConnectionReason(pair["reason"]).label),
        )

    # Projects and their parties. A project the user cannot open shows only the roles in it
    # of the focus accounts the user may see (an account outside the book shows no projects).
    for party in parties:
        lead = party["project__account_id"]
        if lead not in visible and not (
            party["account_id"] in focus and party["account_id"] in visible
        ):
            continue
        project_id = project_node_id(party["project_id"])
        url = _project_url(party["project_id"], lead) if lead in visible else ""
        graph.add(Node(project_id, PROJECT, party["project__name"], url=url, name_only=not url))
        add_account(
            party["account_id"],
            _in_language(party["account__legal_name_en"], party["account__legal_name_zh"]),
        )
        label = str(PartyRole(party["role"]).label)
        if party["equity_pct"] is not None:
            label = f"{label} {_percent(party['equity_pct'])}"
        graph.connect(account_node_id(party["account_id"]), project_id, PARTY, label)

    # The clients' people and ours: only around the focus accounts the user may see.
    seen = sorted(pk for pk in focus if pk in visible)
    if seen:
        _add_people(graph, user=user, accounts=seen)

    if focus_node in graph.nodes:
        graph.nodes[focus_node].focus = True
    return graph


def _add_people(graph: Graph, *, user: User, accounts: list[int]) -> None:
    contacts = list(
        Contact.objects.filter(account_id__in=accounts, anonymised_at__isnull=True)
        .exclude(legal_basis=LegalBasis.CONSENT, consent_withdrawn_on__isnull=False)
        .exclude(cross_border_withdrawn_on__isnull=False)
        .order_by("account_id", "name", "pk")
        # Name and title only: the encrypted phone and e-mail are never read here.
        .values("pk", "account_id", "name", "title", "reports_to_id")
    )
    for contact in contacts:
        node_id = contact_node_id(contact["pk"])
        graph.add(
            Node(
                node_id,
                CONTACT,
                contact["name"],
                url=link("accounts:detail", contact["account_id"]) + "#contacts-heading",
                detail=contact["title"],
            )
        )
        graph.connect(account_node_id(contact["account_id"]), node_id, EMPLOYS)
    for contact in contacts:
        if contact["reports_to_id"] is not None:
            graph.connect(
                contact_node_id(contact["pk"]),
                contact_node_id(contact["reports_to_id"]),
                REPORTS_TO,
                _("reports to"),
            )

    def person(pk: int, username: str, first: str, last: str) -> str:
        node_id = person_node_id(pk)
        graph.add(Node(node_id, PERSON, person_name(username, first, last)))
        return node_id

    owner_label = _("Owner RM")
    for owned in (
        Account.objects.filter(pk__in=accounts)
        .order_by("pk")
        .values("pk", "owner_id", "owner__username", "owner__first_name", "owner__last_name")
    ):
        node_id = person(
            owned["owner_id"],
            owned["owner__username"],
            owned["owner__first_name"],
            owned["owner__last_name"],
        )
        graph.connect(node_id, account_node_id(owned["pk"]), COVERS, owner_label)
    for member in (
        AccountMembership.objects.filter(account_id__in=accounts, user__is_active=True)
        .order_by("account_id", "pk")
        .values(
            "account_id", "role", "user_id", "user__username", "user__first_name", "user__last_name"
        )
    ):
        node_id = person(
            member["user_id"],
            member["user__username"],
            member["user__first_name"],
            member["user__last_name"],
        )
        graph.connect(
            node_id,
            account_node_id(member["account_id"]),
            COVERS,
            str(MembershipRole(member["role"]).label),
        )
    sponsor_label = _("Executive sponsor")
    for sponsor in (
        AccountSponsor.objects.filter(account_id__in=accounts)
        .order_by("account_id")
        .values(
            "account_id",
            "executive_id",
            "executive__username",
            "executive__first_name",
            "executive__last_name",
        )
    ):
        node_id = person(
            sponsor["executive_id"],
            sponsor["executive__username"],
            sponsor["executive__first_name"],
            sponsor["executive__last_name"],
        )
        graph.connect(node_id, account_node_id(sponsor["account_id"]), COVERS, sponsor_label)

    # Who of us met whom of them: the interactions the user may read, counted per pair.
    contact_ids = [meeting["pk"] for meeting in contacts]
    if not contact_ids:
        return
    met = (
        interaction_list_for_user(user=user)
        .filter(
            account_id__in=accounts,
            contacts__in=contact_ids,
            internal_participants__is_active=True,
        )
        .values(
            "contacts",
            "internal_participants",
            "internal_participants__username",
            "internal_participants__first_name",
            "internal_participants__last_name",
        )
        .annotate(n=Count("pk", distinct=True))
        .order_by("contacts", "internal_participants")
    )
    for meeting in met:
        node_id = person(
            meeting["internal_participants"],
            meeting["internal_participants__username"],
            meeting["internal_participants__first_name"],
            meeting["internal_participants__last_name"],
        )
        label = ngettext("%(n)d interaction", "%(n)d interactions", meeting["n"]) % {
            "n": meeting["n"]
        }
        graph.connect(node_id, contact_node_id(meeting["contacts"]), MET, label)


def _group_url(pk: int) -> str:
    return link("groups:detail", pk)


def _project_url(project_pk: int, lead_pk: int) -> str:
    """A project's page, reached through its lead account."""
    return link("accounts:project_detail", lead_pk, project_pk)
