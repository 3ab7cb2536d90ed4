"""The relationship map pages: an account's and a client group's, drawn in the browser by
Cytoscape.js (vendored) from the graph the server builds and translates."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.selectors import account_get_for_user
from groups.selectors import group_get_for_user
from kam.http import request_user

from . import selectors
from .graph import ACCOUNT, NAME_ONLY_LABEL, NODE_TYPE_LABELS, NODE_TYPES, Graph

LAYOUTS = ("cose", "breadthfirst", "concentric")


@never_cache  # names of the client's people
@login_required
def account_map(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    account = account_get_for_user(user=user, pk=pk)
    graph = selectors.account_map(user=user, account=account)
    return _render(request, graph, {"account": account, "name": account.display_name})


@never_cache
@login_required
def group_map(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    group = group_get_for_user(user=user, pk=pk)
    graph = selectors.group_map(user=user, group=group)
    return _render(request, graph, {"group": group, "name": group.display_name})


def _render(request: HttpRequest, graph: Graph, context: dict[str, Any]) -> HttpResponse:
    nodes = list(graph.nodes.values())
    legend = [
        {"type": kind, "label": NODE_TYPE_LABELS[kind], "count": graph.count(kind)}
        for kind in NODE_TYPES
    ]
    name_only = sum(1 for node in nodes if node.type == ACCOUNT and node.name_only)
    layout_labels = {
        "cose": _("Force-directed"),
        "breadthfirst": _("Tree"),
        "concentric": _("Rings"),
    }
    return render(
        request,
        "relationships/map.html",
        {
            **context,
            "legend": legend,
            "name_only": name_only,
            "name_only_label": NAME_ONLY_LABEL,
            # The same nodes as a list, for screen readers and without JavaScript.
            "listing": [
                {
                    "label": NODE_TYPE_LABELS[kind],
                    "nodes": [node for node in nodes if node.type == kind],
                }
                for kind in NODE_TYPES
                if graph.count(kind)
            ],
            "layouts": [(name, layout_labels[name]) for name in LAYOUTS],
            "map_data": {
                "elements": graph.elements(),
                "focus": next((node.id for node in nodes if node.focus), None),
            },
            "node_count": len(nodes),
            "edge_count": len(graph.edges),
        },
    )
