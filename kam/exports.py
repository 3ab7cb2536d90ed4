"""One export helper for every list and dashboard table: CSV (streamed, UTF-8 with a byte-order
mark so Excel reads Chinese names) or Excel (openpyxl, write-only workbook).

Callers pass rows they already filtered through the one door (accounts.selectors) with the
user's own filters; the helper writes the audit row (``AccessLog``, action ``export``) before
the first byte leaves, so an export is never unlogged.

Cells are neutralised against formula injection: a text cell starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return gets a leading apostrophe, in CSV and in Excel alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .data_levels import label as level_label
from .data_levels import level_of, needs_reason
from .models import AccessLog, User

FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's sheet limit, less the header row.
XLSX_MAX_ROWS = 1_048_575
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def check_format(fmt: str) -> str:
    """The export format from a URL: ``csv`` or ``xlsx``; anything else is a 404."""
    if fmt not in FORMATS:
        raise Http404("Unknown export format.")
    return fmt


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: local times without zone, lazy text as text, formulas
    neutralised. Numbers and dates stay numbers and dates (Excel can sum them)."""
    if value is None:
        return ""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, int | float | Decimal | dt.date):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _csv_text(value: Any) -> Any:
    value = cell(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Echo:
    """csv.writer target that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _log(
    request: HttpRequest,
    *,
    user: User,
    name: str,
    fmt: str,
    what: str,
    rows: int | None,
    filters: Mapping[str, Any] | None,
    account_id: int | None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    detail: dict[str, Any] = {"export": name, "format": fmt, **(extra or {})}
    if rows is not None:
        detail["rows"] = rows
    if filters:
        detail["filters"] = {
            key: [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
            for key, value in filters.items()
            if value not in (None, "", [], ())
        }
    AccessLog.objects.create(
        user=user,
        action=AccessLog.Action.EXPORT,
        account_id=account_id,
        object_repr=what[:200],
        ip_address=request.META.get("REMOTE_ADDR") or None,
        detail=detail,
    )


REASON_PARAM = "export_reason"
REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 500


def reason_required(count: int | None, level: int | None = None) -> bool:
    """Whether an export of ``count`` rows of data at ``level`` must say why: from
    ``EXPORT_REASON_MIN_ROWS`` rows, or at ``EXPORT_REASON_MIN_LEVEL`` and above whatever its
    size (kam.data_levels)."""
    return (count is not None and count >= settings.EXPORT_REASON_MIN_ROWS) or needs_reason(level)


def _ask_reason(
    request: HttpRequest, *, count: int | None, what: str, tried: bool, level: int | None
) -> HttpResponse:
    """The form that asks why a large or sensitive export is needed: the same URL and
    filters again, with the reason, which is logged with the export."""
    hidden = [
        (key, value)
        for key, values in request.GET.lists()
        if key != REASON_PARAM
        for value in values
    ]
    return render(
        request,
        "kam/export_reason.html",
        {
            "action": request.path,
            "hidden": hidden,
            "count": count,
            "what": what,
            "param": REASON_PARAM,
            "min_length": REASON_MIN_LENGTH,
            "max_length": REASON_MAX_LENGTH,
            "tried": tried,
            "back": _safe_referer(request),
            "level": level if needs_reason(level) else None,
            "level_label": level_label(level) if level else "",
        },
    )


def _reason(request: HttpRequest, *, given: str) -> str:
    """The reason logged with an export: the caller's when it gives a valid one (an export a
    recorded request asked for: nothing a URL parameter may replace), else the one the user
    typed (``export_reason``)."""
    given = " ".join(given.split())[:REASON_MAX_LENGTH]
    if len(given) >= REASON_MIN_LENGTH:
        return given
    typed = " ".join((request.GET.get(REASON_PARAM, "") or "").split())[:REASON_MAX_LENGTH]
    return typed or given


def _safe_referer(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


def export_response(
    request: HttpRequest,
    *,
    user: User,
    fmt: str,
    name: str,
    what: str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    fields: Iterable[str],
    count: int | None = None,
    filters: Mapping[str, Any] | None = None,
    account_id: int | None = None,
    sheet: str | None = None,
    detail: Mapping[str, Any] | None = None,
    reason: str = "",
) -> HttpResponseBase:
    """Write ``rows`` under ``headers`` as CSV or Excel, logged as an export of ``what``.

    ``name`` is a short machine name (file name, audit detail); ``count`` the number of rows
    when the caller knows it (a CSV is streamed, so it is logged before it is written);
    ``filters`` the user's filters as they applied, recorded with the export; ``detail``
    more facts for the audit row; ``fields`` the kinds of data the rows contain (keys of
    ``kam.data_levels.FIELD_LEVELS``), whose highest level is logged with the export. An export
    of at least ``EXPORT_REASON_MIN_ROWS`` rows, or of data at ``EXPORT_REASON_MIN_LEVEL`` or
    above, first asks why it is needed (a form that repeats the request with
    ``export_reason``), unless the caller gives the ``reason`` (an export a recorded request
    asked for); the reason is logged with it.
    """
    check_format(fmt)
    level = level_of(fields)
    reason = _reason(request, given=reason)
    if reason_required(count, level) and len(reason) < REASON_MIN_LENGTH:
        return _ask_reason(request, count=count, what=what, tried=bool(reason), level=level)
    detail = {**(detail or {}), "data_level": int(level) if level else None}
    if reason:
        detail["reason"] = reason
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{_UNSAFE_FILENAME.sub('-', name).strip('-') or 'export'}-{stamp}.{fmt}"
    header_row = [str(h) for h in headers]
    if fmt == "csv":
        _log(
            request,
            user=user,
            name=name,
            fmt=fmt,
            what=what,
            rows=count,
            filters=filters,
            account_id=account_id,
            extra=detail,
        )
        writer = csv.writer(_Echo())

        def stream() -> Iterator[str]:
            yield "\ufeff"
            yield writer.writerow(header_row)
            for row in rows:
                yield writer.writerow([_csv_text(v) for v in row])

        response: HttpResponseBase = StreamingHttpResponse(
            stream(), content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(title=(sheet or name)[:31] or "export")
        worksheet.append(header_row)
        written = 0
        for row in rows:
            if written >= XLSX_MAX_ROWS:
                break
            worksheet.append([cell(v) for v in row])
            written += 1
        _log(
            request,
            user=user,
            name=name,
            fmt=fmt,
            what=what,
            rows=written,
            filters=filters,
            account_id=account_id,
            extra=detail,
        )
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def filters_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The applied filters of a form's ``cleaned_data`` for the audit row (ids for objects)."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        if hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, list | tuple):
            value = [getattr(v, "pk", v) for v in value]
        result[key] = value
    return result
