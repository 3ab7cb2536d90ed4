"""The relationship map: what the graph holds for each of the cast, through the one door
(the book: tests/relationships/conftest.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.choices import MembershipRole, PartyRole
from accounts.models import Account, Contact, ProjectParty
from groups.models import ConnectedParty, ConnectionReason, GroupMembership
from groups.selectors import group_get_for_user
from kam.models import User
from relationships import selectors
from relationships.graph import (
    CONNECTED,
    COVERS,
    EMPLOYS,
    MEMBER,
    MET,
    PARTY,
    REPORTS_TO,
    SUBSIDIARY,
    Graph,
    account_node_id,
    contact_node_id,
    group_node_id,
    person_node_id,
    project_node_id,
)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
)
from tests.interactions.factories import InteractionFactory
from tests.relationships.conftest import Book
from tests.test_templates import _assert_csp_clean

pytestmark = pytest.mark.django_db


def _edges(graph: Graph) -> dict[tuple[str, str, str], str]:
    return {(e.source, e.target, e.type): e.label for e in graph.edges.values()}


def _account_map(user: User, account: Account) -> Graph:
    from accounts.selectors import account_get_for_user

    return selectors.account_map(user=user, account=account_get_for_user(user=user, pk=account.pk))


def test_the_account_map_draws_the_group_parties_and_people(book: Book) -> None:
    cast = book.cast
    graph = _account_map(cast.owner, cast.account)
    a, sub, grand = (
        account_node_id(x.pk) for x in (cast.account, book.subsidiary, book.grandchild)
    )
    own, foreign = project_node_id(book.own_project.pk), project_node_id(book.foreign_project.pk)
    ceo, cfo = contact_node_id(book.ceo.pk), contact_node_id(book.cfo.pk)
    edges = _edges(graph)

    assert graph.nodes[a].focus and graph.nodes[a].url == f"/accounts/{cast.account.pk}/"
    # The group tree with ownership.
    assert (group_node_id(book.group.pk), a, MEMBER) in edges
    assert edges[(a, sub, SUBSIDIARY)] == "60%"
    assert edges[(sub, grand, SUBSIDIARY)] == "51%"
    # Connected party, whichever side of the stored pair the account is on.
    guarantor = account_node_id(book.guarantor.pk)
    assert (edges.get((a, guarantor, CONNECTED)) or edges.get((guarantor, a, CONNECTED))) == (
        "Guarantee"
    )
    # The account's roles in its project, joined on one edge; the other party.
    assert set(edges[(a, own, PARTY)].split(" · ")) == {"Borrower", "Sponsor 30%"}
    assert edges[(account_node_id(book.epc.pk), own, PARTY)] == "EPC contractor"
    assert graph.nodes[own].url == f"/accounts/{cast.account.pk}/projects/{book.own_project.pk}/"
    assert edges[(a, foreign, PARTY)] == "Off-taker"
    # The client's people and their reporting line; the withdrawn and anonymised are left out.
    contacts = {n.label for n in graph.nodes.values() if n.type == "contact"}
    assert contacts == {"Zhou Ming", "Qian Li"}
    assert graph.nodes[cfo].detail == "CFO"
    assert (a, cfo, EMPLOYS) in edges
    assert edges[(cfo, ceo, REPORTS_TO)] == "reports to"
    # Our people: the owner, the account team, the executive sponsor; who met whom.
    assert edges[(person_node_id(cast.owner.pk), a, COVERS)] == "Owner RM"
    assert edges[(person_node_id(cast.teammate.pk), a, COVERS)] == str(MembershipRole.CO_RM.label)
    assert edges[(person_node_id(cast.executive.pk), a, COVERS)] == "Executive sponsor"
    assert edges[(person_node_id(cast.owner.pk), cfo, MET)] == "2 interactions"
    assert edges[(person_node_id(cast.lead.pk), cfo, MET)] == "1 interaction"
    # The owner is on the account team: the confidential meeting counts.
    assert edges[(person_node_id(cast.teammate.pk), ceo, MET)] == "1 interaction"
    assert not graph.nodes[person_node_id(cast.owner.pk)].url


def test_accounts_outside_the_book_are_names_only_without_their_people(book: Book) -> None:
    graph = _account_map(book.cast.owner, book.cast.account)
    for outside in (book.grandchild, book.guarantor, book.epc):
        node = graph.nodes[account_node_id(outside.pk)]
        assert node.name_only and node.url == "", outside
    assert not graph.nodes[account_node_id(book.subsidiary.pk)].name_only
    assert contact_node_id(book.guarantor_contact.pk) not in graph.nodes
    # A project managed under another RM's account: its name, the account's own role in it,
    # and none of its other parties.
    foreign = graph.nodes[project_node_id(book.foreign_project.pk)]
    assert foreign.name_only and foreign.url == ""
    assert account_node_id(book.foreign_borrower.pk) not in graph.nodes
    assert "Secret SPV" not in json.dumps(graph.elements())
    # Element data: a name-only node carries no url at all.
    element = graph.nodes[account_node_id(book.epc.pk)].element()
    assert "url" not in element["data"] and "name-only" in element["classes"]


def test_an_executive_sees_every_account_but_not_confidential_meetings(book: Book) -> None:
    cast = book.cast
    graph = _account_map(cast.executive, cast.account)
    assert not any(node.name_only for node in graph.nodes.values())
    assert account_node_id(book.foreign_borrower.pk) in graph.nodes
    edges = _edges(graph)
    assert (person_node_id(cast.owner.pk), contact_node_id(book.cfo.pk), MET) in edges
    assert (person_node_id(cast.teammate.pk), contact_node_id(book.ceo.pk), MET) not in edges


def test_no_contact_personal_data_is_read_or_drawn(book: Book) -> None:
    cast = book.cast
    client = Client()
    client.force_login(cast.owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("relationships:account", args=[cast.account.pk]))
    assert response.status_code == 200
    contact_sql = [q["sql"] for q in queries.captured_queries if "accounts_contact" in q["sql"]]
    assert contact_sql, "the contacts are read"
    for sql in contact_sql:
        assert '"phone"' not in sql and '"email"' not in sql, sql
    body = response.content.decode()
    for contact in (book.ceo, book.cfo):
        assert contact.phone not in body and contact.email not in body
        assert contact.masked_phone not in body
    # What the page hands the browser: names, titles, links, never anything else.
    data = json.loads(json.dumps(response.context["map_data"]))
    for element in data["elements"]:
        assert set(element["data"]) <= {"id", "type", "label", "url", "detail", "source", "target"}


def test_another_rm_gets_404_for_the_account_map(book: Book) -> None:
    client = Client()
    client.force_login(book.cast.outsider)
    response = client.get(reverse("relationships:account", args=[book.cast.account.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("teammate", 200),
        ("lead", 200),
        ("executive", 200),
        ("outsider", 404),
    ],
)
def test_who_opens_the_account_map(book: Book, who: str, status: int) -> None:
    client = Client()
    client.force_login(getattr(book.cast, who))
    response = client.get(reverse("relationships:account", args=[book.cast.account.pk]))
    assert response.status_code == status


def test_a_group_is_visible_when_one_member_is_in_the_book(book: Book) -> None:
    cast = book.cast
    url = reverse("relationships:group", args=[book.group.pk])
    # The outsider covers only the grandchild: they see the group, the rest by name only.
    client = Client()
    client.force_login(cast.outsider)
    response = client.get(url)
    assert response.status_code == 200
    graph_elements = {e["data"]["id"]: e for e in response.context["map_data"]["elements"]}
    top = graph_elements[account_node_id(cast.account.pk)]
    assert "name-only" in top["classes"] and "url" not in top["data"]
    assert "url" in graph_elements[account_node_id(book.grandchild.pk)]["data"]
    assert contact_node_id(book.cfo.pk) not in graph_elements
    assert "focus" in graph_elements[group_node_id(book.group.pk)]["classes"]
    # The projects of a member outside the book stay out, unless the user may open them.
    assert project_node_id(book.own_project.pk) not in graph_elements
    assert "url" in graph_elements[project_node_id(book.foreign_project.pk)]["data"]
    # An RM who covers no member gets 404, as for a group that does not exist.
    stranger = UserFactory.create(username="rm.nobody", team=cast.other_team)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.get(reverse("relationships:group", args=[book.group.pk + 99])).status_code == 404


def test_the_group_map_shows_the_people_of_every_visible_member(book: Book) -> None:
    cast = book.cast
    sub_contact = ContactFactory.create(account=book.subsidiary, name="Sub CFO")
    grand_contact = ContactFactory.create(account=book.grandchild, name="Grand CFO")
    group = group_get_for_user(user=cast.owner, pk=book.group.pk)
    graph = selectors.group_map(user=cast.owner, group=group)
    assert contact_node_id(sub_contact.pk) in graph.nodes
    assert contact_node_id(book.cfo.pk) in graph.nodes
    assert contact_node_id(grand_contact.pk) not in graph.nodes
    assert graph.nodes[account_node_id(book.grandchild.pk)].name_only
    # The projects of every member: the subsidiary's too.
    sub_project = ProjectFactory.create(account=book.subsidiary, name="Sub Wind")
    graph = selectors.group_map(user=cast.owner, group=group)
    assert project_node_id(sub_project.pk) in graph.nodes


def test_labels_follow_the_language(book: Book) -> None:
    cast = book.cast
    with translation.override("zh-hans"):
        graph = _account_map(cast.owner, cast.account)
        edges = _edges(graph)
        assert graph.nodes[account_node_id(cast.account.pk)].label == "朝阳电力控股"
        assert graph.nodes[group_node_id(book.group.pk)].label == "朝阳集团"
        owner_label = edges[
            (person_node_id(cast.owner.pk), account_node_id(cast.account.pk), COVERS)
        ]
        assert owner_label == str(translation.gettext("Owner RM")) != "Owner RM"
    graph = _account_map(cast.owner, cast.account)
    assert graph.nodes[account_node_id(cast.account.pk)].label == "Sunrise Power Holdings"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_map_page_keeps_to_the_csp(book: Book, language: str) -> None:
    client = Client()
    client.force_login(book.cast.owner)
    for url in (
        reverse("relationships:account", args=[book.cast.account.pk]),
        reverse("relationships:group", args=[book.group.pk]),
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        body = response.content.decode()
        _assert_csp_clean(body)
        assert "vendor/cytoscape-3.35.0/cytoscape.min.js" in body
        assert 'id="__________cytoscape_stylesheet"' in body
        assert 'id="relationship-map-data"' in body


def test_the_account_page_links_to_its_map(book: Book) -> None:
    client = Client()
    client.force_login(book.cast.owner)
    response = client.get(reverse("accounts:detail", args=[book.cast.account.pk]))
    assert (
        reverse("relationships:account", args=[book.cast.account.pk]) in response.content.decode()
    )


def _grow(book: Book, n: int) -> None:
    """``n`` more of everything around the account: contacts in a reporting line, projects
    with parties, team members, meetings, connected parties and group members."""
    cast = book.cast
    previous: Contact | None = book.cfo
    for i in range(n):
        contact = ContactFactory.create(account=cast.account, reports_to=previous)
        previous = contact
        project = ProjectFactory.create(account=cast.account)
        ProjectParty.objects.create(
            project=project, account=AccountFactory.create(owner=cast.outsider), role=PartyRole.EPC
        )
        member = MembershipFactory.create(account=cast.account, role=MembershipRole.ANALYST)
        meeting = InteractionFactory.create(account=cast.account)
        meeting.contacts.add(contact)
        meeting.internal_participants.add(member.user)
        ConnectedParty.objects.create(
            account=cast.account,
            other=AccountFactory.create(owner=cast.owner),
            reason=ConnectionReason.COMMON_CONTROL,
        )
        GroupMembership.objects.create(
            group=book.group,
            account=AccountFactory.create(owner=cast.owner if i % 2 else cast.outsider),
            parent=book.subsidiary,
            ownership_pct=Decimal("100"),
        )


# Session, user, roles, book; the account with owner and team; group tree, connected
# parties, project parties, contacts, owners, account team, sponsor, meetings.
ACCOUNT_MAP_BUDGET = 13


@pytest.mark.parametrize("who", ["owner", "executive"])
def test_the_map_reads_a_constant_number_of_queries(
    book: Book, who: str, django_assert_max_num_queries: Any
) -> None:
    user = getattr(book.cast, who)
    url = reverse("relationships:account", args=[book.cast.account.pk])
    group_url = reverse("relationships:group", args=[book.group.pk])
    counts: dict[str, list[int]] = {url: [], group_url: []}
    sizes: list[int] = []
    for grow in (0, 12):
        _grow(book, grow)
        client = Client()
        client.force_login(user)
        for page in (url, group_url):
            with django_assert_max_num_queries(ACCOUNT_MAP_BUDGET) as queries:
                response = client.get(page)
            assert response.status_code == 200
            counts[page].append(len(queries.captured_queries))
            if page == url:
                sizes.append(response.context["node_count"])
    assert sizes[1] > sizes[0] + 48
    for page, measured in counts.items():
        assert measured[0] == measured[1], (page, measured)


def test_the_group_page_links_to_its_map(book: Book) -> None:
    client = Client()
    client.force_login(book.cast.owner)
    response = client.get(reverse("groups:detail", args=[book.group.pk]))
    assert response.status_code == 200
    assert reverse("relationships:group", args=[book.group.pk]) in response.content.decode()
    graph = _account_map(book.cast.owner, book.cast.account)
    assert graph.nodes[group_node_id(book.group.pk)].url == f"/groups/{book.group.pk}/"
