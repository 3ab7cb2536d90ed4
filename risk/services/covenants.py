"""Covenant thresholds and figures, entered one by one or imported from a CSV file.

An import is all or nothing: every row is checked first (numbers, dates, known metric, a
project of this account that the user may change, a covenant for that metric, no row twice);
one bad row rejects the whole file with a report per row, and nothing is saved."""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.models import Account, Project
from accounts.rights import Right
from accounts.selectors import account_list_for_user
from kam.audit import audit_update
from kam.models import User

from ..choices import CovenantSource
from ..models import CovenantMetric, CovenantTest, EsgEvent, ProjectCovenant

MAX_IMPORT_ROWS = 2000
MAX_IMPORT_BYTES = 1_000_000
IMPORT_COLUMNS = ("project_id", "metric", "period_end", "value")
FIGURE_LIMIT = Decimal("1e10")


@transaction.atomic
def covenant_save(
    *,
    project: Project,
    metric: CovenantMetric,
    threshold: Decimal,
    clause: str = "",
) -> ProjectCovenant:
    """Add or amend a project's covenant (the threshold of its loan agreement)."""
    covenant, _created = ProjectCovenant.objects.get_or_create(
        project=project, metric=metric, defaults={"threshold": threshold, "clause": clause}
    )
    if not _created:
        covenant.threshold = threshold
        covenant.clause = clause
    covenant.full_clean()
    covenant.save()
    return covenant


@transaction.atomic
def covenant_test_record(
    *,
    project: Project,
    metric: CovenantMetric,
    period_end: date,
    value: Decimal,
    user: User | None,
    note: str = "",
    source: str = CovenantSource.PORTAL,
) -> CovenantTest:
    """Record (or correct) a project's figure for a period, against its covenant threshold."""
    covenant = ProjectCovenant.objects.filter(project=project, metric=metric).first()
    if covenant is None:
        raise ValidationError(
            {
                "metric": _("%(project)s has no %(metric)s covenant; add its threshold first.")
                % {"project": project.name, "metric": metric.display_name}
            }
        )
    test = CovenantTest.objects.filter(
        project=project, metric=metric, period_end=period_end
    ).first()
    if test is None:
        test = CovenantTest(project=project, metric=metric, period_end=period_end)
    test.account_id = project.account_id
    test.value = value
    test.threshold = covenant.threshold
    test.direction = metric.direction
    test.note = note
    test.source = source
    test.entered_by = user
    test.full_clean()
    test.save()
    return test


@dataclass
class RowReport:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    rows: list[RowReport] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.errors for r in self.rows)

    @property
    def error_rows(self) -> list[RowReport]:
        return [r for r in self.rows if r.errors]


