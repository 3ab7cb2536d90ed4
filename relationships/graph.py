"""The relationship map as a graph: nodes and edges in the shape Cytoscape.js reads.

Every label is in the user's language when the graph is built (the browser translates
nothing). A node carries a link only when the user may open what it stands for; an account
the user cannot see is a name and nothing else (``name_only``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Node types, in the order the legend lists them.
GROUP = "group"
ACCOUNT = "account"
PROJECT = "project"
CONTACT = "contact"
PERSON = "person"
NODE_TYPES = (GROUP, ACCOUNT, PROJECT, CONTACT, PERSON)

NODE_TYPE_LABELS = {
    GROUP: _("Client group"),
    ACCOUNT: _("Account"),
    PROJECT: _("Project"),
    CONTACT: _("Client contact"),
    PERSON: pgettext_lazy("relationship map", "Our people"),
}
# What the legend says of an account shown by name only.
NAME_ONLY_LABEL = _("Account you cannot open (name only)")

# Edge types.
MEMBER = "member"  # a group to its top account
SUBSIDIARY = "subsidiary"  # a parent account to the account it owns
CONNECTED = "connected"  # connected parties (关联方)
PARTY = "party"  # an account's role in a project
EMPLOYS = "employs"  # an account to its contact
REPORTS_TO = "reports_to"  # a contact to their manager
COVERS = "covers"  # one of our people to an account (owner, account team, sponsor)
MET = "met"  # one of our people to a contact they took part in interactions with
EDGE_TYPES = (MEMBER, SUBSIDIARY, CONNECTED, PARTY, EMPLOYS, REPORTS_TO, COVERS, MET)


@dataclass
class Node:
    id: str
    type: str
    label: str
    url: str = ""
    detail: str = ""
    focus: bool = False
    name_only: bool = False

    def element(self) -> dict[str, Any]:
        classes = [self.type]
        if self.focus:
            classes.append("focus")
        if self.name_only:
            classes.append("name-only")
        data: dict[str, Any] = {"id": self.id, "type": self.type, "label": self.label}
        if self.url:
            data["url"] = self.url
        if self.detail:
            data["detail"] = self.detail
        return {"group": "nodes", "data": data, "classes": " ".join(classes)}


@dataclass
class Edge:
    source: str
    target: str
    type: str
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.type}:{self.source}:{self.target}"

    def element(self) -> dict[str, Any]:
        data = {"id": self.id, "source": self.source, "target": self.target, "type": self.type}
        if self.label:
            data["label"] = self.label
        return {"group": "edges", "data": data, "classes": self.type}


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[str, Edge] = field(default_factory=dict)

    def add(self, node: Node) -> Node:
        """Add ``node`` unless one with its id is there; the focus mark is kept from either."""
        held = self.nodes.get(node.id)
        if held is None:
            self.nodes[node.id] = node
            return node
        held.focus = held.focus or node.focus
        return held

    def connect(self, source: str, target: str, type: str, label: str = "") -> None:
        """An edge between two nodes already in the graph; one per pair and type, their
        labels joined (an account that is sponsor and off-taker of the same project)."""
        if source not in self.nodes or target not in self.nodes or source == target:
            return
        edge = Edge(source, target, type, label)
        held = self.edges.get(edge.id)
        if held is None:
            self.edges[edge.id] = edge
        elif label and label not in held.label.split(" · "):
            held.label = f"{held.label} · {label}" if held.label else label

    def elements(self) -> list[dict[str, Any]]:
        return [n.element() for n in self.nodes.values()] + [
            e.element() for e in self.edges.values()
        ]

    def count(self, type: str) -> int:
        return sum(1 for node in self.nodes.values() if node.type == type)


def account_node_id(pk: int) -> str:
    return f"account-{pk}"


def group_node_id(pk: int) -> str:
    return f"group-{pk}"


def project_node_id(pk: int) -> str:
    return f"project-{pk}"


def contact_node_id(pk: int) -> str:
    return f"contact-{pk}"


def person_node_id(pk: int) -> str:
    return f"person-{pk}"
