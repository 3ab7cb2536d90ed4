"""Dashboard pages: the executive dashboard, the supervision scorecards and their exports.

Open to every signed-in user, each seeing their own reach: executives, risk officers and
compliance every account; team leads their team; RMs their own book (the one door).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from kam.exports import check_format, export_response
from kam.http import request_user

from . import charts
from .exports import TABLES
from .scope import scope_from_request
from .scorecards import DEFINITIONS, TARGET, WARNING, scorecards
from .selectors import executive_dashboard


def _exports(scope: Any, *names: str) -> dict[str, dict[str, str]]:
    """Export links per table, with the page's own filters."""
    query = urlencode(scope.filter_params())
    return {
        name: {
            fmt: f"{reverse('dashboard:export', args=[name, fmt])}?{query}"
            for fmt in ("csv", "xlsx")
        }
        for name in names
    }


@login_required
@require_GET
def executive(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    scope, form = scope_from_request(user=user, data=request.GET)
    dashboard = executive_dashboard(scope)
    return render(
        request,
        "dashboard/executive.html",
        {
            "form": form,
            "scope": scope,
            "d": dashboard,
            "chart_data": charts.chart_data(dashboard),
            "exports": _exports(scope, *TABLES),
            "reach": "all" if user.reads_all_accounts or user.is_portal_admin else "own",
        },
    )


@login_required
@require_GET
def supervision(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    scope, form = scope_from_request(user=user, data=request.GET)
    data = scorecards(scope)
    return render(
        request,
        "dashboard/supervision.html",
        {
            "form": form,
            "scope": scope,
            "cards": data,
            "definitions": DEFINITIONS,
            "target": TARGET,
            "warning": WARNING,
            "exports": _exports(scope, "scorecard_rm", "scorecard_team"),
        },
    )


@login_required
@require_GET
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponseBase:
    """One table of the dashboard or the scorecards, as CSV or Excel, with the user's filters
    and permissions, logged in the audit trail."""
    check_format(fmt)
    spec = TABLES.get(table)
    if spec is None:
        raise Http404("No such table.")
    user = request_user(request)
    scope, _form = scope_from_request(user=user, data=request.GET)
    headers, rows = spec.build(scope)
    return export_response(
        request,
        user=user,
        fmt=fmt,
        name=f"dashboard-{table}",
        what=f"Dashboard: {spec.title} ({scope.quarter})",
        headers=headers,
        rows=rows,
        fields=("figures.aggregate", "account.name", "account.financials", "user.name"),
        count=len(rows),
        filters=scope.filter_params(),
    )
