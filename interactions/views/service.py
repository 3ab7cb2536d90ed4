"""Service request pages and the service-quality report (issue 5).

Views stay short: selector (404 when the account is not yours, 403 when read-only) → form →
service → redirect. Service errors (bad state, a time before the opening, a missing first
response) come back as form errors and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.choices import Tier
from accounts.rights import Right
from accounts.selectors import account_can, account_get_for_user
from accounts.slices import AccountSliceForm
from kam.exports import check_format, export_response, filters_of
from kam.forms import add_service_errors
from kam.http import request_user
from kam.models import User

from ..forms.service import (
    AssignForm,
    NoteForm,
    ReportPeriodForm,
    RequestFilterForm,
    RequiredNoteForm,
    ResolveForm,
    RespondForm,
    SatisfactionForm,
    ServiceRequestForm,
)
from ..models.service import OPEN_STATES, Priority, RequestState, ServiceRequest
from ..selectors import service as selectors
from ..services import service as services

PAGE_SIZE = 25


# ---------------------------------------------------------------- list and create


def _filtered_requests(
    request: HttpRequest, user: User
) -> tuple[RequestFilterForm, QuerySet[ServiceRequest], str, AccountSliceForm]:
    """The list's requests with the user's filters: the list and its exports share them."""
    queryset = selectors.service_request_list_for_user(user=user)
    filters = RequestFilterForm(request.GET or None)
    state = "open"
    if filters.is_valid():
        data = filters.cleaned_data
        state = data["state"] or "open"
        if data["priority"]:
            queryset = queryset.filter(priority=data["priority"])
        if data["tier"]:
            queryset = queryset.filter(tier=data["tier"])
        if data["mine"]:
            queryset = queryset.filter(assignee=user)
        if data["account"]:
            queryset = queryset.filter(account_id=data["account"])
        if data["quarter"]:
            quarter = data["quarter"]
            queryset = queryset.filter(opened_at__gte=quarter.start, opened_at__lt=quarter.end)
        if data["sla"]:
            queryset = queryset.filter(selectors.sla_outcomes(timezone.now())[data["sla"]])
    # The dashboards' slice (team, region, account tier, sector), as their figures count it.
    account_slice = AccountSliceForm(request.GET)
    queryset = queryset.filter(account_slice.slice_q())
    if state == "open":
        queryset = queryset.filter(state__in=OPEN_STATES)
    elif state == "overdue":
        queryset = queryset.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
    elif state in RequestState.values:
        queryset = queryset.filter(state=state)
    return filters, queryset, state, account_slice


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    filters, queryset, state, account_slice = _filtered_requests(request, user)
    queryset = selectors.order_by_due(queryset).select_related("account", "assignee", "channel")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "interactions/service_request_list.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "state": state,
            "slice": account_slice.applied(),
        },
    )


@login_required
def request_list_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The list as it is filtered, every page, as CSV or Excel; logged."""
    check_format(fmt)
    user = request_user(request)
    filters, queryset, state, account_slice = _filtered_requests(request, user)
    queryset = queryset.order_by("opened_at", "pk")
    applied = {"state": state, **account_slice.applied()}
    if filters.is_valid():
        applied.update(filters_of(filters.cleaned_data))
    return export_response(
        request,
        user=user,
        fmt=fmt,
        name="service-requests",
        what="Service requests",
        headers=[header for header, _path in selectors.EXPORT_COLUMNS],
        rows=_request_rows(queryset),
        fields=selectors.EXPORT_DATA,
        count=queryset.count(),
        filters=applied,
    )


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    initial: dict[str, Any] = {}
    if account_pk := request.GET.get("account"):
        # Prefill from the account page; the one door decides (404 / 403).
        initial["account"] = account_get_for_user(user=user, pk=account_pk, right=Right.SERVICE)
    form = ServiceRequestForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service_request = services.service_request_open(
                account=data["account"],
                channel=data["channel"],
                priority=data["priority"],
                subject=data["subject"],
                description=data["description"],
                opened_at=data["opened_at"],
                opened_by=user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Service request recorded."))
            return redirect(service_request)
    return render(request, "interactions/service_request_form.html", {"form": form})


# ---------------------------------------------------------------- detail and transitions


@dataclass
class Action:
    """One thing that can be done to a request in its state: a small form on its page."""

    name: str
    label: Any
    form_class: type[forms.Form]
    run: Callable[[ServiceRequest, User, dict[str, Any]], ServiceRequest]
    button: str = "btn-outline-primary"


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "respond",
            gettext_lazy("Record first response"),
            RespondForm,
            lambda r, u, d: services.service_request_respond(
                request=r, user=u, responded_at=d["responded_at"], note=d["note"]
            ),
            "btn-primary",
        ),
        Action(
            "wait",
            gettext_lazy("Wait on client (pause the clock)"),
            RequiredNoteForm,
            lambda r, u, d: services.service_request_wait_on_client(
                request=r, user=u, note=d["note"]
            ),
        ),
        Action(
            "resume",
            gettext_lazy("Client replied (resume the clock)"),
            NoteForm,
            lambda r, u, d: services.service_request_resume(request=r, user=u, note=d["note"]),
            "btn-primary",
        ),
        Action(
            "resolve",
            gettext_lazy("Resolve"),
            ResolveForm,
            lambda r, u, d: services.service_request_resolve(
                request=r, user=u, note=d["note"], resolved_at=d["resolved_at"]
            ),
            "btn-success",
        ),
        Action(
            "close",
            gettext_lazy("Close"),
            NoteForm,
            lambda r, u, d: services.service_request_close(request=r, user=u, note=d["note"]),
        ),
        Action(
            "reopen",
            gettext_lazy("Reopen"),
            RequiredNoteForm,
            lambda r, u, d: services.service_request_reopen(request=r, user=u, note=d["note"]),
            "btn-outline-danger",
        ),
        Action(
            "rate",
            gettext_lazy("Record client satisfaction"),
            SatisfactionForm,
            lambda r, u, d: services.service_request_rate(
                request=r, user=u, score=d["score"], comment=d["comment"]
            ),
        ),
        Action(
            "assign",
            gettext_lazy("Reassign"),
            AssignForm,
            lambda r, u, d: services.service_request_assign(
                request=r, user=u, assignee=d["assignee"]
            ),
            "btn-outline-secondary",
        ),
    )
}