def _decode(upload: IO[bytes]) -> str:
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValueError(_("The file is larger than 1 MB."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("The file is not text in UTF-8 or GB18030."))


def covenant_tests_import(*, account: Account, user: User, upload: IO[bytes]) -> ImportResult:
    """Check every row of a CSV file of covenant figures; save all of them or none."""
    result = ImportResult()
    try:
        text = _decode(upload)
    except ValueError as exc:
        result.file_errors.append(str(exc))
        return result
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        result.file_errors.append(
            _("Missing columns: %(missing)s. Expected: %(expected)s (and optionally note).")
            % {"missing": ", ".join(missing), "expected": ", ".join(IMPORT_COLUMNS)}
        )
        return result
    raw_rows = []
    for line, record in enumerate(reader, start=2):
        values = {
            (k or "").strip().lower(): (v if isinstance(v, str) else "").strip()
            for k, v in record.items()
        }
        if not any(values.values()):
            continue
        raw_rows.append(RowReport(line=line, values=values))
        if len(raw_rows) > MAX_IMPORT_ROWS:
            result.file_errors.append(
                _("The file has more than %(n)s rows; split it.") % {"n": MAX_IMPORT_ROWS}
            )
            return result
    if not raw_rows:
        result.file_errors.append(_("The file has no rows."))
        return result
    result.rows = raw_rows

    # Everything the rows refer to, in a fixed number of queries.
    project_ids = {
        int(r.values["project_id"]) for r in raw_rows if r.values["project_id"].isdigit()
    }
    writable = account_list_for_user(user=user, right=Right.EDIT_PROJECTS)
    projects = {
        p.pk: p
        for p in Project.objects.filter(pk__in=project_ids, account__in=writable).select_related(
            "account"
        )
    }
    metrics = {m.code: m for m in CovenantMetric.objects.filter(is_active=True)}
    covenants = {
        (c.project_id, c.metric_id): c
        for c in ProjectCovenant.objects.filter(project_id__in=list(projects))
    }

    seen: dict[tuple[int, str, date], int] = {}
    parsed: list[tuple[Project, CovenantMetric, date, Decimal, str]] = []
    for row in raw_rows:
        v = row.values
        project = metric = period = value = None
        if not v["project_id"].isdigit():
            row.errors.append(
                _("project_id must be a project number; got “%(v)s”.") % {"v": v["project_id"]}
            )
        else:
            project = projects.get(int(v["project_id"]))
            if project is None:
                # The same words for "no such project" and "not yours": default deny.
                row.errors.append(
                    _("Project %(id)s does not exist or you may not change it.")
                    % {"id": v["project_id"]}
                )
            elif project.account_id != account.pk:
                row.errors.append(
                    _("Project %(id)s (%(name)s) belongs to another account, not to %(account)s.")
                    % {"id": project.pk, "name": project.name, "account": account.display_name}
                )
                project = None
        metric = metrics.get(v["metric"].lower())
        if metric is None:
            row.errors.append(
                _("Unknown metric “%(m)s”; use one of: %(codes)s.")
                % {"m": v["metric"], "codes": ", ".join(sorted(metrics))}
            )
        period = parse_date(v["period_end"]) if _looks_like_date(v["period_end"]) else None
        if period is None:
            row.errors.append(
                _("period_end must be a date as YYYY-MM-DD; got “%(v)s”.") % {"v": v["period_end"]}
            )
        value = _parse_figure(v["value"])
        if value is None:
            row.errors.append(_("value must be a number; got “%(v)s”.") % {"v": v["value"]})
        if project is not None and metric is not None and (project.pk, metric.pk) not in covenants:
            row.errors.append(
                _("%(project)s has no %(metric)s covenant; add its threshold first.")
                % {"project": project.name, "metric": metric.display_name}
            )
        if project is not None and metric is not None and period is not None:
            key = (project.pk, metric.code, period)
            if key in seen:
                row.errors.append(
                    _("The same project, metric and period as line %(line)s.") % {"line": seen[key]}
                )
            else:
                seen[key] = row.line
        if not row.errors:
            assert project is not None and metric is not None and period is not None
            assert value is not None
            parsed.append((project, metric, period, value, v.get("note", "")[:300]))
    if not result.ok:
        return result

    existing = set(
        CovenantTest.objects.filter(project_id__in=list(projects)).values_list(
            "project_id", "metric_id", "period_end"
        )
    )
    with transaction.atomic():
        for project, metric, period, value, note in parsed:
            covenant_test_record(
                project=project,
                metric=metric,
                period_end=period,
                value=value,
                user=user,
                note=note,
                source=CovenantSource.IMPORT,
            )
            if (project.pk, metric.pk, period) in existing:
                result.updated += 1
            else:
                result.created += 1
    return result


def _looks_like_date(text: str) -> bool:
    try:
        return parse_date(text) is not None
    except ValueError:
        return False


def _parse_figure(text: str) -> Decimal | None:
    try:
        number = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) >= FIGURE_LIMIT:
        return None
    return number.quantize(Decimal("0.0001"))


# ---------------------------------------------------------------- ESG events


@transaction.atomic
def esg_event_record(*, account: Account, user: User, **data: Any) -> EsgEvent:
    event = EsgEvent(account=account, recorded_by=user, **data)
    project = event.project if event.project_id else None
    if project is not None and project.account_id != account.pk:
        raise ValidationError({"project": _("Choose a project of this account.")})
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def esg_event_close(*, event: EsgEvent, closed_on: date, note: str) -> EsgEvent:
    before = copy.copy(event)
    EsgEvent.objects.filter(pk=event.pk, closed_on__isnull=True).update(
        closed_on=closed_on, closing_note=note
    )
    event.refresh_from_db()
    audit_update(old=before, new=event)
    return event
