"""Compliance's pages: the audit trail (changes and sensitive reads, its export) and the
verification of the change log's hash chain. Compliance and administrators only; everyone
else gets 403, as the trail always did."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from .audit_chain import audit_verification_request, chain_head
from .audit_display import entries_for_display, local_time, person
from .exports import check_format, export_response, filters_of
from .forms import AuditFilterForm
from .models import AccessLog, AuditVerification, User
from .selectors import audit_changes, audit_reads

PAGE_SIZE = 50
# Entries formatted together in an export: one name query per related model per batch.
EXPORT_BATCH = 500


def _audit_reader(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.reads_audit_trail:
        raise PermissionDenied(_("Only compliance and administrators read the audit trail."))
    return user


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, str, QuerySet[Any]]:
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    kind = "changes"
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "user": data.get("user"),
            "account_id": data.get("account"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }
        kind = data.get("kind") or "changes"
    rows: QuerySet[Any] = audit_reads(**filters) if kind == "reads" else audit_changes(**filters)
    return form, kind, rows


@login_required
@require_GET
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Compliance reads who changed what and who saw which sensitive record."""
    _audit_reader(request)
    form, kind, rows = _filtered(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    entries = entries_for_display(page.object_list) if kind == "changes" else []
    return render(
        request,
        "kam/audit_trail.html",
        {
            "form": form,
            "page": page,
            "entries": entries,
            "kind": kind,
            "query": query.urlencode(),
        },
    )


CHANGE_COLUMNS = (
    gettext_lazy("When"),
    gettext_lazy("User"),
    gettext_lazy("Action"),
    gettext_lazy("Type"),
    gettext_lazy("Record"),
    gettext_lazy("Account"),
    gettext_lazy("Changes"),
    gettext_lazy("Entry"),
)
READ_COLUMNS = (
    gettext_lazy("When"),
    gettext_lazy("User"),
    gettext_lazy("Action"),
    gettext_lazy("Record"),
    gettext_lazy("Field"),
    gettext_lazy("Account"),
    gettext_lazy("IP address"),
    gettext_lazy("Reason"),
    gettext_lazy("Data level"),
)


def _change_rows(entries: QuerySet[LogEntry]) -> Iterator[list[Any]]:
    batch: list[LogEntry] = []
    for entry in entries.iterator(EXPORT_BATCH):
        batch.append(entry)
        if len(batch) == EXPORT_BATCH:
            yield from _formatted(batch)
            batch = []
    yield from _formatted(batch)


def _formatted(batch: list[LogEntry]) -> Iterator[list[Any]]:
    for shown in entries_for_display(batch):
        yield [
            shown.when,
            shown.actor,
            shown.action,
            shown.kind,
            shown.record,
            shown.account_id or "",
            shown.changes_text(),
            shown.entry.pk,
        ]


def _read_rows(reads: QuerySet[AccessLog]) -> Iterator[list[Any]]:
    for row in reads.iterator(2000):
        yield [
            local_time(row.at),
            person(row.user),
            row.get_action_display(),
            row.object_repr,
            row.field,
            row.account_id or "",
            row.ip_address or "",
            (row.detail or {}).get("reason", ""),
            (row.detail or {}).get("data_level") or "",
        ]


@login_required
@require_GET
def audit_trail_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The trail as filtered, every page, as CSV or Excel, in the page's words; the export is
    itself logged."""
    check_format(fmt)
    user = _audit_reader(request)
    form, kind, rows = _filtered(request)
    applied = {"kind": kind, **(filters_of(form.cleaned_data) if form.is_valid() else {})}
    headers: tuple[Any, ...]
    if kind == "reads":
        headers, body = READ_COLUMNS, _read_rows(rows)
    else:
        headers, body = CHANGE_COLUMNS, _change_rows(rows)
    return export_response(
        request,
        user=user,
        fmt=fmt,
        name=f"audit-{kind}",
        what=f"Audit trail ({kind})",
        headers=headers,
        rows=body,
        fields=("audit.reads",) if kind == "reads" else ("audit.changes",),
        count=rows.count(),
        filters=applied,
    )


@login_required
@require_http_methods(["GET", "POST"])
def audit_verification(request: HttpRequest) -> HttpResponse:
    """The last verifications of the change log's hash chain; POST asks a worker for one."""
    user = _audit_reader(request)
    if request.method == "POST":
        audit_verification_request(user=user)
        messages.success(
            request,
            _("Verification queued: the result appears here when a worker has run it."),
        )
        return redirect("audit_verification")
    verifications = AuditVerification.objects.select_related("requested_by")[:10]
    return render(
        request,
        "kam/audit_verification.html",
        {"verifications": verifications, "head": chain_head(lock=False)},
    )