ACTIONS_BY_STATE: dict[str, tuple[str, ...]] = {
    RequestState.NEW: ("respond", "resolve", "assign"),
    RequestState.RESPONDED: ("resolve", "wait", "assign"),
    RequestState.WAITING: ("resume", "resolve", "assign"),
    RequestState.RESOLVED: ("rate", "close", "reopen"),
    RequestState.CLOSED: ("rate", "reopen"),
}


def _form(action: Action, service_request: ServiceRequest, data: Any = None) -> forms.Form:
    kwargs: dict[str, Any] = {"prefix": action.name}
    if action.form_class is AssignForm:
        kwargs["choices"] = services.assignee_choices(account=service_request.account)
        kwargs["initial"] = {"assignee": service_request.assignee_id}
    return action.form_class(data, **kwargs)


def _render_detail(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    user: User,
    bound: tuple[str, forms.Form] | None = None,
) -> HttpResponse:
    can_edit = account_can(user=user, account=service_request.account, right=Right.SERVICE)
    actions: list[tuple[Action, forms.Form]] = []
    if can_edit:
        for name in ACTIONS_BY_STATE.get(service_request.state, ()):
            if (
                name == "resolve"
                and service_request.state == RequestState.NEW
                and service_request.response_required
            ):
                continue
            action = ACTIONS[name]
            form = bound[1] if bound and bound[0] == name else _form(action, service_request)
            actions.append((action, form))
        if bound and bound[0] not in {action.name for action, _form_ in actions}:
            # The refused action (e.g. resolving an unanswered request): show why.
            actions.insert(0, (ACTIONS[bound[0]], bound[1]))
    return render(
        request,
        "interactions/service_request_detail.html",
        {
            "sr": service_request,
            "account": service_request.account,
            "events": list(service_request.events.select_related("actor")),
            "breaches": list(service_request.breaches.select_related("escalated_to")),
            "can_edit": can_edit,
            "actions": actions,
            "open_action": bound[0] if bound else "",
        },
        status=400 if bound else 200,
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request_user(request)
    service_request = selectors.service_request_get_for_user(user=user, pk=pk)
    return _render_detail(request, service_request, user=user)


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request_user(request)
    service_request = selectors.service_request_get_for_user(user=user, pk=pk, write=True)
    if action not in ACTIONS:
        raise PermissionDenied("Unknown action.")
    spec = ACTIONS[action]
    form = _form(spec, service_request, request.POST)
    if form.is_valid():
        try:
            spec.run(service_request, user, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Service request updated."))
            return redirect(service_request)
    service_request.refresh_from_db()
    return _render_detail(request, service_request, user=user, bound=(action, form))


# ---------------------------------------------------------------- report and export


def _report_user(request: HttpRequest) -> User:
    user = request_user(request)
    if not selectors.can_see_service_report(user):
        raise PermissionDenied(_("The service report is for team leads and executives."))
    return user


def _period(request: HttpRequest) -> tuple[ReportPeriodForm, dt.date, dt.date, str]:
    form = ReportPeriodForm(request.GET or {"period": "this_quarter"})
    if form.is_valid():
        data = form.cleaned_data
        return form, data["start"], data["end"], data["period"]
    fallback = ReportPeriodForm({"period": "this_quarter"})
    fallback.is_valid()
    return form, fallback.cleaned_data["start"], fallback.cleaned_data["end"], "this_quarter"


@login_required
def report(request: HttpRequest) -> HttpResponse:
    user = _report_user(request)
    form, start, end, period = _period(request)
    data = selectors.service_report(user=user, start=start, end=end)
    query = request.GET.copy()
    query.pop("kind", None)
    return render(
        request,
        "interactions/service_report.html",
        {
            "form": form,
            "report": data,
            "chart_data": data.chart_data(),
            "response_rows": list(zip(data.response_buckets, data.response_totals, strict=False)),
            "age_rows": list(zip(data.age_buckets, data.open_totals, strict=False)),
            "query": query.urlencode(),
            "scope_all": user.reads_all_accounts,
            "export_formats": [
                (_("CSV"), reverse("service:report_export")),
                (_("Excel"), reverse("service:report_export_xlsx")),
            ],
        },
    )


def _hours(seconds: int | None) -> str:
    return "" if seconds is None else str((Decimal(seconds) / 3600).quantize(Decimal("0.01")))


def _local(moment: dt.datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _request_rows(queryset: QuerySet[ServiceRequest]) -> Iterator[list[Any]]:
    """Requests as export rows (the report's request-level columns), read in chunks."""
    tiers, priorities, states = (
        dict(Tier.choices),
        dict(Priority.choices),
        dict(RequestState.choices),
    )
    paths = [path for _header, path in selectors.EXPORT_COLUMNS]
    for row in queryset.order_by("opened_at", "pk").values_list(*paths).iterator(chunk_size=2000):
        values = dict(zip(paths, row, strict=True))
        values["tier"] = tiers.get(values["tier"], values["tier"])
        values["priority"] = priorities.get(values["priority"], values["priority"])
        values["state"] = states.get(values["state"], values["state"])
        for name in (
            "opened_at",
            "first_response_due",
            "responded_at",
            "resolution_due",
            "resolved_at",
        ):
            values[name] = _local(values[name])
        for name in ("response_seconds", "resolution_seconds", "paused_seconds"):
            values[name] = _hours(values[name])
        yield [values[path] for path in paths]


def _summary_lines(rows: list[selectors.AttainmentRow], first: str) -> Iterator[list[Any]]:
    yield [
        first,
        _("Requests"),
        _("First responses in time"),
        _("First responses late"),
        _("First response attainment (%)"),
        _("Resolved in time"),
        _("Resolved late"),
        _("Resolution attainment (%)"),
        _("Satisfaction scores"),
        _("Average satisfaction"),
    ]
    for row in rows:
        yield [
            row.label,
            row.total,
            row.response_met,
            row.response_missed,
            "" if row.response_rate is None else row.response_rate,
            row.resolution_met,
            row.resolution_missed,
            "" if row.resolution_rate is None else row.resolution_rate,
            row.rated,
            "" if row.satisfaction is None else row.satisfaction,
        ]


EXPORT_KINDS = ("requests", "tier", "team", "rm")


@login_required
def report_export(request: HttpRequest, fmt: str = "csv") -> HttpResponseBase:
    """The report's period as CSV or Excel, filtered by the user's permissions, and logged."""
    check_format(fmt)
    user = _report_user(request)
    form, start, end, _period_name = _period(request)
    kind = request.GET.get("kind", "requests")
    if kind not in EXPORT_KINDS:
        kind = "requests"
    headers: list[Any]
    rows: Iterable[list[Any]]
    if kind == "requests":
        requests = selectors.service_report_requests(user=user, start=start, end=end)
        count = requests.count()
        headers = [header for header, _path in selectors.EXPORT_COLUMNS]
        rows = _request_rows(requests)
    else:
        data = selectors.service_report(user=user, start=start, end=end)
        table = {"tier": data.by_tier + [data.total], "team": data.by_team, "rm": data.by_rm}[kind]
        first = {"tier": _("Tier"), "team": _("Team"), "rm": _("Relationship manager")}[kind]
        headers, *rows = list(_summary_lines(table, first))
        count = len(table)
    return export_response(
        request,
        user=user,
        fmt=fmt,
        name=f"service-report-{kind}-{start:%Y%m%d}-{end:%Y%m%d}",
        what=f"Service report {start:%Y-%m-%d}–{end:%Y-%m-%d} ({kind})",
        headers=headers,
        rows=rows,
        fields=selectors.EXPORT_DATA if kind == "requests" else ("figures.aggregate", "user.name"),
        count=count,
        detail={"report": "service", "kind": kind, "start": str(start), "end": str(end)},
    )
